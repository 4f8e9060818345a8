package solver

import (
	"math/rand/v2"
	"testing"
)

// TestCrossoverKeepsEveryConstraint crosses two local optima of generated
// days — skills, certifications, tools, shifts, lunch breaks, windows, SLA
// deadlines, capacity, max_jobs, and pinned stops on one of them — and of
// Solomon instances, many times, repairs each child with recreate and
// local search as the search does, and checks that the child's
// bookkeeping is whole, that the routes' kept costs are what laying them
// out again gives, that pinned jobs stay on their vehicle and that the
// independent checker finds the plan sound.
func TestCrossoverKeepsEveryConstraint(t *testing.T) {
	days := searchDays(t, []daySize{{60, 6}, {150, 10}}, 3, "c101", "r211", "rc105")
	for name, p := range days {
		t.Run(name, func(t *testing.T) {
			in, err := compile(p, nil)
			if err != nil {
				t.Fatal(err)
			}
			sc := &scratch{}
			ls := localSearch{in: in}
			optimum := func(seed uint64) *solution {
				rng := rand.New(rand.NewPCG(seed, 2))
				s := firstPlan(t, in, rng, 0.2)
				ls.improve(s, nil, rng)
				return s
			}
			a, b := optimum(1), optimum(2)
			var pl pool
			rng := rand.New(rand.NewPCG(3, 4))
			crossed := 0
			for range 40 {
				child := &solution{}
				a.copyInto(child)
				if !pl.cross(rng, a, b, child) {
					continue
				}
				crossed++
				checkBooks(t, in, child)
				todo := child.retryable(nil)
				in.insertionOrder(rng, todo, make([]int32, len(in.jobs)), false, sc)
				child.recreate(rng, todo, blinkRate, sc)
				ls.improve(child, a, rng)
				checkBooks(t, in, child)
				assertValid(t, p, in.plan(child))
				if t.Failed() {
					t.FailNow()
				}
				// Cross the children on: the parents drift apart and meet.
				if rng.IntN(2) == 0 {
					a = child
				} else {
					b = child
				}
			}
			if crossed == 0 {
				t.Fatal("no crossover changed anything")
			}
			t.Logf("%d crossovers, objective %.1f and %.1f", crossed, a.cost(), b.cost())
		})
	}
}

// checkBooks checks a solution's bookkeeping: where and free agree with
// the routes, every route's kept costs are what laying it out again gives,
// pinned jobs are on their vehicle and every job on a route it qualifies
// for.
func checkBooks(t *testing.T, in *instance, s *solution) {
	t.Helper()
	seen := make([]bool, len(in.jobs))
	for v, r := range s.routes {
		again := newRoute(int32(v))
		again.seq = append(again.seq, r.seq...)
		if !again.update(in) || again.arcs != r.arcs || again.soft != r.soft || again.pair != r.pair {
			t.Fatalf("route %d keeps costs %v/%v/%v, laid out again %v/%v/%v", v, r.arcs, r.soft, r.pair, again.arcs, again.soft, again.pair)
		}
		for _, j := range r.seq {
			if j < 0 {
				continue
			}
			if seen[j] || s.where[j] != int32(v) {
				t.Fatalf("job %d is on route %d (twice: %v) but where says %d", j, v, seen[j], s.where[j])
			}
			if f := in.jobs[j].fixed; f >= 0 && f != int32(v) {
				t.Fatalf("pinned job %d moved from vehicle %d to %d", j, f, v)
			}
			if !in.ok[v*len(in.jobs)+int(j)] {
				t.Fatalf("job %d is on route %d, which it is not qualified for", j, v)
			}
			seen[j] = true
		}
	}
	for _, j := range s.free {
		if seen[j] || s.where[j] != -1 || s.freeAt[j] < 0 || s.free[s.freeAt[j]] != j {
			t.Fatalf("free job %d is badly kept", j)
		}
	}
	for j := range seen {
		if !seen[j] && s.where[j] != -1 {
			t.Fatalf("job %d is on no route but where says %d", j, s.where[j])
		}
	}
}
