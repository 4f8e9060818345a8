package api_test

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dispatchd/dispatchd/api"
	"github.com/dispatchd/dispatchd/dispatch"
	"github.com/dispatchd/dispatchd/model"
	"github.com/dispatchd/dispatchd/store/storetest"
)

// walkWorkflow takes one order through the whole dispatch workflow over
// HTTP, as two dispatchers' desks and a technician's phone would, each
// with a key of its own that the admin creates, on a server whose clock
// says 09:30 on 2026-11-23. It checks each answer and, at the end, that
// the history has every step with who (the key), when and why, and that
// the event stream delivered an event for each, in order; then it lists
// the keys and revokes the phone's. It returns the ids of the two orders
// it walks and the tokens it used.
func walkWorkflow(t *testing.T, u string) (string, string, []string) {
	t.Helper()
	events := subscribe(t, u+"/v1/events", "")
	// The crew: W1 and W2 qualify; W3's EPA-608 lapsed in October.
	for _, id := range []string{"W1", "W2", "W3"} {
		tech := storetest.Technician(id)
		tech.Start = model.LatLng(39.70, -105.0)
		tech.End = nil
		tech.Breaks = nil
		if id == "W3" {
			tech.Certifications = []model.Certification{{Name: "EPA-608", Expires: model.Date{Year: 2026, Month: 10, Day: 31}}}
		}
		expect(t, "create "+id, do(t, "PUT", u+"/v1/technicians/"+id, tech), 201, nil)
	}
	desk3 := newKey(t, u, "dispatcher", "desk 3", "")
	desk4 := newKey(t, u, "dispatcher", "desk 4", "")
	phone := newKey(t, u, "technician", "W1's phone", "W1")
	as := func(k createdKey, method, path string, body any) response {
		t.Helper()
		return doAs(t, k.Token, method, u+path, body)
	}
	intake := func(site string) map[string]any {
		return map[string]any{
			"customer_id": "C1", "customer_name": "Acme Foods", "site_id": site, "equipment_id": "RTU-7", "job_type": "repair",
			"priority": "high", "location": map[string]any{"lat": 39.71, "lng": -105.01}, "address": "1 Acme Way",
			"duration_s": 3600, "required_skills": map[string]int{"hvac": 2}, "required_certifications": []string{"EPA-608"},
			"time_windows":        []map[string]any{{"start": at(13, 0), "end": at(15, 0)}},
			"access_instructions": "gate code 4411", "notes": "no cooling since morning",
		}
	}
	// A body that names its actor is refused: the key is the actor.
	withBy := intake("SITE-1")
	withBy["by"] = "someone else"
	expectProblem(t, "a body's by", as(desk3, "POST", "/v1/workorders", withBy), 400, "by")

	// Create, then the same again: refused, naming the first.
	var first model.WorkOrder
	expect(t, "create", as(desk3, "POST", "/v1/workorders", intake("SITE-1")), 201, &first)
	if first.Status != model.StatusCreated || first.ID == "" {
		t.Fatalf("created order %+v", first)
	}
	dup := as(desk3, "POST", "/v1/workorders", intake("SITE-1"))
	expectProblem(t, "duplicate", dup, 409, "")
	if p := decodeProblem(t, dup); !slices.Equal(p.Duplicates, []string{first.ID}) {
		t.Errorf("duplicate problem %+v, want it to name %s", p, first.ID)
	}

	// Suggestions: W3 is rejected for the lapsed certification.
	var sug model.Suggestions
	expect(t, "suggestions", as(desk3, "GET", "/v1/workorders/"+first.ID+"/suggestions?limit=5", nil), 200, &sug)
	var candidates []string
	for _, c := range sug.Candidates {
		candidates = append(candidates, c.TechnicianID)
	}
	if !slices.Contains(candidates, "W1") || !slices.Contains(candidates, "W2") || slices.Contains(candidates, "W3") {
		t.Errorf("candidates %v, want W1 and W2, not W3", candidates)
	}
	rejected := slices.IndexFunc(sug.Rejected, func(r model.Rejection) bool { return r.TechnicianID == "W3" })
	if rejected < 0 || !strings.Contains(strings.Join(sug.Rejected[rejected].Reasons, "; "), "EPA-608 certification expired 2026-10-31") {
		t.Errorf("rejections %+v, want W3 rejected for the EPA-608 that expired 2026-10-31", sug.Rejected)
	}

	// Dispatch to W1 at 13:00.
	dispatchBody := map[string]any{"technician_ids": []string{"W1"}, "scheduled_start": at(13, 0),
		"arrival_window": map[string]any{"start": at(12, 45), "end": at(13, 15)}, "notes": "ask for Sam"}
	var dispatched model.WorkOrder
	expect(t, "dispatch", as(desk3, "POST", "/v1/workorders/"+first.ID+"/dispatch", dispatchBody), 200, &dispatched)
	if dispatched.Status != model.StatusDispatched || !slices.Equal(dispatched.TechnicianIDs, []string{"W1"}) {
		t.Errorf("dispatched order %+v", dispatched)
	}
	expectProblem(t, "dispatch twice", as(desk3, "POST", "/v1/workorders/"+first.ID+"/dispatch", dispatchBody), 409, "")

	// A second order on W1 at 13:30 conflicts with the first.
	var second model.WorkOrder
	expect(t, "create second", as(desk4, "POST", "/v1/workorders", intake("SITE-2")), 201, &second)
	clash := map[string]any{"technician_ids": []string{"W1"}, "scheduled_start": at(13, 30)}
	refused := as(desk4, "POST", "/v1/workorders/"+second.ID+"/dispatch", clash)
	expectProblem(t, "conflicting dispatch", refused, 409, "")
	conflicts := decodeProblem(t, refused).Conflicts
	if !slices.ContainsFunc(conflicts, func(c model.Conflict) bool { return c.Kind == model.ConflictOverlap && c.Other == first.ID }) {
		t.Errorf("conflicts %+v, want an overlap with %s", conflicts, first.ID)
	}
	clash["override"] = true
	expect(t, "override", as(desk4, "POST", "/v1/workorders/"+second.ID+"/dispatch", clash), 200, nil)
	var reassigned model.WorkOrder
	expect(t, "reassign", as(desk4, "POST", "/v1/workorders/"+second.ID+"/reassign",
		map[string]any{"technician_ids": []string{"W2"}, "reason": "W1 is booked at 13:00"}), 200, &reassigned)
	if !slices.Equal(reassigned.TechnicianIDs, []string{"W2"}) {
		t.Errorf("reassigned to %v, want W2", reassigned.TechnicianIDs)
	}

	// The field: acknowledged, en route, on site, complete, from W1's
	// phone, which reads its order (gate code and all) but not W2's.
	var onPhone model.WorkOrder
	expect(t, "the phone reads its order", as(phone, "GET", "/v1/workorders/"+first.ID, nil), 200, &onPhone)
	if onPhone.AccessInstructions != "gate code 4411" {
		t.Errorf("the phone's order %+v, want its access instructions", onPhone)
	}
	expectProblem(t, "the phone reads W2's order", as(phone, "GET", "/v1/workorders/"+second.ID, nil), 403, "")
	status := func(body map[string]any) response {
		return as(phone, "POST", "/v1/workorders/"+first.ID+"/status", body)
	}
	expect(t, "acknowledged", status(map[string]any{"status": "acknowledged"}), 200, nil)
	expect(t, "en_route", status(map[string]any{"status": "en_route", "at": at(9, 20)}), 200, nil)
	expect(t, "on_site", status(map[string]any{"status": "on_site", "at": at(9, 29)}), 200, nil)
	expectProblem(t, "complete without an outcome", status(map[string]any{"status": "complete"}), 400, "outcome")
	expectProblem(t, "complete with an unknown outcome", status(map[string]any{"status": "complete", "outcome": map[string]any{"code": "meh"}}), 400, "outcome.code")
	var done model.WorkOrder
	expect(t, "complete", status(map[string]any{"status": "complete", "reason": "all cool again",
		"outcome": map[string]any{"code": "fixed", "notes": "new contactor", "labour_minutes": 55, "parts": []map[string]any{{"sku": "CT-40", "name": "contactor 40 A", "quantity": 1}}}}), 200, &done)
	if done.Status != model.StatusComplete || done.Outcome == nil || done.Outcome.LabourMinutes != 55 || done.OnSiteAt == nil || !done.OnSiteAt.Equal(at(9, 29)) {
		t.Errorf("completed order %+v", done)
	}
	lifecycle := as(desk3, "POST", "/v1/workorders/"+first.ID+"/status", map[string]any{"status": "en_route"})
	expectProblem(t, "a move after complete", lifecycle, 409, "")
	if p := decodeProblem(t, lifecycle); p.CurrentStatus != model.StatusComplete {
		t.Errorf("lifecycle problem %+v, want it to say the order is complete", p)
	}

	// The history has every step, with who, when and why.
	var hist struct{ History []model.HistoryEntry }
	expect(t, "history", do(t, "GET", u+"/v1/workorders/"+first.ID+"/history", nil), 200, &hist)
	var steps []string
	byKey := map[string]string{"desk 3": desk3.ID, "desk 4": desk4.ID, "W1's phone": phone.ID}
	for _, h := range hist.History {
		if h.By == "" || h.At.IsZero() || h.ByKey != byKey[h.By] {
			t.Errorf("history entry %d without who (the key's name and id) or when: %+v", h.Seq, h)
		}
		steps = append(steps, fmt.Sprintf("%s %s>%s by %s", h.Action, h.From, h.To, h.By))
	}
	want := []string{"created >created by desk 3", "dispatched created>dispatched by desk 3",
		"status dispatched>acknowledged by W1's phone", "status acknowledged>en_route by W1's phone",
		"status en_route>on_site by W1's phone", "status on_site>complete by W1's phone"}
	if !slices.Equal(steps, want) {
		t.Errorf("history\n%s\nwant\n%s", strings.Join(steps, "\n"), strings.Join(want, "\n"))
	}
	if last := hist.History[len(hist.History)-1]; last.Reason != "all cool again" || last.Outcome == nil {
		t.Errorf("the completion's entry %+v, want its reason and outcome", last)
	}
	expect(t, "second's history", do(t, "GET", u+"/v1/workorders/"+second.ID+"/history", nil), 200, &hist)
	var sawOverride, sawReassign bool
	for _, h := range hist.History {
		sawOverride = sawOverride || (h.Action == model.HistoryDispatched && len(h.Overridden) > 0 && h.By == "desk 4")
		sawReassign = sawReassign || (h.Action == model.HistoryReassigned && slices.Equal(h.FromTechnicians, []string{"W1"}) &&
			slices.Equal(h.ToTechnicians, []string{"W2"}) && h.Reason == "W1 is booked at 13:00")
	}
	if !sawOverride || !sawReassign {
		t.Errorf("second's history %+v, want the override and the reassignment from W1 to W2 with its reason", hist.History)
	}

	// The technician's day and the list.
	var sched struct {
		Stops []struct {
			WorkOrderID string       `json:"work_order_id"`
			Type        string       `json:"type"`
			Status      model.Status `json:"status"`
		}
		Conflicts []model.Conflict
	}
	expect(t, "W1's day", do(t, "GET", u+"/v1/technicians/W1/schedule", nil), 200, &sched)
	if len(sched.Stops) == 0 || sched.Stops[0].WorkOrderID != first.ID || sched.Stops[0].Status != model.StatusComplete {
		t.Errorf("W1's day %+v, want %s complete", sched, first.ID)
	}
	var page struct {
		WorkOrders []model.WorkOrder `json:"work_orders"`
		Next       string            `json:"next"`
	}
	expect(t, "open orders at SITE-2", do(t, "GET", u+"/v1/workorders?site_id=SITE-2&status=dispatched", nil), 200, &page)
	if len(page.WorkOrders) != 1 || page.WorkOrders[0].ID != second.ID {
		t.Errorf("orders at SITE-2 %+v", page.WorkOrders)
	}

	// A patch reports the conflicts it leaves a dispatched order with.
	var upd struct {
		WorkOrder model.WorkOrder  `json:"work_order"`
		Conflicts []model.Conflict `json:"conflicts"`
	}
	expectProblem(t, "a patch's by", as(desk3, "PATCH", "/v1/workorders/"+second.ID, map[string]any{"notes": "x", "by": "desk 9"}), 400, "by")
	expect(t, "reschedule", as(desk3, "PATCH", "/v1/workorders/"+second.ID, map[string]any{
		"time_windows": []map[string]any{{"start": at(16, 0), "end": at(16, 30)}}, "reason": "customer moved it"}), 200, &upd)
	if !slices.ContainsFunc(upd.Conflicts, func(c model.Conflict) bool { return c.Kind == model.ConflictWindow }) {
		t.Errorf("patch conflicts %+v, want the window the 13:30 start now misses", upd.Conflicts)
	}
	checkStreamed(t, events, u, first.ID, second.ID)
	events.cancel()

	// The keys: listed without tokens; the phone's revoked fails at once.
	list := do(t, "GET", u+"/v1/keys", nil)
	var keys struct{ Keys []createdKey }
	expect(t, "list keys", list, 200, &keys)
	for _, k := range []createdKey{desk3, desk4, phone} {
		if strings.Contains(list.body, k.Token) || !strings.Contains(list.body, k.ID) {
			t.Errorf("the key list %s shows a token, or lacks key %s", list.body, k.ID)
		}
	}
	expect(t, "revoke the phone", do(t, "DELETE", u+"/v1/keys/"+phone.ID, nil), 204, nil)
	expectProblem(t, "a revoked key", as(phone, "GET", "/v1/workorders/"+first.ID, nil), 401, "")
	return first.ID, second.ID, []string{desk3.Token, desk4.Token, phone.Token}
}

// TestWorkflowRefusesBadInput sends bad input to every workflow route and
// checks that each answer is a problem naming the field and that nothing
// changed.
func TestWorkflowRefusesBadInput(t *testing.T) {
	stores(t, func(t *testing.T, st api.Store) {
		ts := serveWith(t, api.Options{Store: st, Clock: func() time.Time { return at(9, 30) }})
		u := ts.URL
		expect(t, "technician", do(t, "PUT", u+"/v1/technicians/T1", storetest.Technician("T1")), 201, nil)
		order := map[string]any{"site_id": "S", "location": map[string]any{"lat": 39.7, "lng": -105}, "duration_s": 1800}
		var w model.WorkOrder
		expect(t, "create", do(t, "POST", u+"/v1/workorders", order), 201, &w)
		snapshot := func() string {
			var all []string
			for _, path := range []string{"/v1/workorders", "/v1/workorders/" + w.ID + "/history", "/v1/technicians/T1/schedule"} {
				all = append(all, do(t, "GET", u+path, nil).body)
			}
			return strings.Join(all, "\n")
		}
		before := snapshot()
		for _, tc := range []struct {
			name, method, path, body, field string
			status                          int
		}{
			{"unknown field", "POST", "/v1/workorders", `{"location":{"lat":39.7,"lng":-105},"duration_s":60,"colour":"red"}`, "colour", 400},
			{"bad time", "POST", "/v1/workorders", `{"location":{"lat":39.7,"lng":-105},"duration_s":60,"time_windows":[{"start":"noon","end":"2026-11-23T13:00:00Z"}]}`, "time_windows[0].start", 400},
			{"bad id", "POST", "/v1/workorders", `{"id":"a b","location":{"lat":39.7,"lng":-105},"duration_s":60}`, "id", 400},
			{"no duration", "POST", "/v1/workorders", `{"location":{"lat":39.7,"lng":-105}}`, "duration_s", 400},
			{"unknown technician", "POST", "/v1/workorders/" + w.ID + "/dispatch", `{"technician_ids":["T9"],"scheduled_start":"2026-11-23T10:00:00-07:00"}`, "technician_ids[0]", 400},
			{"bad start", "POST", "/v1/workorders/" + w.ID + "/dispatch", `{"technician_ids":["T1"],"scheduled_start":"10:00"}`, "scheduled_start", 400},
			{"unknown field in dispatch", "POST", "/v1/workorders/" + w.ID + "/dispatch", `{"technician_ids":["T1"],"scheduled_start":"2026-11-23T10:00:00-07:00","overide":true}`, "overide", 400},
			{"id outside the alphabet", "POST", "/v1/workorders/WO%20X/dispatch", `{"technician_ids":["T1"],"scheduled_start":"2026-11-23T10:00:00-07:00"}`, "id", 400},
			{"unknown order", "POST", "/v1/workorders/WO-999/dispatch", `{"technician_ids":["T1"],"scheduled_start":"2026-11-23T10:00:00-07:00"}`, "id", 404},
			{"reassign a created order", "POST", "/v1/workorders/" + w.ID + "/reassign", `{"technician_ids":["T1"],"scheduled_start":"2026-11-23T10:00:00-07:00"}`, "", 409},
			{"missing outcome", "POST", "/v1/workorders/" + w.ID + "/status", `{"status":"complete"}`, "outcome", 400},
			{"unknown status", "POST", "/v1/workorders/" + w.ID + "/status", `{"status":"finished"}`, "status", 400},
			{"illegal move", "POST", "/v1/workorders/" + w.ID + "/status", `{"status":"on_site"}`, "", 409},
			{"patch the status", "PATCH", "/v1/workorders/" + w.ID, `{"status":"complete"}`, "status", 400},
			{"patch a bad priority", "PATCH", "/v1/workorders/" + w.ID, `{"priority":"asap"}`, "priority", 400},
			{"patch allow_duplicate not a boolean", "PATCH", "/v1/workorders/" + w.ID, `{"notes":"x","allow_duplicate":"yes"}`, "allow_duplicate", 400},
			{"patch a miscased field", "PATCH", "/v1/workorders/" + w.ID, `{"Priority":"low"}`, "Priority", 400},
			{"patch a miscased field inside", "PATCH", "/v1/workorders/" + w.ID, `{"location":{"lat":39.7,"LNG":-105}}`, "location.LNG", 400},
			{"an actor in the body", "POST", "/v1/workorders/" + w.ID + "/status", `{"status":"cancelled","by":"desk 3"}`, "by", 400},
			{"bad list filter", "GET", "/v1/workorders?status=finished", "", "status[0]", 400},
			{"bad list date", "GET", "/v1/workorders?date=tomorrow", "", "date", 400},
			{"bad list limit", "GET", "/v1/workorders?limit=0", "", "limit", 400},
			{"bad suggestions limit", "GET", "/v1/workorders/" + w.ID + "/suggestions?limit=x", "", "limit", 400},
		} {
			var body any
			if tc.body != "" {
				body = tc.body
			}
			expectProblem(t, tc.name, do(t, tc.method, u+tc.path, body), tc.status, tc.field)
		}
		if after := snapshot(); after != before {
			t.Errorf("bad input changed the state:\nbefore %s\nafter  %s", before, after)
		}
	})
}

// TestPatchIntoDuplicateOverHTTP: a PATCH that moves an order to a site
// where an open order of the same equipment is wanted at the same time is
// 409 naming it, and changes nothing; allow_duplicate makes the change,
// and the history says whose duplicate it is.
func TestPatchIntoDuplicateOverHTTP(t *testing.T) {
	stores(t, func(t *testing.T, st api.Store) {
		ts := serveWith(t, api.Options{Store: st, Clock: func() time.Time { return at(9, 30) }})
		u := ts.URL
		order := func(site string) map[string]any {
			return map[string]any{"site_id": site, "equipment_id": "RTU-7", "location": map[string]any{"lat": 39.7, "lng": -105}, "duration_s": 1800,
				"time_windows": []map[string]any{{"start": at(13, 0), "end": at(15, 0)}}}
		}
		var first, second model.WorkOrder
		expect(t, "create", do(t, "POST", u+"/v1/workorders", order("S1")), 201, &first)
		expect(t, "create elsewhere", do(t, "POST", u+"/v1/workorders", order("S2")), 201, &second)
		before := do(t, "GET", u+"/v1/workorders/"+second.ID+"/history", nil).body
		dup := do(t, "PATCH", u+"/v1/workorders/"+second.ID, map[string]any{"site_id": "S1"})
		expectProblem(t, "patch into a duplicate", dup, 409, "")
		if p := decodeProblem(t, dup); !slices.Equal(p.Duplicates, []string{first.ID}) {
			t.Errorf("duplicate problem %+v, want it to name %s", p, first.ID)
		}
		if after := do(t, "GET", u+"/v1/workorders/"+second.ID+"/history", nil).body; after != before {
			t.Errorf("a refused patch changed the history:\nbefore %s\nafter  %s", before, after)
		}
		var res dispatch.UpdateResult
		expect(t, "patch allowed as a duplicate", do(t, "PATCH", u+"/v1/workorders/"+second.ID, map[string]any{"site_id": "S1", "allow_duplicate": true}), 200, &res)
		if res.WorkOrder.SiteID != "S1" {
			t.Errorf("patched order %+v, want it at S1", res.WorkOrder)
		}
		var h struct{ History []model.HistoryEntry }
		expect(t, "history", do(t, "GET", u+"/v1/workorders/"+second.ID+"/history", nil), 200, &h)
		if last := h.History[len(h.History)-1]; !slices.Equal(last.DuplicateOf, []string{first.ID}) {
			t.Errorf("last history entry %+v, want it to name %s as the duplicate", last, first.ID)
		}
	})
}

// TestConcurrentDispatchOverHTTP races 50 dispatches of different orders
// into one technician's hour, and 50 status updates of one order, through
// the HTTP API on each store.
func TestConcurrentDispatchOverHTTP(t *testing.T) {
	stores(t, func(t *testing.T, st api.Store) {
		ts := serveWith(t, api.Options{Store: st, Clock: func() time.Time { return at(7, 0) }})
		raceDispatches(t, []string{ts.URL})
	})
}

// raceDispatches creates 50 orders and dispatches them all at once into
// T-RACE's 10:00, through the servers in turn; exactly one may win. Then
// it sends 50 status moves to the winner at once and checks that its
// history walks the lifecycle.
func raceDispatches(t *testing.T, servers []string) {
	t.Helper()
	u := servers[0]
	tech := storetest.Technician("T-RACE")
	tech.Breaks = nil
	expect(t, "technician", do(t, "PUT", u+"/v1/technicians/T-RACE", tech), 201, nil)
	var ids []string
	for i := range 50 {
		var w model.WorkOrder
		expect(t, "create", do(t, "POST", u+"/v1/workorders", map[string]any{"site_id": fmt.Sprintf("RACE-%d", i),
			"location": map[string]any{"lat": 39.75, "lng": -104.98}, "duration_s": 3600}), 201, &w)
		ids = append(ids, w.ID)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	codes := map[int]int{}
	var winner string
	for i, id := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := do(t, "POST", servers[i%len(servers)]+"/v1/workorders/"+id+"/dispatch",
				map[string]any{"technician_ids": []string{"T-RACE"}, "scheduled_start": at(10, 0)})
			mu.Lock()
			defer mu.Unlock()
			codes[r.status]++
			if r.status == 200 {
				winner = id
			}
		}()
	}
	wg.Wait()
	if codes[200] != 1 || codes[409] != 49 {
		t.Fatalf("dispatch statuses %v, want one 200 and 49 409", codes)
	}
	moves := []string{"acknowledged", "en_route", "on_site", "complete", "cancelled"}
	for i := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			body := map[string]any{"status": moves[i%len(moves)]}
			if body["status"] == "complete" {
				body["outcome"] = map[string]any{"code": "fixed"}
			}
			r := do(t, "POST", servers[i%len(servers)]+"/v1/workorders/"+winner+"/status", body)
			if r.status != 200 && r.status != 409 {
				t.Errorf("status update: %d %s", r.status, r.body)
			}
		}()
	}
	wg.Wait()
	var hist struct{ History []model.HistoryEntry }
	expect(t, "history", do(t, "GET", u+"/v1/workorders/"+winner+"/history", nil), 200, &hist)
	at := model.StatusCreated
	for _, h := range hist.History {
		if h.Action != model.HistoryStatus && h.Action != model.HistoryDispatched {
			continue
		}
		if h.From != at {
			t.Errorf("history entry %d moves from %s, but the order was %s", h.Seq, h.From, at)
		}
		at = h.To
	}
	var w model.WorkOrder
	expect(t, "winner", do(t, "GET", u+"/v1/workorders/"+winner, nil), 200, &w)
	if w.Status != at {
		t.Errorf("the order is %s, its history ends at %s", w.Status, at)
	}
}
