package dispatch_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dispatchd/dispatchd/dispatch"
	"github.com/dispatchd/dispatchd/model"
	"github.com/dispatchd/dispatchd/store"
)

// logged reads every event the store kept.
func (e *env) logged(t *testing.T) []model.Event {
	t.Helper()
	b, err := e.store.ReadEvents(t.Context(), "", 10_000, 0)
	if err != nil {
		t.Fatal(err)
	}
	return b.Events
}

// TestEventsOfTheWorkflow walks an order through the workflow and checks
// the event each change published: its type, actor, technicians and what
// each technician was told.
func TestEventsOfTheWorkflow(t *testing.T) {
	stores(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		e.putTechnicians(t, technician("T1"), technician("T2"))
		w := e.create(t, intake())
		steps := []struct {
			name string
			do   func() error
			typ  model.EventType
			by   string
			// told maps each technician told to the words they must read.
			told map[string]string
		}{
			{"dispatch", func() error {
				_, err := e.svc.Dispatch(ctx, w.ID, dispatch.DispatchRequest{TechnicianIDs: []string{"T1"}, ScheduledStart: at(10, 0)}, desk("desk 3"))
				return err
			}, model.EventWorkOrderDispatched, "desk 3", map[string]string{"T1": "Work order WO-1 assigned to Tech T1 (T1) for 10:00 on Mon 23 Nov 2026"}},
			{"reassign", func() error {
				_, err := e.svc.Reassign(ctx, w.ID, dispatch.ReassignRequest{TechnicianIDs: []string{"T2"}, Reason: "T1 is sick"}, desk("desk 4"))
				return err
			}, model.EventWorkOrderReassigned, "desk 4", map[string]string{
				"T1": "Work order WO-1 reassigned to Tech T2 (T2)",
				"T2": "Work order WO-1 assigned from Tech T1 (T1) to Tech T2 (T2) for 10:00 on Mon 23 Nov 2026"}},
			{"reassign promising a new window only", func() error {
				_, err := e.svc.Reassign(ctx, w.ID, dispatch.ReassignRequest{TechnicianIDs: []string{"T2"},
					ArrivalWindow: &model.TimeWindow{Start: at(9, 45), End: at(10, 30)}, Reason: "customer asked"}, desk("desk 4"))
				return err
			}, model.EventWorkOrderReassigned, "desk 4", map[string]string{"T2": "Work order WO-1 changed: arrival_window"}},
			{"reassign moving and promising a new window", func() error {
				_, err := e.svc.Reassign(ctx, w.ID, dispatch.ReassignRequest{TechnicianIDs: []string{"T2"}, ScheduledStart: ptr(at(10, 15)),
					ArrivalWindow: &model.TimeWindow{Start: at(10, 0), End: at(10, 45)}}, desk("desk 4"))
				return err
			}, model.EventWorkOrderReassigned, "desk 4", map[string]string{"T2": "Work order WO-1 moved to 10:15 on Mon 23 Nov 2026; changed: arrival_window"}},
			{"acknowledge", func() error {
				_, err := e.svc.SetStatus(ctx, w.ID, dispatch.StatusUpdate{Status: model.StatusAcknowledged}, desk("T2's phone"))
				return err
			}, model.EventWorkOrderStatus, "T2's phone", map[string]string{}},
			{"update", func() error {
				_, err := e.svc.UpdateWorkOrder(ctx, w.ID, dispatch.Update{Patch: map[string]json.RawMessage{"notes": json.RawMessage(`"bring the long ladder"`)}}, desk("desk 3"))
				return err
			}, model.EventWorkOrderUpdated, "desk 3", map[string]string{"T2": "Work order WO-1 changed: notes"}},
			{"cancel", func() error {
				_, err := e.svc.SetStatus(ctx, w.ID, dispatch.StatusUpdate{Status: model.StatusCancelled, Reason: "customer called"}, desk("desk 3"))
				return err
			}, model.EventWorkOrderCancelled, "desk 3", map[string]string{"T2": "Work order WO-1 cancelled: customer called"}},
		}
		for _, step := range steps {
			before := len(e.logged(t))
			if err := step.do(); err != nil {
				t.Fatalf("%s: %v", step.name, err)
			}
			events := e.logged(t)[before:]
			if len(events) != 1 {
				t.Fatalf("%s published %d events, want 1: %+v", step.name, len(events), events)
			}
			ev := events[0]
			if ev.Type != step.typ || ev.Actor != step.by || ev.WorkOrderID != w.ID || ev.Change == nil || ev.ID == "" {
				t.Errorf("%s: event %+v, want %s by %s about %s with its change", step.name, ev, step.typ, step.by, w.ID)
			}
			told := map[string]string{}
			for _, n := range ev.Notifications {
				told[n.TechnicianID] = n.Message
			}
			if fmt.Sprint(told) != fmt.Sprint(step.told) {
				t.Errorf("%s told %v, want %v", step.name, told, step.told)
			}
		}
		// The first event is the creation's, and each names its technicians.
		all := e.logged(t)
		if all[0].Type != model.EventWorkOrderCreated || all[0].Actor != "desk 3" {
			t.Errorf("first event %+v, want the creation", all[0])
		}
		if got := all[2].TechnicianIDs; !slices.Equal(got, []string{"T1", "T2"}) {
			t.Errorf("the reassignment concerns %v, want T1 and T2", got)
		}
	})
}

// TestEventsOnlyForChangesMade: a refused change publishes nothing.
func TestEventsOnlyForChangesMade(t *testing.T) {
	stores(t, func(t *testing.T, e *env) {
		e.putTechnicians(t, technician("T1"))
		e.dispatched(t, "WO-A", "T1", at(11, 0))
		w := e.create(t, intake())
		before := len(e.logged(t))
		if _, err := e.svc.Dispatch(t.Context(), w.ID, dispatch.DispatchRequest{TechnicianIDs: []string{"T1"}, ScheduledStart: at(11, 30)}, desk("desk")); err == nil {
			t.Fatal("a conflicting dispatch succeeded")
		}
		if after := len(e.logged(t)); after != before {
			t.Errorf("a refused dispatch published %d events", after-before)
		}
	})
}

// receive reads n events from a subscription within 5 s.
func receive(t *testing.T, sub *dispatch.Subscription, n int) []model.Event {
	t.Helper()
	var out []model.Event
	timeout := time.After(5 * time.Second)
	for len(out) < n {
		select {
		case ev, ok := <-sub.Events():
			if !ok {
				t.Fatalf("the subscription ended after %d events, want %d: %+v", len(out), n, out)
			}
			out = append(out, ev)
		case <-timeout:
			t.Fatalf("received %d events in 5 s, want %d: %+v", len(out), n, out)
		}
	}
	return out
}

func types(events []model.Event) []model.EventType {
	out := make([]model.EventType, len(events))
	for i, ev := range events {
		out[i] = ev.Type
	}
	return out
}

// TestSubscriptionsEnd: Close takes a subscriber off at once, and
// Shutdown ends every subscription (its events close) before it returns,
// even one whose context never ends — so that a server's count of
// subscribers is right the moment it has shut down.
func TestSubscriptionsEnd(t *testing.T) {
	stores(t, func(t *testing.T, e *env) {
		closed, err := e.svc.Subscribe(context.Background(), dispatch.SubscribeOptions{}, desk("board"))
		if err != nil {
			t.Fatal(err)
		}
		open, err := e.svc.Subscribe(context.Background(), dispatch.SubscribeOptions{}, desk("board"))
		if err != nil {
			t.Fatal(err)
		}
		if n := e.svc.Subscribers(); n != 2 {
			t.Fatalf("%d subscribers, want 2", n)
		}
		closed.Close()
		if n := e.svc.Subscribers(); n != 1 {
			t.Errorf("%d subscribers right after a Close, want 1", n)
		}
		if err := e.svc.Shutdown(t.Context()); err != nil {
			t.Fatal(err)
		}
		if n := e.svc.Subscribers(); n != 0 {
			t.Errorf("%d subscribers after Shutdown, want 0", n)
		}
		for name, sub := range map[string]*dispatch.Subscription{"closed": closed, "open": open} {
			select {
			case _, ok := <-sub.Events():
				if ok {
					t.Errorf("the %s subscription delivered an event after Shutdown", name)
				}
			default:
				t.Errorf("the %s subscription's events are not closed when Shutdown returns", name)
			}
		}
		if _, err := e.svc.Subscribe(context.Background(), dispatch.SubscribeOptions{}, desk("board")); !errors.Is(err, dispatch.ErrClosed) {
			t.Errorf("Subscribe after Shutdown: %v, want ErrClosed", err)
		}
	})
}

// TestSubscribe follows live events with filters, resumes after an id
// with exactly what came since, and drops a subscriber that falls behind.
func TestSubscribe(t *testing.T) {
	stores(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		e.putTechnicians(t, technician("T1"), technician("T2"))
		all, err := e.svc.Subscribe(ctx, dispatch.SubscribeOptions{}, desk("board"))
		if err != nil {
			t.Fatal(err)
		}
		t2, err := e.svc.Subscribe(ctx, dispatch.SubscribeOptions{TechnicianID: "T2"}, desk("board"))
		if err != nil {
			t.Fatal(err)
		}
		dispatches, err := e.svc.Subscribe(ctx, dispatch.SubscribeOptions{Types: []model.EventType{model.EventWorkOrderDispatched}}, desk("board"))
		if err != nil {
			t.Fatal(err)
		}
		w := e.create(t, intake())
		if _, err := e.svc.Dispatch(ctx, w.ID, dispatch.DispatchRequest{TechnicianIDs: []string{"T1"}, ScheduledStart: at(10, 0)}, desk("desk")); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.Reassign(ctx, w.ID, dispatch.ReassignRequest{TechnicianIDs: []string{"T2"}}, desk("desk")); err != nil {
			t.Fatal(err)
		}
		got := receive(t, all, 3)
		if !slices.Equal(types(got), []model.EventType{model.EventWorkOrderCreated, model.EventWorkOrderDispatched, model.EventWorkOrderReassigned}) {
			t.Errorf("all: %v", types(got))
		}
		if got := receive(t, t2, 1); got[0].Type != model.EventWorkOrderReassigned {
			t.Errorf("T2's first event %v, want the reassignment to T2", got[0].Type)
		}
		if got := receive(t, dispatches, 1); got[0].Type != model.EventWorkOrderDispatched {
			t.Errorf("dispatches: %v", got[0].Type)
		}
		// A subscriber that resumes after the creation gets what followed,
		// then what comes next, each once.
		resumed, err := e.svc.Subscribe(ctx, dispatch.SubscribeOptions{After: got[0].ID}, desk("board"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.SetStatus(ctx, w.ID, dispatch.StatusUpdate{Status: model.StatusAcknowledged}, desk("T2")); err != nil {
			t.Fatal(err)
		}
		again := receive(t, resumed, 3)
		if again[0].ID != got[1].ID || !slices.Equal(types(again), []model.EventType{model.EventWorkOrderDispatched, model.EventWorkOrderReassigned, model.EventWorkOrderStatus}) {
			t.Errorf("resumed after %s: %v %v", got[0].ID, types(again), again)
		}
		// A subscriber that does not read is dropped once its buffer is
		// full, and told.
		slow, err := e.svc.Subscribe(ctx, dispatch.SubscribeOptions{Buffer: 2}, desk("board"))
		if err != nil {
			t.Fatal(err)
		}
		subscribers := e.svc.Subscribers()
		for i := range 4 {
			in := intake()
			in.SiteID = fmt.Sprintf("S-%d", i)
			e.create(t, in)
		}
		// Nobody reads it: it is dropped (and counted out) before anyone
		// reads what it has.
		eventually(t, "the slow subscriber to be dropped", func() bool { return e.svc.Subscribers() == subscribers-1 })
		var tail []model.Event
		deadline := time.After(5 * time.Second)
	drain:
		for {
			select {
			case ev, ok := <-slow.Events():
				if !ok {
					break drain
				}
				tail = append(tail, ev)
			case <-deadline:
				t.Fatalf("the slow subscriber got %v and was not dropped in 5 s", types(tail))
			}
		}
		if n := len(tail); n < 2 || tail[n-1].Type != model.EventStreamDropped || !strings.Contains(tail[n-1].Stream.Message, "behind") {
			t.Errorf("the slow subscriber got %v, want its buffer then stream.dropped", types(tail))
		}
		if _, err := e.svc.Subscribe(ctx, dispatch.SubscribeOptions{After: "yesterday"}, desk("board")); !slices.Equal(fields(err), []string{"Last-Event-ID"}) {
			t.Errorf("a bad Last-Event-ID: %v", err)
		}
		if _, err := e.svc.Subscribe(ctx, dispatch.SubscribeOptions{Types: []model.EventType{"workorder.exploded"}}, desk("board")); !slices.Equal(fields(err), []string{"types[0]"}) {
			t.Errorf("an unknown type: %v", err)
		}
	})
}

// TestSubscribeMissed: resuming after events the log no longer keeps is
// told so, then goes on from the oldest kept.
func TestSubscribeMissed(t *testing.T) {
	st := store.NewMemoryWith(store.MemoryOptions{EventRetention: 3})
	svc, err := dispatch.New(dispatch.Options{Store: st, Clock: func() time.Time { return at(7, 0) }, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Shutdown(context.Background())
	ctx := t.Context()
	var first string
	for i := range 6 {
		in := intake()
		in.SiteID = fmt.Sprintf("S-%d", i)
		if _, err := svc.CreateWorkOrder(ctx, in, desk("desk")); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first, _ = st.LastEventID(ctx)
		}
	}
	sub, err := svc.Subscribe(ctx, dispatch.SubscribeOptions{After: first}, desk("board"))
	if err != nil {
		t.Fatal(err)
	}
	got := receive(t, sub, 4)
	if got[0].Type != model.EventStreamMissed || got[0].Stream.After != first || got[0].Stream.Resumed != got[1].ID {
		t.Errorf("first event %+v, want stream.missed after %s resuming at %s", got[0], first, got[1].ID)
	}
	// The notice is stamped by the service's clock, as every event is, so
	// that a reader orders it among them.
	if !got[0].At.Equal(at(7, 0)) || !got[1].At.Equal(at(7, 0)) {
		t.Errorf("the notice at %v and the next event at %v, want both at the service's clock, %v", got[0].At, got[1].At, at(7, 0))
	}
	if got[1].WorkOrderID != "WO-4" || got[3].WorkOrderID != "WO-6" {
		t.Errorf("after the notice: %s..%s, want the three kept, WO-4..WO-6", got[1].WorkOrderID, got[3].WorkOrderID)
	}
}

// TestLocationEventsThrottled: a technician's positions are published at
// most once per interval.
func TestLocationEventsThrottled(t *testing.T) {
	stores(t, func(t *testing.T, e *env) {
		e.now = at(9, 0)
		e.putTechnicians(t, technician("T1"), technician("T2"))
		for _, p := range []struct {
			tech string
			at   time.Time
		}{{"T1", at(8, 59)}, {"T2", at(8, 59)}, {"T1", at(8, 59).Add(time.Second)}} {
			if _, err := e.svc.RecordPosition(t.Context(), model.Position{TechnicianID: p.tech, Lat: 39.75, Lng: -104.98, At: p.at}, "", desk(p.tech+"'s phone")); err != nil {
				t.Fatal(err)
			}
		}
		e.now = at(9, 0).Add(dispatch.DefaultLocationEvery)
		if _, err := e.svc.RecordPosition(t.Context(), model.Position{TechnicianID: "T1", Lat: 39.76, Lng: -104.98, At: at(9, 0)}, "", desk("T1's phone")); err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, ev := range e.logged(t) {
			if ev.Type == model.EventTechnicianLocation {
				got = append(got, fmt.Sprintf("%s %.2f by %s", ev.TechnicianIDs[0], ev.Position.Lat, ev.Actor))
			}
		}
		want := []string{"T1 39.75 by T1's phone", "T2 39.75 by T2's phone", "T1 39.76 by T1's phone"}
		if !slices.Equal(got, want) {
			t.Errorf("location events %v, want %v", got, want)
		}
	})
}

// TestSubscribeBoundToTechnician: a technician's key hears only of what
// concerns its technician, and may not ask for another's.
func TestSubscribeBoundToTechnician(t *testing.T) {
	stores(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		e.putTechnicians(t, technician("T1"), technician("T2"))
		phone := dispatch.Actor{KeyID: "key-phone", Name: "T2's phone", Technician: "T2"}
		if _, err := e.svc.Subscribe(ctx, dispatch.SubscribeOptions{TechnicianID: "T1"}, phone); model.KindOf(err) != model.ErrForbidden {
			t.Errorf("T2's phone asking for T1's events: %v, want forbidden", err)
		}
		sub, err := e.svc.Subscribe(ctx, dispatch.SubscribeOptions{}, phone)
		if err != nil {
			t.Fatal(err)
		}
		mine, theirs := e.create(t, intake()), intake()
		theirs.SiteID = "S-2"
		other := e.create(t, theirs)
		for id, tech := range map[string]string{other.ID: "T1", mine.ID: "T2"} {
			if _, err := e.svc.Dispatch(ctx, id, dispatch.DispatchRequest{TechnicianIDs: []string{tech}, ScheduledStart: at(10, 0)}, desk("desk 3")); err != nil {
				t.Fatal(err)
			}
		}
		if got := receive(t, sub, 1)[0]; got.WorkOrderID != mine.ID || !got.Concerns("T2") {
			t.Errorf("T2's phone heard of %s %v, want only T2's %s", got.WorkOrderID, got.TechnicianIDs, mine.ID)
		}
	})
}
