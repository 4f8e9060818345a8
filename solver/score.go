package solver

import (
	"math"

	"github.com/dispatchd/dispatchd/model"
)

// A suggestion is priced by the planner's own objective: each criterion is
// what putting the order into the technician's day adds to one term of
// it, weighed by the policy, and the score is 100 × (1 − cost / scale), at
// least 0, the scale being the policy's. So a suggestion never ranks B
// over A when the planner would rather give the order to A: candidates are
// ranked by the exact cost, and the score is a readable picture of it, in
// which one point is a hundredth of the scale (TestSuggestAgreesWithPlan).
//
// The criteria are the terms one insertion changes, named as the weights
// that weigh them. Unassigned and priority are not among them: a
// suggestion places the order, it does not leave it out.
const (
	critTravel = iota
	critDistance
	critLateness
	critOvertime
	critSkill
	critPreferred
	critWorkload
	critPlanChange
	criteria
)

var criterionNames = [criteria]string{
	model.CriterionTravel, model.CriterionDistance, model.CriterionLateness, model.CriterionOvertime,
	model.CriterionSkill, model.CriterionPreferred, model.CriterionWorkload, model.CriterionPlanChange,
}

// measures are what one insertion adds to each term, in the API's units:
// seconds, metres, levels and counts.
type measures struct {
	addedTravel  float64 // seconds of travel the detour adds
	addedMeters  float64 // metres it adds
	late         float64 // seconds of lateness created, this order's and later stops'
	overtime     float64 // seconds of overtime created
	surplus      float64 // skill levels above the required ones
	notPreferred float64 // 1 if the order names preferred technicians and this is none
	workload     float64 // seconds the crew's imbalance grows by, from the least possible
	changed      float64 // 1 if the order leaves the technicians it was dispatched to
}

// scorer prices measures for one order under one policy.
type scorer struct {
	w     model.Weights
	scale float64
}

func newScorer(p model.Policy) scorer { return scorer{w: p.Weights, scale: p.Scale()} }

// costs weighs each criterion's measure into the objective's units.
func (s *scorer) costs(m measures) [criteria]float64 {
	var c [criteria]float64
	c[critTravel] = s.w.TravelTime * m.addedTravel / 60
	c[critDistance] = s.w.Distance * m.addedMeters / 1000
	c[critLateness] = s.w.Lateness * m.late / 60
	c[critOvertime] = s.w.Overtime * m.overtime / 60
	c[critSkill] = s.w.SkillSurplus * m.surplus
	c[critPreferred] = s.w.PreferredTechnician * m.notPreferred
	c[critWorkload] = s.w.WorkloadBalance * m.workload / 60
	c[critPlanChange] = s.w.PlanChange * m.changed
	return c
}

// cost is the insertion's total cost: what candidates are ranked by.
func (s *scorer) cost(m measures) float64 {
	sum := 0.0
	for _, c := range s.costs(m) {
		sum += c
	}
	return sum
}

// points turns a cost into 0–100, to one decimal.
func (s *scorer) points(cost float64) float64 {
	return math.Round(1000*math.Max(0, 1-cost/s.scale)) / 10
}

func (s *scorer) breakdown(m measures) map[string]model.Criterion {
	values := [criteria]float64{m.addedTravel, math.Round(m.addedMeters*10) / 10, m.late, m.overtime, m.surplus, m.notPreferred, m.workload, m.changed}
	weights := [criteria]float64{s.w.TravelTime, s.w.Distance, s.w.Lateness, s.w.Overtime, s.w.SkillSurplus, s.w.PreferredTechnician, s.w.WorkloadBalance, s.w.PlanChange}
	out := make(map[string]model.Criterion, criteria)
	for c, cost := range s.costs(m) {
		out[criterionNames[c]] = model.Criterion{Value: values[c], Grade: s.points(cost), Weight: weights[c], Cost: cost}
	}
	return out
}

// bound is the least cost of a technician whose every place is farther
// than some distance from the order: its detour adds at least addedTravel
// seconds and addedMeters metres, and the order's SLA margin is at most
// margin seconds. Everything else costs nothing at best — but a preferred
// technician missed when the order names some, who are all evaluated
// first.
func (s *scorer) bound(addedTravel, addedMeters, margin float64, hasPreferred bool) float64 {
	m := measures{addedTravel: addedTravel, addedMeters: addedMeters, late: math.Max(0, -margin)}
	if hasPreferred {
		m.notPreferred = 1
	}
	return s.cost(m)
}

// bound2 is the least cost of technician measures base (the criteria that
// do not depend on where the order goes, exact) if service starts no
// sooner than soonest: the order's own lateness follows from it; travel,
// knock-on lateness and overtime cost nothing at best.
func (s *scorer) bound2(base measures, soonest int64, jb job) float64 {
	m := base
	start, ok := jb.firstStart(soonest)
	if !ok {
		start = soonest
	}
	if jb.deadline != never {
		m.late = float64(max(0, start+jb.dur-jb.deadline)) / msPerS
	}
	return s.cost(m)
}
