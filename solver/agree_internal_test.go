package solver

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/dispatchd/dispatchd/model"
	"github.com/dispatchd/dispatchd/scenario"
)

// TestSuggestAgreesWithPlan is the promise that a suggestion and the
// planner read one policy the same way, on generated days in progress
// under random policies: for every technician, the planner's cheapest
// insertion of the order — the change of the whole day's objective,
// worked out from the day's routes laid out again with the order in every
// gap, and the crew's balance of work from scratch — is the gap Suggest
// offers, and between any two candidates Suggest's costs differ exactly as
// the planner's do. So whenever the planner would rather give the order to
// A than to B, Suggest ranks A first, and any change of weights moves both
// the same way.
func TestSuggestAgreesWithPlan(t *testing.T) {
	rng := rand.New(rand.NewPCG(14, 14))
	ctx := context.Background()
	compared := 0
	for seed := range uint64(24) {
		d, err := scenario.GenerateBusyDay(scenario.BusyDayOptions{Technicians: 25, Stops: 2 + int(seed%5), Seed: seed, Now: []int{7 * 60, 10 * 60, 13 * 60}[seed%3]})
		if err != nil {
			t.Fatal(err)
		}
		day := Day{Now: d.Now, Technicians: d.Technicians, Orders: d.Orders, Routes: d.Routes, Positions: d.Positions, Travel: d.Travel}
		for k := range 3 {
			p := randomPolicy(rng)
			day.Policy = &p
			st, err := NewState(day)
			if err != nil {
				t.Fatal(err)
			}
			for _, o := range scenario.GenerateOrders(3, seed*10+uint64(k), day.Technicians) {
				if seed%2 == 1 && len(o.PreferredTechnicians) == 0 {
					o.PreferredTechnicians = []string{day.Technicians[seed%5].ID}
				}
				q, err := st.newQuery(&o, SuggestOptions{Limit: len(day.Technicians), MaxRejected: -1})
				if err != nil {
					t.Fatal(err)
				}
				if err := q.run(ctx, true); err != nil {
					t.Fatal(err)
				}
				byPlan := map[int32]float64{}
				for v := range st.in.vehicles {
					if c, ok := planInsertion(st, q, int32(v)); ok {
						byPlan[int32(v)] = c
					}
				}
				for _, c := range q.cands {
					if _, ok := byPlan[c.v]; !ok {
						t.Fatalf("seed %d order %s: Suggest offers %s, whose day the planner finds no gap in", seed, o.ID, day.Technicians[c.v].ID)
					}
				}
				if len(q.cands) != len(byPlan) {
					t.Fatalf("seed %d order %s: %d candidates, the planner could insert into %d days", seed, o.ID, len(q.cands), len(byPlan))
				}
				for i, a := range q.cands {
					for _, b := range q.cands[i+1:] {
						compared++
						plan := byPlan[a.v] - byPlan[b.v]
						if math.Abs((a.cost-b.cost)-plan) > 1e-6*(1+math.Abs(plan)+math.Abs(a.cost)) {
							t.Fatalf("seed %d policy %+v order %s: %s and %s differ by %v in Suggest, by %v for the planner",
								seed, p, o.ID, day.Technicians[a.v].ID, day.Technicians[b.v].ID, a.cost-b.cost, plan)
						}
						if plan > 1e-9 {
							t.Fatalf("seed %d order %s: the planner prefers %s to %s by %v, Suggest ranks it after", seed, o.ID,
								day.Technicians[b.v].ID, day.Technicians[a.v].ID, plan)
						}
					}
				}
			}
		}
	}
	if compared < 1000 {
		t.Fatalf("only %d pairs of candidates compared", compared)
	}
}

// randomPolicy draws weights between 0.01 and 100 per unit, a third of
// them zero, and a score scale.
func randomPolicy(rng *rand.Rand) model.Policy {
	draw := func() float64 {
		if rng.IntN(3) == 0 {
			return 0
		}
		return math.Pow(10, rng.Float64()*4-2)
	}
	w := model.Weights{Unassigned: 1000, Priority: 10, Lateness: draw(), TravelTime: draw(), Distance: draw(), Overtime: draw(),
		SkillSurplus: draw(), PreferredTechnician: draw(), WorkloadBalance: draw(), PlanChange: draw()}
	return model.Policy{Weights: w, ScoreScale: 50 + rng.Float64()*1000}
}

// planInsertion is the least change of the day's objective, as the
// planner prices a plan, of putting q's order into a gap of technician
// v's remaining day: the route laid out again with it, its travel and time
// terms, the pair's, and the crew's workload spread before and after.
func planInsertion(st *State, q *query, v int32) (float64, bool) {
	in := st.in
	t := &in.p.Technicians[v]
	if !st.prof.qualifies(v, &q.need) || st.broken[v] != "" || st.slots[v] <= 0 {
		return 0, false
	}
	r := st.routes[v]
	if !r.fits(in, &q.jb) {
		return 0, false
	}
	w := st.policy.Weights
	surplus, notPreferred, changed := pairMeasures(t, q.order)
	pair := pairPrice(w, surplus, notPreferred, changed)
	spread := func(extra int32) float64 {
		work := make([]float64, len(st.booked))
		total := 0.0
		for i, b := range st.booked {
			work[i] = float64(b)
			if int32(i) == extra {
				work[i] += float64(q.jb.dur)
			}
			total += work[i]
		}
		mean := total / float64(in.activeVehicles)
		s := 0.0
		for i := range work {
			if in.p.Technicians[i].IsActive() {
				s += math.Abs(work[i] - mean)
			}
		}
		return s / msPerMi
	}
	workload := w.WorkloadBalance * (spread(v) - spread(-1))
	best, found := 0.0, false
	withOrder := q.withOrder()
	for g := 0; g <= r.jobs; g++ {
		tr, ok := r.trial(withOrder, &q.jb, g)
		if !ok {
			continue
		}
		c := tr.arcs - r.arcs + tr.soft - r.soft + pair + workload
		if !found || c < best {
			best, found = c, true
		}
	}
	return best, found
}
