package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dispatchd/dispatchd/bench"
	"github.com/dispatchd/dispatchd/check"
	"github.com/dispatchd/dispatchd/model"
	"github.com/dispatchd/dispatchd/scenario"
)

func TestSolveUsageErrors(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"solve"}, "want one problem file"},
		{[]string{"solve", "--format", "xml", "x.json"}, `invalid value "xml" for flag -format`},
		{[]string{"solve", "--time-limit", "-3s", "x.json"}, "invalid value -3s for flag -time-limit"},
		{[]string{"solve", "--iterations", "-1", "x.json"}, "invalid value -1 for flag -iterations"},
		{[]string{"solve", "/no/such/file.json"}, "reading /no/such/file.json"},
		{[]string{"bench"}, "--set DIR is required"},
		{[]string{"bench", "--set", "/no/such/dir"}, `invalid value "/no/such/dir" for flag -set`},
		{[]string{"bench", "--set", ".", "--parallel", "0"}, "invalid value 0 for flag -parallel"},
	} {
		code, out, errOut := runCmd(t, "", tt.args...)
		if code != exitUsage || out != "" || strings.Count(errOut, "\n") != 1 || !strings.Contains(errOut, tt.want) {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit 2 and one line containing %q", tt.args, code, out, errOut, tt.want)
		}
	}
}

func TestSolveJSON(t *testing.T) {
	_, day, _ := runCmd(t, "", "gen", "--orders", "40", "--technicians", "4", "--seed", "9")
	args := []string{"solve", "--iterations", "200", "--seed", "3", "-"}
	code, out, errOut := runCmd(t, day, args...)
	if code != exitOK || errOut != "" {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	var plan model.Plan
	if err := json.Unmarshal([]byte(out), &plan); err != nil {
		t.Fatalf("decoding the plan: %v", err)
	}
	p, err := model.DecodeProblem([]byte(day))
	if err != nil {
		t.Fatal(err)
	}
	if rep := check.Plan(p, plan); !rep.Feasible || len(rep.Mismatches) > 0 {
		t.Errorf("the printed plan fails the checker: %v %v", rep.Violations, rep.Mismatches)
	}
	if _, again, _ := runCmd(t, day, args...); again != out {
		t.Error("the same seed and iterations printed a different plan")
	}
}

func TestSolveSolomon(t *testing.T) {
	code, out, errOut := runCmd(t, "", "solve", "--format", "solomon", "--iterations", "300", "../../testdata/solomon/c101.txt")
	if code != exitOK {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	var plan model.Plan
	if err := json.Unmarshal([]byte(out), &plan); err != nil {
		t.Fatal(err)
	}
	s, err := scenario.ReadSolomonFile("../../testdata/solomon/c101.txt")
	if err != nil {
		t.Fatal(err)
	}
	if rep := check.Solomon(s, plan); !rep.Feasible || rep.Unserved != 0 {
		t.Errorf("c101 plan: feasible %v, unserved %d: %v", rep.Feasible, rep.Unserved, rep.Violations)
	}
	code, _, errOut = runCmd(t, "not a solomon file", "solve", "--format", "solomon", "-")
	if code != exitUsage || !strings.Contains(errOut, "-:") {
		t.Errorf("bad Solomon input: exit %d, stderr %q", code, errOut)
	}
}

func TestSolveInvalidProblem(t *testing.T) {
	bad := `{"technicians":[{"id":"T1","start":{"lat":1,"lng":1},"shift":{"start":"2026-11-23T08:00:00Z","end":"2026-11-23T07:00:00Z"}}],"work_orders":[]}`
	code, out, errOut := runCmd(t, bad, "solve", "-")
	if code != exitUsage || out != "" || !strings.Contains(errOut, "technicians[0].shift.end: before start") {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}

func TestBench(t *testing.T) {
	report := filepath.Join(t.TempDir(), "report.json")
	code, out, errOut := runCmd(t, "", "bench", "--set", "../../testdata/solomon", "--only", "c101,R201", "--iterations", "200", "--json", report)
	if code != exitOK {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	for _, want := range []string{"instance   vehic", "\nc101 ", "\nr201 ", "all        2 instances,   2 feasible"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	data, err := os.ReadFile(report)
	if err != nil {
		t.Fatal(err)
	}
	var rep bench.Report
	if err := json.Unmarshal(data, &rep); err != nil || len(rep.Results) != 2 {
		t.Errorf("report %s: %v", data, err)
	}
}

func TestBenchSuggest(t *testing.T) {
	code, out, errOut := runCmd(t, "", "bench", "suggest", "--technicians", "50", "--stops", "4", "--requests", "40")
	if code != exitOK {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	for _, want := range []string{"suggest: 50 technicians × 4 stops, 40 requests", "latency  p50 ", "p99 ", "allocations"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	code, out, errOut = runCmd(t, "", "bench", "suggest", "--technicians", "50", "--stops", "4", "--requests", "20", "--radius-km", "300", "--pruned")
	if code != exitOK || !strings.Contains(out, "H3 search") {
		t.Fatalf("--radius-km 300 --pruned: exit %d, stderr %q, output:\n%s", code, errOut, out)
	}
	for _, bad := range []struct{ flag, value, want string }{
		{"--requests", "0", "invalid value 0 for flag -requests"},
		{"--radius-km", "0.5", "invalid value 0.5 for flag -radius-km"},
		{"--radius-km", "NaN", "invalid value NaN for flag -radius-km"},
	} {
		code, _, errOut = runCmd(t, "", "bench", "suggest", bad.flag, bad.value)
		if code != exitUsage || !strings.Contains(errOut, bad.want) {
			t.Errorf("%s %s: exit %d, %q; want exit %d naming the flag", bad.flag, bad.value, code, errOut, exitUsage)
		}
	}
}
