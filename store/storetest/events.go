package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/dispatchd/dispatchd/model"
	"github.com/dispatchd/dispatchd/store"
)

// event returns an event of the type about an order.
func event(typ model.EventType, order string) model.Event {
	return model.Event{Type: typ, At: at(9), WorkOrderID: order, TechnicianIDs: []string{"T1"}, Actor: "desk 3",
		Change:        &model.HistoryEntry{WorkOrderID: order, Action: model.HistoryCreated, At: at(9), By: "desk 3"},
		Notifications: []model.Notification{{TechnicianID: "T1", Message: "Work order " + order + " assigned to Ana Ruiz (T1)"}}}
}

// readAll reads every kept event after the id, failing the test on an
// error.
func readAll(t *testing.T, s Store, after string) store.EventBatch {
	t.Helper()
	b, err := s.ReadEvents(t.Context(), after, 10_000, 0)
	if err != nil {
		t.Fatalf("ReadEvents(%q): %v", after, err)
	}
	return b
}

func orders(events []model.Event) []string {
	out := make([]string, len(events))
	for i, e := range events {
		out[i] = e.WorkOrderID
	}
	return out
}

func testEventsCommitted(t *testing.T, s Store) {
	ctx := t.Context()
	if b := readAll(t, s, ""); len(b.Events) != 0 || b.Missed {
		t.Fatalf("an empty store's events: %+v", b)
	}
	if id, err := s.LastEventID(ctx); err != nil || id != "" {
		t.Fatalf("LastEventID of an empty store = %q, %v", id, err)
	}
	w := Scheduled("WO-1", at(10), "T1")
	want := []model.Event{event(model.EventWorkOrderCreated, "WO-1"), event(model.EventWorkOrderDispatched, "WO-1")}
	if err := s.Commit(ctx, store.Change{Orders: []model.WorkOrder{w}, Events: want}); err != nil {
		t.Fatal(err)
	}
	// A change that does not hold appends nothing.
	stale := store.Change{Guards: []store.Guard{{Key: store.OrderKey("WO-1"), Rev: 0}}, Orders: []model.WorkOrder{w},
		Events: []model.Event{event(model.EventWorkOrderUpdated, "WO-1")}}
	if err := s.Commit(ctx, stale); !errors.Is(err, store.ErrStale) {
		t.Fatalf("stale commit: %v", err)
	}
	got := readAll(t, s, "").Events
	if len(got) != 2 {
		t.Fatalf("events %+v, want the two committed", got)
	}
	for i := range got {
		if _, _, err := model.ParseEventID(got[i].ID); err != nil {
			t.Errorf("event %d: %v", i, err)
		}
		e := got[i]
		e.ID = ""
		sameJSON(t, fmt.Sprintf("event %d", i), e, want[i])
	}
	if model.CompareEventIDs(got[0].ID, got[1].ID) >= 0 {
		t.Errorf("ids %s, %s do not grow", got[0].ID, got[1].ID)
	}
	if id, err := s.LastEventID(ctx); err != nil || id != got[1].ID {
		t.Errorf("LastEventID = %q, %v; want %s", id, err, got[1].ID)
	}
	after := readAll(t, s, got[0].ID).Events
	if len(after) != 1 || after[0].ID != got[1].ID {
		t.Errorf("events after %s: %+v", got[0].ID, after)
	}
	if b := readAll(t, s, got[1].ID); len(b.Events) != 0 || b.Missed {
		t.Errorf("events after the last: %+v", b)
	}
	limited, err := s.ReadEvents(ctx, "", 1, 0)
	if err != nil || len(limited.Events) != 1 || limited.Events[0].ID != got[0].ID {
		t.Errorf("ReadEvents with limit 1: %+v, %v", limited, err)
	}
}

func testEventErrors(t *testing.T, s Store) {
	ctx := t.Context()
	if err := s.PublishEvents(ctx, model.Event{Type: "workorder.exploded"}); err == nil {
		t.Error("published an event of unknown type")
	}
	if err := s.Commit(ctx, store.Change{Events: []model.Event{{Type: "nope"}}}); err == nil {
		t.Error("committed an event of unknown type")
	}
	if _, err := s.ReadEvents(ctx, "yesterday", 10, 0); err == nil {
		t.Error("read after a malformed id")
	}
	if _, err := s.ReadEvents(ctx, "", 0, 0); err == nil {
		t.Error("read with limit 0")
	}
	if b := readAll(t, s, ""); len(b.Events) != 0 {
		t.Errorf("refused events were kept: %+v", b.Events)
	}
}

func testRaise(t *testing.T, s Store) {
	ctx := t.Context()
	key := store.PlanKey("p1")
	c := store.Change{Guards: []store.Guard{{Key: key, Rev: 0}}, Raise: []string{key}}
	if err := s.Commit(ctx, c); err != nil {
		t.Fatal(err)
	}
	if got := revs(t, s, key); got[0] != 1 {
		t.Errorf("%s at %d after raising it, want 1", key, got[0])
	}
	if err := s.Commit(ctx, c); !errors.Is(err, store.ErrStale) {
		t.Errorf("a second change guarded on %s at 0: %v, want stale", key, err)
	}
	if err := s.Commit(ctx, store.Change{Raise: []string{""}}); err == nil {
		t.Error("raised an empty key")
	}
}

// testConcurrentAppends appends from many writers at once, by commits and
// by publishing: every event is kept once, in one order of growing ids.
func testConcurrentAppends(t *testing.T, s Store) {
	ctx := t.Context()
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			e := event(model.EventTechnicianLocation, fmt.Sprintf("E%d", i))
			var err error
			if i%2 == 0 {
				err = s.PublishEvents(ctx, e)
			} else {
				err = s.Commit(ctx, store.Change{Events: []model.Event{e}})
			}
			if err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	got := readAll(t, s, "").Events
	seen := map[string]bool{}
	for i, e := range got {
		if i > 0 && model.CompareEventIDs(got[i-1].ID, e.ID) >= 0 {
			t.Errorf("ids out of order: %s then %s", got[i-1].ID, e.ID)
		}
		seen[e.WorkOrderID] = true
	}
	if len(got) != 20 || len(seen) != 20 {
		t.Errorf("%d events (%d distinct), want 20", len(got), len(seen))
	}
}

func testBlockingRead(t *testing.T, s Store) {
	ctx := t.Context()
	if err := s.PublishEvents(ctx, event(model.EventPlanDone, "A")); err != nil {
		t.Fatal(err)
	}
	last, err := s.LastEventID(ctx)
	if err != nil {
		t.Fatal(err)
	}
	began := time.Now()
	b, err := s.ReadEvents(ctx, last, 10, 200*time.Millisecond)
	if err != nil || len(b.Events) != 0 {
		t.Fatalf("a read at the end: %+v, %v", b, err)
	}
	if waited := time.Since(began); waited < 150*time.Millisecond {
		t.Errorf("a read at the end returned after %v, want it to wait for the block", waited)
	}
	// The publisher reports to the test through a channel, and the test waits
	// for it before it judges the read: a goroutine must not touch t (or
	// t.Context) once the test may have ended.
	published := make(chan error, 1)
	go func() {
		time.Sleep(50 * time.Millisecond)
		published <- s.PublishEvents(context.Background(), event(model.EventPlanDone, "B"))
	}()
	began = time.Now()
	b, err = s.ReadEvents(ctx, last, 10, 900*time.Millisecond)
	if perr := <-published; perr != nil {
		t.Fatalf("publishing B during the waiting read: %v", perr)
	}
	if err != nil || len(b.Events) != 1 || b.Events[0].WorkOrderID != "B" {
		t.Fatalf("a waiting read: %+v, %v; want B", b, err)
	}
	if waited := time.Since(began); waited > 800*time.Millisecond {
		t.Errorf("the waiting read returned %v after the event came, want at once", waited)
	}
}

func testConsumerGroups(t *testing.T, s Store) {
	ctx := t.Context()
	// Published before the group's first claim: still handed out.
	for _, id := range []string{"A", "B", "C", "D"} {
		if err := s.PublishEvents(ctx, event(model.EventWorkOrderCreated, id)); err != nil {
			t.Fatal(err)
		}
	}
	claim := func(group, consumer string, limit int, idle time.Duration) []string {
		t.Helper()
		got, err := s.ClaimEvents(ctx, group, consumer, limit, 0, idle)
		if err != nil {
			t.Fatalf("ClaimEvents(%s, %s): %v", group, consumer, err)
		}
		return orders(got)
	}
	ids := func(events []model.Event) []string {
		out := make([]string, len(events))
		for i, e := range events {
			out[i] = e.ID
		}
		return out
	}
	all := readAll(t, s, "").Events
	if got := claim("g", "c1", 2, time.Hour); !slices.Equal(got, []string{"A", "B"}) {
		t.Fatalf("c1 claims %v, want A B", got)
	}
	if got := claim("g", "c2", 10, time.Hour); !slices.Equal(got, []string{"C", "D"}) {
		t.Fatalf("c2 claims %v, want C D (A and B are c1's)", got)
	}
	if got := claim("g", "c3", 10, time.Hour); len(got) != 0 {
		t.Fatalf("c3 claims %v, want nothing", got)
	}
	// Another group reads on its own.
	if got := claim("h", "c1", 10, time.Hour); !slices.Equal(got, []string{"A", "B", "C", "D"}) {
		t.Fatalf("group h claims %v, want all four", got)
	}
	if err := s.AckEvents(ctx, "g", ids(all[:2])...); err != nil {
		t.Fatal(err)
	}
	// c2 died with C and D: after the idle time they go to the next claim.
	time.Sleep(60 * time.Millisecond)
	if got := claim("g", "c3", 10, 50*time.Millisecond); !slices.Equal(got, []string{"C", "D"}) {
		t.Fatalf("c3 reclaims %v, want C D", got)
	}
	if err := s.AckEvents(ctx, "g", ids(all[2:])...); err != nil {
		t.Fatal(err)
	}
	time.Sleep(60 * time.Millisecond)
	if got := claim("g", "c4", 10, 50*time.Millisecond); len(got) != 0 {
		t.Fatalf("after every ack, c4 claims %v", got)
	}
	if err := s.PublishEvents(ctx, event(model.EventWorkOrderCreated, "E")); err != nil {
		t.Fatal(err)
	}
	if got := claim("g", "c4", 10, time.Hour); !slices.Equal(got, []string{"E"}) {
		t.Fatalf("c4 claims %v, want the new E", got)
	}
	go func() {
		time.Sleep(50 * time.Millisecond)
		_ = s.PublishEvents(ctx, event(model.EventWorkOrderCreated, "F"))
	}()
	got, err := s.ClaimEvents(ctx, "g", "c5", 10, 900*time.Millisecond, time.Hour)
	if err != nil || !slices.Equal(orders(got), []string{"F"}) {
		t.Fatalf("a waiting claim got %v, %v; want F", orders(got), err)
	}
}

// RunRetention checks that a store keeps the newest retention events and
// tells a reader what it missed; open returns an empty store that keeps
// that many.
func RunRetention(t *testing.T, open func(t *testing.T, retention int) Store) {
	s := open(t, 5)
	ctx := t.Context()
	ids := make([]string, 8)
	for i := range ids {
		if err := s.PublishEvents(ctx, event(model.EventTechnicianLocation, fmt.Sprintf("E%d", i))); err != nil {
			t.Fatal(err)
		}
		var err error
		if ids[i], err = s.LastEventID(ctx); err != nil {
			t.Fatal(err)
		}
	}
	kept := readAll(t, s, "")
	if got := orders(kept.Events); !slices.Equal(got, []string{"E3", "E4", "E5", "E6", "E7"}) || !kept.Missed {
		t.Fatalf("kept %v (missed %v), want E3..E7 and missed", got, kept.Missed)
	}
	for _, tc := range []struct {
		after  int
		missed bool
		n      int
	}{{0, true, 5}, {1, true, 5}, {2, false, 5}, {3, false, 4}, {7, false, 0}} {
		if b := readAll(t, s, ids[tc.after]); b.Missed != tc.missed || len(b.Events) != tc.n {
			t.Errorf("resuming after E%d: %d events, missed %v; want %d, missed %v", tc.after, len(b.Events), b.Missed, tc.n, tc.missed)
		}
	}
	if last, err := s.LastEventID(ctx); err != nil || last != ids[7] {
		t.Errorf("LastEventID = %q, %v; want %s", last, err, ids[7])
	}
}
