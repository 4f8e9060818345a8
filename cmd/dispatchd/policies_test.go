package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dispatchd/dispatchd/model"
	"github.com/dispatchd/dispatchd/store/redistest"
	"github.com/dispatchd/dispatchd/store/storetest"
)

// writeFile writes a file in the test's directory and returns its path.
func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestServeBadPolicyFile: a --policy file that cannot be read, or holds a
// bad policy, is one line on stderr naming the file and the field, exit 2,
// before anything is served.
func TestServeBadPolicyFile(t *testing.T) {
	good := writeFile(t, "good.json", `{"name":"a","weights":{"travel_time":2}}`)
	for _, tt := range []struct {
		name, content string
		want          string
	}{
		{"negative.json", `{"name":"a","weights":{"travel_time":-1}}`, "weights.travel_time: negative"},
		{"unknown.json", `{"name":"a","weights":{"travel":1}}`, "weights.travel: unknown field"},
		{"list.json", `[{"name":"a"},{"name":"b","score_scale":-1}]`, "[1].score_scale"},
		{"unnamed.json", `[{"weights":{}}]`, "[0].name: missing"},
		{"a.json", `{"weights":{"lateness":1}}`, "policy a is also in " + good}, // named after its file
		{"reserved.json", `{"name":"history"}`, `name: "history" is reserved`},
		{"empty.json", `[]`, "an empty list"},
		{"garbage.json", `{"name":`, "garbage.json"},
		{"twice.json", `{"name":"a"}`, "policy a is also in " + good},
	} {
		path := writeFile(t, tt.name, tt.content)
		code, out, errOut := runCmd(t, "", "serve", "--addr", "127.0.0.1:0", "--policy", good, "--policy", path)
		if code != exitUsage || out != "" {
			t.Errorf("%s: exit %d, stdout %q; want %d and nothing", tt.name, code, out, exitUsage)
		}
		if strings.Count(errOut, "\n") != 1 || !strings.Contains(errOut, path) || !strings.Contains(errOut, tt.want) {
			t.Errorf("%s: stderr %q, want one line naming %s and %q", tt.name, errOut, path, tt.want)
		}
	}
	missing := filepath.Join(t.TempDir(), "missing.json")
	if code, _, errOut := runCmd(t, "", "serve", "--policy", missing); code != exitUsage || !strings.Contains(errOut, missing) || !strings.Contains(errOut, "no such file") {
		t.Errorf("a missing file: exit %d, %q", code, errOut)
	}
	if code, _, errOut := runCmd(t, "", "serve", "--addr", "127.0.0.1:0", "--policy", good, "--active-policy", "nope"); code != exitUsage ||
		strings.Count(errOut, "\n") != 1 || !strings.Contains(errOut, `invalid value "nope" for flag -active-policy: no policy is named "nope"`) {
		t.Errorf("an unknown active policy: exit %d, %q", code, errOut)
	}
}

// TestPolicyActivatedAcrossReplicas runs two serve processes on one Redis:
// A loads a policy file at start; activating its policy on A changes the
// ranking B serves, within a second and without a restart. A third
// replica started with the same file records nothing new.
func TestPolicyActivatedAcrossReplicas(t *testing.T) {
	url := redistest.URL(t)
	prefix := redistest.Prefix("policies")
	purgeAfter(t, prefix)
	// loyal prices a miss of the customer's preferred technician at 500
	// minutes of driving: the farther, preferred T2 beats the nearer T1.
	file := writeFile(t, "loyal.json", `[{"name":"loyal","description":"the customer's technician, however far","weights":{"preferred_technician":500}},
		{"name":"thrifty","weights":{"travel_time":3}}]`)
	args := []string{"--redis", url, "--redis-prefix", prefix}
	a := startServe(t, append(args, "--policy", file)...)
	b := startServe(t, args...)

	now := time.Now().Truncate(time.Minute)
	for i, lat := range []float64{39.905, 39.95} { // T1 about 0.5 km from the order, T2 about 5.5 km
		tech := storetest.Technician([]string{"T1", "T2"}[i])
		home := model.LatLng(lat, -104.99)
		tech.Start, tech.End = home, &home
		tech.Shift.Start, tech.Shift.End = now.Add(-2*time.Hour), now.Add(6*time.Hour)
		tech.Breaks = nil
		if code := call(t, "PUT", a.base+"/v1/technicians/"+tech.ID, tech, nil); code != 201 {
			t.Fatalf("PUT %s on A: %d", tech.ID, code)
		}
	}
	order := map[string]any{"id": "NEW", "location": map[string]any{"lat": 39.90, "lng": -104.99}, "duration_s": 1800,
		"required_skills": map[string]int{"hvac": 1}, "preferred_technicians": []string{"T2"}}
	first := func(base string) model.Candidate {
		t.Helper()
		var s model.Suggestions
		if code := call(t, "POST", base+"/v1/suggest", map[string]any{"work_order": order, "now": now}, &s); code != 200 || len(s.Candidates) != 2 {
			t.Fatalf("suggest on %s: %d %+v", base, code, s)
		}
		return s.Candidates[0]
	}
	if c := first(b.base); c.TechnicianID != "T1" {
		t.Fatalf("B suggests %s first under the default policy, want the nearer T1", c.TechnicianID)
	}
	var book struct {
		Active   string         `json:"active"`
		Policies []model.Policy `json:"policies"`
	}
	if code := call(t, "GET", b.base+"/v1/policies", nil, &book); code != 200 || book.Active != "default" || len(book.Policies) != 3 {
		t.Fatalf("B's policy book: %d %+v, want default active and the file's two", code, book)
	}

	began := time.Now()
	if code := call(t, "POST", a.base+"/v1/policies/loyal/activate", nil, nil); code != 200 {
		t.Fatalf("activate on A: %d", code)
	}
	activated := time.Since(began)
	var c model.Candidate
	for {
		if c = first(b.base); c.TechnicianID == "T2" {
			break
		}
		if time.Since(began) > 5*time.Second {
			t.Fatalf("B still suggests %s first 5 s after loyal was activated on A", c.TechnicianID)
		}
		time.Sleep(5 * time.Millisecond)
	}
	visible := time.Since(began)
	t.Logf("activation on A answered in %v; B ranked by it %v after the request was sent", activated, visible)
	if visible > time.Second {
		t.Errorf("B used the activated policy %v after A was asked, want within 1 s", visible)
	}
	var w struct {
		model.Policy
		Active bool `json:"active"`
	}
	if code := call(t, "GET", b.base+"/v1/weights", nil, &w); code != 200 || w.Name != "loyal" || w.Weights.PreferredTechnician != 500 {
		t.Errorf("GET /v1/weights on B: %d %+v, want loyal", code, w)
	}

	// Replacing the active policy on B reaches A as fast: back to T1.
	if code := call(t, "PUT", b.base+"/v1/weights", map[string]any{"preferred_technician": 5}, nil); code != 200 {
		t.Fatalf("PUT /v1/weights on B: %d", code)
	}
	if c := first(a.base); c.TechnicianID != "T1" {
		t.Errorf("A suggests %s first after loyal's weights were put back on B, want T1", c.TechnicianID)
	}

	// The history names who did what; a replica started with the same
	// file replaces loyal again (the file is the configuration), once.
	var h struct{ Changes []model.PolicyChange }
	call(t, "GET", a.base+"/v1/policies/history", nil, &h)
	if len(h.Changes) != 4 || h.Changes[0].By != "serve --policy" || !strings.Contains(h.Changes[0].Reason, file) || h.Changes[2].Action != model.PolicyActivated {
		t.Fatalf("history %+v, want the file's two creations, the activation and the update", h.Changes)
	}
	startServe(t, append(args, "--policy", file)...)
	startServe(t, append(args, "--policy", file)...)
	call(t, "GET", a.base+"/v1/policies/history", nil, &h)
	if len(h.Changes) != 5 || h.Changes[4].Action != model.PolicyUpdated || h.Changes[4].Name != "loyal" || h.Changes[4].To.Weights.PreferredTechnician != 500 {
		t.Errorf("after two restarts with the file the history is %+v, want one update of loyal back to the file's", h.Changes)
	}
	if c := first(b.base); c.TechnicianID != "T2" {
		t.Errorf("B suggests %s first once the file's loyal is back, want T2", c.TechnicianID)
	}
}
