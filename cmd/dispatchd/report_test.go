package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dispatchd/dispatchd/dispatch"
	"github.com/dispatchd/dispatchd/report"
)

// TestCompareHTML: --html writes the comparison's report beside the
// table (here the JSON), whole, and nothing else into its folder.
func TestCompareHTML(t *testing.T) {
	day := compareDay(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "compare.html")
	code, out, errOut := runCmd(t, "", "compare", "--policy", "default", "--policy", "testdata/compare/short-drives.json",
		"--sweep", "travel_time=4,1,0.5", "--iterations", "200", "--json", "--html", path, day)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.Contains(errOut, "wrote the report to "+path) {
		t.Errorf("stderr %q does not say where the report went", errOut)
	}
	var c dispatch.Comparison
	if err := json.Unmarshal([]byte(out), &c); err != nil {
		t.Fatalf("--json beside --html: %v", err)
	}
	page, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	html := string(page)
	// A chart for every figure that differs between the plans.
	r, err := report.FromCompare(&c, nil)
	if err != nil {
		t.Fatal(err)
	}
	varies := func(rows []report.KPIRow) int {
		n := 0
		for _, k := range rows {
			if k.Varies() {
				n++
			}
		}
		return n
	}
	if len(r.Sweeps) != 1 || varies(r.KPIs) == 0 || varies(r.Sweeps[0].KPIs) == 0 {
		t.Fatalf("the comparison has %d sweeps, %d KPI rows that vary: the test needs one sweep and some", len(r.Sweeps), varies(r.KPIs))
	}
	for _, tc := range []struct {
		what string
		want int
	}{
		{`<svg class="kpi-chart"`, varies(r.KPIs)},
		{`<svg class="sweep-chart"`, varies(r.Sweeps[0].KPIs)},
		{`<svg class="route-map"`, 2},
		{`<table id="objective-matrix"`, 1},
		{"<title>Policies compared on day.json</title>", 1},
	} {
		if got := strings.Count(html, tc.what); got != tc.want {
			t.Errorf("%d × %s in the page, want %d", got, tc.what, tc.want)
		}
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o644 {
		t.Errorf("the page's mode %v (%v), want 0644", fi.Mode(), err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("%d files in the page's folder, want the page alone", len(entries))
	}

	// A path that cannot be written is refused before any plan runs.
	code, out, errOut = runCmd(t, "", "compare", "--sweep", "travel_time=1,2", "--iterations", "50", "--html", filepath.Join(dir, "no", "such", "x.html"), day)
	if code != exitUsage || out != "" || strings.Count(errOut, "\n") != 1 || !strings.Contains(errOut, "--html ") {
		t.Errorf("an unwritable --html: exit %d, stdout %q, stderr %q; want exit 2 and one line naming --html", code, out, errOut)
	}
}
