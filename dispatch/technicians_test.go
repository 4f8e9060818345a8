package dispatch_test

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dispatchd/dispatchd/dispatch"
	"github.com/dispatchd/dispatchd/model"
	"github.com/dispatchd/dispatchd/store"
)

// TestPositionStatus: the status a device posts with its position is one
// of model.LiveStatuses (or none, which keeps the last); anything else is
// refused naming status, and nothing is kept.
func TestPositionStatus(t *testing.T) {
	stores(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		e.putTechnicians(t, technician("T1"))
		at := e.now.Add(-time.Hour)
		pos := func() model.Position {
			at = at.Add(time.Minute)
			return model.Position{TechnicianID: "T1", Lat: 39.7, Lng: -105, At: at}
		}
		if _, err := e.svc.RecordPosition(ctx, pos(), model.LiveAvailable, desk("T1's phone")); err != nil {
			t.Fatal(err)
		}
		for _, bad := range []model.LiveStatus{"sleeping", "Available", model.LiveStatus(strings.Repeat("x", 10_000))} {
			_, err := e.svc.RecordPosition(ctx, pos(), bad, desk("T1's phone"))
			if f := fields(err); !slices.Equal(f, []string{"status"}) {
				t.Errorf("status %.20q: %v, want an error naming status", bad, err)
			}
		}
		live, err := e.store.Live(ctx, "T1")
		if err != nil {
			t.Fatal(err)
		}
		if l := live["T1"]; l.Status != string(model.LiveAvailable) || !l.Position.At.Before(at.Add(-2*time.Minute)) {
			t.Errorf("live state after refused positions: %+v, want the first one kept", l)
		}
		if _, err := e.svc.RecordPosition(ctx, pos(), "", desk("T1's phone")); err != nil {
			t.Fatal(err)
		}
		if live, _ := e.store.Live(ctx, "T1"); live["T1"].Status != string(model.LiveAvailable) {
			t.Errorf("a position without status made the status %q, want it kept", live["T1"].Status)
		}
	})
}

// TestDeleteTechnicianWithOpenOrders: a technician who still has open
// orders is not deleted — their orders would drop out of every schedule
// and suggestion while still saying dispatched — and the refusal names the
// orders; once they are reassigned or cancelled, the delete goes through.
func TestDeleteTechnicianWithOpenOrders(t *testing.T) {
	stores(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		e.putTechnicians(t, technician("T1"), technician("T2"))
		w := e.dispatched(t, "WO-OPEN", "T1", at(10, 0))
		done := e.dispatched(t, "WO-DONE", "T1", at(13, 0))
		done.Status = model.StatusComplete
		if err := e.store.Commit(ctx, store.Change{Orders: []model.WorkOrder{done}}); err != nil {
			t.Fatal(err)
		}
		before := e.snapshot(t)
		err := e.svc.DeleteTechnician(ctx, "T1", desk("admin"))
		if model.KindOf(err) != model.ErrConflict || !strings.Contains(err.Error(), w.ID) || strings.Contains(err.Error(), done.ID) {
			t.Fatalf("deleting T1 with %s open: %v, want a conflict naming it (and not the complete %s)", w.ID, err, done.ID)
		}
		if _, err := e.svc.Technician(ctx, "T1", dispatch.Actor{}); err != nil || e.snapshot(t) != before {
			t.Errorf("a refused delete changed something: %v", err)
		}
		if _, err := e.svc.Reassign(ctx, w.ID, dispatch.ReassignRequest{TechnicianIDs: []string{"T2"}}, desk("desk")); err != nil {
			t.Fatal(err)
		}
		if err := e.svc.DeleteTechnician(ctx, "T1", desk("admin")); err != nil {
			t.Errorf("deleting T1 with nothing open: %v", err)
		}
	})
}

// TestReplaceTechnicianReportsConflicts: a technician replaced with a
// shorter shift (or fewer skills) is stored — the profile is the office's
// to set — but every conflict it gives the orders already on their day is
// reported, naming them, so that nobody learns of it at 15:00.
func TestReplaceTechnicianReportsConflicts(t *testing.T) {
	stores(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		created, conflicts, err := e.svc.PutTechnician(ctx, technician("T1"))
		if err != nil || !created || len(conflicts) != 0 {
			t.Fatalf("creating T1: %v, %v, %v", created, conflicts, err)
		}
		late := e.dispatched(t, "LATE", "T1", at(15, 0))
		short := technician("T1")
		short.Shift.End = at(14, 0)
		created, conflicts, err = e.svc.PutTechnician(ctx, short)
		if err != nil || created {
			t.Fatalf("replacing T1: %v, %v", created, err)
		}
		if !slices.ContainsFunc(conflicts, func(c model.Conflict) bool { return c.WorkOrderID == late.ID && c.Kind == model.ConflictShift }) {
			t.Errorf("conflicts %v, want LATE outside the shortened shift", conflicts)
		}
		if got, _ := e.svc.Technician(ctx, "T1", dispatch.Actor{}); !got.Shift.End.Equal(at(14, 0)) {
			t.Errorf("T1's shift ends %v, want the replacement stored", got.Shift.End)
		}
	})
}

// TestDeleteTechnicianRacingDispatch: a dispatch to a technician and the
// technician's delete, started together, never both succeed — a delete
// that wins leaves no open order naming the technician — however they
// interleave. Many rounds, each with a technician of its own.
func TestDeleteTechnicianRacingDispatch(t *testing.T) {
	stores(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		rounds := 60
		both := 0
		for r := range rounds {
			tech := fmt.Sprintf("T-%d", r)
			e.putTechnicians(t, technician(tech))
			in := intake()
			in.ID, in.SiteID = fmt.Sprintf("WO-%d", r), fmt.Sprintf("S-%d", r)
			w := e.create(t, in)
			start := make(chan struct{})
			var dispatchErr, deleteErr error
			var wg sync.WaitGroup
			wg.Add(2)
			go func() {
				defer wg.Done()
				<-start
				_, dispatchErr = e.svc.Dispatch(ctx, w.ID, dispatch.DispatchRequest{TechnicianIDs: []string{tech}, ScheduledStart: at(10, 0)}, desk("desk"))
			}()
			go func() {
				defer wg.Done()
				<-start
				deleteErr = e.svc.DeleteTechnician(ctx, tech, desk("admin"))
			}()
			close(start)
			wg.Wait()
			if dispatchErr == nil && deleteErr == nil {
				both++
			}
			if deleteErr == nil {
				got, err := e.store.GetWorkOrder(ctx, w.ID)
				if err != nil {
					t.Fatal(err)
				}
				if got.Status.Open() && slices.Contains(got.TechnicianIDs, tech) {
					t.Errorf("round %d: %s deleted while %s is %s to them", r, tech, w.ID, got.Status)
				}
			}
		}
		if both > 0 {
			t.Errorf("%d of %d rounds: both the dispatch and the delete succeeded", both, rounds)
		}
	})
}
