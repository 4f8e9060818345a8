package solver_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/dispatchd/dispatchd/model"
	"github.com/dispatchd/dispatchd/scenario"
	"github.com/dispatchd/dispatchd/solver"
)

// TestCheckAgreesWithSuggest is issue 9's and 11's agreement property on
// generated days in progress, with breaks, live positions and stops done:
// every start Suggest offers passes Check with no conflict and moves later
// stops only within their windows; a technician Suggest rejects has a
// conflict at every start; and every start Check accepts is at a
// technician Suggest offers.
func TestCheckAgreesWithSuggest(t *testing.T) {
	ctx := context.Background()
	offered, accepted, refused := 0, 0, 0
	for seed := range uint64(16) {
		techs := []int{6, 12, 20}[seed%3]
		now := []int{7 * 60, 10*60 + 30, 13 * 60}[seed%3]
		day, st := busyDay(t, techs, 3+int(seed%4), seed, now)
		for _, o := range scenario.GenerateOrders(3, seed+500, day.Technicians) {
			s, err := solver.Suggest(ctx, st, o, solver.SuggestOptions{Limit: techs, MaxRejected: -1})
			if err != nil {
				t.Fatal(err)
			}
			candidate := map[string]bool{}
			for _, c := range s.Candidates {
				candidate[c.TechnicianID] = true
				v, err := solver.Check(day, solver.Assignment{TechnicianID: c.TechnicianID, Order: o, Start: c.Start})
				if err != nil {
					t.Fatal(err)
				}
				offered++
				for _, cf := range v.Conflicts {
					t.Errorf("seed %d %s: Suggest offers %s at %s, Check finds %s: %s", seed, o.ID, c.TechnicianID, c.Start.Format("15:04:05"), cf.Kind, cf.Message)
				}
				checkMoves(t, day, v.Moves)
			}
			// Every technician, every half hour of the day: Check accepts
			// only where Suggest found room.
			for _, tech := range day.Technicians {
				for m := 6 * 60; m < 20*60; m += 30 {
					start := time.Date(2026, 11, 23, m/60, m%60, 0, 0, tech.Shift.Start.Location())
					v, err := solver.Check(day, solver.Assignment{TechnicianID: tech.ID, Order: o, Start: start})
					if err != nil {
						t.Fatal(err)
					}
					if len(v.Conflicts) == 0 {
						accepted++
						if !candidate[tech.ID] {
							t.Errorf("seed %d %s: Check accepts %s at %s, whom Suggest rejects: %v", seed, o.ID, tech.ID, start.Format("15:04"), reasonsOf(s, tech.ID))
						}
						checkMoves(t, day, v.Moves)
					} else {
						refused++
					}
				}
			}
		}
	}
	t.Logf("%d offers checked, %d starts accepted, %d refused", offered, accepted, refused)
	if offered < 50 || accepted < 50 || refused < 50 {
		t.Fatalf("too few cases: %d offered, %d accepted, %d refused", offered, accepted, refused)
	}
}

func reasonsOf(s model.Suggestions, id string) []string {
	for _, r := range s.Rejected {
		if r.TechnicianID == id {
			return r.Reasons
		}
	}
	return nil
}

// checkMoves checks that every stop moved keeps one of its windows.
func checkMoves(t *testing.T, day solver.Day, moves []solver.Move) {
	t.Helper()
	for _, m := range moves {
		for _, w := range day.Orders {
			if w.ID != m.WorkOrderID || len(w.TimeWindows) == 0 {
				continue
			}
			in := false
			for _, tw := range w.TimeWindows {
				in = in || tw.Contains(m.To)
			}
			if !in || !m.To.After(m.From) {
				t.Errorf("%s moved from %v to %v, outside its windows %v", m.WorkOrderID, m.From, m.To, w.TimeWindows)
			}
		}
	}
}

// TestCheckConflicts proposes assignments that break one rule each on a
// small day and checks the conflict Check names.
func TestCheckConflicts(t *testing.T) {
	base := func() solver.Day {
		a := tech("A")
		a.MaxJobs = 3
		a.Capacity = []float64{10}
		a.Certifications = []model.Certification{{Name: "EPA-608", Expires: model.Date{Year: 2026, Month: 10, Day: 1}}}
		a.Breaks = []model.Break{{Earliest: at(12, 0), Latest: at(12, 30), Duration: 1800}}
		w1 := order("W1", 10)
		w1.TimeWindows = []model.TimeWindow{{Start: at(9, 0), End: at(9, 0)}}
		w2 := order("W2", 10)
		w2.TimeWindows = []model.TimeWindow{{Start: at(10, 30), End: at(11, 0)}}
		w1.Status, w2.Status = model.StatusDispatched, model.StatusDispatched
		return solver.Day{Now: at(7, 0), Technicians: []model.Technician{a}, Orders: []model.WorkOrder{w1, w2},
			Routes: []model.Route{{TechnicianID: "A", Stops: []model.Stop{{WorkOrderID: "W1", Start: at(9, 0)}, {WorkOrderID: "W2", Start: at(10, 30)}}}}}
	}
	cases := []struct {
		name  string
		edit  func(*solver.Day, *model.WorkOrder)
		start time.Time
		want  model.ConflictKind
		other string
	}{
		{"fits after W2", nil, at(14, 0), "", ""},
		{"overlaps W1", nil, at(9, 30), model.ConflictOverlap, "W1"},
		{"before the shift", nil, at(8, 0), model.ConflictShift, ""},
		{"pushes W2 within its window", nil, at(10, 0), "", ""},
		{"pushes W2 out of its window", nil, at(10, 15), model.ConflictOverlap, "W2"},
		{"squeezes the break out", func(_ *solver.Day, w *model.WorkOrder) { w.Duration = 2 * 3600 }, at(11, 45), model.ConflictBreak, ""},
		{"past the shift end", nil, at(16, 30), model.ConflictShift, ""},
		{"outside its window", func(_ *solver.Day, w *model.WorkOrder) {
			w.TimeWindows = []model.TimeWindow{{Start: at(15, 0), End: at(16, 0)}}
		}, at(14, 0), model.ConflictWindow, ""},
		{"missing skill", func(_ *solver.Day, w *model.WorkOrder) { w.RequiredSkills = model.Skills{"plumbing": 1} }, at(14, 0), model.ConflictSkill, ""},
		{"expired certification", func(_ *solver.Day, w *model.WorkOrder) { w.RequiredCertifications = []string{"EPA-608"} }, at(14, 0), model.ConflictCertification, ""},
		{"missing tool", func(_ *solver.Day, w *model.WorkOrder) { w.RequiredTools = []string{"lift"} }, at(14, 0), model.ConflictTool, ""},
		{"excluded", func(_ *solver.Day, w *model.WorkOrder) { w.ExcludedTechnicians = []string{"A"} }, at(14, 0), model.ConflictExcluded, ""},
		{"over capacity", func(_ *solver.Day, w *model.WorkOrder) { w.Demand = []float64{11} }, at(14, 0), model.ConflictCapacity, ""},
		{"max_jobs", func(d *solver.Day, _ *model.WorkOrder) { d.Technicians[0].MaxJobs = 2 }, at(14, 0), model.ConflictMaxJobs, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			day := base()
			o := order("NEW", 10)
			if tc.edit != nil {
				tc.edit(&day, &o)
			}
			v, err := solver.Check(day, solver.Assignment{TechnicianID: "A", Order: o, Start: tc.start})
			if err != nil {
				t.Fatal(err)
			}
			if tc.want == "" {
				if len(v.Conflicts) > 0 {
					t.Fatalf("conflicts %+v, want none", v.Conflicts)
				}
				if tc.start.Equal(at(10, 0)) && (len(v.Moves) != 1 || v.Moves[0].WorkOrderID != "W2" || !v.Moves[0].To.Equal(at(11, 0))) {
					t.Fatalf("moves %+v, want W2 to 11:00", v.Moves)
				}
				return
			}
			for _, c := range v.Conflicts {
				if c.Kind == tc.want && c.Other == tc.other && c.WorkOrderID == "NEW" && c.TechnicianID == "A" && c.Message != "" {
					return
				}
			}
			t.Fatalf("conflicts %s, want %s (other %q)", fmt.Sprint(v.Conflicts), tc.want, tc.other)
		})
	}
}

// TestCheckNamesEveryOverlap proposes a long job over two stops: the
// first place the day breaks is one conflict, and the other stop the job
// lands on is named too, so that a dispatcher sees every order involved.
func TestCheckNamesEveryOverlap(t *testing.T) {
	a := tech("A")
	w1, w2 := order("W1", 10), order("W2", 10)
	w1.TimeWindows = []model.TimeWindow{{Start: at(9, 0), End: at(9, 0)}}
	w2.TimeWindows = []model.TimeWindow{{Start: at(10, 30), End: at(10, 30)}}
	day := solver.Day{Now: at(7, 0), Technicians: []model.Technician{a}, Orders: []model.WorkOrder{w1, w2},
		Routes: []model.Route{{TechnicianID: "A", Stops: []model.Stop{{WorkOrderID: "W1", Start: at(9, 0)}, {WorkOrderID: "W2", Start: at(10, 30)}}}}}
	o := order("NEW", 10)
	o.Duration = 3 * 3600
	v, err := solver.Check(day, solver.Assignment{TechnicianID: "A", Order: o, Start: at(9, 30)})
	if err != nil {
		t.Fatal(err)
	}
	named := map[string]bool{}
	for _, c := range v.Conflicts {
		if c.Kind == model.ConflictOverlap {
			named[c.Other] = true
			if c.OtherEnd.IsZero() || c.Message == "" {
				t.Errorf("overlap without the other stop's times: %+v", c)
			}
		}
	}
	if !named["W1"] || !named["W2"] {
		t.Errorf("conflicts %v, want overlaps naming W1 and W2", v.Conflicts)
	}
}

// TestScheduleLaysOutTheStoredDay lays out a stored day: stops at their
// planned times, the break where it is taken, and the conflicts of a day
// planned badly.
func TestScheduleLaysOutTheStoredDay(t *testing.T) {
	a := tech("A")
	a.Breaks = []model.Break{{Earliest: at(12, 0), Latest: at(12, 30), Duration: 1800}}
	w1, w2 := order("W1", 10), order("W2", 10)
	w2.TimeWindows = []model.TimeWindow{{Start: at(10, 30), End: at(11, 0)}}
	day := func(s1, s2 time.Time) solver.Day {
		return solver.Day{Technicians: []model.Technician{a}, Orders: []model.WorkOrder{w1, w2},
			Routes: []model.Route{{TechnicianID: "A", Stops: []model.Stop{{WorkOrderID: "W1", Start: s1}, {WorkOrderID: "W2", Start: s2}}}}}
	}
	good, err := solver.Schedule(day(at(9, 0), at(10, 30)), "A")
	if err != nil {
		t.Fatal(err)
	}
	if len(good.Conflicts) != 0 || len(good.Stops) != 3 || good.Stops[1].WorkOrderID != "W2" || !good.Stops[2].IsBreak() ||
		!good.Stops[2].Start.Equal(at(12, 0)) || *good.Stops[2].Location != a.Start {
		// Back home by 11:53, the day's work done: the break is taken there.
		t.Fatalf("stops %+v, conflicts %+v; want W1, W2 and the break at home at 12:00", good.Stops, good.Conflicts)
	}
	bad, err := solver.Schedule(day(at(9, 0), at(9, 30)), "A")
	if err != nil {
		t.Fatal(err)
	}
	var kinds []model.ConflictKind
	for _, c := range bad.Conflicts {
		kinds = append(kinds, c.Kind)
		if c.Kind == model.ConflictOverlap && (c.WorkOrderID != "W2" || c.Other != "W1" || !c.OtherEnd.Equal(at(10, 0))) {
			t.Errorf("overlap %+v, want W2 over W1 ending 10:00", c)
		}
	}
	if fmt.Sprint(kinds) != "[overlap window]" {
		t.Errorf("conflicts %v, want W2's overlap and window", kinds)
	}
	if _, err := solver.Schedule(day(at(9, 0), at(10, 30)), "B"); err == nil {
		t.Error("an unknown technician: no error")
	}
}
