package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/dispatchd/dispatchd/model"
	"github.com/dispatchd/dispatchd/store"
	"github.com/go-chi/chi/v5"
)

// TestOpenAPICoversEveryRoute fails when a route is served that the
// document does not describe, or the document describes one that is not
// served.
func TestOpenAPICoversEveryRoute(t *testing.T) {
	s, err := New(Options{Store: store.NewMemory()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Shutdown(t.Context())
	var served []string
	err = chi.Walk(s.router, func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		served = append(served, method+" "+route)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	doc := document(s.routes)
	var described []string
	for path, ops := range doc["paths"].(map[string]map[string]any) {
		for method := range ops {
			described = append(described, strings.ToUpper(method)+" "+path)
		}
	}
	slices.Sort(served)
	slices.Sort(described)
	for _, r := range served {
		if !slices.Contains(described, r) {
			t.Errorf("%s is served but not in /openapi.json", r)
		}
	}
	for _, r := range described {
		if !slices.Contains(served, r) {
			t.Errorf("%s is in /openapi.json but not served", r)
		}
	}
	if len(served) < 18 {
		t.Errorf("only %d routes served: %v", len(served), served)
	}
}

// TestOpenAPIRefsResolve checks that every $ref names a schema of the
// document, and that the document is JSON with an OpenAPI 3.1 header.
func TestOpenAPIRefsResolve(t *testing.T) {
	s, err := New(Options{Store: store.NewMemory()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Shutdown(t.Context())
	data, err := json.Marshal(document(s.routes))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		OpenAPI    string `json:"openapi"`
		Components struct {
			Schemas map[string]json.RawMessage
		}
	}
	if err := json.Unmarshal(data, &doc); err != nil || doc.OpenAPI != "3.1.0" {
		t.Fatalf("openapi %q, %v", doc.OpenAPI, err)
	}
	for _, want := range []string{"Technician", "WorkOrder", "Suggestions", "PlanRecord", "Problem", "TechnicianView", "Live"} {
		if _, ok := doc.Components.Schemas[want]; !ok {
			t.Errorf("no schema %s", want)
		}
	}
	for _, m := range strings.Split(string(data), `"$ref":"#/components/schemas/`)[1:] {
		name := m[:strings.IndexByte(m, '"')]
		if _, ok := doc.Components.Schemas[name]; !ok {
			t.Errorf("$ref to missing schema %s", name)
		}
	}
	// Spot checks of the schemas against the types.
	var tech struct {
		Properties map[string]json.RawMessage
		Required   []string
	}
	if err := json.Unmarshal(doc.Components.Schemas["Technician"], &tech); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"id", "skills", "certifications", "shift", "breaks", "overtime_s"} {
		if _, ok := tech.Properties[p]; !ok {
			t.Errorf("Technician lacks %s", p)
		}
	}
	if !slices.Contains(tech.Required, "id") || slices.Contains(tech.Required, "max_jobs") {
		t.Errorf("Technician required %v", tech.Required)
	}
}

// TestDocsSpellTheModelsLists: docs/api.md lists the outcome codes, the
// event types and the conflict kinds exactly as model has them (the one
// list of each), and the OpenAPI document gives them as enums from the
// same lists — so that no second list can drift.
func TestDocsSpellTheModelsLists(t *testing.T) {
	data, err := os.ReadFile("../docs/api.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(data)
	// listed returns the backticked words of docs/api.md from marker to
	// the first end after it.
	listed := func(marker, end string) []string {
		i := strings.Index(doc, marker)
		if i < 0 {
			t.Fatalf("docs/api.md has no %q", marker)
			return nil
		}
		rest := doc[i+len(marker):]
		if j := strings.Index(rest, end); j >= 0 {
			rest = rest[:j]
		}
		var out []string
		for k, part := range strings.Split(rest, "`") {
			if k%2 == 1 {
				out = append(out, part)
			}
		}
		return out
	}
	for _, tc := range []struct {
		name        string
		marker, end string
		want        []string
	}{
		{"outcome codes", "`code` one of", ";", names(model.OutcomeCodes)},
		{"event types", "Types:", "Filters:", names(model.EventTypes)},
		{"conflict kinds", "`kind` —", "— the technician", names(model.ConflictKinds)},
		{"live statuses", "`status` is one of", "(400", names(model.LiveStatuses)},
	} {
		if got := listed(tc.marker, tc.end); !slices.Equal(got, tc.want) {
			t.Errorf("docs/api.md lists the %s %v; model has %v", tc.name, got, tc.want)
		}
	}
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range model.OutcomeCodes[1:] {
		if strings.Contains(string(readme), "`"+string(c)+"`") {
			t.Errorf("README.md lists outcome code %s: a second list; point to docs/api.md", c)
		}
	}
	s, err := New(Options{Store: store.NewMemory()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Shutdown(t.Context())
	defs := document(s.routes)["components"].(map[string]any)["schemas"].(map[string]any)
	outcome := defs["Outcome"].(map[string]any)["properties"].(map[string]any)["code"].(map[string]any)
	if got, _ := outcome["enum"].([]string); !slices.Equal(got, names(model.OutcomeCodes)) {
		t.Errorf("the OpenAPI Outcome.code is %v, want the enum %v", outcome, model.OutcomeCodes)
	}
	types := defs["WebhookRequest"].(map[string]any)["properties"].(map[string]any)["types"].(map[string]any)["items"].(map[string]any)
	if got, _ := types["enum"].([]string); !slices.Equal(got, names(model.EventTypes)) {
		t.Errorf("the OpenAPI WebhookRequest.types are %v, want the enum %v", types, model.EventTypes)
	}
}

// TestDocsLifecycleIsModels: the table of moves in docs/api.md is
// model's lifecycle, move for move.
func TestDocsLifecycleIsModels(t *testing.T) {
	data, err := os.ReadFile("../docs/api.md")
	if err != nil {
		t.Fatal(err)
	}
	actions := []model.Action{model.ActionDispatch, model.ActionStatus, model.ActionReassign}
	var got []string
	from := map[model.Status]bool{}
	for _, line := range strings.Split(string(data), "\n") {
		cells := strings.Split(line, "|")
		if len(cells) != 6 || !strings.HasPrefix(strings.TrimSpace(cells[1]), "`") {
			continue
		}
		f := model.Status(strings.Trim(strings.TrimSpace(cells[1]), "`"))
		from[f] = true
		for i, a := range actions {
			for _, to := range strings.Split(cells[2+i], ",") {
				if to = strings.Trim(strings.TrimSpace(to), "`"); to != "" {
					got = append(got, fmt.Sprintf("%s -%s-> %s", f, a, to))
				}
			}
		}
	}
	var want []string
	for _, tr := range model.Transitions() {
		want = append(want, fmt.Sprintf("%s -%s-> %s", tr.From, tr.Action, tr.To))
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("docs/api.md's moves:\n%v\nmodel's lifecycle:\n%v", got, want)
	}
	for _, s := range model.Statuses {
		if !from[s] {
			t.Errorf("docs/api.md's table of moves has no row for %s", s)
		}
	}
}
