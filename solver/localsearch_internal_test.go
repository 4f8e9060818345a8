package solver

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"testing"

	"github.com/dispatchd/dispatchd/model"
	"github.com/dispatchd/dispatchd/scenario"
)

// TestLocalSearchKeepsEveryConstraint runs the local search on first
// plans of generated days — skills, certifications, tools, shifts,
// lunch breaks, windows, SLA deadlines, capacity, max_jobs, and pinned
// stops on one of them — and checks that the objective never rises, that
// the routes' kept costs are what laying them out again gives, and that
// the independent checker finds the plan sound.
func TestLocalSearchKeepsEveryConstraint(t *testing.T) {
	for name, p := range searchDays(t, []daySize{{60, 6}, {150, 10}}, 4) {
		t.Run(name, func(t *testing.T) {
			in, err := compile(p, nil)
			if err != nil {
				t.Fatal(err)
			}
			rng := rand.New(rand.NewPCG(1, 2))
			s := firstPlan(t, in, rng, 0)
			before := s.cost()
			ls := localSearch{in: in}
			if !ls.improve(s, nil, rng) {
				t.Log("no improving move")
			}
			after := s.cost()
			if after > before+1e-6 {
				t.Fatalf("local search raised the objective from %v to %v", before, after)
			}
			checkBooks(t, in, s)
			assertValid(t, p, in.plan(s))
			t.Logf("objective %.1f -> %.1f", before, after)
		})
	}
}

// TestLocalSearchFiltersRuleOutOnlyInfeasibleMoves runs the local search
// from the same first plans with the constant-time filters on and off: a
// filter that ruled out a feasible improving move would change the moves
// taken, and so the routes. The days have breaks, several windows, shifts
// of their own, capacity and max_jobs; the Solomon instances tight windows.
func TestLocalSearchFiltersRuleOutOnlyInfeasibleMoves(t *testing.T) {
	days := searchDays(t, []daySize{{60, 6}, {150, 10}, {300, 12}}, 3, "r101", "r205", "rc103", "c204")
	defer func() { prefilter = true }()
	for name, p := range days {
		t.Run(name, func(t *testing.T) {
			in, err := compile(p, nil)
			if err != nil {
				t.Fatal(err)
			}
			var got [2][][]int32
			for k, on := range []bool{true, false} {
				prefilter = on
				rng := rand.New(rand.NewPCG(1, 2))
				s := firstPlan(t, in, rng, 0)
				ls := localSearch{in: in}
				ls.improve(s, nil, rng)
				for _, r := range s.routes {
					got[k] = append(got[k], slices.Clone(r.seq))
				}
			}
			for v := range got[0] {
				if !slices.Equal(got[0][v], got[1][v]) {
					t.Fatalf("route %d with the filters %v, without %v", v, got[0][v], got[1][v])
				}
			}
		})
	}
}

// daySize is the size of a generated day.
type daySize struct{ orders, techs int }

// searchDays returns the days the tests of the search's moves run on, by
// name: the day with pinned stops, generated days of each size and seeds
// 0 … seeds-1 (skills, certifications, tools, shifts, lunch breaks,
// windows, SLA deadlines, capacity, max_jobs), and the Solomon instances
// named.
func searchDays(t *testing.T, sizes []daySize, seeds uint64, solomon ...string) map[string]*model.Problem {
	t.Helper()
	days := map[string]*model.Problem{"pinned": budgetDay(t)}
	for _, d := range sizes {
		for seed := range seeds {
			p, err := scenario.GenerateDay(scenario.DayOptions{Orders: d.orders, Technicians: d.techs, Seed: seed})
			if err != nil {
				t.Fatal(err)
			}
			days[fmt.Sprintf("%dx%d/seed%d", d.orders, d.techs, seed)] = p
		}
	}
	for _, name := range solomon {
		s, err := scenario.ReadSolomonFile(filepath.Join("..", "testdata", "solomon", name+".txt"))
		if err != nil {
			t.Fatal(err)
		}
		days["solomon/"+name] = s.Problem()
	}
	return days
}

// firstPlan builds a first plan of in as the search does — pinned stops,
// then greedy insertion with the given blink rate — from rng's stream.
func firstPlan(t *testing.T, in *instance, rng *rand.Rand, blink float64) *solution {
	t.Helper()
	s := newSolution(in)
	if err := s.placeFixed(); err != nil {
		t.Fatal(err)
	}
	sc := &scratch{}
	todo := s.insertable(nil)
	in.insertionOrder(rng, todo, make([]int32, len(in.jobs)), false, sc)
	s.recreate(rng, todo, blink, sc)
	return s
}
