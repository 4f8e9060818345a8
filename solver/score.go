package solver

import (
	"math"

	"github.com/dispatchd/dispatchd/model"
)

// A suggestion's score grades each criterion from 0 (worst) to 100 (best),
// linearly between a best and a worst value, and combines the grades by
// the policy's weights of the same names into a score from 0 to 100. The
// bounds are absolute, not relative to the other candidates, so that a
// technician's score does not depend on who else is considered.
const (
	// travel_time: the time the detour adds to the technician's day.
	worstAddedTravel = 90 * 60.0 // seconds
	// lateness: seconds late past SLA deadlines, this order's and those of
	// the stops it delays, from riskFloor down to 0 at worstLateness; an
	// on-time finish within riskMargin of the order's deadline grades from
	// 100 down to riskFloor, for the risk.
	worstLateness = 2 * 3600.0
	riskMargin    = 3600.0
	riskFloor     = 60.0
	// skill_surplus: levels above the required ones, over all skills.
	worstSurplus = 4.0
)

// priorityHorizon is the wait until service starts that grades 0 on the
// priority criterion: emergencies want the soonest arrival, low-priority
// work can wait for tomorrow.
func priorityHorizon(p model.Priority) float64 {
	switch p {
	case model.PriorityEmergency:
		return 2 * 3600
	case model.PriorityHigh:
		return 4 * 3600
	case model.PriorityLow:
		return 24 * 3600
	}
	return 8 * 3600
}

// The criteria, in the order of the weights that weigh them.
const (
	critTravel = iota
	critLateness
	critSkill
	critPreferred
	critWorkload
	critPriority
	criteria
)

var criterionNames = [criteria]string{
	model.CriterionTravel, model.CriterionLateness, model.CriterionSkill,
	model.CriterionPreferred, model.CriterionWorkload, model.CriterionPriority,
}

// measures are the values a score grades, all in seconds but the counts.
type measures struct {
	addedTravel float64
	late        float64 // lateness created, this order and later stops
	margin      float64 // the order's SLA deadline minus its end; +Inf without one
	surplus     float64
	preferred   float64 // 1 if the technician is preferred, else 0
	utilisation float64 // service booked over shift length, with this order
	wait        float64 // from now to the start of service
}

// scorer grades measures for one order.
type scorer struct {
	weights      [criteria]float64
	total        float64
	horizon      float64
	hasPreferred bool
}

func newScorer(w model.Weights, order *model.WorkOrder) scorer {
	s := scorer{
		weights:      [criteria]float64{w.TravelTime, w.Lateness, w.SkillSurplus, w.PreferredTechnician, w.WorkloadBalance, w.Priority},
		horizon:      priorityHorizon(order.Priority),
		hasPreferred: len(order.PreferredTechnicians) > 0,
	}
	for _, x := range s.weights {
		s.total += x
	}
	if s.total == 0 { // a policy that weighs nothing weighs everything alike
		for c := range s.weights {
			s.weights[c] = 1
		}
		s.total = criteria
	}
	return s
}

// linear grades v from 100 at 0 to 0 at worst.
func linear(v, worst float64) float64 { return 100 * math.Max(0, math.Min(1, 1-v/worst)) }

func latenessGrade(late, margin float64) float64 {
	switch {
	case late > 0:
		return riskFloor * math.Max(0, 1-late/worstLateness)
	case margin < riskMargin:
		return riskFloor + (100-riskFloor)*math.Max(0, margin)/riskMargin
	}
	return 100
}

func (s *scorer) grades(m measures) [criteria]float64 {
	var g [criteria]float64
	g[critTravel] = linear(m.addedTravel, worstAddedTravel)
	g[critLateness] = latenessGrade(m.late, m.margin)
	g[critSkill] = linear(m.surplus, worstSurplus)
	g[critPreferred] = 100
	if s.hasPreferred && m.preferred == 0 {
		g[critPreferred] = 0
	}
	g[critWorkload] = linear(m.utilisation, 1)
	g[critPriority] = linear(m.wait, s.horizon)
	return g
}

// score combines grades into the score a dispatcher reads, to one decimal;
// ranks compare these rounded scores, so that equal shown scores are
// ordered by id.
func (s *scorer) score(g [criteria]float64) float64 {
	sum := 0.0
	for c, x := range g {
		sum += s.weights[c] * x
	}
	return math.Round(sum/s.total*10) / 10
}

func (s *scorer) breakdown(m measures, g [criteria]float64) map[string]model.Criterion {
	values := [criteria]float64{m.addedTravel, m.late, m.surplus, m.preferred, math.Round(m.utilisation*1000) / 1000, m.wait}
	out := make(map[string]model.Criterion, criteria)
	for c := range criteria {
		out[criterionNames[c]] = model.Criterion{Value: values[c], Grade: math.Round(g[c]*10) / 10, Weight: s.weights[c]}
	}
	return out
}

// bound is the highest score a technician can reach whose every place is
// farther than some distance from the order: its detour adds at least
// addedTravel, service starts no sooner than wait from now, and the
// order's SLA margin is at most margin. Everything else grades 100 —
// except the preferred criterion when the order names preferred
// technicians, who are all evaluated first.
func (s *scorer) bound(addedTravel, wait, margin float64) float64 {
	m := measures{addedTravel: addedTravel, wait: wait, margin: margin, late: math.Max(0, -margin), preferred: 0}
	g := s.grades(m)
	g[critSkill], g[critWorkload] = 100, 100
	return s.score(g)
}

// bound2 is the highest score technician measures base (static criteria
// exact) can reach if service starts no sooner than soonest: the wait and
// the order's SLA margin follow from it, travel grades at its best and
// knock-on lateness at none.
func (s *scorer) bound2(base measures, soonest int64, jb job, now int64) float64 {
	m := base
	start, ok := jb.firstStart(soonest)
	if !ok {
		start = soonest
	}
	m.wait = float64(start-now) / msPerS
	m.margin = math.Inf(1)
	if jb.deadline != never {
		m.margin = float64(jb.deadline-start-jb.dur) / msPerS
	}
	m.late = math.Max(0, -m.margin)
	m.addedTravel = 0
	return s.score(s.grades(m))
}
