package api_test

import (
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dispatchd/dispatchd/api"
	"github.com/dispatchd/dispatchd/model"
	"github.com/dispatchd/dispatchd/store"
	"github.com/dispatchd/dispatchd/store/storetest"
)

// TestTechnicianKeyConfined: a technician's key reads and moves only its
// own technician's orders, schedule and position, and cannot dispatch,
// reassign, plan or create keys; nothing it is refused changes anything
// (issue 13, on both stores).
func TestTechnicianKeyConfined(t *testing.T) {
	stores(t, func(t *testing.T, st api.Store) {
		ts := serveWith(t, api.Options{Store: st, Clock: func() time.Time { return at(9, 30) }})
		u := ts.URL
		for _, id := range []string{"T1", "T2"} {
			tech := storetest.Technician(id)
			tech.Breaks = nil
			expect(t, "technician "+id, do(t, "PUT", u+"/v1/technicians/"+id, tech), 201, nil)
		}
		order := func(id, tech string, hour int) {
			var w model.WorkOrder
			expect(t, "create "+id, do(t, "POST", u+"/v1/workorders", map[string]any{"id": id, "site_id": "S-" + id,
				"location": map[string]any{"lat": 39.75, "lng": -104.98}, "duration_s": 1800, "access_instructions": "gate " + id}), 201, &w)
			expect(t, "dispatch "+id, do(t, "POST", u+"/v1/workorders/"+id+"/dispatch",
				map[string]any{"technician_ids": []string{tech}, "scheduled_start": at(hour, 0)}), 200, nil)
		}
		order("WO-A", "T1", 10)
		order("WO-B", "T2", 11)
		van1 := newKey(t, u, "technician", "van 1", "T1").Token
		as := func(method, path string, body any) response { return doAs(t, van1, method, u+path, body) }
		state := func() string {
			var all []string
			for _, path := range []string{"/v1/workorders", "/v1/workorders/WO-A/history", "/v1/workorders/WO-B/history",
				"/v1/technicians/T1", "/v1/technicians/T2", "/v1/keys"} {
				all = append(all, do(t, "GET", u+path, nil).body)
			}
			return strings.Join(all, "\n")
		}
		before := state()
		plan := map[string]any{"technicians": []any{storetest.Technician("T1")}, "work_orders": []any{}}
		for _, tc := range []struct {
			name, method, path string
			body               any
			roles              []string // the roles a route's 403 names; nil for one about the records
		}{
			{"another's order", "GET", "/v1/workorders/WO-B", nil, nil},
			{"another's orders", "GET", "/v1/workorders?technician_id=T2", nil, nil},
			{"another's schedule", "GET", "/v1/technicians/T2/schedule", nil, nil},
			{"another's profile", "GET", "/v1/technicians/T2", nil, nil},
			{"another's location", "POST", "/v1/technicians/T2/location", map[string]any{"lat": 39.7, "lng": -105, "at": at(9, 29)}, nil},
			{"another's order moved", "POST", "/v1/workorders/WO-B/status", map[string]any{"status": "acknowledged"}, nil},
			{"their own order cancelled", "POST", "/v1/workorders/WO-A/status", map[string]any{"status": "cancelled"}, nil},
			{"every technician", "GET", "/v1/technicians", nil, []string{"viewer", "operator", "dispatcher", "admin"}},
			{"a history", "GET", "/v1/workorders/WO-A/history", nil, []string{"viewer", "operator", "dispatcher", "admin"}},
			{"dispatch", "POST", "/v1/workorders/WO-A/dispatch", map[string]any{"technician_ids": []string{"T1"}, "scheduled_start": at(12, 0)}, []string{"dispatcher", "admin"}},
			{"reassign", "POST", "/v1/workorders/WO-B/reassign", map[string]any{"technician_ids": []string{"T1"}}, []string{"dispatcher", "admin"}},
			{"plan", "POST", "/v1/plans", plan, []string{"dispatcher", "admin"}},
			{"suggestions", "GET", "/v1/workorders/WO-A/suggestions", nil, []string{"dispatcher", "admin"}},
			{"create a key", "POST", "/v1/keys", map[string]any{"role": "admin", "name": "mine now"}, []string{"admin"}},
			{"delete a technician", "DELETE", "/v1/technicians/T2", nil, []string{"admin"}},
		} {
			r := as(tc.method, tc.path, tc.body)
			expectProblem(t, tc.name, r, http.StatusForbidden, "")
			if p := decodeProblem(t, r); !slices.Equal(p.Roles, tc.roles) || p.Detail == "" {
				t.Errorf("%s: the 403 names roles %v (%q), want %v", tc.name, p.Roles, p.Detail, tc.roles)
			}
			if strings.Contains(r.body, "gate WO-B") {
				t.Errorf("%s: the refusal shows T2's gate code: %s", tc.name, r.body)
			}
		}
		if after := state(); after != before {
			t.Errorf("refused requests changed the state:\nbefore %s\nafter  %s", before, after)
		}
		// Their own, they may.
		var list struct {
			WorkOrders []model.WorkOrder `json:"work_orders"`
		}
		expect(t, "their orders", as("GET", "/v1/workorders", nil), 200, &list)
		if len(list.WorkOrders) != 1 || list.WorkOrders[0].ID != "WO-A" || list.WorkOrders[0].AccessInstructions != "gate WO-A" {
			t.Errorf("their list %+v, want WO-A alone, with its gate code", list.WorkOrders)
		}
		expect(t, "their schedule", as("GET", "/v1/technicians/T1/schedule", nil), 200, nil)
		expect(t, "their location", as("POST", "/v1/technicians/T1/location", map[string]any{"lat": 39.7, "lng": -105, "at": at(9, 29)}), 200, nil)
		expect(t, "their order acknowledged", as("POST", "/v1/workorders/WO-A/status", map[string]any{"status": "acknowledged"}), 200, nil)
	})
}

// TestAnonymousIsRefused: an anonymous loop of DELETE /v1/technicians/{id}
// no longer wipes a deployment, and GET /v1/workorders no longer hands out
// addresses and gate codes; the right key does both.
func TestAnonymousIsRefused(t *testing.T) {
	stores(t, func(t *testing.T, st api.Store) {
		ts := serveWith(t, api.Options{Store: st, Clock: func() time.Time { return at(9, 30) }})
		u := ts.URL
		expect(t, "technician", do(t, "PUT", u+"/v1/technicians/T1", storetest.Technician("T1")), 201, nil)
		expect(t, "order", do(t, "POST", u+"/v1/workorders", map[string]any{"id": "WO-1", "location": map[string]any{"lat": 39.75, "lng": -104.98},
			"address": "12 Elm St", "duration_s": 1800, "access_instructions": "gate code 9321"}), 201, nil)
		for range 5 {
			r := doAs(t, "", "DELETE", u+"/v1/technicians/T1", nil)
			expectProblem(t, "anonymous delete", r, 401, "")
			if got := r.header.Get("WWW-Authenticate"); got != `Bearer realm="dispatchd"` {
				t.Errorf("WWW-Authenticate %q", got)
			}
		}
		list := doAs(t, "", "GET", u+"/v1/workorders", nil)
		expectProblem(t, "anonymous list", list, 401, "")
		if strings.Contains(list.body, "9321") || strings.Contains(list.body, "Elm") {
			t.Errorf("the 401 shows the order: %s", list.body)
		}
		bad := doAs(t, "dk_0123456789abcdef_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "GET", u+"/v1/workorders", nil)
		expectProblem(t, "a made-up token", bad, 401, "")
		if got := bad.header.Get("WWW-Authenticate"); got != `Bearer realm="dispatchd", error="invalid_token"` {
			t.Errorf("WWW-Authenticate of a bad token %q", got)
		}
		viewer := newKey(t, u, "viewer", "wallboard", "").Token
		if r := doAs(t, viewer, "GET", u+"/v1/workorders", nil); r.status != 200 || !strings.Contains(r.body, "gate code 9321") {
			t.Errorf("a viewer's list: %d %s", r.status, r.body)
		}
		r := doAs(t, viewer, "DELETE", u+"/v1/technicians/T1", nil)
		expectProblem(t, "a viewer's delete", r, 403, "")
		if p := decodeProblem(t, r); !slices.Equal(p.Roles, []string{"admin"}) || !strings.Contains(p.Detail, "needs the admin role") {
			t.Errorf("the 403 %+v, want it to name the admin role", p)
		}
		expect(t, "technician still there", do(t, "GET", u+"/v1/technicians/T1", nil), 200, nil)
		expect(t, "an admin's delete", do(t, "DELETE", u+"/v1/technicians/T1", nil), 204, nil)
	})
}

// TestFailedAttemptsLimited: failed credentials are counted by reason and,
// past the budget of their address, answered 429 with Retry-After; a valid
// key from the same address still gets in.
func TestFailedAttemptsLimited(t *testing.T) {
	ts := serveWith(t, api.Options{Store: store.NewMemory(), FailureBurst: 3, FailureRate: 0.5})
	u := ts.URL
	viewer := newKey(t, u, "viewer", "wall", "").Token
	wrong := viewer[:len(viewer)-2] + "xx"
	for i, token := range []string{"", "hunter2", wrong} {
		expectProblem(t, fmt.Sprintf("failure %d", i), doAs(t, token, "GET", u+"/v1/technicians", nil), 401, "")
	}
	for range 3 {
		r := doAs(t, wrong, "GET", u+"/v1/technicians", nil)
		expectProblem(t, "over the budget", r, 429, "")
		if s, err := strconv.Atoi(r.header.Get("Retry-After")); err != nil || s < 1 || s > 2 {
			t.Errorf("Retry-After %q, want 1–2 s at half an attempt a second", r.header.Get("Retry-After"))
		}
		expect(t, "the valid key from the same address", doAs(t, viewer, "GET", u+"/v1/technicians", nil), 200, nil)
	}
	metrics := do(t, "GET", u+"/metrics", nil).body
	for _, want := range []string{`dispatchd_auth_failures_total{reason="missing"} 1`, `dispatchd_auth_failures_total{reason="malformed"} 1`,
		`dispatchd_auth_failures_total{reason="unknown"} 4`, `dispatchd_auth_limited_total 3`} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	if strings.Contains(metrics, viewer) || strings.Contains(metrics, wrong) {
		t.Error("/metrics shows a token")
	}
	time.Sleep(2100 * time.Millisecond) // a token back in the bucket
	expectProblem(t, "after the wait", doAs(t, wrong, "GET", u+"/v1/technicians", nil), 401, "")
}

// TestOpenEndpoints: health, readiness and the API's description need no
// key, nor do metrics unless MetricsAuth asks for one.
func TestOpenEndpoints(t *testing.T) {
	for _, guarded := range []bool{false, true} {
		ts := serveWith(t, api.Options{Store: store.NewMemory(), MetricsAuth: guarded})
		for _, path := range []string{"/healthz", "/readyz", "/openapi.json"} {
			expect(t, path, doAs(t, "", "GET", ts.URL+path, nil), 200, nil)
		}
		if guarded {
			expectProblem(t, "guarded metrics", doAs(t, "", "GET", ts.URL+"/metrics", nil), 401, "")
			viewer := newKey(t, ts.URL, "viewer", "prometheus", "").Token
			expect(t, "metrics with a key", doAs(t, viewer, "GET", ts.URL+"/metrics", nil), 200, nil)
		} else {
			expect(t, "open metrics", doAs(t, "", "GET", ts.URL+"/metrics", nil), 200, nil)
		}
	}
}

// TestExpiredKey: a key works until it expires, then is a 401 saying so.
func TestExpiredKey(t *testing.T) {
	var mu sync.Mutex
	now := at(9, 30)
	ts := serveWith(t, api.Options{Store: store.NewMemory(), Clock: func() time.Time { mu.Lock(); defer mu.Unlock(); return now }})
	var k createdKey
	expect(t, "a key for ten minutes", do(t, "POST", ts.URL+"/v1/keys",
		map[string]any{"role": "viewer", "name": "temp", "expires": at(9, 40).Format(time.RFC3339)}), 201, &k)
	expect(t, "before", doAs(t, k.Token, "GET", ts.URL+"/v1/technicians", nil), 200, nil)
	mu.Lock()
	now = at(9, 41)
	mu.Unlock()
	r := doAs(t, k.Token, "GET", ts.URL+"/v1/technicians", nil)
	expectProblem(t, "after", r, 401, "")
	if p := decodeProblem(t, r); !strings.Contains(p.Detail, "expired") {
		t.Errorf("the 401 %+v, want it to say the key expired", p)
	}
	expectProblem(t, "an expiry in the past", do(t, "POST", ts.URL+"/v1/keys",
		map[string]any{"role": "viewer", "name": "late", "expires": "2026-11-22"}), 400, "expires")
	expectProblem(t, "a technician key for nobody", do(t, "POST", ts.URL+"/v1/keys",
		map[string]any{"role": "technician", "name": "van 9", "technician_id": "T9"}), 400, "technician_id")
	expectProblem(t, "the bootstrap key", do(t, "DELETE", ts.URL+"/v1/keys/bootstrap", nil), 409, "")
}

// TestLogsKeepSecrets captures everything the server logs, at debug
// level, during the whole workflow run with several keys, failed attempts
// and a revocation, and finds no token, no gate code and no notes in it —
// but the keys' ids, so that it is the log of that run.
func TestLogsKeepSecrets(t *testing.T) {
	stores(t, func(t *testing.T, st api.Store) {
		var logs syncBuffer
		ts := serveWith(t, api.Options{Store: st, Clock: func() time.Time { return at(9, 30) },
			Logger: slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
		_, _, tokens := walkWorkflow(t, ts.URL)
		wrong := tokens[0][:len(tokens[0])-3] + "abc"
		expectProblem(t, "a wrong secret", doAs(t, wrong, "GET", ts.URL+"/v1/workorders", nil), 401, "")
		expectProblem(t, "a password", doAs(t, "correct horse battery staple", "GET", ts.URL+"/v1/workorders", nil), 401, "")
		log := logs.String()
		secrets := append(tokens, testAdmin, wrong, "correct horse battery staple", "gate code 4411", "no cooling since morning", "ask for Sam")
		for _, tok := range tokens {
			secrets = append(secrets, tok[len("dk_")+16+1:]) // the secret without its id
		}
		for _, secret := range secrets {
			if strings.Contains(log, secret) {
				t.Errorf("the log holds %q", secret)
			}
		}
		for _, tok := range tokens {
			if id := tok[len("dk_") : len("dk_")+16]; !strings.Contains(log, `"key":"`+id+`"`) {
				t.Errorf("the log does not name key %s: is it the log of the run?", id)
			}
		}
		if !strings.Contains(log, "API key revoked") || strings.Count(log, `"msg":"request"`) < 30 {
			t.Errorf("the log of the run has %d request lines and no revocation", strings.Count(log, `"msg":"request"`))
		}
	})
}
