package dispatch_test

import (
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

// order creates an order at a site of its own, a short drive from the
// depot, wanted in the window from..to.
func (e *env) order(t *testing.T, id string, from, to time.Time) model.WorkOrder {
	t.Helper()
	in := intake()
	in.ID, in.SiteID = id, "site-"+id
	in.TimeWindows = []model.TimeWindow{{Start: from, End: to}}
	// Each order a few hundred metres from the last: a drive between any
	// two of them.
	e.placed++
	in.Location = model.LatLng(39.75+0.004*float64(e.placed), -104.98)
	return e.create(t, in)
}

func kinds(cs []model.Conflict) []model.ConflictKind {
	var out []model.ConflictKind
	for _, c := range cs {
		out = append(out, c.Kind)
	}
	return out
}

func TestDispatchConflictsAndOverride(t *testing.T) {
	stores(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		e.putTechnicians(t, technician("T1"), technician("T2"))
		a := e.order(t, "A", at(10, 0), at(12, 0))
		b := e.order(t, "B", at(10, 0), at(12, 0))
		if _, err := e.svc.Dispatch(ctx, a.ID, dispatch.DispatchRequest{TechnicianIDs: []string{"T1"}, ScheduledStart: at(10, 0),
			ArrivalWindow: &model.TimeWindow{Start: at(9, 45), End: at(10, 15)}, Notes: "bring the long ladder"}, desk("desk 3")); err != nil {
			t.Fatalf("dispatching A: %v", err)
		}
		got, _ := e.svc.WorkOrder(ctx, a.ID, dispatch.Actor{})
		if got.Status != model.StatusDispatched || !slices.Equal(got.TechnicianIDs, []string{"T1"}) || got.DispatchNotes != "bring the long ladder" ||
			got.ArrivalWindow == nil || !got.ArrivalWindow.Start.Equal(at(9, 45)) {
			t.Errorf("dispatched A: %+v", got)
		}

		// B on T1 at 10:30 overlaps A (10:00–11:00).
		before := e.snapshot(t)
		_, err := e.svc.Dispatch(ctx, b.ID, dispatch.DispatchRequest{TechnicianIDs: []string{"T1"}, ScheduledStart: at(10, 30)}, desk("desk 3"))
		var ce *dispatch.ConflictError
		if !errors.As(err, &ce) || model.KindOf(err) != model.ErrConflict {
			t.Fatalf("dispatching B over A: %v, want a ConflictError", err)
		}
		overlap := slices.IndexFunc(ce.Conflicts, func(c model.Conflict) bool { return c.Kind == model.ConflictOverlap && c.Other == "A" })
		if overlap < 0 {
			t.Fatalf("conflicts %v, want an overlap naming A", ce.Conflicts)
		}
		if c := ce.Conflicts[overlap]; c.OtherStart.IsZero() || c.Start.IsZero() || c.TechnicianID != "T1" {
			t.Errorf("the overlap should name both times and the technician: %+v", c)
		}
		if e.snapshot(t) != before {
			t.Error("a refused dispatch changed the store")
		}

		// Overridden: dispatched, and the history says exactly what was
		// overridden.
		if _, err := e.svc.Dispatch(ctx, b.ID, dispatch.DispatchRequest{TechnicianIDs: []string{"T1"}, ScheduledStart: at(10, 30), Override: true}, desk("desk 4")); err != nil {
			t.Fatalf("override: %v", err)
		}
		h, _ := e.svc.History(ctx, b.ID)
		last := h[len(h)-1]
		if last.Action != model.HistoryDispatched || last.By != "desk 4" || len(last.Overridden) != len(ce.Conflicts) {
			t.Errorf("history of an override: %+v, want the %d conflicts overridden", last, len(ce.Conflicts))
		}
		for i := range ce.Conflicts {
			if !last.Overridden[i].Same(ce.Conflicts[i]) {
				t.Errorf("overridden %v, refused with %v", last.Overridden[i], ce.Conflicts[i])
			}
		}

		// Dispatching again is refused, naming the status.
		_, err = e.svc.Dispatch(ctx, b.ID, dispatch.DispatchRequest{TechnicianIDs: []string{"T2"}, ScheduledStart: at(13, 0)}, desk("desk 3"))
		var te *model.TransitionError
		if !errors.As(err, &te) || te.From != model.StatusDispatched {
			t.Errorf("dispatching a dispatched order: %v, want a TransitionError from dispatched", err)
		}

		// Reassign B to T2 with a reason: from -> to in the history.
		if _, err := e.svc.Reassign(ctx, b.ID, dispatch.ReassignRequest{TechnicianIDs: []string{"T2"}, Reason: "T1 is double-booked"}, desk("desk 3")); err != nil {
			t.Fatalf("reassign: %v", err)
		}
		h, _ = e.svc.History(ctx, b.ID)
		last = h[len(h)-1]
		if last.Action != model.HistoryReassigned || !slices.Equal(last.FromTechnicians, []string{"T1"}) ||
			!slices.Equal(last.ToTechnicians, []string{"T2"}) || last.Reason != "T1 is double-booked" {
			t.Errorf("history of a reassignment: %+v", last)
		}
		sched, err := e.svc.TechnicianSchedule(ctx, "T1", model.Date{}, dispatch.Actor{})
		if err != nil {
			t.Fatal(err)
		}
		if len(sched.Conflicts) != 0 {
			t.Errorf("T1's day after B left: conflicts %v, want none", sched.Conflicts)
		}
	})
}

func TestDispatchQualifications(t *testing.T) {
	stores(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		lapsed := technician("T3")
		lapsed.Certifications = []model.Certification{{Name: "EPA-608", Expires: model.Date{Year: 2026, Month: 10, Day: 31}}}
		lapsed.Skills = model.Skills{"hvac": 1}
		e.putTechnicians(t, lapsed)
		in := intake()
		in.RequiredCertifications = []string{"EPA-608"}
		in.RequiredTools = []string{"lift"}
		w := e.create(t, in)
		_, err := e.svc.Dispatch(ctx, w.ID, dispatch.DispatchRequest{TechnicianIDs: []string{"T3"}, ScheduledStart: at(10, 0)}, desk("desk"))
		var ce *dispatch.ConflictError
		if !errors.As(err, &ce) {
			t.Fatalf("dispatching to a lapsed, under-skilled technician without the tool: %v", err)
		}
		got := kinds(ce.Conflicts)
		for _, want := range []model.ConflictKind{model.ConflictCertification, model.ConflictSkill, model.ConflictTool} {
			if !slices.Contains(got, want) {
				t.Errorf("conflicts %v, want %s among them", got, want)
			}
		}
		for _, c := range ce.Conflicts {
			if c.Kind == model.ConflictCertification && c.Expires != (model.Date{Year: 2026, Month: 10, Day: 31}) {
				t.Errorf("the certification conflict should carry the expiry: %+v", c)
			}
		}
		// Unknown technicians and bad starts are invalid, not conflicts.
		for _, bad := range []struct {
			req  dispatch.DispatchRequest
			want string
		}{
			{dispatch.DispatchRequest{TechnicianIDs: []string{"nobody"}, ScheduledStart: at(10, 0)}, "technician_ids[0]"},
			{dispatch.DispatchRequest{TechnicianIDs: []string{"T3", "T1"}, ScheduledStart: at(10, 0)}, "technician_ids"},
			{dispatch.DispatchRequest{TechnicianIDs: []string{"T3"}}, "scheduled_start"},
			{dispatch.DispatchRequest{ScheduledStart: at(10, 0)}, "technician_ids"},
			{dispatch.DispatchRequest{TechnicianIDs: []string{"T3", "T3"}, ScheduledStart: at(10, 0)}, "technician_ids[1]"},
		} {
			before := e.snapshot(t)
			_, err := e.svc.Dispatch(ctx, w.ID, bad.req, desk("desk"))
			if f := fields(err); !slices.Contains(f, bad.want) {
				t.Errorf("%+v: %v, want an error naming %s", bad.req, err, bad.want)
			}
			if e.snapshot(t) != before {
				t.Errorf("%+v changed the store", bad.req)
			}
		}
	})
}

// TestDispatchRetimesLaterStops puts an order before one with room in its
// window: the later one moves within its window, with a history entry
// naming the cause.
func TestDispatchRetimesLaterStops(t *testing.T) {
	stores(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		e.putTechnicians(t, technician("T1"))
		later := e.order(t, "LATER", at(10, 0), at(13, 0))
		if _, err := e.svc.Dispatch(ctx, later.ID, dispatch.DispatchRequest{TechnicianIDs: []string{"T1"}, ScheduledStart: at(11, 0)}, desk("desk")); err != nil {
			t.Fatal(err)
		}
		first := e.order(t, "FIRST", at(10, 0), at(10, 30))
		if _, err := e.svc.Dispatch(ctx, first.ID, dispatch.DispatchRequest{TechnicianIDs: []string{"T1"}, ScheduledStart: at(10, 0)}, desk("desk")); err != nil {
			t.Fatalf("dispatching FIRST before LATER: %v", err)
		}
		got, _ := e.svc.WorkOrder(ctx, later.ID, dispatch.Actor{})
		if !got.ScheduledStart.After(at(11, 0)) || got.ScheduledStart.After(at(13, 0)) {
			t.Errorf("LATER starts %v; want it pushed past 11:00 by the drive from FIRST, inside its window", got.ScheduledStart)
		}
		h, _ := e.svc.History(ctx, later.ID)
		last := h[len(h)-1]
		if last.Action != model.HistoryRetimed || last.Cause != "FIRST" || !last.ToStart.Equal(*got.ScheduledStart) {
			t.Errorf("LATER's last history entry %+v, want a retiming caused by FIRST", last)
		}
	})
}

// TestDispatchDurationBounded: a dispatch's duration is bounded as every
// duration of the domain is (model.MaxDuration, a week), naming duration_s
// and changing nothing; the bound itself is no input error.
func TestDispatchDurationBounded(t *testing.T) {
	stores(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		e.putTechnicians(t, technician("T1"))
		w := e.order(t, "D1", at(10, 0), at(12, 0))
		before := e.snapshot(t)
		for _, d := range []model.Seconds{-1, model.MaxDuration + 1, 1 << 40} {
			_, err := e.svc.Dispatch(ctx, w.ID, dispatch.DispatchRequest{TechnicianIDs: []string{"T1"}, ScheduledStart: at(10, 0), Duration: d}, desk("desk"))
			if f := fields(err); !slices.Equal(f, []string{"duration_s"}) {
				t.Errorf("dispatching for %d s: %v, want an error naming duration_s", d, err)
			}
		}
		if e.snapshot(t) != before {
			t.Error("refused dispatches changed the store")
		}
		_, err := e.svc.Dispatch(ctx, w.ID, dispatch.DispatchRequest{TechnicianIDs: []string{"T1"}, ScheduledStart: at(10, 0), Duration: model.MaxDuration}, desk("desk"))
		var ce *dispatch.ConflictError
		if !errors.As(err, &ce) {
			t.Errorf("dispatching for a week: %v, want the conflicts of a job longer than the shift, not an input error", err)
		}
	})
}

// TestConcurrentDispatchesOneWins dispatches 50 orders into the same hour
// of one technician at once: exactly one wins, the others are conflicts.
func TestConcurrentDispatchesOneWins(t *testing.T) {
	stores(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		e.putTechnicians(t, technician("T1"))
		var orders []model.WorkOrder
		for i := range 50 {
			orders = append(orders, e.order(t, fmt.Sprintf("R%02d", i), at(10, 0), at(10, 0)))
		}
		var wg sync.WaitGroup
		var mu sync.Mutex
		won, conflicts := 0, 0
		for _, w := range orders {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := e.svc.Dispatch(ctx, w.ID, dispatch.DispatchRequest{TechnicianIDs: []string{"T1"}, ScheduledStart: at(10, 0)}, desk("desk "+w.ID))
				mu.Lock()
				defer mu.Unlock()
				var ce *dispatch.ConflictError
				switch {
				case err == nil:
					won++
				case errors.As(err, &ce):
					conflicts++
				default:
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		if won != 1 || conflicts != 49 {
			t.Errorf("%d dispatched, %d conflicts; want 1 and 49", won, conflicts)
		}
		sched, err := e.svc.TechnicianSchedule(ctx, "T1", model.Date{}, dispatch.Actor{})
		if err != nil {
			t.Fatal(err)
		}
		jobs := slices.DeleteFunc(slices.Clone(sched.Stops), func(s dispatch.ScheduleStop) bool { return s.IsBreak() })
		if len(jobs) != 1 || len(sched.Conflicts) != 0 {
			t.Errorf("T1's day: %d jobs, conflicts %v; want one job and none", len(jobs), sched.Conflicts)
		}
	})
}

func TestUpdateWorkOrder(t *testing.T) {
	stores(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		e.putTechnicians(t, technician("T1"))
		w := e.order(t, "U1", at(10, 0), at(12, 0))
		if _, err := e.svc.Dispatch(ctx, w.ID, dispatch.DispatchRequest{TechnicianIDs: []string{"T1"}, ScheduledStart: at(10, 0)}, desk("desk")); err != nil {
			t.Fatal(err)
		}
		// The customer moves the window away from the dispatched start.
		res, err := e.svc.UpdateWorkOrder(ctx, w.ID, dispatch.Update{Patch: patchOf(map[string][]byte{
			"time_windows":    []byte(`[{"start":"2026-11-23T14:00:00-07:00","end":"2026-11-23T16:00:00-07:00"}]`),
			"required_skills": []byte(`{"electrical":1}`),
			"notes":           []byte(`null`),
		}), Reason: "customer rescheduled"}, desk("desk 5"))
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Contains(kinds(res.Conflicts), model.ConflictWindow) {
			t.Errorf("conflicts %v, want the window the dispatched start now misses", res.Conflicts)
		}
		if res.WorkOrder.Notes != "" || res.WorkOrder.RequiredSkills["hvac"] != 2 || res.WorkOrder.RequiredSkills["electrical"] != 1 {
			t.Errorf("merged order: notes %q, skills %v; want notes cleared and skills merged", res.WorkOrder.Notes, res.WorkOrder.RequiredSkills)
		}
		h, _ := e.svc.History(ctx, w.ID)
		last := h[len(h)-1]
		var changed []string
		for _, c := range last.Changes {
			changed = append(changed, c.Field)
		}
		if last.Action != model.HistoryUpdated || last.By != "desk 5" || !slices.Equal(changed, []string{"required_skills", "time_windows", "notes"}) {
			t.Errorf("history of an update: %+v, changed %v", last, changed)
		}
		before := e.snapshot(t)
		for _, bad := range []struct {
			patch map[string][]byte
			want  string
		}{
			{map[string][]byte{"status": []byte(`"complete"`)}, "status"},
			{map[string][]byte{"scheduled_start": []byte(`"2026-11-23T09:00:00-07:00"`)}, "scheduled_start"},
			{map[string][]byte{"colour": []byte(`"red"`)}, "colour"},
			{map[string][]byte{"duration_s": []byte(`-5`)}, "duration_s"},
			{map[string][]byte{"duration_s": []byte(`604801`)}, "duration_s"},
			// Names match exactly, at every depth, as in every body.
			{map[string][]byte{"Notes": []byte(`"x"`)}, "Notes"},
			{map[string][]byte{"location": []byte(`{"Lat":40}`)}, "location.Lat"},
			{map[string][]byte{"location": []byte(`{"lat":40,"lgn":-105}`)}, "location.lgn"},
			{map[string][]byte{"time_windows": []byte(`[{"Start":"2026-11-23T14:00:00-07:00","end":"2026-11-23T16:00:00-07:00"}]`)}, "time_windows[0].Start"},
			{map[string][]byte{"arrival_window": []byte(`{"start":"2026-11-23T10:00:00-07:00","END":"2026-11-23T11:00:00-07:00"}`)}, "arrival_window.END"},
			{map[string][]byte{"priority": []byte(`"whenever"`)}, "priority"},
		} {
			_, err := e.svc.UpdateWorkOrder(ctx, w.ID, dispatch.Update{Patch: patchOf(bad.patch)}, desk("desk"))
			if f := fields(err); !slices.Contains(f, bad.want) {
				t.Errorf("patch %s: %v, want an error naming %s", bad.patch, err, bad.want)
			}
		}
		if e.snapshot(t) != before {
			t.Error("refused updates changed the store")
		}
	})
}

func patchOf(m map[string][]byte) map[string]json.RawMessage {
	out := make(map[string]json.RawMessage, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// TestCrewConflictsNameTheOrder: a crew order stands on each member's day
// as a copy of its own, but every conflict and stop a dispatcher sees
// names the order itself — in a refused dispatch, an override and the
// technician's schedule.
func TestCrewConflictsNameTheOrder(t *testing.T) {
	stores(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		e.putTechnicians(t, technician("T1"), technician("T2"))
		in := intake()
		in.ID, in.SiteID, in.TechniciansNeeded = "CREW", "site-CREW", 2
		crew := e.create(t, in)
		if _, err := e.svc.Dispatch(ctx, crew.ID, dispatch.DispatchRequest{TechnicianIDs: []string{"T1", "T2"}, ScheduledStart: at(10, 0)}, desk("desk")); err != nil {
			t.Fatalf("dispatching the crew: %v", err)
		}
		b := e.order(t, "B", at(10, 0), at(10, 30))
		_, err := e.svc.Dispatch(ctx, b.ID, dispatch.DispatchRequest{TechnicianIDs: []string{"T1"}, ScheduledStart: at(10, 15)}, desk("desk"))
		var ce *dispatch.ConflictError
		if !errors.As(err, &ce) {
			t.Fatalf("dispatching B into the crew's hour: %v, want a ConflictError", err)
		}
		for _, c := range ce.Conflicts {
			if strings.Contains(c.Other, ":crew:") || strings.Contains(c.WorkOrderID, ":crew:") {
				t.Errorf("a conflict names a crew copy: %+v", c)
			}
		}
		if !slices.ContainsFunc(ce.Conflicts, func(c model.Conflict) bool { return c.Other == "CREW" && c.WorkOrderID == "B" }) {
			t.Errorf("conflicts %v, want one of B naming CREW", ce.Conflicts)
		}
		if _, err := e.svc.Dispatch(ctx, b.ID, dispatch.DispatchRequest{TechnicianIDs: []string{"T1"}, ScheduledStart: at(10, 15), Override: true}, desk("desk")); err != nil {
			t.Fatalf("override: %v", err)
		}
		// Overridden, the crew keeps its start (it cannot move on T1's day
		// alone) and B's history says what was overridden.
		if got, _ := e.svc.WorkOrder(ctx, crew.ID, dispatch.Actor{}); !got.ScheduledStart.Equal(at(10, 0)) {
			t.Errorf("the crew order starts %v after the override, want 10:00 still", got.ScheduledStart)
		}
		h, _ := e.svc.History(ctx, b.ID)
		if last := h[len(h)-1]; len(last.Overridden) != len(ce.Conflicts) {
			t.Errorf("B's override recorded %v, want the %d conflicts", last.Overridden, len(ce.Conflicts))
		}
		sched, err := e.svc.TechnicianSchedule(ctx, "T1", model.Date{}, dispatch.Actor{})
		if err != nil {
			t.Fatal(err)
		}
		if len(sched.Conflicts) == 0 {
			t.Error("T1's day after the override shows no conflict")
		}
		for _, c := range sched.Conflicts {
			if strings.Contains(c.Other, ":crew:") || strings.Contains(c.WorkOrderID, ":crew:") {
				t.Errorf("T1's schedule names a crew copy: %+v", c)
			}
		}
		for _, st := range sched.Stops {
			if strings.Contains(st.WorkOrderID, ":crew:") {
				t.Errorf("T1's schedule has a stop of a crew copy: %+v", st)
			}
		}
	})
}

// TestUpdateLengthensDispatchedOrder: an update that makes a dispatched
// order longer moves the technician's later stops that have room in their
// windows (each with a retimed history entry naming the order), and
// reports as conflicts what has no room — it never leaves two stops
// overlapping unsaid.
func TestUpdateLengthensDispatchedOrder(t *testing.T) {
	stores(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		e.putTechnicians(t, technician("T1"), technician("T2"))
		first := e.order(t, "FIRST", at(9, 0), at(9, 30))
		roomy := e.order(t, "ROOMY", at(10, 0), at(14, 0))
		for _, d := range []struct {
			w     model.WorkOrder
			start time.Time
		}{{first, at(9, 0)}, {roomy, at(10, 30)}} {
			if _, err := e.svc.Dispatch(ctx, d.w.ID, dispatch.DispatchRequest{TechnicianIDs: []string{"T1"}, ScheduledStart: d.start}, desk("desk")); err != nil {
				t.Fatalf("dispatching %s: %v", d.w.ID, err)
			}
		}
		res, err := e.svc.UpdateWorkOrder(ctx, first.ID, dispatch.Update{Patch: patchOf(map[string][]byte{"duration_s": []byte(`7200`)}), Reason: "bigger job"}, desk("desk 5"))
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Conflicts) != 0 {
			t.Errorf("conflicts %v; want none: ROOMY has room to move", res.Conflicts)
		}
		got, _ := e.svc.WorkOrder(ctx, roomy.ID, dispatch.Actor{})
		if !got.ScheduledStart.After(at(11, 0)) {
			t.Errorf("ROOMY starts %v; want it pushed past 11:00, the end of FIRST made two hours long", got.ScheduledStart)
		}
		h, _ := e.svc.History(ctx, roomy.ID)
		if last := h[len(h)-1]; last.Action != model.HistoryRetimed || last.Cause != first.ID || last.By != "desk 5" {
			t.Errorf("ROOMY's last history entry %+v, want a retiming caused by FIRST, by desk 5", last)
		}
		sched, err := e.svc.TechnicianSchedule(ctx, "T1", model.Date{}, dispatch.Actor{})
		if err != nil {
			t.Fatal(err)
		}
		if len(sched.Conflicts) != 0 {
			t.Errorf("T1's day after the update has conflicts %v", sched.Conflicts)
		}

		// A later stop with no room: the update is made and its conflict
		// reported, naming the stop.
		fixed := e.order(t, "FIXED", at(9, 0), at(14, 0))
		if _, err := e.svc.Dispatch(ctx, fixed.ID, dispatch.DispatchRequest{TechnicianIDs: []string{"T2"}, ScheduledStart: at(10, 30),
			ArrivalWindow: &model.TimeWindow{Start: at(10, 30), End: at(10, 30)}}, desk("desk")); err != nil {
			t.Fatal(err)
		}
		early := e.order(t, "EARLY", at(9, 0), at(9, 0))
		if _, err := e.svc.Dispatch(ctx, early.ID, dispatch.DispatchRequest{TechnicianIDs: []string{"T2"}, ScheduledStart: at(9, 0)}, desk("desk")); err != nil {
			t.Fatal(err)
		}
		res, err = e.svc.UpdateWorkOrder(ctx, early.ID, dispatch.Update{Patch: patchOf(map[string][]byte{"duration_s": []byte(`7200`)})}, desk("desk 5"))
		if err != nil {
			t.Fatal(err)
		}
		if !slices.ContainsFunc(res.Conflicts, func(c model.Conflict) bool { return c.Other == fixed.ID || c.WorkOrderID == fixed.ID }) {
			t.Errorf("conflicts %v; want one naming FIXED, which cannot move", res.Conflicts)
		}
		if got, _ := e.svc.WorkOrder(ctx, fixed.ID, dispatch.Actor{}); !got.ScheduledStart.Equal(at(10, 30)) {
			t.Errorf("FIXED starts %v; want 10:30 still, its promised arrival", got.ScheduledStart)
		}
	})
}

// TestReassignPromisesANewArrival: moving a dispatched order to another
// time breaks the arrival window promised with it, unless the
// reassignment promises a new one, which is then the order's.
func TestReassignPromisesANewArrival(t *testing.T) {
	stores(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		e.putTechnicians(t, technician("T1"))
		w := e.order(t, "MOVE", at(9, 0), at(16, 0))
		if _, err := e.svc.Dispatch(ctx, w.ID, dispatch.DispatchRequest{TechnicianIDs: []string{"T1"}, ScheduledStart: at(10, 0),
			ArrivalWindow: &model.TimeWindow{Start: at(9, 45), End: at(10, 15)}}, desk("desk")); err != nil {
			t.Fatal(err)
		}
		_, err := e.svc.Reassign(ctx, w.ID, dispatch.ReassignRequest{TechnicianIDs: []string{"T1"}, ScheduledStart: ptr(at(14, 0))}, desk("desk"))
		var ce *dispatch.ConflictError
		if !errors.As(err, &ce) || !slices.Contains(kinds(ce.Conflicts), model.ConflictWindow) {
			t.Fatalf("moving past the promised arrival: %v, want a window conflict", err)
		}
		if _, err := e.svc.Reassign(ctx, w.ID, dispatch.ReassignRequest{TechnicianIDs: []string{"T1"}, ScheduledStart: ptr(at(14, 0)),
			ArrivalWindow: &model.TimeWindow{Start: at(14, 15), End: at(13, 45)}}, desk("desk")); !slices.Equal(fields(err), []string{"arrival_window.end"}) {
			t.Errorf("an arrival window ending before it starts: %v, want an error naming arrival_window.end", err)
		}
		got, err := e.svc.Reassign(ctx, w.ID, dispatch.ReassignRequest{TechnicianIDs: []string{"T1"}, ScheduledStart: ptr(at(14, 0)),
			ArrivalWindow: &model.TimeWindow{Start: at(13, 45), End: at(14, 15)}, Reason: "customer asked for the afternoon"}, desk("desk"))
		if err != nil {
			t.Fatalf("moving with a new promise: %v", err)
		}
		if got.ArrivalWindow == nil || !got.ArrivalWindow.Start.Equal(at(13, 45)) {
			t.Errorf("arrival window %+v, want the new promise 13:45–14:15", got.ArrivalWindow)
		}
		h, _ := e.svc.History(ctx, w.ID)
		if last := h[len(h)-1]; last.Action != model.HistoryReassigned || len(last.Changes) != 1 || last.Changes[0].Field != "arrival_window" {
			t.Errorf("the reassignment's history entry %+v, want it to record the new arrival window", last)
		}
	})
}

// TestUpdateNamesTheFieldSent: a patch the stored order's technicians or
// start make invalid is refused naming the field the patch sent — a
// crew size that no longer matches the technicians the order is
// dispatched to names technicians_needed, a pin on an order with nobody
// and no start names pinned — never technician_ids or scheduled_start,
// which a patch cannot send.
func TestUpdateNamesTheFieldSent(t *testing.T) {
	stores(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		e.putTechnicians(t, technician("T1"))
		dispatched := e.dispatched(t, "WO-D", "T1", at(10, 0))
		in := intake()
		in.ID, in.SiteID = "WO-C", "S-C"
		created := e.create(t, in)
		before := e.snapshot(t)
		for _, tc := range []struct {
			id    string
			patch map[string][]byte
			want  []string
		}{
			{dispatched.ID, map[string][]byte{"technicians_needed": []byte(`2`)}, []string{"technicians_needed"}},
			{created.ID, map[string][]byte{"pinned": []byte(`true`)}, []string{"pinned"}},
		} {
			_, err := e.svc.UpdateWorkOrder(ctx, tc.id, dispatch.Update{Patch: patchOf(tc.patch)}, desk("desk"))
			if f := fields(err); !slices.Equal(f, tc.want) {
				t.Errorf("patch %s of %s: %v, want an error naming only %v", tc.patch, tc.id, err, tc.want)
			}
		}
		if e.snapshot(t) != before {
			t.Error("refused updates changed the store")
		}
	})
}
