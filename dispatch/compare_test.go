package dispatch_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/dispatchd/dispatchd/dispatch"
	"github.com/dispatchd/dispatchd/model"
	"github.com/dispatchd/dispatchd/scenario"
)

// generatedDay is a day of 40 orders for 8 technicians: about a third of
// the orders fit no one or no time, so that every term of the objective
// has something to weigh.
func generatedDay(t *testing.T, seed uint64) *model.Problem {
	t.Helper()
	p, err := scenario.GenerateDay(scenario.DayOptions{Orders: 40, Technicians: 8, Seed: seed})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// sweepIterations is each plan's budget in the tests: iterations, not
// time, so that every run gives the same plans on any machine.
const sweepIterations = 5000

// TestWeightsMoveTheirKPIs is issue 14's Done-when: raising a weight moves
// the KPI it prices the right way. Each case sweeps the weight from the
// default policy on generated days where the effect is real (the KPI
// differs between the ends of the sweep), and requires that (1) the KPI
// at the highest value is strictly better than at the lowest, and (2) no
// step up the sweep makes the KPI worse by more than the tolerance. The
// search is a heuristic: a plan under a higher weight may land on a
// slightly worse local optimum for that KPI; the tolerances are the
// noise measured across seeds 1–3 at this budget (2.3% for travel, 4.3%
// for the spread of work on seed 2, which this test leaves out for that
// reason), rounded up, and zero where the issue says "never".
func TestWeightsMoveTheirKPIs(t *testing.T) {
	cases := []struct {
		weight string
		values []float64
		kpi    string
		seeds  []uint64
		// tolerance is how much worse, relatively, a step may leave the KPI.
		tolerance float64
	}{
		{"travel_time", []float64{0.5, 1, 2, 4, 8}, "travel_min", []uint64{1, 2, 3}, 0.03},
		{"lateness", []float64{0, 5, 50, 500}, "late_orders", []uint64{2, 3}, 0},
		{"lateness", []float64{0, 5, 50, 500}, "lateness_min", []uint64{2, 3}, 0},
		{"workload_balance", []float64{0, 0.5, 2, 8}, "work_std_dev_min", []uint64{1, 3}, 0.05},
		{"unassigned", []float64{1, 10, 100, 1000}, "unassigned", []uint64{1, 2, 3}, 0},
	}
	days := map[uint64]*model.Problem{}
	// One sweep serves every KPI asked of it on a day.
	sweeps := map[string]*dispatch.Comparison{}
	for _, tc := range cases {
		for _, seed := range tc.seeds {
			t.Run(fmt.Sprintf("%s/%s/day%d", tc.weight, tc.kpi, seed), func(t *testing.T) {
				p := days[seed]
				if p == nil {
					p = generatedDay(t, seed)
					days[seed] = p
				}
				key := fmt.Sprint(tc.weight, tc.values, seed)
				c := sweeps[key]
				if c == nil {
					var err error
					c, err = dispatch.Compare(t.Context(), p, nil, &dispatch.Sweep{Base: model.DefaultPolicy(), Weight: tc.weight, Values: tc.values},
						dispatch.CompareOptions{Iterations: sweepIterations, Seed: 1, Workers: 2})
					if err != nil {
						t.Fatal(err)
					}
					sweeps[key] = c
				}
				var row dispatch.KPIRow
				for _, r := range c.Sweep.Series {
					if r.Key == tc.kpi {
						row = r
					}
				}
				if len(row.Values) != len(tc.values) {
					t.Fatalf("series %s = %+v, want %d values", tc.kpi, row, len(tc.values))
				}
				first, last := float64(row.Values[0]), float64(row.Values[len(row.Values)-1])
				if !(last < first) {
					t.Errorf("%s at %s=%g is %g, at %g %g: want strictly less (values %v)", tc.kpi, tc.weight, tc.values[len(tc.values)-1], last, tc.values[0], first, row.Values)
				}
				for i := 1; i < len(row.Values); i++ {
					before, after := float64(row.Values[i-1]), float64(row.Values[i])
					if after > before*(1+tc.tolerance)+1e-9 {
						t.Errorf("%s rose from %g to %g as %s went from %g to %g: more than %g%% (values %v)",
							tc.kpi, before, after, tc.weight, tc.values[i-1], tc.values[i], 100*tc.tolerance, row.Values)
					}
				}
			})
		}
	}
}

// TestCompareMeasuresAndPrices checks the table against the plans it
// comes from: the objective matrix's diagonal is each plan's own
// objective, each plan priced under another policy is that policy's
// weights on its measures, and the KPIs count what the routes hold.
func TestCompareMeasuresAndPrices(t *testing.T) {
	p := generatedDay(t, 2)
	fast := model.DefaultPolicy()
	fast.Name, fast.Weights.TravelTime, fast.Weights.Lateness = "fast", 4, 5
	c, err := dispatch.Compare(t.Context(), p, []model.Policy{model.DefaultPolicy(), fast}, nil, dispatch.CompareOptions{Iterations: 2000, Seed: 1, Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(c.Order, ","); got != "default,fast" {
		t.Fatalf("order = %s", got)
	}
	for i, o := range c.Outcomes() {
		if o.Status != dispatch.CompareDone || o.Plan == nil {
			t.Fatalf("%s: status %s, plan %v", o.Policy.Name, o.Status, o.Plan != nil)
		}
		if d := float64(c.Matrix[i][i]) - o.Plan.Objective; math.Abs(d) > 1e-6*math.Max(1, o.Plan.Objective) {
			t.Errorf("%s: matrix diagonal %g, plan objective %g", o.Policy.Name, c.Matrix[i][i], o.Plan.Objective)
		}
		for j, under := range c.Outcomes() {
			want := under.Policy.Weights.Price(o.Plan.Measures).Total()
			if float64(c.Matrix[i][j]) != want || o.ObjectiveUnder[under.Policy.Name] != want {
				t.Errorf("%s under %s: matrix %g, objective_under %g; want %g", o.Policy.Name, under.Policy.Name, c.Matrix[i][j], o.ObjectiveUnder[under.Policy.Name], want)
			}
		}
		k := o.KPIs
		if k.Assigned+k.Unassigned != len(p.WorkOrders) {
			t.Errorf("%s: %d assigned + %d unassigned, want %d orders", o.Policy.Name, k.Assigned, k.Unassigned, len(p.WorkOrders))
		}
		byPriority := 0
		for _, n := range k.UnassignedByPriority {
			byPriority += n
		}
		if byPriority != k.Unassigned || len(k.UnassignedByPriority) != len(model.Priorities) {
			t.Errorf("%s: unassigned by priority %v, want every priority summing to %d", o.Policy.Name, k.UnassignedByPriority, k.Unassigned)
		}
		if k.Travel != o.Plan.KPIs.Travel || k.LateOrders > k.Assigned || k.WorstLateness > k.Lateness {
			t.Errorf("%s: KPIs %+v inconsistent with the plan's %+v", o.Policy.Name, k, o.Plan.KPIs)
		}
		u := k.Utilisation
		if !(u.Min <= u.Median && u.Median <= u.Max && u.Min <= u.Mean && u.Mean <= u.Max && u.StdDev >= 0 && u.Max <= 1) {
			t.Errorf("%s: utilisation %+v out of order", o.Policy.Name, u)
		}
		for _, u := range o.Plan.Unassigned {
			if _, ok := c.LeftOut[u.WorkOrderID]; !ok {
				t.Errorf("%s leaves out %s, which left_out_orders lacks", o.Policy.Name, u.WorkOrderID)
			}
		}
		if k.PreferredHits > k.PreferredOrders {
			t.Errorf("%s: %d preferred hits of %d orders", o.Policy.Name, k.PreferredHits, k.PreferredOrders)
		}
	}
	if len(c.Depots) != len(p.Technicians) {
		t.Errorf("%d depots for %d technicians", len(c.Depots), len(p.Technicians))
	}
	// The same input, seed and budget give the same comparison.
	again, err := dispatch.Compare(t.Context(), p, []model.Policy{model.DefaultPolicy(), fast}, nil, dispatch.CompareOptions{Iterations: 2000, Seed: 1, Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	for i := range c.Matrix {
		for j := range c.Matrix[i] {
			if c.Matrix[i][j] != again.Matrix[i][j] {
				t.Fatalf("matrix[%d][%d] = %g, then %g with one worker", i, j, c.Matrix[i][j], again.Matrix[i][j])
			}
		}
	}
}

func TestCompareRefusesBadInput(t *testing.T) {
	p := generatedDay(t, 1)
	def := model.DefaultPolicy()
	other := def
	other.Name = "other"
	bad := def
	bad.Name, bad.Weights.Lateness = "bad", -1
	cases := []struct {
		name     string
		policies []model.Policy
		sweep    *dispatch.Sweep
		field    string
	}{
		{"one policy", []model.Policy{def}, nil, "policies"},
		{"none", nil, nil, "policies"},
		{"named twice", []model.Policy{def, def}, nil, "policies[1].name"},
		{"bad weight", []model.Policy{def, bad}, nil, "policies[1].weights.lateness"},
		{"unnamed", []model.Policy{def, {Weights: model.DefaultWeights()}}, nil, "policies[1].name"},
		{"unknown weight", nil, &dispatch.Sweep{Base: def, Weight: "speed", Values: []float64{1, 2}}, "sweep.weight"},
		{"one value", nil, &dispatch.Sweep{Base: def, Weight: "travel_time", Values: []float64{1}}, "sweep.values"},
		{"value twice", nil, &dispatch.Sweep{Base: def, Weight: "travel_time", Values: []float64{1, 2, 1}}, "sweep.values[2]"},
		{"negative value", nil, &dispatch.Sweep{Base: def, Weight: "travel_time", Values: []float64{1, -2}}, "sweep.values[1]"},
		{"too many", nil, &dispatch.Sweep{Base: def, Weight: "travel_time", Values: []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}},
			"policies"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			pols := tc.policies
			if tc.name == "too many" {
				pols = []model.Policy{other}
			}
			c, err := dispatch.Compare(t.Context(), p, pols, tc.sweep, dispatch.CompareOptions{Iterations: 10})
			var ve *model.ValidationError
			if !errors.As(err, &ve) || c != nil {
				t.Fatalf("err = %v, comparison %v; want a validation error", err, c != nil)
			}
			found := false
			for _, fe := range ve.Errors {
				found = found || fe.Field == tc.field
			}
			if !found {
				t.Errorf("errors %v; want one on %s", ve.Errors, tc.field)
			}
		})
	}
}

// TestCompareCancelled: a cancelled compare keeps what its plans found
// and leaves the plans it never started pending.
func TestCompareCancelled(t *testing.T) {
	p := generatedDay(t, 1)
	ctx, cancel := context.WithCancel(t.Context())
	started := 0
	c, err := dispatch.Compare(ctx, p, nil, &dispatch.Sweep{Base: model.DefaultPolicy(), Weight: "travel_time", Values: []float64{1, 2, 4}},
		dispatch.CompareOptions{Iterations: 1 << 30, Seed: 1, Workers: 1, Observer: func(cp dispatch.CompareProgress) {
			if cp.Plans[0].Iterations > 0 && started == 0 {
				started++
				cancel()
			}
		}})
	if !errors.Is(err, context.Canceled) || c == nil {
		t.Fatalf("err = %v, comparison %v; want the partial comparison and context.Canceled", err, c != nil)
	}
	first := c.Policies[c.Order[0]]
	if first.Status != dispatch.CompareCancelled || first.Plan == nil {
		t.Errorf("first plan: status %s, plan kept %v; want cancelled with its best plan", first.Status, first.Plan != nil)
	}
	for _, name := range c.Order[1:] {
		if o := c.Policies[name]; o.Status != dispatch.ComparePending || o.Plan != nil {
			t.Errorf("%s: status %s, plan %v; want pending, none", name, o.Status, o.Plan != nil)
		}
	}
	if v := c.Table[0].Values[1]; !math.IsNaN(float64(v)) {
		t.Errorf("a pending plan's table value is %g, want NaN (null)", v)
	}
}

// TestCompareNamesStoredPolicies: a compare that names policies plans
// under the weights the policy book holds for them, and a sweep that
// names no base starts from the active policy; an unknown name is refused
// naming it.
func TestCompareNamesStoredPolicies(t *testing.T) {
	stores(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		fast := policyWith("fast", func(w *model.Weights) { w.TravelTime, w.Lateness = 4, 5 })
		if _, _, err := e.svc.PutPolicy(ctx, "fast", fast, operator("ops")); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.ActivatePolicy(ctx, "fast", operator("ops")); err != nil {
			t.Fatal(err)
		}
		req := &dispatch.CompareRequest{Problem: generatedDay(t, 2), Iterations: 500,
			Policies: []dispatch.PolicyRef{{Name: "default"}, {Name: "fast"}},
			Sweep:    &dispatch.SweepRequest{Weight: "distance", Values: []float64{0, 1}}}
		run, err := e.svc.StartCompare(ctx, req, operator("ops"))
		if err != nil {
			t.Fatal(err)
		}
		<-run.Done()
		rec := run.Record()
		if rec.Status != dispatch.CompareDone || rec.Comparison == nil {
			t.Fatalf("status %s, error %q", rec.Status, rec.Error)
		}
		if got := rec.Policies["fast"].Policy.Weights; got != fast.Weights {
			t.Errorf("fast planned under %+v, want the stored %+v", got, fast.Weights)
		}
		if rec.Sweep == nil || rec.Sweep.Base != "fast" {
			t.Fatalf("sweep %+v, want it based on the active policy fast", rec.Sweep)
		}
		for _, name := range rec.Sweep.Policies {
			if w := rec.Policies[name].Policy.Weights; w.TravelTime != 4 || w.Lateness != 5 {
				t.Errorf("sweep point %s planned under %+v, want fast's weights but distance", name, w)
			}
		}
		req.Policies[1].Name = "slow"
		_, err = e.svc.StartCompare(ctx, req, operator("ops"))
		var ve *model.ValidationError
		if !errors.As(err, &ve) || ve.Errors[0].Field != "policies[1].name" {
			t.Fatalf("unknown policy: err = %v, want a refusal naming policies[1].name", err)
		}
	})
}
