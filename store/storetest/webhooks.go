package storetest

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/dispatchd/dispatchd/model"
	"github.com/dispatchd/dispatchd/store"
)

// Webhook returns a webhook that uses every field.
func Webhook(id string) model.Webhook {
	return model.Webhook{ID: id, URL: "https://phones.example.com/hooks/" + id,
		Types:        []model.EventType{model.EventWorkOrderDispatched, model.EventWorkOrderReassigned},
		TechnicianID: "T1", Secret: "s3cret-s3cret-s3cret", CreatedAt: at(8), CreatedBy: "admin"}
}

// delivery returns a pending delivery to a webhook, due at due.
func delivery(id, webhook string, due time.Time) model.Delivery {
	return model.Delivery{ID: id, WebhookID: webhook, EventID: "1-0", EventType: model.EventWorkOrderDispatched,
		TechnicianID: "T1", Body: json.RawMessage(`{"event":{"type":"workorder.dispatched"}}`), Status: model.DeliveryPending,
		CreatedAt: at(9), NextAttempt: due}
}

func putWebhook(t *testing.T, s Store, id string) {
	t.Helper()
	if err := s.PutWebhook(t.Context(), Webhook(id)); err != nil {
		t.Fatal(err)
	}
}

func add(t *testing.T, s Store, ds ...model.Delivery) int {
	t.Helper()
	n, err := s.AddDeliveries(t.Context(), ds...)
	if err != nil {
		t.Fatalf("AddDeliveries: %v", err)
	}
	return n
}

func claimIDs(t *testing.T, s Store, now time.Time, limit int) []string {
	t.Helper()
	ds, err := s.ClaimDeliveries(t.Context(), now, time.Minute, limit)
	if err != nil {
		t.Fatalf("ClaimDeliveries: %v", err)
	}
	var out []string
	for _, d := range ds {
		out = append(out, fmt.Sprintf("%s#%d", d.ID, d.Attempts))
	}
	return out
}

func testWebhooks(t *testing.T, s Store) {
	ctx := t.Context()
	putWebhook(t, s, "H2")
	putWebhook(t, s, "H1")
	got, err := s.GetWebhook(ctx, "H1")
	if err != nil {
		t.Fatal(err)
	}
	sameJSON(t, "GetWebhook", got, Webhook("H1"))
	list, err := s.ListWebhooks(ctx)
	if err != nil || len(list) != 2 || list[0].ID != "H1" || list[1].ID != "H2" {
		t.Fatalf("ListWebhooks = %+v, %v; want H1, H2", list, err)
	}
	if err := s.DeleteWebhook(ctx, "H1"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetWebhook(ctx, "H1"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetWebhook after delete: %v", err)
	}
	if err := s.DeleteWebhook(ctx, "H1"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("DeleteWebhook twice: %v", err)
	}
}

func testDeliveries(t *testing.T, s Store) {
	ctx := t.Context()
	putWebhook(t, s, "H1")
	now := at(9)
	if n := add(t, s, delivery("D1", "H1", now), delivery("D2", "H1", now.Add(time.Minute)), delivery("D3", "H-gone", now)); n != 2 {
		t.Fatalf("added %d, want 2 (H-gone is no webhook)", n)
	}
	if n := add(t, s, delivery("D1", "H1", now)); n != 0 {
		t.Errorf("adding D1 again added %d", n)
	}
	if _, err := s.AddDeliveries(ctx, model.Delivery{ID: "D9", WebhookID: "H1"}); err == nil {
		t.Error("added a delivery without a body")
	}
	if got := claimIDs(t, s, now, 10); !slices.Equal(got, []string{"D1#1"}) {
		t.Fatalf("claims at 09:00 %v, want D1's first attempt", got)
	}
	// Leased: not handed out again until the lease ends.
	if got := claimIDs(t, s, now.Add(30*time.Second), 10); len(got) != 0 {
		t.Fatalf("claims within the lease %v", got)
	}
	if got := claimIDs(t, s, now.Add(61*time.Second), 10); !slices.Equal(got, []string{"D2#1", "D1#2"}) && !slices.Equal(got, []string{"D1#2", "D2#1"}) {
		t.Fatalf("claims after the lease %v, want D1's second attempt and D2's first", got)
	}
	log, err := s.Deliveries(ctx, "H1", 10)
	if err != nil || len(log) != 2 || log[0].ID != "D2" || log[1].ID != "D1" || log[1].Attempts != 2 {
		t.Fatalf("the log %+v, %v; want D2, D1 (2 attempts)", log, err)
	}
	d1 := log[1]
	// The first claimer's attempt was overtaken: its outcome is not kept.
	stale := d1
	stale.Attempts, stale.LastError = 1, "late"
	if ok, err := s.SaveDelivery(ctx, stale); err != nil || ok {
		t.Errorf("saving an overtaken attempt: %v, %v; want false", ok, err)
	}
	// Attempt 2 failed: due again in five minutes.
	d1.LastError, d1.LastStatus, d1.NextAttempt = "receiver said 500", 500, now.Add(6*time.Minute)
	if ok, err := s.SaveDelivery(ctx, d1); err != nil || !ok {
		t.Fatalf("saving attempt 2: %v, %v", ok, err)
	}
	if got := claimIDs(t, s, now.Add(5*time.Minute), 10); slices.ContainsFunc(got, func(id string) bool { return id[:2] == "D1" }) {
		t.Errorf("claims before the retry %v, want no D1", got)
	}
	if got := claimIDs(t, s, now.Add(6*time.Minute), 10); !slices.Contains(got, "D1#3") {
		t.Fatalf("claims at the retry %v, want D1's third attempt", got)
	}
	d1.Attempts, d1.Status, d1.LastError, d1.LastStatus = 3, model.DeliveryDelivered, "", 200
	delivered := now.Add(6 * time.Minute)
	d1.DeliveredAt = &delivered
	if ok, err := s.SaveDelivery(ctx, d1); err != nil || !ok {
		t.Fatalf("saving the delivery: %v, %v", ok, err)
	}
	if got := claimIDs(t, s, now.Add(time.Hour), 10); slices.ContainsFunc(got, func(id string) bool { return id[:2] == "D1" }) {
		t.Errorf("a delivered delivery was claimed again: %v", got)
	}
	log, _ = s.Deliveries(ctx, "H1", 1)
	if len(log) != 1 || log[0].ID != "D2" {
		t.Errorf("the log's newest %+v, want D2", log)
	}
	log, _ = s.Deliveries(ctx, "H1", 10)
	if log[1].Status != model.DeliveryDelivered || log[1].Attempts != 3 || log[1].LastStatus != 200 {
		t.Errorf("D1 in the log %+v, want delivered on the third attempt", log[1])
	}
	sameJSON(t, "D1's body", log[1].Body, delivery("D1", "H1", now).Body)
	// Deleting the webhook takes its deliveries, pending or not.
	if err := s.DeleteWebhook(ctx, "H1"); err != nil {
		t.Fatal(err)
	}
	if got := claimIDs(t, s, now.Add(2*time.Hour), 10); len(got) != 0 {
		t.Errorf("claims after deleting the webhook %v", got)
	}
	if log, _ := s.Deliveries(ctx, "H1", 10); len(log) != 0 {
		t.Errorf("the log of a deleted webhook %+v", log)
	}
}

// testConcurrentClaims claims from many claimers at once: each delivery
// is handed out once.
func testConcurrentClaims(t *testing.T, s Store) {
	putWebhook(t, s, "H1")
	now := at(9)
	var ds []model.Delivery
	for i := range 30 {
		ds = append(ds, delivery(fmt.Sprintf("D%02d", i), "H1", now))
	}
	add(t, s, ds...)
	var mu sync.Mutex
	seen := map[string]int{}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for {
				got, err := s.ClaimDeliveries(t.Context(), now, time.Minute, 3)
				if err != nil {
					t.Error(err)
					return
				}
				if len(got) == 0 {
					return
				}
				mu.Lock()
				for _, d := range got {
					seen[d.ID]++
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(seen) != 30 {
		t.Errorf("%d deliveries claimed, want 30", len(seen))
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("%s claimed %d times", id, n)
		}
	}
}

// testDeliveryLog keeps the newest DeliveryLogSize finished deliveries and
// every pending one.
func testDeliveryLog(t *testing.T, s Store) {
	ctx := t.Context()
	putWebhook(t, s, "H1")
	now := at(9)
	var ds []model.Delivery
	for i := range store.DeliveryLogSize {
		ds = append(ds, delivery(fmt.Sprintf("D%04d", i), "H1", now))
	}
	add(t, s, ds...)
	claimed, err := s.ClaimDeliveries(ctx, now, time.Minute, store.DeliveryLogSize)
	if err != nil || len(claimed) != store.DeliveryLogSize {
		t.Fatalf("claimed %d, %v", len(claimed), err)
	}
	for _, d := range claimed[:store.DeliveryLogSize-1] { // the last stays pending
		d.Status = model.DeliveryDelivered
		if ok, err := s.SaveDelivery(ctx, d); !ok || err != nil {
			t.Fatalf("saving %s: %v, %v", d.ID, ok, err)
		}
	}
	add(t, s, delivery("N1", "H1", now), delivery("N2", "H1", now))
	log, err := s.Deliveries(ctx, "H1", 2*store.DeliveryLogSize)
	if err != nil {
		t.Fatal(err)
	}
	if len(log) != store.DeliveryLogSize || log[0].ID != "N2" || log[1].ID != "N1" {
		t.Fatalf("the log holds %d, newest %s; want %d, N2 then N1", len(log), log[0].ID, store.DeliveryLogSize)
	}
	pending := claimed[store.DeliveryLogSize-1].ID
	if !slices.ContainsFunc(log, func(d model.Delivery) bool { return d.ID == pending }) {
		t.Errorf("the pending %s was trimmed from the log", pending)
	}
	for _, gone := range []string{"D0000", "D0001"} {
		if slices.ContainsFunc(log, func(d model.Delivery) bool { return d.ID == gone }) {
			t.Errorf("the oldest finished %s is still in the log", gone)
		}
	}
}
