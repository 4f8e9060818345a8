package solver

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dispatchd/dispatchd/check"
	"github.com/dispatchd/dispatchd/model"
	"github.com/dispatchd/dispatchd/scenario"
)

// budgetDay is a generated day with four orders pinned, each to a
// technician who qualifies, two hours into the shift.
func budgetDay(t *testing.T) *model.Problem {
	t.Helper()
	p, err := scenario.GenerateDay(scenario.DayOptions{Orders: 120, Technicians: 8, Seed: 6})
	if err != nil {
		t.Fatal(err)
	}
	pinned := map[int]bool{}
	for i := 0; i < len(p.WorkOrders) && len(pinned) < 4; i++ {
		w := &p.WorkOrders[i]
		k := slices.IndexFunc(p.Technicians, func(tc model.Technician) bool {
			return len(Qualify(&tc, w)) == 0 && fitsCapacity(w.Demand, tc.Capacity)
		})
		if k < 0 || pinned[k] || w.Crew() > 1 {
			continue
		}
		pinned[k] = true
		tech := &p.Technicians[k]
		w.Pinned, w.Status = true, model.StatusDispatched
		w.TechnicianIDs, w.TimeWindows, w.SLADeadline = []string{tech.ID}, nil, nil
		start := tech.Shift.Start.Add(2 * time.Hour)
		w.ScheduledStart = &start
	}
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	return p
}

// assertValid fails the test unless check.Plan finds the plan sound.
func assertValid(t *testing.T, p *model.Problem, plan model.Plan) {
	t.Helper()
	rep := check.Plan(p, plan)
	for _, v := range rep.Violations {
		t.Errorf("violation: %v", v)
	}
	for _, m := range rep.Mismatches {
		t.Errorf("misreported: %s", m)
	}
}

// TestSearchCutBeforeConstruction ends the search's time as construction
// begins: the pinned stops are kept, every other order is not considered
// and says that the time limit ran out, and the plan is valid.
func TestSearchCutBeforeConstruction(t *testing.T) {
	p := budgetDay(t)
	b := startBudget(context.Background(), time.Hour)
	defer b.release()
	in, err := compile(p, b)
	if err != nil || !in.compiled {
		t.Fatalf("compile: %v, compiled %v", err, in.compiled)
	}
	b.searchOver.Store(true)
	best, err := in.search(Options{Seed: 1}, b)
	if err != nil {
		t.Fatal(err)
	}
	plan := in.plan(best)
	assertValid(t, p, plan)
	if plan.KPIs.Assigned != 4 {
		t.Errorf("%d orders assigned, want the 4 pinned", plan.KPIs.Assigned)
	}
	// Orders nobody may take were never in the running: they say why.
	qualified := map[string]bool{}
	for _, jb := range in.jobs {
		qualified[p.WorkOrders[jb.idx].ID] = len(jb.vehicles) > 0
	}
	const want = "not considered: the time limit of 3600 s ran out while building the plan"
	left := 0
	for _, u := range plan.Unassigned {
		if !qualified[u.WorkOrderID] {
			continue
		}
		left++
		if len(u.Reasons) != 1 || u.Reasons[0] != want {
			t.Fatalf("%s: reasons %q, want %q", u.WorkOrderID, u.Reasons, want)
		}
	}
	if left == 0 {
		t.Fatal("no order was left out for want of time")
	}
}

// TestExplanationsOutOfTime ends the time after the search: the orders it
// left out say so in a sentence each, without the analysis that would
// take time, and the plan is valid.
func TestExplanationsOutOfTime(t *testing.T) {
	p := budgetDay(t)
	b := startBudget(context.Background(), time.Hour)
	defer b.release()
	in, err := compile(p, b)
	if err != nil {
		t.Fatal(err)
	}
	best, err := in.search(Options{Iterations: 100, Seed: 1}, b)
	if err != nil {
		t.Fatal(err)
	}
	full := in.plan(best)
	b.over.Store(true)
	cut := in.plan(best)
	assertValid(t, p, cut)
	if len(cut.Unassigned) == 0 || len(cut.Unassigned) != len(full.Unassigned) {
		t.Fatalf("%d unassigned out of time, %d with time: want the same, some", len(cut.Unassigned), len(full.Unassigned))
	}
	const want = "left unassigned by the search; the time limit of 3600 s ran out before the reasons were worked out"
	for i, u := range cut.Unassigned {
		if strings.HasPrefix(full.Unassigned[i].Reasons[0], "needs ") {
			continue // crews: known without looking
		}
		if len(u.Reasons) != 1 || u.Reasons[0] != want {
			t.Fatalf("%s: reasons %q, want %q", u.WorkOrderID, u.Reasons, want)
		}
	}
}

// TestBudgetWords checks the reasons' wording for each way a run ends.
func TestBudgetWords(t *testing.T) {
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	soon, cancelSoon := context.WithTimeout(context.Background(), time.Minute)
	defer cancelSoon()
	tests := []struct {
		name  string
		ctx   context.Context
		limit time.Duration
		want  string
	}{
		{"limit", context.Background(), 10 * time.Second, "the time limit of 10 s ran out while building the plan"},
		{"fraction of a second", context.Background(), 1500 * time.Millisecond, "the time limit of 1.5 s ran out"},
		{"context deadline first", soon, time.Hour, "the deadline passed"},
		{"limit first", soon, time.Second, "the time limit of 1 s ran out"},
		{"cancelled", cancelled, time.Second, "the plan was cancelled"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := startBudget(tt.ctx, tt.limit)
			defer b.release()
			if got := b.notConsidered(); !strings.Contains(got, tt.want) {
				t.Errorf("notConsidered() = %q, want it to say %q", got, tt.want)
			}
			if got := b.unexplained(); !strings.Contains(got, strings.TrimSuffix(tt.want, " while building the plan")) {
				t.Errorf("unexplained() = %q, want it to say %q", got, tt.want)
			}
		})
	}
}
