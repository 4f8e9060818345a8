package api

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dispatchd/dispatchd/auth"
	"github.com/dispatchd/dispatchd/dispatch"
	"github.com/dispatchd/dispatchd/model"
	"github.com/dispatchd/dispatchd/store"
)

// TestEveryRouteEveryRole walks the whole route table: for every route,
// anonymously and with a key of every role, it expects what the route's
// own rule says — 401 without a key (unless the route is open to anyone),
// 403 naming the roles that may for a role that may not, and anything but
// 401 and 403 for a role that may. A technician's key is bound to T1 and
// every path names T1's own records, so that what it is refused is the
// route's rule and not its scope.
func TestEveryRouteEveryRole(t *testing.T) {
	st := store.NewMemory()
	ctx := t.Context()
	t1 := model.Technician{ID: "T1", Skills: model.Skills{"hvac": 1}, Start: model.LatLng(39.74, -104.99),
		Shift: model.Shift{Start: time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC), End: time.Date(2026, 11, 23, 17, 0, 0, 0, time.UTC)}}
	if _, err := st.PutTechnician(ctx, t1); err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	if err := st.PutWorkOrder(ctx, model.WorkOrder{ID: "WO-1", Location: model.LatLng(39.75, -104.98), Duration: 3600,
		Status: model.StatusDispatched, TechnicianIDs: []string{"T1"}, ScheduledStart: &start}); err != nil {
		t.Fatal(err)
	}
	s, err := New(Options{Store: st, Logger: slog.New(slog.DiscardHandler), BootstrapKey: "walk-admin-bootstrap-key-0123456789abcdef",
		Clock: func() time.Time { return time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC) }, DefaultPlanTime: time.Second,
		FailureBurst: 1000}) // the walk is not about the limit of failed attempts
	if err != nil {
		t.Fatal(err)
	}
	defer s.Shutdown(context.Background())
	ts := httptest.NewServer(s)
	defer ts.Close()

	// A client of its own: the package's external tests make
	// http.DefaultClient an admin of theirs.
	client := &http.Client{}
	tokens := map[auth.Role]string{}
	for _, role := range auth.Roles {
		req := auth.Request{Role: role, Name: "walk " + string(role)}
		if role == auth.Technician {
			req.TechnicianID = "T1"
		}
		_, token, err := s.svc.CreateKey(ctx, req, dispatch.Actor{Name: "test"})
		if err != nil {
			t.Fatal(err)
		}
		tokens[role] = token
	}
	// Paths name the technician's own records; a DELETE names records
	// that do not exist, so that the walk deletes nothing.
	path := func(rt route) string {
		id := "nope"
		switch {
		case rt.method == http.MethodDelete:
		case strings.HasPrefix(rt.pattern, "/v1/technicians/"):
			id = "T1"
		case strings.HasPrefix(rt.pattern, "/v1/workorders/"):
			id = "WO-1"
		}
		return strings.NewReplacer("{id}", id, "{name}", "walk").Replace(rt.pattern)
	}
	call := func(rt route, token string) (int, http.Header, Problem) {
		t.Helper()
		var body io.Reader
		if rt.request != nil {
			body = strings.NewReader("{}")
		}
		req, err := http.NewRequestWithContext(ctx, rt.method, ts.URL+path(rt), body)
		if err != nil {
			t.Fatal(err)
		}
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.Header.Get("Content-Type") == "text/event-stream" {
			return resp.StatusCode, resp.Header, Problem{} // a stream let in: it never ends
		}
		data, _ := io.ReadAll(resp.Body)
		var p Problem
		_ = json.Unmarshal(data, &p)
		return resp.StatusCode, resp.Header, p
	}
	for _, rt := range s.routes {
		name := rt.method + " " + rt.pattern
		open := slices.Contains(rt.allow, auth.Anyone)
		status, header, _ := call(rt, "")
		switch {
		case open && (status == 401 || status == 403):
			t.Errorf("%s anonymously: %d, but the route is open to anyone", name, status)
		case !open && (status != 401 || header.Get("WWW-Authenticate") != `Bearer realm="dispatchd"`):
			t.Errorf("%s anonymously: %d, WWW-Authenticate %q; want 401 with a Bearer challenge", name, status, header.Get("WWW-Authenticate"))
		}
		want := auth.RolesFor(rt.allow)
		for _, role := range auth.Roles {
			status, _, p := call(rt, tokens[role])
			switch {
			case role.CanAny(rt.allow) && (status == 401 || status == 403):
				t.Errorf("%s as %s: %d %s, but the table lets %s in", name, role, status, p.Detail, auth.Spell(want))
			case !role.CanAny(rt.allow) && status != 403:
				t.Errorf("%s as %s: %d, want 403: the table lets only %s in", name, role, status, auth.Spell(want))
			case !role.CanAny(rt.allow):
				var roles []auth.Role
				for _, r := range p.Roles {
					roles = append(roles, auth.Role(r))
				}
				if !slices.Equal(roles, want) || !strings.Contains(p.Detail, auth.Spell(want)) {
					t.Errorf("%s as %s: the 403 names %v (%q), want %v", name, role, p.Roles, p.Detail, want)
				}
			}
		}
	}
	// Every role was refused somewhere and let in somewhere: the walk
	// tells them apart.
	for _, role := range auth.Roles {
		in, out := 0, 0
		for _, rt := range s.routes {
			if slices.Contains(rt.allow, auth.Anyone) {
				continue
			}
			if role.CanAny(rt.allow) {
				in++
			} else {
				out++
			}
		}
		if in == 0 || (role != auth.Admin && out == 0) {
			t.Errorf("%s is let into %d routes and kept out of %d", role, in, out)
		}
	}
}

// TestRouteWithoutRule: a route table with a route that names no rule, or
// a /v1 route open to anyone, cannot be mounted, so New cannot serve it.
func TestRouteWithoutRule(t *testing.T) {
	s, err := New(Options{Store: store.NewMemory(), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Shutdown(context.Background())
	handler := func(w http.ResponseWriter, r *http.Request) {}
	for _, tc := range []struct {
		name string
		rt   route
	}{
		{"no rule", route{method: "GET", pattern: "/v1/secrets", handler: handler}},
		{"a /v1 route open to anyone", route{method: "GET", pattern: "/v1/secrets", allow: []auth.Permission{auth.Anyone}, handler: handler}},
		{"a permission no role has", route{method: "GET", pattern: "/v1/secrets", allow: []auth.Permission{"root"}, handler: handler}},
	} {
		if _, err := s.mount(append(s.table(), tc.rt)); err == nil || !strings.Contains(err.Error(), "/v1/secrets") {
			t.Errorf("%s: mount = %v, want an error naming the route", tc.name, err)
		}
	}
	if _, err := s.mount(s.table()); err != nil {
		t.Errorf("the table itself: %v", err)
	}
}

// TestOpenAPIShowsAccess: the document has the bearer scheme, and every
// operation its security and the roles the table lets in.
func TestOpenAPIShowsAccess(t *testing.T) {
	s, err := New(Options{Store: store.NewMemory(), Logger: slog.New(slog.DiscardHandler), MetricsAuth: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Shutdown(context.Background())
	data, err := json.Marshal(document(s.routes))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Paths map[string]map[string]struct {
			Security  []map[string][]string `json:"security"`
			Roles     []auth.Role           `json:"x-roles"`
			Responses map[string]any        `json:"responses"`
		}
		Components struct {
			SecuritySchemes map[string]struct{ Type, Scheme string }
		}
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	if b := doc.Components.SecuritySchemes["bearer"]; b.Type != "http" || b.Scheme != "bearer" {
		t.Errorf("security scheme %+v, want http bearer", b)
	}
	for _, rt := range s.routes {
		op := doc.Paths[rt.pattern][strings.ToLower(rt.method)]
		name := rt.method + " " + rt.pattern
		if slices.Contains(rt.allow, auth.Anyone) {
			if op.Security == nil || len(op.Security) != 0 || op.Roles != nil {
				t.Errorf("%s: security %v, roles %v; want none needed", name, op.Security, op.Roles)
			}
			continue
		}
		if len(op.Security) != 1 || op.Security[0]["bearer"] == nil || !slices.Equal(op.Roles, auth.RolesFor(rt.allow)) {
			t.Errorf("%s: security %v, roles %v; want bearer and %v", name, op.Security, op.Roles, auth.RolesFor(rt.allow))
		}
		for _, code := range []string{"401", "403"} {
			if op.Responses[code] == nil {
				t.Errorf("%s: no %s response", name, code)
			}
		}
	}
	if got := doc.Paths["/metrics"]["get"].Roles; len(got) == 0 {
		t.Error("with MetricsAuth, /metrics shows no roles")
	}
}

var update = flag.Bool("update", false, "rewrite golden files")

// TestAccessMatrix keeps who may call what in testdata/access.golden, one
// line per route with the roles the table lets in, so that a change to
// the rules is a change a reviewer sees (go test ./api -run
// TestAccessMatrix -update rewrites it).
func TestAccessMatrix(t *testing.T) {
	s, err := New(Options{Store: store.NewMemory(), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Shutdown(context.Background())
	var b strings.Builder
	for _, rt := range s.routes {
		who := "anyone, no key"
		if !slices.Contains(rt.allow, auth.Anyone) {
			who = auth.Spell(auth.RolesFor(rt.allow))
			if slices.Contains(rt.allow, auth.Field) {
				who += " (a technician: their own)"
			}
		}
		fmt.Fprintf(&b, "%-6s %-34s %s\n", rt.method, rt.pattern, who)
	}
	golden := filepath.Join("testdata", "access.golden")
	if *update {
		if err := os.WriteFile(golden, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to write it)", err)
	}
	if b.String() != string(want) {
		t.Errorf("the access rules changed (-update if meant):\n%s\nwant\n%s", b.String(), want)
	}
}
