package api_test

import (
	"strings"
	"testing"
	"time"

	"github.com/dispatchd/dispatchd/api"
	"github.com/dispatchd/dispatchd/scenario"
)

// TestCompareReportOverHTTP serves the report of a compare run through
// the API, on each store: the page once it is done, a conflict while it
// runs, and the page of what a cancelled compare kept.
func TestCompareReportOverHTTP(t *testing.T) {
	stores(t, func(t *testing.T, st api.Store) {
		day, err := scenario.GenerateDay(scenario.DayOptions{Orders: 24, Technicians: 4, Seed: 3})
		if err != nil {
			t.Fatal(err)
		}
		ts := serveWith(t, api.Options{Store: st, MaxPlans: 2, Clock: func() time.Time { return at(5, 0) }})
		u := ts.URL
		operator := newKey(t, u, "operator", "tuning", "").Token
		viewer := newKey(t, u, "viewer", "wallboard", "").Token
		inline := map[string]any{"technicians": day.Technicians, "work_orders": day.WorkOrders}
		two := []any{map[string]any{"name": "default"}, map[string]any{"name": "short-drives", "weights": map[string]any{"travel_time": 4}}}

		var rec struct{ ID, Status string }
		expect(t, "compare", doAs(t, operator, "POST", u+"/v1/policies/compare?wait=true", map[string]any{"problem": inline, "policies": two,
			"iterations": 200, "sweep": map[string]any{"weight": "travel_time", "values": []float64{2, 0.5}}}), 200, &rec)
		var kept struct {
			Policies map[string]struct {
				Plan struct{ Unassigned []struct{} }
			}
		}
		expect(t, "read back", doAs(t, viewer, "GET", u+"/v1/policies/compare/"+rec.ID, nil), 200, &kept)
		leftOut := len(kept.Policies["default"].Plan.Unassigned) + len(kept.Policies["short-drives"].Plan.Unassigned)
		if leftOut == 0 {
			t.Fatal("the compare leaves no order out, so the test does not see them placed: make the day tighter")
		}
		page := doAs(t, viewer, "GET", u+"/v1/policies/compare/"+rec.ID+"/report", nil)
		expect(t, "report as viewer", page, 200, nil)
		if ct, csp := page.header.Get("Content-Type"), page.header.Get("Content-Security-Policy"); ct != "text/html; charset=utf-8" || !strings.Contains(csp, "default-src 'none'") {
			t.Errorf("the report's Content-Type %q, Content-Security-Policy %q", ct, csp)
		}
		// The figures that differ are charted (the report package's tests
		// count them exactly): some of the policies' and some of the sweep's.
		if strings.Count(page.body, `<svg class="kpi-chart"`) == 0 || strings.Count(page.body, `<svg class="sweep-chart"`) == 0 {
			t.Errorf("the report has %d KPI charts and %d sweep charts, want some of each",
				strings.Count(page.body, `<svg class="kpi-chart"`), strings.Count(page.body, `<svg class="sweep-chart"`))
		}
		for _, tc := range []struct {
			what string
			want int
		}{
			{`<svg class="route-map"`, 2},
			{`<path class="unassigned"`, leftOut}, // placed from the comparison's left_out_orders
			{`<rect class="depot"`, 2 * len(day.Technicians)},
			{"compare " + rec.ID, 1},
			{"<script", 0},
		} {
			if got := strings.Count(page.body, tc.what); got != tc.want {
				t.Errorf("%d × %s in the report, want %d", got, tc.what, tc.want)
			}
		}

		// While it runs there is nothing to show; once cancelled, what it kept.
		expect(t, "start long", doAs(t, operator, "POST", u+"/v1/policies/compare", map[string]any{"problem": inline, "policies": two, "time_limit_s": 30}), 202, &rec)
		expectProblem(t, "report of a running compare", doAs(t, viewer, "GET", u+"/v1/policies/compare/"+rec.ID+"/report", nil), 409, "")
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
		page = doAs(t, viewer, "GET", u+"/v1/policies/compare/"+rec.ID+"/report", nil)
		expect(t, "report of a cancelled compare", page, 200, nil)
		if !strings.Contains(page.body, "compare "+rec.ID+" · cancelled") {
			t.Errorf("the report of a cancelled compare does not say so")
		}
		expectProblem(t, "report of a plan id", doAs(t, viewer, "GET", u+"/v1/policies/compare/0123456789abcdef/report", nil), 404, "")
	})
}
