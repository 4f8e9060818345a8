package dispatch_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dispatchd/dispatchd/dispatch"
	"github.com/dispatchd/dispatchd/model"
)

// poster is a receiver in the test: it records every attempt and fails
// the first fail attempts of each delivery.
type poster struct {
	mu    sync.Mutex
	fail  int
	posts []dispatch.Post
	seen  map[string]int
}

func (p *poster) Post(_ context.Context, post dispatch.Post) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.seen == nil {
		p.seen = map[string]int{}
	}
	p.posts = append(p.posts, post)
	p.seen[post.DeliveryID]++
	if p.seen[post.DeliveryID] <= p.fail {
		return 500, nil
	}
	return 200, nil
}

func (p *poster) received() []dispatch.Post {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.posts)
}

// eventually polls cond for 10 s.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func body(t *testing.T, p dispatch.Post) dispatch.WebhookBody {
	t.Helper()
	var b dispatch.WebhookBody
	if err := json.Unmarshal(p.Body, &b); err != nil {
		t.Fatalf("decoding a delivery: %v", err)
	}
	return b
}

// TestWebhookDeliveredAfterRetries: a receiver that fails twice gets the
// notification on the third attempt; the log says so.
func TestWebhookDeliveredAfterRetries(t *testing.T) {
	p := &poster{fail: 2}
	storesWith(t, dispatch.Options{Webhooks: dispatch.WebhookOptions{Poster: p, Backoff: 20 * time.Millisecond}}, func(t *testing.T, e *env) {
		ctx := t.Context()
		p.mu.Lock()
		p.posts, p.seen = nil, nil
		p.mu.Unlock()
		e.putTechnicians(t, technician("T1"), technician("T2"))
		early := e.create(t, intake()) // before the webhook: not delivered
		hook, err := e.svc.RegisterWebhook(ctx, dispatch.WebhookRequest{URL: "https://phones.example.com/in", TechnicianID: "T1",
			Types: []model.EventType{model.EventWorkOrderDispatched, model.EventWorkOrderReassigned}}, desk("admin"))
		if err != nil {
			t.Fatal(err)
		}
		if len(hook.Secret) != 64 {
			t.Errorf("the secret made %q, want 32 random bytes in hex", hook.Secret)
		}
		others, err := e.svc.RegisterWebhook(ctx, dispatch.WebhookRequest{URL: "http://board.example.com/", Types: []model.EventType{model.EventPlanDone}, Secret: "0123456789abcdef"}, desk("admin"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.Dispatch(ctx, early.ID, dispatch.DispatchRequest{TechnicianIDs: []string{"T1"}, ScheduledStart: at(10, 0)}, desk("desk 3")); err != nil {
			t.Fatal(err)
		}
		eventually(t, "the third attempt", func() bool { return len(p.received()) >= 3 })
		time.Sleep(100 * time.Millisecond) // and no fourth
		posts := p.received()
		if len(posts) != 3 {
			t.Fatalf("%d attempts, want 3", len(posts))
		}
		for i, post := range posts {
			b := body(t, post)
			if post.Attempt != i+1 || post.URL != "https://phones.example.com/in" || post.Secret != hook.Secret || b.DeliveryID != post.DeliveryID ||
				b.Notification == nil || b.Notification.TechnicianID != "T1" || !strings.HasPrefix(b.Notification.Message, "Work order WO-1 assigned to") ||
				b.Event.Type != model.EventWorkOrderDispatched || b.WebhookID != hook.ID {
				t.Errorf("attempt %d: %+v %+v", i+1, post, b)
			}
		}
		log, err := e.svc.Deliveries(ctx, hook.ID, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(log.Deliveries) != 1 || log.Deliveries[0].Status != model.DeliveryDelivered || log.Deliveries[0].Attempts != 3 ||
			log.Deliveries[0].LastStatus != 200 || log.Deliveries[0].DeliveredAt == nil {
			t.Errorf("the delivery log %+v, want one delivered on the third attempt", log.Deliveries)
		}
		if log, _ := e.svc.Deliveries(ctx, others.ID, 0); len(log.Deliveries) != 0 {
			t.Errorf("a webhook of plan.done got %+v", log.Deliveries)
		}
		// Reassigned from T1 to T2: T1's webhook hears of T1's part only.
		if _, err := e.svc.Reassign(ctx, early.ID, dispatch.ReassignRequest{TechnicianIDs: []string{"T2"}}, desk("desk 3")); err != nil {
			t.Fatal(err)
		}
		eventually(t, "the reassignment's delivery", func() bool {
			log, _ := e.svc.Deliveries(ctx, hook.ID, 0)
			return len(log.Deliveries) == 2 && log.Deliveries[0].Status == model.DeliveryDelivered
		})
		last := p.received()[len(p.received())-1]
		if n := body(t, last).Notification; n == nil || n.Message != "Work order WO-1 reassigned to Tech T2 (T2)" {
			t.Errorf("T1 was told %+v", n)
		}
		// By hand, the last notification again.
		res, err := e.svc.Notify(ctx, early.ID, desk("desk 3"))
		if err != nil || res.Queued != 1 || res.EventType != model.EventWorkOrderReassigned {
			t.Fatalf("Notify: %+v, %v", res, err)
		}
		eventually(t, "the resent delivery", func() bool {
			log, _ := e.svc.Deliveries(ctx, hook.ID, 0)
			return len(log.Deliveries) == 3 && log.Deliveries[0].Resent && log.Deliveries[0].Status == model.DeliveryDelivered
		})
		last = p.received()[len(p.received())-1]
		if b := body(t, last); !b.Resent || b.Notification == nil || b.Notification.Message != "Work order WO-1 reassigned to Tech T2 (T2)" {
			t.Errorf("the resent body %+v", b)
		}
		// Deleted, it is delivered nothing more.
		if err := e.svc.DeleteWebhook(ctx, hook.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.Deliveries(ctx, hook.ID, 0); model.KindOf(err) != model.ErrNotFound {
			t.Errorf("the log of a deleted webhook: %v", err)
		}
	})
}

// TestWebhookGivesUp: a receiver that never answers 2xx is retried until
// the give-up time, then the delivery is failed. The give-up time is a
// second, so that a loaded machine still makes several attempts in it.
func TestWebhookGivesUp(t *testing.T) {
	p := &poster{fail: 1 << 30}
	storesWith(t, dispatch.Options{Webhooks: dispatch.WebhookOptions{Poster: p, Backoff: 10 * time.Millisecond, GiveUp: time.Second}}, func(t *testing.T, e *env) {
		ctx := t.Context()
		e.putTechnicians(t, technician("T1"))
		hook, err := e.svc.RegisterWebhook(ctx, dispatch.WebhookRequest{URL: "https://down.example.com/"}, desk("admin"))
		if err != nil {
			t.Fatal(err)
		}
		e.create(t, intake())
		eventually(t, "the delivery to fail", func() bool {
			log, _ := e.svc.Deliveries(ctx, hook.ID, 0)
			return len(log.Deliveries) == 1 && log.Deliveries[0].Status == model.DeliveryFailed
		})
		log, _ := e.svc.Deliveries(ctx, hook.ID, 0)
		if d := log.Deliveries[0]; d.Attempts < 3 || d.LastStatus != 500 || !strings.Contains(d.LastError, "500") {
			t.Errorf("the failed delivery %+v, want several attempts and the receiver's 500", d)
		}
	})
}

func TestWebhookRegistrationRefuses(t *testing.T) {
	stores(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		for _, tc := range []struct {
			req   dispatch.WebhookRequest
			field string
		}{
			{dispatch.WebhookRequest{}, "url"},
			{dispatch.WebhookRequest{URL: "ftp://example.com/"}, "url"},
			{dispatch.WebhookRequest{URL: "/relative"}, "url"},
			{dispatch.WebhookRequest{URL: "https://example.com/", Types: []model.EventType{"workorder.exploded"}}, "types[0]"},
			{dispatch.WebhookRequest{URL: "https://example.com/", Secret: "short"}, "secret"},
			{dispatch.WebhookRequest{URL: "https://example.com/", TechnicianID: "a b"}, "technician_id"},
		} {
			if _, err := e.svc.RegisterWebhook(ctx, tc.req, desk("admin")); !slices.Equal(fields(err), []string{tc.field}) {
				t.Errorf("%+v: %v, want %s named", tc.req, err, tc.field)
			}
		}
		if hooks, _ := e.svc.Webhooks(ctx); len(hooks) != 0 {
			t.Errorf("refused registrations left %+v", hooks)
		}
		w := e.create(t, intake())
		if _, err := e.svc.Notify(ctx, w.ID, desk("desk")); model.KindOf(err) != model.ErrConflict {
			t.Errorf("resending for an order that told nobody anything: %v, want a conflict", err)
		}
		if _, err := e.svc.Notify(ctx, "WO-404", desk("desk")); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("resending for an unknown order: %v", err)
		}
	})
}

// hung is a receiver that never answers until the test ends.
type hung struct {
	release chan struct{}
	mu      sync.Mutex
	calls   int
}

func (h *hung) Post(ctx context.Context, _ dispatch.Post) (int, error) {
	h.mu.Lock()
	h.calls++
	release := h.release
	h.mu.Unlock()
	select {
	case <-release:
	case <-ctx.Done():
	}
	return 0, errors.New("hung up")
}

// TestHungReceiverDoesNotHoldDispatching: with every worker stuck on a
// receiver that never answers, orders are still taken in and dispatched.
func TestHungReceiverDoesNotHoldDispatching(t *testing.T) {
	h := &hung{}
	storesWith(t, dispatch.Options{Webhooks: dispatch.WebhookOptions{Poster: h, Workers: 2, Timeout: time.Hour}}, func(t *testing.T, e *env) {
		ctx := t.Context()
		h.mu.Lock()
		h.release, h.calls = make(chan struct{}), 0
		release := h.release
		h.mu.Unlock()
		defer close(release)
		e.putTechnicians(t, technician("T1"))
		if _, err := e.svc.RegisterWebhook(ctx, dispatch.WebhookRequest{URL: "https://hung.example.com/"}, desk("admin")); err != nil {
			t.Fatal(err)
		}
		e.create(t, intake())
		eventually(t, "the workers to hang", func() bool { h.mu.Lock(); defer h.mu.Unlock(); return h.calls >= 1 })
		for i := range 20 {
			in := intake()
			in.SiteID = fmt.Sprintf("S-%d", i)
			w := e.create(t, in)
			start := at(8, 0).Add(time.Duration(i) * 20 * time.Minute)
			if _, err := e.svc.Dispatch(ctx, w.ID, dispatch.DispatchRequest{TechnicianIDs: []string{"T1"}, ScheduledStart: start, Override: true}, desk("desk")); err != nil {
				t.Fatal(err)
			}
		}
		h.mu.Lock()
		calls := h.calls
		h.mu.Unlock()
		if calls > 2 {
			t.Errorf("%d posts under way with 2 workers", calls)
		}
	})
}
