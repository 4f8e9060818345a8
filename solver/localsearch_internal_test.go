package solver

import (
	"fmt"
	"math/rand/v2"
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
	days := map[string]*model.Problem{"pinned": budgetDay(t)}
	for _, d := range []struct{ orders, techs int }{{60, 6}, {150, 10}} {
		for seed := range uint64(4) {
			p, err := scenario.GenerateDay(scenario.DayOptions{Orders: d.orders, Technicians: d.techs, Seed: seed})
			if err != nil {
				t.Fatal(err)
			}
			days[fmt.Sprintf("%dx%d/seed%d", d.orders, d.techs, seed)] = p
		}
	}
	for name, p := range days {
		t.Run(name, func(t *testing.T) {
			in, err := compile(p, nil)
			if err != nil {
				t.Fatal(err)
			}
			s := newSolution(in)
			if err := s.placeFixed(); err != nil {
				t.Fatal(err)
			}
			rng := rand.New(rand.NewPCG(1, 2))
			sc := &scratch{}
			todo := s.insertable(nil)
			in.insertionOrder(rng, todo, make([]int32, len(in.jobs)), false, sc)
			s.recreate(rng, todo, 0, sc)
			before := s.cost()
			ls := localSearch{in: in}
			if !ls.improve(s, nil, rng) {
				t.Log("no improving move")
			}
			after := s.cost()
			if after > before+1e-6 {
				t.Fatalf("local search raised the objective from %v to %v", before, after)
			}
			for v, r := range s.routes {
				again := newRoute(int32(v))
				again.seq = append(again.seq, r.seq...)
				if !again.update(in) || again.arcs != r.arcs || again.soft != r.soft || again.pair != r.pair {
					t.Fatalf("route %d keeps costs %v/%v/%v, laid out again %v/%v/%v", v, r.arcs, r.soft, r.pair, again.arcs, again.soft, again.pair)
				}
				for _, j := range r.seq {
					if s.where[j] != int32(v) {
						t.Fatalf("job %d is on route %d but where says %d", j, v, s.where[j])
					}
				}
			}
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
	days := map[string]*model.Problem{"pinned": budgetDay(t)}
	for _, d := range []struct{ orders, techs int }{{60, 6}, {150, 10}, {300, 12}} {
		for seed := range uint64(3) {
			p, err := scenario.GenerateDay(scenario.DayOptions{Orders: d.orders, Technicians: d.techs, Seed: seed})
			if err != nil {
				t.Fatal(err)
			}
			days[fmt.Sprintf("%dx%d/seed%d", d.orders, d.techs, seed)] = p
		}
	}
	for _, name := range []string{"r101", "r205", "rc103", "c204"} {
		s, err := scenario.ReadSolomonFile("../testdata/solomon/" + name + ".txt")
		if err != nil {
			t.Fatal(err)
		}
		days[name] = s.Problem()
	}
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
				s := newSolution(in)
				if err := s.placeFixed(); err != nil {
					t.Fatal(err)
				}
				rng := rand.New(rand.NewPCG(1, 2))
				sc := &scratch{}
				todo := s.insertable(nil)
				in.insertionOrder(rng, todo, make([]int32, len(in.jobs)), false, sc)
				s.recreate(rng, todo, 0, sc)
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
