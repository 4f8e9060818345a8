package solver_test

import (
	"context"
	"testing"
	"time"

	"github.com/dispatchd/dispatchd/model"
	"github.com/dispatchd/dispatchd/solver"
)

// issue9Day is the minimal case of issue 9: J1 10:00–11:30 next door to
// NEW, whose three hours must start 12:00–16:00; the lunch break (30 min,
// from 11:30 to 13:30) fits at J1's site, after it, and T1 is home well
// before 17:00. Taking the break at home instead — back soonest — once
// left NEW out.
func issue9Day() *model.Problem {
	denver := time.FixedZone("", -7*3600)
	on := func(h, m int) time.Time { return time.Date(2026, 12, 2, h, m, 0, 0, denver) }
	home := model.LatLng(40.1, -104.99)
	return &model.Problem{
		Technicians: []model.Technician{{
			ID: "T1", Start: home, End: &home,
			Shift:  model.Shift{Start: on(8, 0), End: on(17, 0)},
			Breaks: []model.Break{{Earliest: on(11, 30), Latest: on(13, 30), Duration: 1800}},
		}},
		WorkOrders: []model.WorkOrder{
			{ID: "NEW", Location: model.LatLng(39.75, -104.99), Duration: 10800,
				TimeWindows: []model.TimeWindow{{Start: on(12, 0), End: on(16, 0)}}},
			{ID: "J1", Location: model.LatLng(39.751, -104.991), Duration: 5400,
				TimeWindows: []model.TimeWindow{{Start: on(10, 0), End: on(10, 30)}}},
		},
	}
}

func TestBreakAtThePreviousJobsSite(t *testing.T) {
	for _, seed := range []uint64{1, 2, 3} {
		p := issue9Day()
		plan, err := solver.Plan(context.Background(), p, solver.Options{Iterations: 50, Seed: seed})
		if err != nil {
			t.Fatal(err)
		}
		assertChecked(t, p, plan)
		if len(plan.Unassigned) != 0 || len(plan.Routes) != 1 {
			t.Fatalf("seed %d: unassigned %v, want both orders planned", seed, plan.Unassigned)
		}
		stops := plan.Routes[0].Stops
		var got []string
		for _, s := range stops {
			got = append(got, s.WorkOrderID+string(s.Type))
		}
		if len(stops) != 3 || stops[0].WorkOrderID != "J1" || !stops[1].IsBreak() || stops[2].WorkOrderID != "NEW" {
			t.Fatalf("seed %d: stops %v, want J1, the break, NEW", seed, got)
		}
		brk, j1 := stops[1], stops[0]
		if !brk.Start.Equal(j1.End) || brk.Location == nil || *brk.Location != p.WorkOrders[1].Location {
			t.Errorf("seed %d: break %v–%v at %v, want from J1's end %v at J1's site", seed, brk.Start, brk.End, brk.Location, j1.End)
		}
		// NEW is 19 s from J1.
		if want := brk.End.Add(19 * time.Second); !stops[2].Start.Equal(want) || stops[2].Arrival.After(want) {
			t.Errorf("seed %d: NEW arrives %v and starts %v, want %v, after the break and the drive", seed, stops[2].Arrival, stops[2].Start, want)
		}
		if end := plan.Routes[0].End; end.After(p.Technicians[0].Shift.End) {
			t.Errorf("seed %d: back %v, after the shift", seed, end)
		}
	}
}

// TestSuggestAgreesWithPlanOnTheMinimalCase asks Suggest the same day
// with J1 on T1's route: NEW at 12:00, as Plan has it.
func TestSuggestAgreesWithPlanOnTheMinimalCase(t *testing.T) {
	p := issue9Day()
	j1, order := p.WorkOrders[1], p.WorkOrders[0]
	j1.Status = model.StatusDispatched
	day := solver.Day{
		Now:         p.Technicians[0].Shift.Start.Add(-time.Hour),
		Technicians: p.Technicians, Orders: []model.WorkOrder{j1},
		Routes: []model.Route{{TechnicianID: "T1", Stops: []model.Stop{{WorkOrderID: "J1", Start: j1.TimeWindows[0].Start}}}},
	}
	st, err := solver.NewState(day)
	if err != nil {
		t.Fatal(err)
	}
	s, err := solver.Suggest(context.Background(), st, order, solver.SuggestOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Candidates) != 1 {
		t.Fatalf("candidates %v, rejected %v; want T1", s.Candidates, s.Rejected)
	}
	plan, err := solver.Plan(context.Background(), issue9Day(), solver.Options{Iterations: 50, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	want := plan.Routes[0].Stops[2].Start
	if c := s.Candidates[0]; !c.Start.Equal(want) || c.InsertAfter != "J1" {
		t.Errorf("T1 after %q at %v, want after J1 at %v, as planned", c.InsertAfter, c.Start, want)
	}
}
