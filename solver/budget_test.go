package solver_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/dispatchd/dispatchd/model"
	"github.com/dispatchd/dispatchd/solver"
)

// TestPlanSpentBeforeItStarts plans with a context already past its
// deadline or already cancelled, and with a time limit over before Plan
// has begun: the plan comes back at once, valid, with every order left
// out and saying why, the same every time.
func TestPlanSpentBeforeItStarts(t *testing.T) {
	p := generatedDay(t, 80, 8, 4)
	past, cancelPast := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancelPast()
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name   string
		ctx    context.Context
		limit  time.Duration
		err    error
		reason string
	}{
		{"deadline passed", past, time.Minute, nil, "not considered: the deadline passed while building the plan"},
		{"cancelled", cancelled, time.Minute, context.Canceled, "not considered: the plan was cancelled while it was being built"},
		{"a limit over at once", context.Background(), time.Nanosecond, nil, "not considered: the time limit of 0.000000001 s ran out while building the plan"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for range 3 {
				plan, err := solver.Plan(tt.ctx, p, solver.Options{TimeLimit: tt.limit, Seed: 1})
				if !errors.Is(err, tt.err) || (tt.err == nil && err != nil) {
					t.Fatalf("err = %v, want %v", err, tt.err)
				}
				if len(plan.Routes) != 0 || len(plan.Unassigned) != openOrders(p) {
					t.Fatalf("%d routes, %d unassigned; want none and all %d", len(plan.Routes), len(plan.Unassigned), openOrders(p))
				}
				for _, u := range plan.Unassigned {
					if len(u.Reasons) != 1 || u.Reasons[0] != tt.reason {
						t.Fatalf("%s: reasons %q, want %q", u.WorkOrderID, u.Reasons, tt.reason)
					}
				}
				assertChecked(t, p, plan)
			}
		})
	}
}

func openOrders(p *model.Problem) int {
	n := 0
	for i := range p.WorkOrders {
		if p.WorkOrders[i].Status.Open() {
			n++
		}
	}
	return n
}
