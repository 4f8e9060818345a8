package main

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dispatchd/dispatchd/dispatch"
)

var update = flag.Bool("update", false, "rewrite the golden files of the compare table")

// golden compares got with testdata/compare/NAME, or rewrites it with
// -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", "compare", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to write it)", err)
	}
	if got != string(want) {
		t.Errorf("the table differs from %s (run with -update if the change is meant):\n%s", path, got)
	}
}

// compareDay writes a generated day to a file and returns its path.
func compareDay(t *testing.T) string {
	t.Helper()
	_, day, _ := runCmd(t, "", "gen", "--orders", "40", "--technicians", "8", "--seed", "2")
	path := filepath.Join(t.TempDir(), "day.json")
	if err := os.WriteFile(path, []byte(day), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestCompareTable prints the table of three policies on a generated day
// with an iteration budget, so that the plans, and so the bytes, are the
// same on any machine; progress goes to stderr, one line per plan.
func TestCompareTable(t *testing.T) {
	day := compareDay(t)
	code, out, errOut := runCmd(t, "", "compare", "--policy", "default", "--policy", "testdata/compare/short-drives.json",
		"--policy", "testdata/compare/fair.json", "--iterations", "3000", "--seed", "3", day)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	golden(t, "table.golden", out)
	if n := strings.Count(errOut, "\n"); n != 3 || !strings.Contains(errOut, "plan 3/3: ") || !strings.Contains(errOut, "fair done") {
		t.Errorf("progress on stderr: %q; want a line per plan", errOut)
	}
	// One worker gives the same table: the plans do not depend on what
	// runs beside them.
	if _, again, _ := runCmd(t, "", "compare", "--policy", "default", "--policy", "testdata/compare/short-drives.json",
		"--policy", "testdata/compare/fair.json", "--iterations", "3000", "--seed", "3", "--parallel", "1", day); again != out {
		t.Error("one worker printed another table")
	}
}

// TestCompareSweep prints how every KPI moves as travel_time rises.
func TestCompareSweep(t *testing.T) {
	day := compareDay(t)
	code, out, errOut := runCmd(t, "", "compare", "--sweep", "travel_time=0.5,1,2,4,8", "--iterations", "3000", day)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	golden(t, "sweep.golden", out)
	// A day with weights of its own: they are not used, and stderr says so.
	data, err := os.ReadFile(day)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	doc["weights"] = map[string]any{"travel_time": 100}
	weighted, _ := json.Marshal(doc)
	code, out, errOut = runCmd(t, string(weighted), "compare", "--sweep", "lateness=0,500", "--json", "--iterations", "300", "-")
	var c dispatch.Comparison
	if code != exitOK || json.Unmarshal([]byte(out), &c) != nil || c.Sweep == nil || len(c.Sweep.Series) != len(c.Table) || len(c.Order) != 2 {
		t.Fatalf("exit %d, stderr %q; --json printed %.200s", code, errOut, out)
	}
	if !strings.Contains(errOut, "names weights of its own; they are not used") {
		t.Errorf("stderr %q does not say the day's weights are not used", errOut)
	}
	if c.Policies["lateness=0"].Policy.Weights.TravelTime != 1 {
		t.Errorf("the sweep's base took the day's weights: %+v", c.Policies["lateness=0"].Policy.Weights)
	}
}

func TestCompareUsageErrors(t *testing.T) {
	day := compareDay(t)
	bad := filepath.Join(t.TempDir(), "bad.json")
	if err := os.WriteFile(bad, []byte(`{"name":"bad","weights":{"lateness":-5}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	typo := filepath.Join(t.TempDir(), "typo.json")
	if err := os.WriteFile(typo, []byte(`{"name":"typo","weights":{"travel":1}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"compare", day}, "want two --policy or more, or a --sweep"},
		{[]string{"compare", "--policy", "default", day}, "want two --policy or more, or a --sweep"},
		{[]string{"compare", "--policy", "default", "--policy", "default", day}, `policies[1].name: policy "default" is named twice`},
		{[]string{"compare", "--policy", "default", "--policy", bad, day}, "weights.lateness"},
		{[]string{"compare", "--policy", "default", "--policy", typo, day}, "weights.travel"},
		{[]string{"compare", "--policy", "default", "--policy", "/no/such/policy.json", day}, "reading /no/such/policy.json"},
		{[]string{"compare", "--policy", "default", "--policy", "-", day}, "a --policy is a file"},
		{[]string{"compare", "--sweep", "travel_time", day}, "want WEIGHT=V1,V2"},
		{[]string{"compare", "--sweep", "speed=1,2", day}, `unknown weight "speed"`},
		{[]string{"compare", "--sweep", "travel_time=1,fast", day}, `"fast" is not a number`},
		{[]string{"compare", "--sweep", "travel_time=1", day}, "want two values or more"},
		{[]string{"compare", "--sweep", "travel_time=1,-2", day}, "sweep.values[1]"},
		{[]string{"compare", "--sweep", "travel_time=1,2", "--sweep", "lateness=1,2", day}, "give one sweep"},
		{[]string{"compare", "--sweep", "travel_time=1,2", "--time-limit", "-1s", day}, "invalid value -1s for flag -time-limit"},
		{[]string{"compare", "--sweep", "travel_time=1,2", "--parallel", "0", day}, "invalid value 0 for flag -parallel"},
		{[]string{"compare", "--sweep", "travel_time=1,2"}, "want one problem file"},
		{[]string{"compare", "--sweep", "travel_time=1,2", "/no/such/day.json"}, "reading /no/such/day.json"},
		{[]string{"compare", "--sweep", "travel_time=1,2", bad}, "problem(s)"},
	} {
		code, out, errOut := runCmd(t, "", tt.args...)
		if code != exitUsage || out != "" || strings.Count(errOut, "\n") != 1 || !strings.Contains(errOut, tt.want) {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit 2 and one line containing %q", tt.args, code, out, errOut, tt.want)
		}
	}
}
