package api_test

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/dispatchd/dispatchd/api"
	"github.com/dispatchd/dispatchd/model"
	"github.com/dispatchd/dispatchd/store"
	"github.com/dispatchd/dispatchd/store/storetest"
)

// policyView is a policy as the API answers it.
type policyView struct {
	model.Policy
	Active bool `json:"active"`
}

// policyBook is the answer of GET /v1/policies.
type policyBook struct {
	Active   string         `json:"active"`
	Policies []model.Policy `json:"policies"`
}

// policyHistory is the answer of GET /v1/policies/history.
type policyHistory struct {
	Changes []model.PolicyChange `json:"changes"`
}

// walkPolicies exercises every policy route on a server whose stored day
// has a technician near order, as TestEveryRoute sets it up: the active
// policy prices the stored suggestions, a request may name another
// without changing it, and changes are recorded. It makes three
// suggestions that succeed.
func walkPolicies(t *testing.T, u string, order map[string]any) {
	t.Helper()
	var active policyView
	expect(t, "weights", do(t, "GET", u+"/v1/weights", nil), 200, &active)
	if active.Name != model.DefaultPolicyName || !active.Active || active.Weights != model.DefaultWeights() || active.ScoreScale != model.DefaultScoreScale {
		t.Fatalf("GET /v1/weights = %+v, want the built-in default", active)
	}
	var book policyBook
	expect(t, "policies", do(t, "GET", u+"/v1/policies", nil), 200, &book)
	if book.Active != "default" || len(book.Policies) != 1 || book.Policies[0] != model.DefaultPolicy() {
		t.Fatalf("GET /v1/policies = %+v, want only the built-in default, active", book)
	}
	suggest := func(what string, extra map[string]any) model.Candidate {
		t.Helper()
		body := map[string]any{"work_order": order, "now": at(9, 5)}
		for k, v := range extra {
			body[k] = v
		}
		var sug model.Suggestions
		expect(t, what, do(t, "POST", u+"/v1/suggest", body), 200, &sug)
		if len(sug.Candidates) == 0 {
			t.Fatalf("%s: no candidates", what)
		}
		return sug.Candidates[0]
	}
	before := suggest("suggest under the default", nil)

	// A policy that prices driving ten times higher, put by name; weights
	// left out are the defaults.
	var put policyView
	expect(t, "put drive-less", do(t, "PUT", u+"/v1/policies/drive-less", map[string]any{"description": "driving costs ten times more",
		"weights": map[string]any{"travel_time": 10}}), 201, &put)
	want := model.DefaultWeights()
	want.TravelTime = 10
	if put.Name != "drive-less" || put.Weights != want || put.ScoreScale != model.DefaultScoreScale || put.Active {
		t.Errorf("PUT answered %+v, want drive-less with travel_time 10 and the default scale, not active", put)
	}
	expectProblem(t, "put a bad policy", do(t, "PUT", u+"/v1/policies/drive-less", map[string]any{"weights": map[string]any{"travel_time": -1}}), 400, "weights.travel_time")
	expectProblem(t, "weights and policy", do(t, "POST", u+"/v1/suggest", map[string]any{"work_order": order, "now": at(9, 5), "policy": "drive-less", "weights": map[string]any{}}), 400, "policy")
	expectProblem(t, "unknown policy", do(t, "POST", u+"/v1/suggest", map[string]any{"work_order": order, "now": at(9, 5), "policy": "nope"}), 400, "policy")

	// Named for one request, it prices that request only.
	named := suggest("suggest under drive-less", map[string]any{"policy": "drive-less"})
	if before.Cost <= 0 || named.Cost <= before.Cost || named.Score >= before.Score {
		t.Errorf("cost %v (score %v) under drive-less, %v (%v) under the default: want dearer driving to cost more", named.Cost, named.Score, before.Cost, before.Score)
	}
	expect(t, "still default", do(t, "GET", u+"/v1/weights", nil), 200, &active)
	if active.Name != "default" {
		t.Errorf("naming a policy in a request made %s active", active.Name)
	}

	// Activated, it prices every request that names none.
	expect(t, "activate", do(t, "POST", u+"/v1/policies/drive-less/activate", nil), 200, &active)
	if active.Name != "drive-less" || !active.Active {
		t.Errorf("activate answered %+v", active)
	}
	if now := suggest("suggest under the active drive-less", nil); now.Cost != named.Cost {
		t.Errorf("cost %v under the active drive-less, %v when named", now.Cost, named.Cost)
	}
	expectProblem(t, "delete the active policy", do(t, "DELETE", u+"/v1/policies/drive-less", nil), 409, "")
	expectProblem(t, "delete the default", do(t, "DELETE", u+"/v1/policies/default", nil), 409, "")
	expectProblem(t, "delete an unknown policy", do(t, "DELETE", u+"/v1/policies/nope", nil), 404, "name")
	expectProblem(t, "activate an unknown policy", do(t, "POST", u+"/v1/policies/nope/activate", nil), 404, "name")
	expectProblem(t, "a bad name", do(t, "PUT", u+"/v1/policies/a%20b", map[string]any{}), 400, "name")
	expectProblem(t, "a reserved name", do(t, "PUT", u+"/v1/policies/compare", map[string]any{}), 400, "name")
	expectProblem(t, "a name that disagrees", do(t, "PUT", u+"/v1/policies/x", map[string]any{"name": "y"}), 400, "name")

	// The simple form replaces the active policy's weights.
	expect(t, "put weights", do(t, "PUT", u+"/v1/weights", map[string]any{"travel_time": 5}), 200, &active)
	want.TravelTime = 5
	if active.Name != "drive-less" || active.Weights != want || active.Description != "driving costs ten times more" {
		t.Errorf("PUT /v1/weights answered %+v, want drive-less with travel_time 5 and its description", active)
	}
	expectProblem(t, "put bad weights", do(t, "PUT", u+"/v1/weights", map[string]any{"lateness": "high"}), 400, "lateness")
	expectProblem(t, "put no weights", do(t, "PUT", u+"/v1/weights", map[string]any{"unassigned": 0, "lateness": 0, "travel_time": 0, "overtime": 0,
		"skill_surplus": 0, "preferred_technician": 0, "workload_balance": 0, "plan_change": 0}), 400, "")
	var got policyView
	expect(t, "get drive-less", do(t, "GET", u+"/v1/policies/drive-less", nil), 200, &got)
	if got.Weights != want || !got.Active {
		t.Errorf("drive-less read back as %+v after refusals, want travel_time 5, active", got)
	}

	// Back to the default; drive-less deleted.
	expect(t, "activate default", do(t, "POST", u+"/v1/policies/default/activate", nil), 200, nil)
	expect(t, "delete drive-less", do(t, "DELETE", u+"/v1/policies/drive-less", nil), 204, nil)
	expectProblem(t, "get deleted", do(t, "GET", u+"/v1/policies/drive-less", nil), 404, "name")
	var h policyHistory
	expect(t, "history", do(t, "GET", u+"/v1/policies/history", nil), 200, &h)
	var actions []string
	for _, c := range h.Changes {
		actions = append(actions, string(c.Action)+" "+c.Name)
		if c.By == "" || c.At.IsZero() {
			t.Errorf("change %+v names nobody", c)
		}
	}
	if w := "created drive-less,activated drive-less,updated drive-less,activated default,deleted drive-less"; strings.Join(actions, ",") != w {
		t.Errorf("history %v, want %s", actions, w)
	}
	expect(t, "history limited", do(t, "GET", u+"/v1/policies/history?limit=2", nil), 200, &h)
	if len(h.Changes) != 2 || h.Changes[0].Seq != 4 || h.Changes[1].Action != model.PolicyDeleted {
		t.Errorf("the newest two changes = %+v", h.Changes)
	}
	expectProblem(t, "history bad limit", do(t, "GET", u+"/v1/policies/history?limit=0", nil), 400, "limit")
}

// TestPolicyRefusals sends bad policies and bad uses of policies, and
// reads back that nothing changed: not the book, not its history.
func TestPolicyRefusals(t *testing.T) {
	stores(t, func(t *testing.T, st api.Store) {
		ts := serveWith(t, api.Options{Store: st, Clock: func() time.Time { return at(9, 30) }})
		u := ts.URL
		expect(t, "put keep", do(t, "PUT", u+"/v1/policies/keep", map[string]any{"weights": map[string]any{"lateness": 80}}), 201, nil)
		expect(t, "technician", do(t, "PUT", u+"/v1/technicians/T1", storetest.Technician("T1")), 201, nil)
		expect(t, "order", do(t, "POST", u+"/v1/workorders", map[string]any{"id": "W", "location": map[string]any{"lat": 39.75, "lng": -104.98}, "duration_s": 1800}), 201, nil)
		var book0 policyBook
		var h0 policyHistory
		expect(t, "book", do(t, "GET", u+"/v1/policies", nil), 200, &book0)
		expect(t, "history", do(t, "GET", u+"/v1/policies/history", nil), 200, &h0)
		for _, tt := range []struct {
			name, method, path string
			body               any
			status             int
			field              string
		}{
			{"negative weight", "PUT", "/v1/policies/keep", `{"weights":{"travel_time":-1}}`, 400, "weights.travel_time"},
			{"unknown weight", "PUT", "/v1/policies/keep", `{"weights":{"travel_tme":1}}`, 400, "weights.travel_tme"},
			{"weight not a number", "PUT", "/v1/policies/keep", `{"weights":{"lateness":"x"}}`, 400, "weights.lateness"},
			{"weight too large", "PUT", "/v1/policies/keep", `{"weights":{"lateness":1e300}}`, 400, "weights.lateness"},
			{"every weight zero", "PUT", "/v1/policies/keep", `{"weights":{"unassigned":0,"lateness":0,"travel_time":0,"overtime":0,"skill_surplus":0,"preferred_technician":0,"workload_balance":0,"plan_change":0}}`, 400, "weights"},
			{"negative score scale", "PUT", "/v1/policies/keep", `{"score_scale":-5}`, 400, "score_scale"},
			{"unknown field", "PUT", "/v1/policies/keep", `{"wieghts":{}}`, 400, "wieghts"},
			{"description too long", "PUT", "/v1/policies/keep", map[string]any{"description": strings.Repeat("x", model.MaxDescription+1)}, 400, "description"},
			{"name mismatch", "PUT", "/v1/policies/keep", `{"name":"other"}`, 400, "name"},
			{"reserved name", "PUT", "/v1/policies/history", `{}`, 400, "name"},
			{"bad name", "PUT", "/v1/policies/a%2Fb", `{}`, 400, "name"},
			{"delete the default", "DELETE", "/v1/policies/default", nil, 409, ""},
			{"delete the active", "DELETE", "/v1/policies/default", nil, 409, ""},
			{"delete unknown", "DELETE", "/v1/policies/gone", nil, 404, "name"},
			{"activate unknown", "POST", "/v1/policies/gone/activate", nil, 404, "name"},
			{"bad weights", "PUT", "/v1/weights", `{"travel_time":-2}`, 400, "travel_time"},
			{"weights not an object", "PUT", "/v1/weights", `[1]`, 400, ""},
			{"plan with weights and policy", "POST", "/v1/plans", map[string]any{"technicians": []any{}, "work_orders": []any{}, "weights": map[string]any{}, "policy": "keep"}, 400, "policy"},
			{"plan with an unknown policy", "POST", "/v1/plans", map[string]any{"technicians": []any{}, "work_orders": []any{}, "policy": "gone"}, 400, "policy"},
			{"suggestions with an unknown policy", "GET", "/v1/workorders/W/suggestions?policy=gone", nil, 400, "policy"},
			{"suggest with weights and policy", "POST", "/v1/suggest", map[string]any{"work_order": map[string]any{"id": "X", "location": map[string]any{"lat": 39.75, "lng": -104.98}, "duration_s": 60}, "weights": map[string]any{}, "policy": "keep"}, 400, "policy"},
		} {
			t.Run(tt.name, func(t *testing.T) {
				expectProblem(t, tt.name, do(t, tt.method, u+tt.path, tt.body), tt.status, tt.field)
				var book policyBook
				var h policyHistory
				expect(t, "book", do(t, "GET", u+"/v1/policies", nil), 200, &book)
				expect(t, "history", do(t, "GET", u+"/v1/policies/history", nil), 200, &h)
				if !reflect.DeepEqual(book, book0) || !reflect.DeepEqual(h, h0) {
					t.Errorf("after a refusal the book is %+v (was %+v), the history %d long (was %d)", book, book0, len(h.Changes), len(h0.Changes))
				}
			})
		}
	})
}

// TestPolicyRoles checks who may change policies: operators and admins
// put, activate and delete, and their key's name is recorded; viewers and
// dispatchers read; a technician's key does neither.
func TestPolicyRoles(t *testing.T) {
	ts := serveWith(t, api.Options{Store: store.NewMemory(), Clock: func() time.Time { return at(9, 30) }})
	u := ts.URL
	op := newKey(t, u, "operator", "ops lead", "")
	viewer := newKey(t, u, "viewer", "wallboard", "")
	desk := newKey(t, u, "dispatcher", "desk 1", "")
	expect(t, "technician", do(t, "PUT", u+"/v1/technicians/T1", storetest.Technician("T1")), 201, nil)
	tech := newKey(t, u, "technician", "T1 phone", "T1")
	body := map[string]any{"weights": map[string]any{"lateness": 100}}
	expect(t, "operator puts", doAs(t, op.Token, "PUT", u+"/v1/policies/sla-first", body), 201, nil)
	expect(t, "operator activates", doAs(t, op.Token, "POST", u+"/v1/policies/sla-first/activate", nil), 200, nil)
	for _, k := range []createdKey{viewer, desk} {
		expect(t, k.Name+" reads the book", doAs(t, k.Token, "GET", u+"/v1/policies", nil), 200, nil)
		expect(t, k.Name+" reads the weights", doAs(t, k.Token, "GET", u+"/v1/weights", nil), 200, nil)
		expect(t, k.Name+" reads the history", doAs(t, k.Token, "GET", u+"/v1/policies/history", nil), 200, nil)
		expectProblem(t, k.Name+" puts", doAs(t, k.Token, "PUT", u+"/v1/policies/sla-first", body), 403, "")
		expectProblem(t, k.Name+" puts weights", doAs(t, k.Token, "PUT", u+"/v1/weights", map[string]any{}), 403, "")
		expectProblem(t, k.Name+" activates", doAs(t, k.Token, "POST", u+"/v1/policies/default/activate", nil), 403, "")
		expectProblem(t, k.Name+" deletes", doAs(t, k.Token, "DELETE", u+"/v1/policies/sla-first", nil), 403, "")
	}
	expectProblem(t, "technician reads", doAs(t, tech.Token, "GET", u+"/v1/policies", nil), 403, "")
	expectProblem(t, "technician puts", doAs(t, tech.Token, "PUT", u+"/v1/weights", map[string]any{}), 403, "")
	expect(t, "admin activates the default", do(t, "POST", u+"/v1/policies/default/activate", nil), 200, nil)
	expect(t, "operator deletes", doAs(t, op.Token, "DELETE", u+"/v1/policies/sla-first", nil), 204, nil)
	var h policyHistory
	expect(t, "history", doAs(t, viewer.Token, "GET", u+"/v1/policies/history", nil), 200, &h)
	var who []string
	for _, c := range h.Changes {
		who = append(who, c.By+" "+string(c.Action))
		if c.ByKey == "" || c.At.IsZero() {
			t.Errorf("change %+v lacks its key or time", c)
		}
	}
	if w := "ops lead created,ops lead activated," + h.Changes[2].By + " activated,ops lead deleted"; strings.Join(who, ",") != w || h.Changes[2].ByKey == op.ID {
		t.Errorf("history by %v, want %s", who, w)
	}
	if first := h.Changes[0]; first.From != nil || first.To == nil || first.To.Weights.Lateness != 100 {
		t.Errorf("the creation records from %v to %v, want nothing to the policy", first.From, first.To)
	}
	if act := h.Changes[1]; act.From == nil || act.From.Name != "default" || act.To == nil || act.To.Name != "sla-first" || !act.Active {
		t.Errorf("the activation records %+v, want from default to sla-first", act)
	}
}

// TestPolicyEventsStreamed: every change of the policy book is an event
// on GET /v1/events, with its change (who, from, to), in the order made;
// a stream filtered by type hears only those; refusals publish nothing.
func TestPolicyEventsStreamed(t *testing.T) {
	stores(t, func(t *testing.T, st api.Store) {
		ts := serveWith(t, api.Options{Store: st, Clock: func() time.Time { return at(9, 30) }})
		u := ts.URL
		all := subscribe(t, u+"/v1/events", "")
		activations := subscribe(t, u+"/v1/events?types=policy.activated", "")
		op := newKey(t, u, "operator", "ops lead", "")
		expect(t, "put", doAs(t, op.Token, "PUT", u+"/v1/policies/far", map[string]any{"weights": map[string]any{"travel_time": 0.5}}), 201, nil)
		expectProblem(t, "refused", doAs(t, op.Token, "PUT", u+"/v1/policies/far", map[string]any{"weights": map[string]any{"travel_time": -1}}), 400, "weights.travel_time")
		expect(t, "activate", doAs(t, op.Token, "POST", u+"/v1/policies/far/activate", nil), 200, nil)
		expect(t, "weights", doAs(t, op.Token, "PUT", u+"/v1/weights", map[string]any{"travel_time": 0.25}), 200, nil)
		expect(t, "back", doAs(t, op.Token, "POST", u+"/v1/policies/default/activate", nil), 200, nil)
		expect(t, "delete", doAs(t, op.Token, "DELETE", u+"/v1/policies/far", nil), 204, nil)
		var got []string
		for _, f := range all.take(t, 5) {
			c := f.Data.Policy
			if c == nil || f.Data.Actor != "ops lead" || c.By != "ops lead" || f.ID == "" {
				t.Fatalf("event %+v: want its change and the operator", f)
			}
			got = append(got, fmt.Sprintf("%s %s active=%v", f.Event, c.Name, c.Active))
		}
		want := "policy.updated far active=false,policy.activated far active=true,policy.updated far active=true,policy.activated default active=true,policy.deleted far active=false"
		if strings.Join(got, ",") != want {
			t.Errorf("events %v, want %s", got, want)
		}
		for _, name := range []string{"far", "default"} {
			if f := activations.next(t); f.Event != "policy.activated" || f.Data.Policy.Name != name || f.Data.Policy.To.Name != name {
				t.Errorf("the filtered stream got %s of %+v, want the activation of %s", f.Event, f.Data.Policy, name)
			}
		}
	})
}
