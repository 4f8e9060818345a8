package solver

import (
	"slices"

	"github.com/dispatchd/dispatchd/model"
)

// term is one part of the objective as the solver computes it: its cost in
// a solution, weighted by the policy, from what the routes keep up to
// date; and its measures, before any weight, in model.Measures' units. The
// search's cost, a plan's objective terms and measures, and the criteria
// of a suggestion all come from these terms, so that they cannot drift
// apart.
//
// A term that the search must price for one insertion also has an
// insertion method, with the arguments it needs (the legs around the
// gap, the route's schedule with the job in it, the crew's mean
// workload): recreate and Suggest call those directly on their concrete
// types, since they run for every gap of every candidate route.
type term interface {
	// cost is the term's part of solution s's objective.
	cost(s *solution) float64
	// measure adds the term's measures of s to m.
	measure(s *solution, m *model.Measures)
}

// objective lists the terms of the objective.
var objective = []term{unassignedTerm{}, travelTerm{}, timeTerm{}, pairTerm{}, workloadTerm{}}

// unassignedTerm is the cost of the orders left out: unassigned × (1 +
// priority × rank) each.
type unassignedTerm struct{}

func (unassignedTerm) cost(s *solution) float64 { return s.missed }

func (unassignedTerm) measure(s *solution, m *model.Measures) {
	for _, j := range s.free {
		m.Unassigned++
		m.UnassignedRank += float64(max(s.in.p.WorkOrders[s.in.jobs[j].idx].Priority.Rank(), 0))
	}
}

// travelTerm is travel_time and distance: the travel table prices each leg
// once (travelTable.compute), and a route keeps the sum of its legs.
type travelTerm struct{}

func (travelTerm) cost(s *solution) float64 {
	c := 0.0
	for _, r := range s.routes {
		c += r.arcs
	}
	return c
}

// measure takes the legs' distances from the problem's travel model, as
// the plan reports them, and their times from the route.
func (travelTerm) measure(s *solution, m *model.Measures) {
	in := s.in
	for _, r := range s.routes {
		if r.jobs == 0 {
			continue
		}
		ms := int64(0)
		for p := 1; p <= r.jobs+1; p++ {
			ms += r.leg[p]
		}
		m.TravelTime += float64(ms) / msPerMi
		m.Distance += in.routeMeters(r) / 1000
	}
}

// insertion is what the legs into and out of a job at place loc, put
// between places g and g+1 of route r, add to the term, plus pair: the
// pair term's cost, added before the replaced leg is taken off, as the
// search has always summed them (another order of the same sum changes
// ties between insertions, and so plans).
func (travelTerm) insertion(in *instance, r *route, g int, loc int32, pair float64) float64 {
	tt := in.tt
	d := tt.cost(r.loc[g], loc) + tt.cost(loc, r.loc[g+1]) + pair
	if r.jobs > 0 {
		d -= tt.cost(r.loc[g], r.loc[g+1])
	}
	return d
}

// timeTerm is lateness and overtime, which follow from a route's schedule:
// the lateness (ms past SLA deadlines) and the return time it keeps.
type timeTerm struct{}

func (timeTerm) cost(s *solution) float64 {
	c := 0.0
	for _, r := range s.routes {
		c += r.soft
	}
	return c
}

func (timeTerm) measure(s *solution, m *model.Measures) {
	for _, r := range s.routes {
		if r.jobs == 0 {
			continue
		}
		m.Lateness += float64(r.lateness) / msPerMi
		m.Overtime += float64(max(0, r.back-r.vehicle(s.in).shiftEnd)) / msPerMi
	}
}

// price weighs a route's lateness (ms) and return time into the objective.
func (timeTerm) price(in *instance, ve *vehicle, late, back int64) float64 {
	if !in.timeSoft {
		return 0
	}
	over := max(0, back-ve.shiftEnd)
	return in.w.Lateness*float64(late)/msPerMi + in.w.Overtime*float64(over)/msPerMi
}

// pairTerm is what depends only on who does an order: skill surplus, a
// preferred technician missed, a plan changed. The instance prices each
// pair of technician and order once (instance.pair).
type pairTerm struct{}

func (pairTerm) cost(s *solution) float64 {
	c := 0.0
	for _, r := range s.routes {
		c += r.pair
	}
	return c
}

func (pairTerm) measure(s *solution, m *model.Measures) {
	in := s.in
	for v, r := range s.routes {
		t := &in.p.Technicians[in.vehicles[v].idx]
		for _, x := range r.seq {
			wo := &in.p.WorkOrders[in.jobs[x].idx]
			surplus, notPreferred, changed := pairMeasures(t, wo)
			m.SkillSurplus += float64(surplus)
			m.PreferredTechnician += float64(boolInt(notPreferred))
			m.PlanChange += float64(boolInt(changed))
		}
	}
}

// pairMeasures are the measures of technician t doing order wo.
func pairMeasures(t *model.Technician, wo *model.WorkOrder) (surplus int, notPreferred, changed bool) {
	return SkillSurplus(t, wo), len(wo.PreferredTechnicians) > 0 && !wo.Prefers(t.ID),
		len(wo.TechnicianIDs) > 0 && !slices.Contains(wo.TechnicianIDs, t.ID)
}

// pairPrice weighs a pair's measures.
func pairPrice(w model.Weights, surplus int, notPreferred, changed bool) float64 {
	c := w.SkillSurplus * float64(surplus)
	if notPreferred {
		c += w.PreferredTechnician
	}
	if changed {
		c += w.PlanChange
	}
	return c
}

// workloadTerm is workload_balance: minutes of service each active
// technician is away from the crew's mean.
type workloadTerm struct{}

func (workloadTerm) cost(s *solution) float64 {
	w := s.in.w.WorkloadBalance
	if w == 0 {
		return 0
	}
	return w * s.workloadSpread()
}

func (workloadTerm) measure(s *solution, m *model.Measures) {
	m.WorkloadBalance += s.workloadSpread()
}

// workloadSpread is Σ over active technicians of |work − mean work|, in
// minutes.
func (s *solution) workloadSpread() float64 {
	if s.in.activeVehicles == 0 {
		return 0
	}
	mean := s.meanWork()
	dev := 0.0
	for v, r := range s.routes {
		if s.in.p.Technicians[s.in.vehicles[v].idx].IsActive() {
			dev += abs(float64(r.work) - mean)
		}
	}
	return dev / msPerMi
}

// insertion estimates the change of the term when a job of duration dur
// joins route v, holding the crew's mean fixed (the exact term is
// recomputed when a move is judged).
func (workloadTerm) insertion(s *solution, v int32, dur int64, mean float64) float64 {
	w := s.in.w.WorkloadBalance
	if w == 0 {
		return 0
	}
	before := float64(s.routes[v].work) - mean
	after := before + float64(dur)
	return w * (abs(after) - abs(before)) / msPerMi
}
