package bench

import (
	"bytes"
	"context"
	"flag"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dispatchd/dispatchd/check"
	"github.com/dispatchd/dispatchd/scenario"
	"github.com/dispatchd/dispatchd/solver"
)

func TestRunSet(t *testing.T) {
	var done []string
	rep, err := RunSet(context.Background(), SetOptions{
		Dir: "../testdata/solomon", Iterations: 300, Seed: 1, Parallel: 2,
		Only: []string{"c101", "r201"},
		Done: func(r Result) { done = append(done, r.Instance) },
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Results) != 2 || len(done) != 2 || rep.Results[0].Instance != "c101" || rep.Results[1].Instance != "r201" {
		t.Fatalf("results %+v, done %v", rep.Results, done)
	}
	for _, r := range rep.Results {
		if !r.Feasible || r.Unserved != 0 || r.Error != "" {
			t.Errorf("%s: feasible %v, unserved %d, error %q, violations %v", r.Instance, r.Feasible, r.Unserved, r.Error, r.Violations)
		}
		if r.GapPct < -1e-9 || r.GapPct > 20 || r.Customers != 100 {
			t.Errorf("%s: gap %.2f%% on %d customers", r.Instance, r.GapPct, r.Customers)
		}
	}
	if rep.Summary.Instances != 2 || rep.Summary.Feasible != 2 || len(rep.ByClass) != 2 || rep.ByClass["r2"].Instances != 1 {
		t.Errorf("summary %+v by class %+v", rep.Summary, rep.ByClass)
	}
	var out bytes.Buffer
	rep.WriteTable(&out)
	for _, want := range []string{"instance   vehic  distance  best known  gap %", "c101 ", "all        2 instances,   2 feasible", "r2         1 instances"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, out.String())
		}
	}
	if err := rep.WriteJSON(filepath.Join(t.TempDir(), "report.json")); err != nil {
		t.Error(err)
	}
}

func TestRunSetRefusesEmptySet(t *testing.T) {
	if _, err := RunSet(context.Background(), SetOptions{Dir: "../testdata/solomon", Only: []string{"nope"}}); err == nil {
		t.Error("a run with no instances succeeded")
	}
	if _, err := RunSet(context.Background(), SetOptions{Dir: t.TempDir()}); err == nil {
		t.Error("a directory without bks_distance_only.csv succeeded")
	}
}

func TestSummarise(t *testing.T) {
	s := summarise([]Result{
		{Instance: "a", GapPct: 0, Feasible: true, Seconds: 1},
		{Instance: "b", GapPct: 2, Feasible: true, Seconds: 3},
		{Instance: "c", GapPct: 1, Feasible: false, Seconds: 2},
		{Instance: "d", Error: "broken"},
	})
	want := Summary{Instances: 4, Feasible: 2, MeanGap: 1, MedianGap: 1, MaxGap: 2, MaxGapAt: "b", Matched: 1, MeanSeconds: 2}
	if s != want {
		t.Errorf("summarise = %+v, want %+v", s, want)
	}
}

func TestClassOf(t *testing.T) {
	for name, want := range map[string]string{"c101": "c1", "rc208": "rc2", "R1_10_1": "r1", "RC2_8_6": "rc2", "r211": "r2"} {
		if got := classOf(name); got != want {
			t.Errorf("classOf(%q) = %q, want %q", name, got, want)
		}
	}
}

var benchIterations = flag.Int("bench.iterations", 20_000, "iterations per plan in BenchmarkSolomon")

// BenchmarkSolomon plans one instance of each Solomon class with a fixed
// iteration budget and reports the gap to the best-known distance
// (DIMACS convention, judged by check.Solomon) beside the time per plan:
//
//	go test ./bench -run '^$' -bench Solomon -count 10 | benchstat -
func BenchmarkSolomon(b *testing.B) {
	bks, err := scenario.ReadBKS("../testdata/solomon/bks_distance_only.csv")
	if err != nil {
		b.Fatal(err)
	}
	for _, name := range []string{"c101", "c201", "r101", "r201", "rc101", "rc201"} {
		b.Run(name, func(b *testing.B) {
			s, err := scenario.ReadSolomonFile("../testdata/solomon/" + name + ".txt")
			if err != nil {
				b.Fatal(err)
			}
			p := s.Problem()
			var gap float64
			for b.Loop() {
				plan, err := solver.Plan(context.Background(), p, solver.Options{Iterations: *benchIterations, Seed: 1})
				if err != nil {
					b.Fatal(err)
				}
				rep := check.Solomon(s, plan)
				if !rep.Feasible {
					b.Fatalf("infeasible plan: %v", rep.Violations)
				}
				gap = (rep.Distance - bks[name].Distance) / bks[name].Distance * 100
			}
			b.ReportMetric(gap, "gap-pct")
		})
	}
}
