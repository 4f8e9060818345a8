package api_test

import (
	"context"
	"testing"
	"time"

	"github.com/dispatchd/dispatchd/api"
	"github.com/dispatchd/dispatchd/model"
	"github.com/dispatchd/dispatchd/scenario"
	"github.com/dispatchd/dispatchd/store"
	"github.com/dispatchd/dispatchd/store/redisstore"
	"github.com/dispatchd/dispatchd/store/redistest"
)

// compareRecord is what the tests read of a compare's record.
type compareRecord struct {
	ID       string
	Status   string
	Error    string
	Progress struct{ Done, Total int }
	Basis    *struct {
		Orders []string `json:"work_order_ids"`
	}
	Order    []string
	Policies map[string]struct {
		Status string
		KPIs   struct {
			Assigned   int
			Unassigned int
			Travel     float64 `json:"travel_s"`
		}
		Objective      float64
		ObjectiveUnder map[string]float64 `json:"objective_under"`
		Plan           *model.Plan
	}
	Table []struct {
		Key    string
		Values []*float64
	}
	Matrix [][]float64 `json:"objective_matrix"`
	Sweep  *struct {
		Weight   string
		Policies []string
		Series   []struct {
			Key    string
			Values []float64
		}
	}
}

// TestCompareOverHTTP compares policies on the stored day through a real
// listener: an operator starts it in the background and reads it back, a
// viewer reads but may not start one, a sweep rides along, and bad input
// is refused naming the field, starting nothing.
func TestCompareOverHTTP(t *testing.T) {
	st := store.NewMemory()
	day, err := scenario.GenerateDay(scenario.DayOptions{Orders: 24, Technicians: 4, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, tech := range day.Technicians {
		if _, err := st.PutTechnician(ctx, tech); err != nil {
			t.Fatal(err)
		}
	}
	for _, w := range day.WorkOrders {
		w.Status = model.StatusCreated
		if err := st.PutWorkOrder(ctx, w); err != nil {
			t.Fatal(err)
		}
	}
	ts := serveWith(t, api.Options{Store: st, MaxPlans: 2, Clock: func() time.Time { return at(5, 0) }})
	u := ts.URL
	operator := newKey(t, u, "operator", "tuning", "").Token
	viewer := newKey(t, u, "viewer", "wallboard", "").Token
	dispatcher := newKey(t, u, "dispatcher", "desk", "").Token

	body := map[string]any{"date": "2026-11-23", "iterations": 400, "seed": 7,
		"policies": []any{map[string]any{"name": "default"},
			map[string]any{"name": "short-drives", "description": "drive less, accept some lateness", "weights": map[string]any{"travel_time": 4, "lateness": 10}}},
		"sweep": map[string]any{"weight": "workload_balance", "values": []float64{0, 2}}}
	r := doAs(t, operator, "POST", u+"/v1/policies/compare", body)
	var rec compareRecord
	expect(t, "start", r, 202, &rec)
	if loc := r.header.Get("Location"); loc != "/v1/policies/compare/"+rec.ID || rec.Status != "running" || rec.Progress.Total != 4 {
		t.Fatalf("started %+v at %q", rec, loc)
	}
	waitFor(t, func() bool {
		expect(t, "read as viewer", doAs(t, viewer, "GET", u+"/v1/policies/compare/"+rec.ID, nil), 200, &rec)
		return rec.Status != "running"
	})
	if rec.Status != "done" || rec.Progress.Done != 4 || rec.Basis == nil || len(rec.Basis.Orders) != len(day.WorkOrders) {
		t.Fatalf("compare ended %+v", rec)
	}
	want := []string{"default", "short-drives", "workload_balance=0", "workload_balance=2"}
	if len(rec.Order) != 4 || rec.Order[1] != want[1] || rec.Order[3] != want[3] || len(rec.Matrix) != 4 || len(rec.Matrix[0]) != 4 {
		t.Fatalf("order %v, matrix %v", rec.Order, rec.Matrix)
	}
	for i, name := range rec.Order {
		o := rec.Policies[name]
		if o.Status != "done" || o.Plan == nil || o.KPIs.Assigned+o.KPIs.Unassigned != len(day.WorkOrders) || rec.Matrix[i][i] != o.Objective || o.ObjectiveUnder[name] != o.Objective {
			t.Errorf("%s: %+v", name, o.KPIs)
		}
	}
	if rec.Sweep == nil || rec.Sweep.Weight != "workload_balance" || len(rec.Sweep.Series) != len(rec.Table) || len(rec.Sweep.Series[0].Values) != 2 {
		t.Errorf("sweep %+v", rec.Sweep)
	}
	// The stored day is what it was: a compare dispatches nothing.
	orders, err := st.ListWorkOrders(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range orders {
		if w.Status != model.StatusCreated {
			t.Errorf("%s is %s after a compare", w.ID, w.Status)
		}
	}

	expectProblem(t, "viewer starts", doAs(t, viewer, "POST", u+"/v1/policies/compare", body), 403, "")
	expectProblem(t, "dispatcher starts", doAs(t, dispatcher, "POST", u+"/v1/weights/compare", map[string]any{}), 403, "")
	expectProblem(t, "a plan id", doAs(t, viewer, "GET", u+"/v1/policies/compare/0123456789abcdef", nil), 404, "")
	expectProblem(t, "a compare is not a plan", doAs(t, viewer, "GET", u+"/v1/plans/"+rec.ID, nil), 404, "")

	inline := map[string]any{"technicians": day.Technicians, "work_orders": day.WorkOrders}
	two := []any{map[string]any{"name": "default"}, map[string]any{"name": "b", "weights": map[string]any{"travel_time": 2}}}
	for _, tc := range []struct {
		name  string
		body  any
		field string
	}{
		{"one policy", map[string]any{"problem": inline, "policies": two[:1]}, "policies"},
		{"named twice", map[string]any{"problem": inline, "policies": []any{two[1], two[1]}}, "policies[1].name"},
		{"unknown name", map[string]any{"problem": inline, "policies": []any{two[1], map[string]any{"name": "nightly"}}}, "policies[1].name"},
		{"bad weight", map[string]any{"problem": inline, "policies": []any{two[0], map[string]any{"name": "x", "weights": map[string]any{"lateness": -1}}}}, "policies[1].weights.lateness"},
		{"unknown weight", map[string]any{"problem": inline, "policies": []any{two[0], map[string]any{"name": "x", "weights": map[string]any{"latenes": 1}}}}, "policies[1].weights.latenes"},
		{"both problem and date", map[string]any{"problem": inline, "date": "2026-11-23", "policies": two}, "date"},
		{"neither", map[string]any{"policies": two}, "problem"},
		{"bad problem", map[string]any{"problem": map[string]any{"technicians": []any{}, "work_orders": []any{map[string]any{"id": "W"}}}, "policies": two}, "problem.work_orders[0].location"},
		{"time limit", map[string]any{"problem": inline, "policies": two, "time_limit_s": 400}, "time_limit_s"},
		{"sweep weight", map[string]any{"problem": inline, "sweep": map[string]any{"weight": "speed", "values": []float64{1, 2}}}, "sweep.weight"},
		{"unknown day", map[string]any{"date": "2026-11-23", "order_ids": []string{"nope"}, "policies": two}, "order_ids[0]"},
	} {
		expectProblem(t, tc.name, doAs(t, operator, "POST", u+"/v1/policies/compare", tc.body), 400, tc.field)
	}
	expectProblem(t, "simple form, one policy", doAs(t, operator, "POST", u+"/v1/weights/compare",
		map[string]any{"problem": inline, "policies": map[string]any{"A": map[string]any{}}}), 400, "policies")
	expectProblem(t, "simple form, bad weight", doAs(t, operator, "POST", u+"/v1/weights/compare",
		map[string]any{"problem": inline, "policies": map[string]any{"A": map[string]any{}, "B": map[string]any{"lateness": -1}}}), 400, "policies.B.lateness")
	expectProblem(t, "simple form, bad name", doAs(t, operator, "POST", u+"/v1/weights/compare",
		map[string]any{"problem": inline, "policies": map[string]any{"A": map[string]any{}, "B C": map[string]any{}}}), 400, "policies.B C")

	// Cancelled from the API: the plans keep what they found.
	long := map[string]any{"problem": inline, "policies": two, "time_limit_s": 30}
	expect(t, "start long", doAs(t, operator, "POST", u+"/v1/policies/compare", long), 202, &rec)
	expectProblem(t, "one compare per key", doAs(t, operator, "POST", u+"/v1/policies/compare", long), 429, "")
	waitFor(t, func() bool {
		var raw struct {
			Progress struct{ Plans []struct{ Iterations int } }
		}
		expect(t, "progress", doAs(t, viewer, "GET", u+"/v1/policies/compare/"+rec.ID, nil), 200, &raw)
		return len(raw.Progress.Plans) == 2 && raw.Progress.Plans[0].Iterations > 0
	})
	expect(t, "cancel", doAs(t, operator, "DELETE", u+"/v1/policies/compare/"+rec.ID, nil), 202, nil)
	waitFor(t, func() bool {
		expect(t, "read cancelled", doAs(t, viewer, "GET", u+"/v1/policies/compare/"+rec.ID, nil), 200, &rec)
		return rec.Status != "running"
	})
	if rec.Status != "cancelled" || rec.Policies["default"].Plan == nil {
		t.Errorf("cancelled compare: %s, default's plan kept %v", rec.Status, rec.Policies["default"].Plan != nil)
	}
}

// TestCompareAcrossReplicas runs a compare on one replica of a shared
// Redis and follows it from another: its progress and record are there,
// and a cancel sent there stops it where it runs. While its two plans
// run on the first replica's two slots, that replica takes no plan: a
// compare and the plans share one bound.
func TestCompareAcrossReplicas(t *testing.T) {
	prefix := redistest.Prefix("api-compare")
	open := func() *redisstore.Store {
		s, err := redisstore.Open(t.Context(), redistest.URL(t), redisstore.Options{Prefix: prefix})
		if err != nil {
			t.Fatalf("opening the Redis store: %v", err)
		}
		return s
	}
	a, b := open(), open()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := a.Purge(ctx); err != nil {
			t.Errorf("deleting the test's keys: %v", err)
		}
		a.Close()
		b.Close()
	})
	ua := serveWith(t, api.Options{Store: a, MaxPlans: 2}).URL
	ub := serveWith(t, api.Options{Store: b, MaxPlans: 2}).URL
	operator := newKey(t, ua, "operator", "tuning", "").Token
	dispatcher := newKey(t, ua, "dispatcher", "desk", "").Token
	day, err := scenario.GenerateDay(scenario.DayOptions{Orders: 60, Technicians: 6, Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	problem := map[string]any{"technicians": day.Technicians, "work_orders": day.WorkOrders}
	var rec compareRecord
	expect(t, "start on A", doAs(t, operator, "POST", ua+"/v1/policies/compare", map[string]any{"problem": problem, "time_limit_s": 60,
		"policies": []any{map[string]any{"name": "default"}, map[string]any{"name": "fast", "weights": map[string]any{"travel_time": 3}}}}), 202, &rec)
	id := rec.ID
	waitFor(t, func() bool {
		var raw struct {
			Progress struct {
				Plans []struct {
					Status     string
					Iterations int
				}
			}
		}
		expect(t, "progress on B", doAs(t, operator, "GET", ub+"/v1/policies/compare/"+id, nil), 200, &raw)
		p := raw.Progress.Plans
		return len(p) == 2 && p[0].Status == "running" && p[1].Status == "running" && p[0].Iterations > 0 && p[1].Iterations > 0
	})
	expectProblem(t, "a plan while the compare holds both slots", doAs(t, dispatcher, "POST", ua+"/v1/plans",
		map[string]any{"technicians": day.Technicians, "work_orders": day.WorkOrders, "iterations": 10}), 429, "")
	expect(t, "cancel on B", doAs(t, operator, "DELETE", ub+"/v1/policies/compare/"+id, nil), 202, nil)
	waitFor(t, func() bool {
		expect(t, "read on B", doAs(t, operator, "GET", ub+"/v1/policies/compare/"+id, nil), 200, &rec)
		return rec.Status != "running"
	})
	if rec.Status != "cancelled" || rec.Policies["default"].Plan == nil || rec.Policies["fast"].Plan == nil {
		t.Errorf("compare after a cancel on B: %s, plans kept %v %v", rec.Status, rec.Policies["default"].Plan != nil, rec.Policies["fast"].Plan != nil)
	}
	// The slots are free again.
	expect(t, "a plan after", doAs(t, dispatcher, "POST", ua+"/v1/plans?wait=true",
		map[string]any{"technicians": day.Technicians, "work_orders": day.WorkOrders, "iterations": 10}), 200, nil)
}
