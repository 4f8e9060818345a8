package solver

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/dispatchd/dispatchd/scenario"
)

// readyForStar sets ls up as improve does, with every route of s marked
// for SWAP*.
func readyForStar(ls *localSearch, s *solution) {
	in := s.in
	ls.a, ls.b = newRoute(0), newRoute(0)
	ls.pos = grow(ls.pos, len(in.jobs))
	ls.dirty = grow(ls.dirty, len(s.routes))
	ls.star = grow(ls.star, len(s.routes))
	for v, r := range s.routes {
		ls.index(r)
		ls.dirty[v], ls.star[v] = false, true
	}
}

// TestSwapStarKeepsEveryConstraint runs SWAP* alone on first plans of
// generated days — skills, certifications, tools, shifts, lunch breaks,
// windows, SLA deadlines, capacity, max_jobs, pinned stops — and of
// Solomon instances, until it finds nothing more, and checks that the
// objective falls with every move, that pinned jobs stay on their routes
// and every job on a route it is qualified for, that the routes' kept
// costs are what laying them out again gives, and that the independent
// checker finds the plan sound.
func TestSwapStarKeepsEveryConstraint(t *testing.T) {
	for name, p := range searchDays(t, []daySize{{60, 6}, {150, 10}}, 4, "r101", "rc105", "r202", "c201") {
		t.Run(name, func(t *testing.T) {
			in, err := compile(p, nil)
			if err != nil {
				t.Fatal(err)
			}
			s := firstPlan(t, in, rand.New(rand.NewPCG(1, 2)), 0)
			ls := localSearch{in: in}
			readyForStar(&ls, s)
			start := s.cost()
			moves := 0
			for cost := start; ls.swapStar(s); moves++ {
				if now := s.cost(); now >= cost-lsEps {
					t.Fatalf("SWAP* took the objective from %v to %v", cost, now)
				} else {
					cost = now
				}
				for v := range ls.star {
					ls.star[v] = ls.dirty[v]
					ls.dirty[v] = false
				}
				if moves > 10000 {
					t.Fatal("SWAP* does not stop")
				}
			}
			checkBooks(t, in, s)
			assertValid(t, p, in.plan(s))
			t.Logf("%d SWAP* moves: objective %.1f -> %.1f", moves, start, s.cost())
		})
	}
}

// swapStarDay is a hand-made day of two vehicles of two jobs' capacity
// from a depot at (50, 50): E1 and E2 lie east, W1 and W2 west, and W1
// must be served before time 40, W2 from time 40 on.
const swapStarDay = `SWAPSTAR

VEHICLE
NUMBER     CAPACITY
  2         20

CUSTOMER
CUST NO.  XCOORD.   YCOORD.    DEMAND   READY TIME  DUE DATE   SERVICE   TIME

    0      50         50          0          0       1000          0
    1      60         50         10          0        100          0
    2      62         50         10          0        200          0
    3      40         50         10          0         40          0
    4      38         50         10         40        200          0
`

// TestSwapStarFindsTheExchange starts from routes [E1 W1] and [W2 E2].
// No relocate fits (both routes are full), the swap of W1 and E2 in
// place would serve W1 after W2, and no other swap or 2-opt* gains; SWAP*
// exchanges W1 and E2, putting W1 before W2: one route serves E1 and
// E2, the other W1 then W2.
func TestSwapStarFindsTheExchange(t *testing.T) {
	sol, err := scenario.ReadSolomon(strings.NewReader(swapStarDay))
	if err != nil {
		t.Fatal(err)
	}
	p := sol.Problem()
	in, err := compile(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	job := map[string]int32{}
	for j := range in.jobs {
		job[p.WorkOrders[in.jobs[j].idx].ID] = int32(j)
	}
	routes := func(s *solution) string {
		var out []string
		for _, r := range s.routes {
			var ids []string
			for _, j := range r.seq {
				ids = append(ids, p.WorkOrders[in.jobs[j].idx].ID)
			}
			slices.Sort(ids) // the order within a route is the schedule's
			out = append(out, strings.Join(ids, " "))
		}
		slices.Sort(out)
		return strings.Join(out, " | ")
	}
	cases := []struct {
		name string
		a, b []string
		want string
	}{
		{"east and west crossed", []string{"1", "3"}, []string{"4", "2"}, "1 2 | 3 4"},
		{"the other way round", []string{"4", "2"}, []string{"1", "3"}, "1 2 | 3 4"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := newSolution(in)
			for v, ids := range [][]string{c.a, c.b} {
				for g, id := range ids {
					if _, ok := s.routes[v].tryGap(in, job[id], g, 1e18); !ok {
						t.Fatalf("job %s does not fit route %d at %d", id, v, g)
					}
					s.insert(job[id], int32(v), g)
				}
			}
			ls := localSearch{in: in}
			readyForStar(&ls, s)
			for v := range ls.dirty {
				ls.dirty[v] = true
			}
			if ls.passes(s, rand.New(rand.NewPCG(1, 2))) {
				t.Fatalf("a per-job move changed the routes to %s", routes(s))
			}
			before := s.cost()
			for v := range ls.star {
				ls.star[v] = true
			}
			if !ls.swapStar(s) {
				t.Fatalf("SWAP* found no move from %s", routes(s))
			}
			if got := routes(s); got != c.want {
				t.Errorf("SWAP* made %s, want %s", got, c.want)
			}
			if s.cost() >= before {
				t.Errorf("objective %v -> %v", before, s.cost())
			}
			assertValid(t, p, in.plan(s))
		})
	}
}
