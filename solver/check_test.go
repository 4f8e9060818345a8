package solver_test

import (
	"context"
	"fmt"
	"math"
	"testing"

	"github.com/dispatchd/dispatchd/check"
	"github.com/dispatchd/dispatchd/model"
	"github.com/dispatchd/dispatchd/solver"
)

// TestPlansPassTheIndependentChecker solves generated days and checks
// each plan with check.Plan, which trusts nothing the plan says about
// itself: no hard violation, and every time, KPI and objective term the
// solver reports agrees with the recomputation.
func TestPlansPassTheIndependentChecker(t *testing.T) {
	for _, tc := range []struct{ orders, techs int }{{30, 3}, {60, 6}, {120, 10}} {
		for seed := range uint64(10) {
			t.Run(fmt.Sprintf("%dx%d/seed%d", tc.orders, tc.techs, seed), func(t *testing.T) {
				p := generatedDay(t, tc.orders, tc.techs, seed)
				plan, err := solver.Plan(context.Background(), p, solver.Options{Iterations: 300, Seed: seed})
				if err != nil {
					t.Fatal(err)
				}
				assertChecked(t, p, plan)
			})
		}
	}
}

// assertChecked fails the test unless the plan passes check.Plan with
// nothing misreported.
func assertChecked(t *testing.T, p *model.Problem, plan model.Plan) {
	t.Helper()
	rep := check.Plan(p, plan)
	for _, v := range rep.Violations {
		t.Errorf("violation: %v", v)
	}
	for _, m := range rep.Mismatches {
		t.Errorf("misreported: %s", m)
	}
	if math.Abs(rep.Objective-plan.Objective) > 1e-6*math.Max(1, math.Abs(rep.Objective)) {
		t.Errorf("objective %v, recomputed %v", plan.Objective, rep.Objective)
	}
}
