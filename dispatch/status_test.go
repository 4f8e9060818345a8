package dispatch_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/dispatchd/dispatchd/dispatch"
	"github.com/dispatchd/dispatchd/model"
)

var fixed = &model.Outcome{Code: model.OutcomeFixed, Notes: "replaced the capacitor", LabourMinutes: 50,
	Parts: []model.PartUsed{{SKU: "CAP-45", Name: "run capacitor 45 µF", Quantity: 1}}}

func TestStatusLifecycle(t *testing.T) {
	stores(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		e.putTechnicians(t, technician("T1"))
		w := e.dispatched(t, "WO-9", "T1", at(10, 0))
		step := func(u dispatch.StatusUpdate) (model.WorkOrder, error) {
			t.Helper()
			return e.svc.SetStatus(ctx, w.ID, u, desk("T1's phone"))
		}
		// Skipping ahead is refused, naming the allowed moves.
		_, err := step(dispatch.StatusUpdate{Status: model.StatusOnSite})
		var te *model.TransitionError
		if !errors.As(err, &te) || model.KindOf(err) != model.ErrConflict ||
			!slices.Equal(te.Allowed, []model.Status{model.StatusAcknowledged, model.StatusCancelled}) {
			t.Fatalf("dispatched -> on_site: %v, want a conflict allowing acknowledged, cancelled", err)
		}
		for _, s := range []model.Status{model.StatusAcknowledged, model.StatusEnRoute} {
			e.now = e.now.Add(10 * 60e9)
			if _, err := step(dispatch.StatusUpdate{Status: s}); err != nil {
				t.Fatalf("-> %s: %v", s, err)
			}
		}
		arrived := at(9, 58)
		e.now = at(10, 5)
		got, err := step(dispatch.StatusUpdate{Status: model.StatusOnSite, At: arrived})
		if err != nil {
			t.Fatal(err)
		}
		if got.OnSiteAt == nil || !got.OnSiteAt.Equal(arrived) || got.EnRouteAt == nil || !got.EnRouteAt.Equal(at(7, 20)) {
			t.Errorf("actual times: en route %v, on site %v; want 07:20, %v", got.EnRouteAt, got.OnSiteAt, arrived)
		}
		// Completing needs an outcome, and a valid one.
		before := e.snapshot(t)
		for _, bad := range []struct {
			u    dispatch.StatusUpdate
			want string
		}{
			{dispatch.StatusUpdate{Status: model.StatusComplete}, "outcome"},
			{dispatch.StatusUpdate{Status: model.StatusComplete, Outcome: &model.Outcome{Code: "great"}}, "outcome.code"},
			{dispatch.StatusUpdate{Status: model.StatusComplete, Outcome: &model.Outcome{Code: model.OutcomeFixed,
				Parts: []model.PartUsed{{Name: "x", Quantity: -1}}}}, "outcome.parts[0].quantity"},
			{dispatch.StatusUpdate{Status: model.StatusComplete, Outcome: fixed, At: e.now.Add(dispatch.DefaultMaxClockSkew + 60e9)}, "at"},
			{dispatch.StatusUpdate{Status: "done"}, "status"},
			// An actual time before the one it follows (on site at 09:58)
			// would end the stop before it began.
			{dispatch.StatusUpdate{Status: model.StatusComplete, Outcome: fixed, At: at(9, 0)}, "at"},
		} {
			_, err := step(bad.u)
			if f := fields(err); !slices.Contains(f, bad.want) {
				t.Errorf("%+v: %v, want an error naming %s", bad.u, err, bad.want)
			}
		}
		if e.snapshot(t) != before {
			t.Error("refused status updates changed the store")
		}
		done, err := step(dispatch.StatusUpdate{Status: model.StatusComplete, Outcome: fixed, Reason: "all good"})
		if err != nil {
			t.Fatal(err)
		}
		if done.Outcome == nil || done.Outcome.Code != model.OutcomeFixed || done.CompletedAt == nil {
			t.Errorf("completed order: %+v", done)
		}
		if _, err := step(dispatch.StatusUpdate{Status: model.StatusCancelled}); !errors.As(err, &te) {
			t.Errorf("cancelling a complete order: %v, want refused", err)
		}
		h, err := e.svc.History(ctx, w.ID)
		if err != nil {
			t.Fatal(err)
		}
		var moves []string
		for _, entry := range h {
			if entry.Action == model.HistoryStatus {
				moves = append(moves, fmt.Sprintf("%s>%s by %s", entry.From, entry.To, entry.By))
			}
		}
		want := []string{"dispatched>acknowledged by T1's phone", "acknowledged>en_route by T1's phone",
			"en_route>on_site by T1's phone", "on_site>complete by T1's phone"}
		if !slices.Equal(moves, want) {
			t.Errorf("status history %q, want %q", moves, want)
		}
		if last := h[len(h)-1]; last.Outcome == nil || last.Reason != "all good" {
			t.Errorf("the completion's entry: %+v, want its outcome and reason", last)
		}
	})
}

// TestConcurrentStatusUpdates sends 50 status updates to one order at once,
// each a random move: the history must be a walk of the lifecycle, every
// entry starting where the one before ended, and the order's status where
// the last ended.
func TestConcurrentStatusUpdates(t *testing.T) {
	stores(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		e.putTechnicians(t, technician("T1"))
		w := e.dispatched(t, "WO-5", "T1", at(10, 0))
		moves := []model.Status{model.StatusAcknowledged, model.StatusEnRoute, model.StatusOnSite, model.StatusComplete, model.StatusCancelled}
		var wg sync.WaitGroup
		r := rand.New(rand.NewPCG(1, 2))
		for i := range 50 {
			to := moves[r.IntN(len(moves))]
			wg.Add(1)
			go func() {
				defer wg.Done()
				u := dispatch.StatusUpdate{Status: to}
				if to == model.StatusComplete {
					u.Outcome = fixed
				}
				_, err := e.svc.SetStatus(ctx, w.ID, u, desk(fmt.Sprintf("writer %d", i)))
				var te *model.TransitionError
				if err != nil && !errors.As(err, &te) {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		h, err := e.svc.History(ctx, w.ID)
		if err != nil {
			t.Fatal(err)
		}
		at := model.StatusDispatched
		for _, entry := range h {
			if entry.Action != model.HistoryStatus {
				continue
			}
			if entry.From != at {
				t.Errorf("entry %d moves from %s, but the order was %s", entry.Seq, entry.From, at)
			}
			if err := model.CheckTransition(entry.From, entry.To, model.ActionStatus); err != nil {
				t.Errorf("entry %d: %v", entry.Seq, err)
			}
			at = entry.To
		}
		got, _ := e.svc.WorkOrder(ctx, w.ID, dispatch.Actor{})
		if got.Status != at {
			t.Errorf("the order is %s, its history ends at %s", got.Status, at)
		}
	})
}

// TestStatusTimesRunForwards: a device whose clock runs a little ahead
// stamps its arrival after the server's now; a completion sent without a
// time then ends the stop at that arrival, never before it.
func TestStatusTimesRunForwards(t *testing.T) {
	stores(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		e.putTechnicians(t, technician("T1"))
		w := e.dispatched(t, "WO-F", "T1", at(10, 0))
		ahead := e.now.Add(2 * time.Minute)
		for _, u := range []dispatch.StatusUpdate{{Status: model.StatusAcknowledged}, {Status: model.StatusEnRoute}, {Status: model.StatusOnSite, At: ahead}} {
			if _, err := e.svc.SetStatus(ctx, w.ID, u, desk("T1's phone")); err != nil {
				t.Fatalf("-> %s: %v", u.Status, err)
			}
		}
		done, err := e.svc.SetStatus(ctx, w.ID, dispatch.StatusUpdate{Status: model.StatusComplete, Outcome: fixed}, desk("T1's phone"))
		if err != nil {
			t.Fatal(err)
		}
		if done.CompletedAt.Before(*done.OnSiteAt) {
			t.Errorf("completed at %v, before arriving at %v", done.CompletedAt, done.OnSiteAt)
		}
	})
}
