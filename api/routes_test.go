package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dispatchd/dispatchd/api"
	"github.com/dispatchd/dispatchd/model"
	"github.com/dispatchd/dispatchd/scenario"
	"github.com/dispatchd/dispatchd/store/storetest"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// do sends a request as the test admin.
func do(t *testing.T, method, url string, body any) response {
	t.Helper()
	return doAs(t, testAdmin, method, url, body)
}

// expect fails the test unless the response has the status, and returns
// its body decoded into v (if not nil).
func expect(t *testing.T, what string, r response, status int, v any) {
	t.Helper()
	if r.status != status {
		t.Fatalf("%s: status %d, want %d: %s", what, r.status, status, r.body)
	}
	if v != nil {
		if err := json.Unmarshal([]byte(r.body), v); err != nil {
			t.Fatalf("%s: decoding %s: %v", what, r.body, err)
		}
	}
}

// expectProblem fails the test unless the response is a problem of the
// status that names the field.
func expectProblem(t *testing.T, what string, r response, status int, field string) {
	t.Helper()
	if r.status != status {
		t.Fatalf("%s: status %d, want %d: %s", what, r.status, status, r.body)
	}
	p := decodeProblem(t, r)
	if field == "" {
		return
	}
	for _, fe := range p.Errors {
		if fe.Field == field {
			return
		}
	}
	t.Errorf("%s: errors %+v do not name %s", what, p.Errors, field)
}

type workOrderPutter interface {
	PutWorkOrder(ctx context.Context, w model.WorkOrder) error
}

var zone = time.FixedZone("MST", -7*3600)

func at(h, m int) time.Time { return time.Date(2026, 11, 23, h, m, 0, 0, zone) }

// TestEveryRoute walks the whole API on each store, Redis real, and checks
// at the end that every route of the table was served.
func TestEveryRoute(t *testing.T) {
	stores(t, func(t *testing.T, st api.Store) {
		reg := prometheus.NewRegistry()
		reg.MustRegister(collectors.NewGoCollector())
		ts := serveWith(t, api.Options{Store: st, Registry: reg, MaxPlans: 1, DefaultPlanTime: 2 * time.Second,
			Clock: func() time.Time { return at(9, 30) }})
		u := ts.URL
		expect(t, "healthz", do(t, "GET", u+"/healthz", nil), 200, nil)
		expect(t, "readyz", do(t, "GET", u+"/readyz", nil), 200, nil)
		var doc map[string]any
		expect(t, "openapi", do(t, "GET", u+"/openapi.json", nil), 200, &doc)

		// Technicians.
		t1 := storetest.Technician("T1")
		expect(t, "create T1", do(t, "PUT", u+"/v1/technicians/T1", t1), 201, nil)
		expect(t, "replace T1", do(t, "PUT", u+"/v1/technicians/T1", t1), 200, nil)
		t2 := storetest.Technician("T2")
		t2.Skills = model.Skills{"plumbing": 2}
		expect(t, "create T2", do(t, "PUT", u+"/v1/technicians/T2", t2), 201, nil)
		bad := storetest.Technician("T3")
		bad.Shift.End = bad.Shift.Start.Add(-time.Hour)
		expectProblem(t, "invalid technician", do(t, "PUT", u+"/v1/technicians/T3", bad), 400, "shift.end")
		expectProblem(t, "id mismatch", do(t, "PUT", u+"/v1/technicians/T4", t1), 400, "id")
		expectProblem(t, "unknown field", do(t, "PUT", u+"/v1/technicians/T4", `{"id":"T4","skils":{}}`), 400, "skils")
		var view struct {
			model.Technician
			Live *struct{ Position model.Position } `json:"live"`
		}
		expect(t, "get T1", do(t, "GET", u+"/v1/technicians/T1", nil), 200, &view)
		if view.ID != "T1" || view.Live != nil {
			t.Errorf("T1 = %+v, want no live state yet", view)
		}
		expectProblem(t, "get unknown", do(t, "GET", u+"/v1/technicians/T9", nil), 404, "id")

		// Live positions: a newer fix wins, an older one is ignored.
		var loc struct{ Applied bool }
		expect(t, "ping", do(t, "POST", u+"/v1/technicians/T1/location", map[string]any{"lat": 39.75, "lng": -104.98, "at": at(9, 0)}), 200, &loc)
		if !loc.Applied {
			t.Error("the first ping was not applied")
		}
		expect(t, "older ping", do(t, "POST", u+"/v1/technicians/T1/location", map[string]any{"lat": 39.0, "lng": -105.5, "at": at(8, 59)}), 200, &loc)
		if loc.Applied {
			t.Error("an older ping was applied")
		}
		expectProblem(t, "ping unknown", do(t, "POST", u+"/v1/technicians/T9/location", map[string]any{"lat": 39.75, "lng": -104.98, "at": at(9, 0)}), 404, "")
		expectProblem(t, "bad ping", do(t, "POST", u+"/v1/technicians/T1/location", map[string]any{"lat": 95, "lng": -104.98, "at": at(9, 1)}), 400, "lat")
		expectProblem(t, "ping of an unknown status", do(t, "POST", u+"/v1/technicians/T1/location", map[string]any{"lat": 39.75, "lng": -104.98, "at": at(9, 1), "status": "napping"}), 400, "status")
		// The clock says 09:30: a fix stamped 09:45 comes from a device whose
		// clock is wrong, and would pin T1 there if kept.
		expectProblem(t, "ping from the future", do(t, "POST", u+"/v1/technicians/T1/location", map[string]any{"lat": 39.76, "lng": -104.98, "at": at(9, 45)}), 400, "at")
		expect(t, "get T1 live", do(t, "GET", u+"/v1/technicians/T1", nil), 200, &view)
		if view.Live == nil || view.Live.Position.Lat != 39.75 || !view.Live.Position.At.Equal(at(9, 0)) {
			t.Errorf("T1 live = %+v, want the 09:00 fix", view.Live)
		}
		for _, tt := range []struct{ query, want string }{
			{"", "T1,T2"}, {"?skill=hvac", "T1"}, {"?active=false", ""}, {"?active=true&skill=plumbing", "T2"},
			{"?near=39.75,-104.98&radius_m=1000", "T1"}, {"?near=39.0,-105.5", ""},
		} {
			var list struct{ Technicians []model.Technician }
			expect(t, "list "+tt.query, do(t, "GET", u+"/v1/technicians"+tt.query, nil), 200, &list)
			var ids []string
			for _, x := range list.Technicians {
				ids = append(ids, x.ID)
			}
			if got := strings.Join(ids, ","); got != tt.want {
				t.Errorf("GET /v1/technicians%s = %q, want %q", tt.query, got, tt.want)
			}
		}
		expectProblem(t, "bad near", do(t, "GET", u+"/v1/technicians?near=north", nil), 400, "near")
		// ParseFloat reads "NaN", and NaN fails every comparison, so a
		// range check written as v <= 0 would let it through to the store.
		expectProblem(t, "NaN radius", do(t, "GET", u+"/v1/technicians?near=39.75,-104.98&radius_m=NaN", nil), 400, "radius_m")
		expectProblem(t, "NaN near", do(t, "GET", u+"/v1/technicians?near=NaN,-104.98", nil), 400, "near")

		// Work orders and a day with a conflict.
		for i, start := range []time.Time{at(10, 0), at(10, 20)} {
			w := storetest.WorkOrder(fmt.Sprintf("WO-%d", i+1))
			w.TechnicianIDs, w.ScheduledStart, w.PreferredTechnicians, w.ExcludedTechnicians = []string{"T1"}, &start, nil, nil
			w.Location = model.LatLng(39.75+0.01*float64(i), -104.98)
			w.RequiredCertifications = nil
			if err := st.(workOrderPutter).PutWorkOrder(t.Context(), w); err != nil {
				t.Fatal(err)
			}
		}
		var orders struct {
			WorkOrders []model.WorkOrder `json:"work_orders"`
		}
		expect(t, "list orders", do(t, "GET", u+"/v1/workorders", nil), 200, &orders)
		if len(orders.WorkOrders) != 2 {
			t.Errorf("%d orders", len(orders.WorkOrders))
		}
		expect(t, "get order", do(t, "GET", u+"/v1/workorders/WO-1", nil), 200, nil)
		expectProblem(t, "get unknown order", do(t, "GET", u+"/v1/workorders/WO-9", nil), 404, "id")
		var sched struct {
			Stops []struct {
				WorkOrderID string `json:"work_order_id"`
			}
			Conflicts []struct {
				WorkOrderID string `json:"work_order_id"`
				Kind        string
			}
		}
		expect(t, "schedule", do(t, "GET", u+"/v1/technicians/T1/schedule?date=2026-11-23", nil), 200, &sched)
		if len(sched.Stops) != 2 || len(sched.Conflicts) == 0 || sched.Conflicts[0].Kind != "overlap" || sched.Conflicts[0].WorkOrderID != "WO-2" {
			t.Errorf("schedule %+v, want two stops and WO-2 overlapping", sched)
		}
		expectProblem(t, "bad date", do(t, "GET", u+"/v1/technicians/T1/schedule?date=23/11", nil), 400, "date")

		// Suggestions against the stored day use the stored position.
		order := map[string]any{"id": "NEW", "location": map[string]any{"lat": 39.751, "lng": -104.981}, "duration_s": 1800, "required_skills": map[string]int{"hvac": 1}}
		var sug model.Suggestions
		expect(t, "stored suggest", do(t, "POST", u+"/v1/suggest", map[string]any{"work_order": order, "now": at(9, 5)}), 200, &sug)
		if len(sug.Candidates) == 0 || sug.Candidates[0].TechnicianID != "T1" || sug.Candidates[0].Travel > 60 {
			t.Errorf("stored suggestion %+v, want T1 from its live position (under a minute away)", sug.Candidates)
		}
		var slots struct{ Slots []model.Slot }
		expect(t, "stored slots", do(t, "POST", u+"/v1/slots", map[string]any{"work_order": order, "now": at(9, 5)}), 200, &slots)

		// Policies: the active one prices the stored suggestions.
		walkPolicies(t, u, order)

		// Plans: in the background, waited for, cancelled, refused.
		day, err := scenario.GenerateDay(scenario.DayOptions{Orders: 20, Technicians: 3, Seed: 4})
		if err != nil {
			t.Fatal(err)
		}
		body := map[string]any{"technicians": day.Technicians, "work_orders": day.WorkOrders, "iterations": 300, "seed": 2}
		var rec struct {
			ID, Status string
			Routes     []model.Route
			Progress   struct{ Iterations int }
		}
		expect(t, "post plan", do(t, "POST", u+"/v1/plans", body), 202, &rec)
		id := rec.ID
		waitFor(t, func() bool {
			expect(t, "get plan", do(t, "GET", u+"/v1/plans/"+id, nil), 200, &rec)
			return rec.Status != "running"
		})
		if rec.Status != "done" || len(rec.Routes) == 0 {
			t.Fatalf("plan %s ended %s with %d routes", id, rec.Status, len(rec.Routes))
		}
		var fc struct {
			Type     string
			Features []struct{ Geometry struct{ Type string } }
		}
		expect(t, "geojson", do(t, "GET", u+"/v1/plans/"+id+"/geojson", nil), 200, &fc)
		if fc.Type != "FeatureCollection" || len(fc.Features) < len(rec.Routes) {
			t.Errorf("geojson %+v", fc)
		}
		expectProblem(t, "cancel a done plan", do(t, "DELETE", u+"/v1/plans/"+id, nil), 409, "")
		expect(t, "plan waited for", do(t, "POST", u+"/v1/plans?wait=true", body), 200, &rec)
		if rec.Status != "done" {
			t.Errorf("waited plan is %s", rec.Status)
		}
		long := map[string]any{"technicians": day.Technicians, "work_orders": day.WorkOrders, "time_limit_s": 60}
		expect(t, "long plan", do(t, "POST", u+"/v1/plans", long), 202, &rec)
		longID := rec.ID
		busy := do(t, "POST", u+"/v1/plans", long)
		expectProblem(t, "plan beyond the limit", busy, 429, "")
		if busy.header.Get("Retry-After") == "" {
			t.Error("429 without Retry-After")
		}
		// Cancel once the search has begun, so that there is a plan to keep:
		// a plan cancelled while its first plan is being built keeps what
		// was built by then, which may be nothing.
		waitFor(t, func() bool {
			expect(t, "get long plan", do(t, "GET", u+"/v1/plans/"+longID, nil), 200, &rec)
			return rec.Progress.Iterations > 0
		})
		expect(t, "cancel", do(t, "DELETE", u+"/v1/plans/"+longID, nil), 202, nil)
		waitFor(t, func() bool {
			expect(t, "get cancelled plan", do(t, "GET", u+"/v1/plans/"+longID, nil), 200, &rec)
			return rec.Status != "running"
		})
		if rec.Status != "cancelled" || len(rec.Routes) == 0 {
			t.Errorf("cancelled plan is %s with %d routes; want cancelled, keeping the best plan found", rec.Status, len(rec.Routes))
		}
		expectProblem(t, "unknown plan", do(t, "GET", u+"/v1/plans/nope", nil), 404, "")
		expectProblem(t, "invalid plan", do(t, "POST", u+"/v1/plans", `{"technicians":[],"work_orders":[{"id":"W"}]}`), 400, "work_orders[0].location")

		// Compares: waited for, read back, refused when done; the simple form.
		problem := map[string]any{"technicians": day.Technicians, "work_orders": day.WorkOrders}
		var cmp struct {
			ID, Status string
			Policies   map[string]struct{ Objective float64 }
		}
		expect(t, "compare", do(t, "POST", u+"/v1/policies/compare?wait=true", map[string]any{"problem": problem, "iterations": 100,
			"policies": []any{map[string]any{"name": "default"}, map[string]any{"name": "fast", "weights": map[string]any{"travel_time": 4}}}}), 200, &cmp)
		if cmp.Status != "done" || len(cmp.Policies) != 2 {
			t.Errorf("compare %+v", cmp)
		}
		expect(t, "get compare", do(t, "GET", u+"/v1/policies/compare/"+cmp.ID, nil), 200, &cmp)
		page := do(t, "GET", u+"/v1/policies/compare/"+cmp.ID+"/report", nil)
		expect(t, "compare report", page, 200, nil)
		if ct := page.header.Get("Content-Type"); ct != "text/html; charset=utf-8" || strings.Count(page.body, `<svg class="route-map"`) != 2 || !strings.Contains(page.body, cmp.ID) {
			t.Errorf("compare report: %s, %d maps, id %s named: %t", ct, strings.Count(page.body, `<svg class="route-map"`), cmp.ID, strings.Contains(page.body, cmp.ID))
		}
		expectProblem(t, "report of no compare", do(t, "GET", u+"/v1/policies/compare/cmp-nope/report", nil), 404, "")
		expectProblem(t, "cancel a done compare", do(t, "DELETE", u+"/v1/policies/compare/"+cmp.ID, nil), 409, "")
		var simple struct {
			Status   string
			Policies map[string]struct {
				KPIs struct {
					Travel *float64 `json:"travel_s"`
				}
			}
		}
		expect(t, "weights compare", do(t, "POST", u+"/v1/weights/compare", map[string]any{"problem": problem, "iterations": 100,
			"policies": map[string]any{"A": map[string]any{}, "B": map[string]any{"lateness": 1}}}), 200, &simple)
		if simple.Status != "done" || len(simple.Policies) != 2 || simple.Policies["A"].KPIs.Travel == nil {
			t.Errorf("weights compare %+v", simple)
		}

		// Deleting a technician takes their live state with them.
		expect(t, "delete T2", do(t, "DELETE", u+"/v1/technicians/T2", nil), 204, nil)
		expectProblem(t, "get deleted", do(t, "GET", u+"/v1/technicians/T2", nil), 404, "id")
		expectProblem(t, "delete again", do(t, "DELETE", u+"/v1/technicians/T2", nil), 404, "id")

		// A webhook for the technicians' phones hears of the workflow.
		phones := newReceiver(t)
		var hook struct {
			ID, Secret string
		}
		expect(t, "webhook", do(t, "POST", u+"/v1/webhooks", map[string]any{"url": phones.URL, "secret": "phones-secret-0123",
			"types": []string{"workorder.dispatched", "workorder.reassigned"}}), 201, &hook)
		phones.secret = hook.Secret
		expectProblem(t, "bad webhook", do(t, "POST", u+"/v1/webhooks", map[string]any{"url": "gopher://x"}), 400, "url")

		// The dispatch workflow, from intake to close-out.
		first, second, _ := walkWorkflow(t, u)

		// Dispatched to W1, to W1 again (override), reassigned from W1 to
		// W2: four notifications, each signed, in any order (deliveries
		// run in parallel).
		var told []string
		for _, b := range phones.wait(t, 4) {
			if b.Notification == nil {
				t.Fatalf("a delivery without a notification: %+v", b)
			}
			m := b.Notification.Message
			told = append(told, b.Notification.TechnicianID+": "+m[:strings.Index(m, ")")+1])
		}
		slices.Sort(told)
		want := []string{
			"W1: Work order " + first + " assigned to Ana Ruiz (W1)",
			"W1: Work order " + second + " assigned to Ana Ruiz (W1)",
			"W1: Work order " + second + " reassigned to Ana Ruiz (W2)",
			"W2: Work order " + second + " assigned from Ana Ruiz (W1)",
		}
		slices.Sort(want)
		if !slices.Equal(told, want) {
			t.Errorf("told %q, want %q", told, want)
		}
		var hooks struct {
			Webhooks []struct{ ID, URL, Secret string }
		}
		expect(t, "list webhooks", do(t, "GET", u+"/v1/webhooks", nil), 200, &hooks)
		if len(hooks.Webhooks) != 1 || hooks.Webhooks[0].URL != phones.URL || hooks.Webhooks[0].Secret != "" {
			t.Errorf("webhooks %+v, want one, without its secret", hooks)
		}
		expect(t, "get webhook", do(t, "GET", u+"/v1/webhooks/"+hook.ID, nil), 200, nil)
		var log struct {
			Deliveries []struct{ Status string }
		}
		expect(t, "deliveries", do(t, "GET", u+"/v1/webhooks/"+hook.ID+"/deliveries?limit=10", nil), 200, &log)
		if len(log.Deliveries) != 4 || log.Deliveries[0].Status != "delivered" {
			t.Errorf("deliveries %+v, want four delivered", log.Deliveries)
		}
		expectProblem(t, "bad deliveries limit", do(t, "GET", u+"/v1/webhooks/"+hook.ID+"/deliveries?limit=0", nil), 400, "limit")
		var resent struct{ Queued int }
		expect(t, "notify", do(t, "POST", u+"/v1/workorders/"+first+"/notify", nil), 200, &resent)
		if again := phones.wait(t, 5)[4]; resent.Queued != 1 || !again.Resent || again.Notification == nil || again.Notification.TechnicianID != "W1" ||
			!strings.HasPrefix(again.Notification.Message, "Work order "+first+" assigned to") {
			t.Errorf("resent %d: %+v", resent.Queued, again)
		}

		// Gone, it hears no more (of the plan below).
		expect(t, "delete webhook", do(t, "DELETE", u+"/v1/webhooks/"+hook.ID, nil), 204, nil)
		expectProblem(t, "deleted webhook", do(t, "GET", u+"/v1/webhooks/"+hook.ID, nil), 404, "id")

		// Batch dispatch: the stored day planned, and the plan applied.
		var late model.WorkOrder
		expect(t, "a late order", do(t, "POST", u+"/v1/workorders", map[string]any{"site_id": "SITE-9", "location": map[string]any{"lat": 39.72, "lng": -105.0},
			"duration_s": 1800, "time_windows": []map[string]any{{"start": at(15, 0), "end": at(16, 30)}}}), 201, &late)
		expect(t, "plan the day", do(t, "POST", u+"/v1/plans?wait=true", map[string]any{"date": "2026-11-23", "order_ids": []string{late.ID}, "iterations": 200}), 200, &rec)
		var applied struct {
			Applied []struct {
				WorkOrderID string `json:"work_order_id"`
			}
		}
		expect(t, "apply", do(t, "POST", u+"/v1/plans/"+rec.ID+"/apply", nil), 200, &applied)
		if len(applied.Applied) != 1 || applied.Applied[0].WorkOrderID != late.ID {
			t.Errorf("applied %+v, want %s", applied, late.ID)
		}
		expectProblem(t, "apply twice", do(t, "POST", u+"/v1/plans/"+rec.ID+"/apply", nil), 409, "")

		// The workflow's event stream has ended: its request is counted.
		var metrics string
		waitFor(t, func() bool {
			metrics = do(t, "GET", u+"/metrics", nil).body
			return strings.Contains(metrics, `route="/v1/events"`)
		})
		for _, want := range []string{"dispatchd_plans_finished_total{status=\"done\"} 3", "dispatchd_plans_finished_total{status=\"cancelled\"} 1",
			`dispatchd_plans_applied_total{mode="whole"} 1`, `dispatchd_plan_orders_total{outcome="applied"} 1`,
			`dispatchd_webhook_attempts_total{outcome="delivered"} 5`, "dispatchd_webhook_attempt_duration_seconds_count 5",
			`dispatchd_events_published_total{type="workorder.dispatched"} 3`, `dispatchd_events_published_total{type="plan.applied"} 1`,
			"dispatchd_suggest_duration_seconds_count 5", "dispatchd_suggest_candidates_count 5",
			`dispatchd_store_records{kind="technicians"} 4`, "dispatchd_plan_duration_seconds_count 4", "go_goroutines"} {
			if !strings.Contains(metrics, want) {
				t.Errorf("/metrics lacks %q", want)
			}
		}
		served := regexp.MustCompile(`dispatchd_http_requests_total\{method="(\w+)",route="([^"]+)"`).FindAllStringSubmatch(metrics, -1)
		seen := map[string]bool{}
		for _, m := range served {
			seen[m[1]+" "+m[2]] = true
		}
		seen["GET /metrics"] = true // counted after this scrape
		for path, ops := range doc["paths"].(map[string]any) {
			for method := range ops.(map[string]any) {
				if key := strings.ToUpper(method) + " " + path; !seen[key] {
					t.Errorf("route %s was not exercised", key)
				}
			}
		}
	})
}

// waitFor polls cond until it holds, for up to 20 s.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("gave up waiting")
		}
		time.Sleep(50 * time.Millisecond)
	}
}
