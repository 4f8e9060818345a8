package solver_test

import (
	"context"
	"flag"
	"path/filepath"
	"testing"
	"time"

	"github.com/dispatchd/dispatchd/check"
	"github.com/dispatchd/dispatchd/scenario"
	"github.com/dispatchd/dispatchd/solver"
)

var (
	solomonLimit   = flag.Duration("solomon.limit", time.Second, "time limit per instance of BenchmarkSolomon")
	solomonThreads = flag.Int("solomon.threads", 1, "search threads of BenchmarkSolomon")
)

// solomonSubset is two instances of each Solomon class but c: among the
// farthest from their best-known distances at 2 s on main when it was
// chosen, where changes to the search show first.
var solomonSubset = []string{"c204", "r104", "r108", "r205", "r210", "rc103", "rc108", "rc204"}

// BenchmarkSolomon solves a subset of the Solomon instances with a time
// limit and reports the mean gap to the best-known distances (DIMACS
// convention, judged by check.Solomon: infeasible plans fail the
// benchmark) and the search's iterations per second per thread:
//
//	go test ./solver -run '^$' -bench Solomon -count 5 | benchstat -
//	go test ./solver -run '^$' -bench Solomon -solomon.limit 10s -solomon.threads 2
func BenchmarkSolomon(b *testing.B) {
	dir := filepath.Join("..", "testdata", "solomon")
	bks, err := scenario.ReadBKS(filepath.Join(dir, "bks_distance_only.csv"))
	if err != nil {
		b.Fatal(err)
	}
	var gap, rate float64
	runs := 0
	for b.Loop() {
		for _, name := range solomonSubset {
			s, err := scenario.ReadSolomonFile(filepath.Join(dir, name+".txt"))
			if err != nil {
				b.Fatal(err)
			}
			var first, last solver.Progress
			opts := solver.Options{TimeLimit: *solomonLimit, Seed: 1, Threads: *solomonThreads,
				Observer: solver.ObserverFunc(func(pr solver.Progress) {
					if pr.Iteration == 0 {
						first = pr
					}
					last = pr
				})}
			plan, err := solver.Plan(context.Background(), s.Problem(), opts)
			if err != nil {
				b.Fatal(err)
			}
			rep := check.Solomon(s, plan)
			if !rep.Feasible || rep.Unserved > 0 {
				b.Fatalf("%s: infeasible plan (%d unserved): %v", name, rep.Unserved, rep.Violations)
			}
			gap += (rep.Distance - bks[name].Distance) / bks[name].Distance * 100
			if search := last.Elapsed - first.Elapsed; search > 0 {
				rate += float64(last.Iteration) / search.Seconds()
			}
			runs++
		}
	}
	b.ReportMetric(gap/float64(runs), "gap-pct")
	b.ReportMetric(rate/float64(runs), "iter/s")
}
