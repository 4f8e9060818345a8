package dispatch_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dispatchd/dispatchd/dispatch"
	"github.com/dispatchd/dispatchd/model"
)

// planDay plans the stored day of the 23rd and waits for the plan.
func (e *env) planDay(t *testing.T, req dispatch.PlanRequest) dispatch.PlanRecord {
	t.Helper()
	day := model.Date{Year: 2026, Month: 11, Day: 23}
	if req.Date == nil {
		req.Date = &day
	}
	if req.Iterations == 0 {
		req.Iterations = 300
	}
	run, err := e.svc.StartPlan(t.Context(), &req, desk("desk 3"))
	if err != nil {
		t.Fatalf("StartPlan: %v", err)
	}
	<-run.Done()
	rec := run.Record()
	if rec.Status != dispatch.PlanDone || rec.Plan == nil {
		t.Fatalf("plan %s ended %s: %s", rec.ID, rec.Status, rec.Error)
	}
	return rec
}

// stopsOf lists a plan's job stops as "order tech hh:mm".
func stopsOf(rec dispatch.PlanRecord) []string {
	var out []string
	for _, r := range rec.Routes {
		for _, st := range r.Stops {
			if !st.IsBreak() {
				out = append(out, fmt.Sprintf("%s %s %s", st.WorkOrderID, r.TechnicianID, st.Start.Format("15:04")))
			}
		}
	}
	slices.Sort(out)
	return out
}

// order creates an order wanted on the 23rd in a window, at a place of
// its own.
func (e *env) wanted(t *testing.T, id string, from, to time.Time) model.WorkOrder {
	t.Helper()
	in := intake()
	in.ID, in.SiteID = id, "site-"+id
	e.placed++
	in.Location = model.LatLng(39.70+0.01*float64(e.placed), -104.98)
	in.TimeWindows = []model.TimeWindow{{Start: from, End: to}}
	return e.create(t, in)
}

func TestPlanAndApplyStoredDay(t *testing.T) {
	stores(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		e.putTechnicians(t, technician("T1"), technician("T2"))
		other := technician("T3")
		other.Shift = model.Shift{Start: at(8, 0).AddDate(0, 0, 1), End: at(17, 0).AddDate(0, 0, 1)}
		e.putTechnicians(t, other)
		pinned := e.dispatched(t, "WO-A", "T1", at(10, 0))
		for i, h := range []int{9, 10, 11, 13} {
			e.wanted(t, fmt.Sprintf("N%d", i), at(h, 0), at(h+2, 0))
		}
		e.wanted(t, "TOMORROW", at(9, 0).AddDate(0, 0, 1), at(12, 0).AddDate(0, 0, 1))

		rec := e.planDay(t, dispatch.PlanRequest{})
		b := rec.Basis
		if b == nil || !slices.Equal(b.Orders, []string{"N0", "N1", "N2", "N3"}) || !slices.Equal(b.Technicians, []string{"T1", "T2"}) ||
			!slices.Equal(b.Pinned, []string{"WO-A"}) {
			t.Fatalf("basis %+v, want N0..N3 on T1 and T2 around WO-A", b)
		}
		if !slices.Contains(stopsOf(rec), "WO-A T1 10:00") {
			t.Fatalf("plan %v does not keep WO-A at 10:00 on T1", stopsOf(rec))
		}
		if rec.KPIs.Assigned != 5 {
			t.Fatalf("plan assigns %d of 5 (4 new, 1 pinned): %+v", rec.KPIs.Assigned, rec.Unassigned)
		}
		app, err := e.svc.ApplyPlan(ctx, rec.ID, dispatch.ApplyRequest{}, desk("desk 3"))
		if err != nil {
			t.Fatalf("ApplyPlan: %v", err)
		}
		if len(app.Applied) != 4 || len(app.Skipped) != 0 || len(app.Changes) != 0 {
			t.Fatalf("application %+v, want the four new orders", app)
		}
		// Every technician's schedule shows the plan's stops at the plan's
		// times, and each applied order's history names the plan.
		var scheduled []string
		for _, tech := range []string{"T1", "T2"} {
			s, err := e.svc.TechnicianSchedule(ctx, tech, model.Date{}, desk("desk 3"))
			if err != nil {
				t.Fatal(err)
			}
			for _, st := range s.Stops {
				if !st.IsBreak() {
					scheduled = append(scheduled, fmt.Sprintf("%s %s %s", st.WorkOrderID, tech, st.Start.Format("15:04")))
				}
			}
			if len(s.Conflicts) > 0 {
				t.Errorf("%s's day after the plan: %v", tech, s.Conflicts)
			}
		}
		slices.Sort(scheduled)
		if !slices.Equal(scheduled, stopsOf(rec)) {
			t.Errorf("schedules %v, want the plan's %v", scheduled, stopsOf(rec))
		}
		for _, st := range app.Applied {
			h, _ := e.svc.History(ctx, st.WorkOrderID)
			last := h[len(h)-1]
			if last.Action != model.HistoryDispatched || last.Cause != rec.ID || last.By != "desk 3" {
				t.Errorf("%s's last entry %+v, want dispatched from plan %s by desk 3", st.WorkOrderID, last, rec.ID)
			}
		}
		if w, _ := e.svc.WorkOrder(ctx, pinned.ID, desk("desk 3")); !w.ScheduledStart.Equal(at(10, 0)) {
			t.Errorf("the pinned WO-A moved to %v", w.ScheduledStart)
		}
		again, err := e.svc.Plan(ctx, rec.ID)
		if err != nil || again.Applied == nil || len(again.Applied.Applied) != 4 {
			t.Errorf("the plan's record after applying: %+v, %v", again.Applied, err)
		}
		// Once.
		before := e.snapshot(t)
		if _, err := e.svc.ApplyPlan(ctx, rec.ID, dispatch.ApplyRequest{Partial: true}, desk("desk 4")); model.KindOf(err) != model.ErrConflict || !strings.Contains(err.Error(), "already applied") {
			t.Errorf("applying twice: %v, want a conflict saying it is applied", err)
		}
		if e.snapshot(t) != before {
			t.Error("applying twice changed the state")
		}
		var events []model.EventType
		for _, ev := range e.logged(t) {
			if ev.PlanID == rec.ID {
				events = append(events, ev.Type)
			}
		}
		if n := len(events); n < 6 || events[n-1] != model.EventPlanApplied || slices.Index(events, model.EventWorkOrderDispatched) < 0 {
			t.Errorf("the plan's events %v, want its end, four dispatches and plan.applied", events)
		}
	})
}

// TestApplyStalePlan: a plan made before one of its orders was
// reassigned is refused, writing nothing; partly, it applies the rest.
func TestApplyStalePlan(t *testing.T) {
	stores(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		e.putTechnicians(t, technician("T1"), technician("T2"))
		for i, h := range []int{9, 11, 13} {
			e.wanted(t, fmt.Sprintf("N%d", i), at(h, 0), at(h+2, 0))
		}
		first := e.planDay(t, dispatch.PlanRequest{})
		second := e.planDay(t, dispatch.PlanRequest{Seed: ptr[uint64](2)})
		if _, err := e.svc.ApplyPlan(ctx, first.ID, dispatch.ApplyRequest{}, desk("desk 3")); err != nil {
			t.Fatal(err)
		}
		w, _ := e.svc.WorkOrder(ctx, "N1", desk("desk 3"))
		to := "T2"
		if w.TechnicianIDs[0] == "T2" {
			to = "T1"
		}
		if _, err := e.svc.Reassign(ctx, "N1", dispatch.ReassignRequest{TechnicianIDs: []string{to}, Override: true}, desk("desk 4")); err != nil {
			t.Fatal(err)
		}
		before := e.snapshot(t)
		_, err := e.svc.ApplyPlan(ctx, second.ID, dispatch.ApplyRequest{}, desk("desk 3"))
		var se *dispatch.StalePlanError
		if !errors.As(err, &se) || model.KindOf(err) != model.ErrConflict {
			t.Fatalf("applying the second plan: %v, want a StalePlanError", err)
		}
		var changed []string
		for _, c := range se.Changes {
			changed = append(changed, c.ID)
		}
		if !slices.Contains(changed, "N1") || !strings.Contains(err.Error(), "N1 changed: it is dispatched to "+to) {
			t.Errorf("changes %+v, want N1 reassigned to %s", se.Changes, to)
		}
		if e.snapshot(t) != before {
			t.Error("a refused plan changed the state")
		}
		if _, err := e.svc.ApplyPlan(ctx, second.ID, dispatch.ApplyRequest{Partial: true}, desk("desk 3")); !errors.As(err, &se) || len(se.Skipped) != 3 {
			t.Errorf("partly applying a plan of orders all dispatched since: %v, want every order skipped", err)
		}
		if e.snapshot(t) != before {
			t.Error("a partial application that fit nothing changed the state")
		}
	})
}

// TestApplyPartly: what changed is skipped with its reason, the rest is
// dispatched.
func TestApplyPartly(t *testing.T) {
	stores(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		e.putTechnicians(t, technician("T1"), technician("T2"))
		for i, h := range []int{9, 11, 13} {
			e.wanted(t, fmt.Sprintf("N%d", i), at(h, 0), at(h+2, 0))
		}
		rec := e.planDay(t, dispatch.PlanRequest{})
		if _, err := e.svc.SetStatus(ctx, "N2", dispatch.StatusUpdate{Status: model.StatusCancelled}, desk("desk 4")); err != nil {
			t.Fatal(err)
		}
		app, err := e.svc.ApplyPlan(ctx, rec.ID, dispatch.ApplyRequest{Partial: true}, desk("desk 3"))
		if err != nil {
			t.Fatal(err)
		}
		if len(app.Applied) != 2 || len(app.Skipped) != 1 || app.Skipped[0].WorkOrderID != "N2" ||
			!strings.Contains(app.Skipped[0].Reasons[0], "cancelled") || len(app.Changes) != 1 {
			t.Errorf("partial application %+v, want N0 and N1 applied, N2 skipped as cancelled", app)
		}
	})
}

// TestApplyRace: two replicas applying two plans of the same orders at
// once cannot both succeed.
func TestApplyRace(t *testing.T) {
	st := openRedis(t)
	var svcs []*dispatch.Service
	for range 2 {
		svc, err := dispatch.New(dispatch.Options{Store: st, Clock: func() time.Time { return at(7, 0) }, Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		defer svc.Shutdown(context.Background())
		svcs = append(svcs, svc)
	}
	e := &env{svc: svcs[0], store: st, now: at(7, 0)}
	e.putTechnicians(t, technician("T1"), technician("T2"))
	for i, h := range []int{9, 11, 13, 14} {
		e.wanted(t, fmt.Sprintf("N%d", i), at(h, 0), at(h+2, 0))
	}
	var recs []dispatch.PlanRecord
	for i, svc := range svcs {
		e.svc = svc
		recs = append(recs, e.planDay(t, dispatch.PlanRequest{Seed: ptr(uint64(i + 1))}))
	}
	for round := range 5 {
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i, svc := range svcs {
			wg.Go(func() {
				_, errs[i] = svc.ApplyPlan(t.Context(), recs[i].ID, dispatch.ApplyRequest{}, desk(fmt.Sprintf("desk %d", i)))
			})
		}
		wg.Wait()
		if ok := (errs[0] == nil) != (errs[1] == nil); !ok {
			t.Fatalf("round %d: %v / %v, want exactly one application", round, errs[0], errs[1])
		}
		if round < 4 {
			// Start over: the orders back to created, two fresh plans.
			for i := range 4 {
				id := fmt.Sprintf("N%d", i)
				w, _ := st.GetWorkOrder(t.Context(), id)
				w.Status, w.TechnicianIDs, w.ScheduledStart = model.StatusCreated, nil, nil
				if err := st.PutWorkOrder(t.Context(), w); err != nil {
					t.Fatal(err)
				}
			}
			for i, svc := range svcs {
				e.svc = svc
				recs[i] = e.planDay(t, dispatch.PlanRequest{Seed: ptr(uint64(i + 1))})
			}
		}
	}
}

func TestPlanStoredDayRefuses(t *testing.T) {
	stores(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		e.putTechnicians(t, technician("T1"))
		e.wanted(t, "N0", at(9, 0), at(11, 0))
		e.dispatched(t, "WO-A", "T1", at(13, 0))
		day := model.Date{Year: 2026, Month: 11, Day: 23}
		for _, tc := range []struct {
			name  string
			req   dispatch.PlanRequest
			field string
		}{
			{"unknown technician", dispatch.PlanRequest{Date: &day, TechnicianIDs: []string{"T9"}}, "technician_ids[0]"},
			{"another day's technician", dispatch.PlanRequest{Date: &model.Date{Year: 2026, Month: 11, Day: 24}, TechnicianIDs: []string{"T1"}}, "technician_ids[0]"},
			{"a dispatched order", dispatch.PlanRequest{Date: &day, OrderIDs: []string{"WO-A"}}, "order_ids[0]"},
			{"an order twice", dispatch.PlanRequest{Date: &day, OrderIDs: []string{"N0", "N0"}}, "order_ids[1]"},
			{"ids without a date", dispatch.PlanRequest{OrderIDs: []string{"N0"}}, "order_ids"},
			{"a date and a problem", dispatch.PlanRequest{Date: &day, Problem: model.Problem{Technicians: []model.Technician{technician("T1")}}}, "date"},
		} {
			req := tc.req
			if _, err := e.svc.StartPlan(ctx, &req, desk("desk 3")); !slices.Contains(fields(err), tc.field) {
				t.Errorf("%s: %v, want %s named", tc.name, err, tc.field)
			}
		}
		// A plan of a problem in its request has nothing to apply to.
		run, err := e.svc.StartPlan(ctx, &dispatch.PlanRequest{Problem: model.Problem{Technicians: []model.Technician{technician("T1")}}, Iterations: 10}, desk("desk 3"))
		if err != nil {
			t.Fatal(err)
		}
		<-run.Done()
		if _, err := e.svc.ApplyPlan(ctx, run.Record().ID, dispatch.ApplyRequest{}, desk("desk")); model.KindOf(err) != model.ErrConflict {
			t.Errorf("applying a plan of a request's problem: %v, want a conflict", err)
		}
		// A subset: one order.
		rec := e.planDay(t, dispatch.PlanRequest{OrderIDs: []string{"N0"}, TechnicianIDs: []string{"T1"}})
		if !slices.Equal(rec.Basis.Orders, []string{"N0"}) || !slices.Equal(stopsOf(rec), []string{"N0 T1 09:00", "WO-A T1 13:00"}) {
			t.Errorf("a plan of N0 on T1: basis %+v, stops %v", rec.Basis, stopsOf(rec))
		}
	})
}

// TestPlanDayBegun: once the day has begun, a technician's day goes on
// from the job they are on, or from where they are now.
func TestPlanDayBegun(t *testing.T) {
	stores(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		e.putTechnicians(t, technician("T1"), technician("T2"))
		on := e.dispatched(t, "WO-A", "T1", at(10, 0))
		e.now = at(10, 30)
		if _, err := e.svc.SetStatus(ctx, on.ID, dispatch.StatusUpdate{Status: model.StatusAcknowledged}, desk("T1")); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.SetStatus(ctx, on.ID, dispatch.StatusUpdate{Status: model.StatusEnRoute, At: at(9, 40)}, desk("T1")); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.SetStatus(ctx, on.ID, dispatch.StatusUpdate{Status: model.StatusOnSite, At: at(10, 5)}, desk("T1")); err != nil {
			t.Fatal(err)
		}
		far := model.LatLng(39.95, -104.80)
		if _, err := e.svc.RecordPosition(ctx, model.Position{TechnicianID: "T2", Lat: far.Lat, Lng: far.Lng, At: at(10, 25)}, "", desk("T2")); err != nil {
			t.Fatal(err)
		}
		e.wanted(t, "LATE", at(10, 0), at(16, 0))
		rec := e.planDay(t, dispatch.PlanRequest{})
		for _, r := range rec.Routes {
			for _, st := range r.Stops {
				if st.WorkOrderID == "WO-A" {
					t.Errorf("the plan routes WO-A, on site since 10:05: %+v", r)
				}
			}
			switch r.TechnicianID {
			case "T1":
				if len(r.Stops) > 0 && r.Start.Before(at(11, 5)) {
					t.Errorf("T1's route starts %v, before WO-A (on site 10:05, an hour) ends", r.Start)
				}
			case "T2":
				if r.StartLocation == nil || r.StartLocation.Lat != far.Lat || r.Start.Before(at(10, 30)) {
					t.Errorf("T2's route starts at %v %v, want from the 10:25 position, not before now", r.StartLocation, r.Start)
				}
			}
		}
		if rec.KPIs.Assigned != 1 {
			t.Errorf("the plan assigns %d, want LATE", rec.KPIs.Assigned)
		}
	})
}
