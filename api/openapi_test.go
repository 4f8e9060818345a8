package api

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

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
