package model

import (
	"fmt"
	"time"
	"unicode/utf8"
)

// Policy is a named scheduling policy: the weights of the objective, which
// the planner minimises and by which a suggestion is scored, and the score's
// scale. Operators keep several, compare them on a day and make one active.
type Policy struct {
	// Name identifies the policy; it is an id ([A-Za-z0-9._:-], at most 128).
	Name string `json:"name"`
	// Description says what the policy is for, for the people choosing.
	Description string `json:"description,omitempty"`
	// Weights are the objective's weights; decoding starts from
	// DefaultWeights, so a policy names only the weights it changes.
	Weights Weights `json:"weights"`
	// ScoreScale is the cost of an insertion, in objective units (minutes
	// of travel under unit weights), that a suggestion scores 0 for: a
	// suggestion scores 100 × (1 − cost / ScoreScale), at least 0, so that
	// one point is ScoreScale/100 of the same objective the planner
	// minimises. Zero means DefaultScoreScale.
	ScoreScale float64 `json:"score_scale,omitempty"`
}

// DefaultScoreScale makes a suggestion's score fall to 0 at the cost of
// four hours of driving: under the default weights a detour of 24 minutes
// loses ten points, and five minutes past an SLA deadline all of them.
const DefaultScoreScale = 240

// MaxDescription bounds a policy's description, in bytes.
const MaxDescription = 1000

// DefaultPolicyName names the policy in force when an operator has made
// none active.
const DefaultPolicyName = "default"

// DefaultPolicy is the policy in force when none is named: DefaultWeights.
func DefaultPolicy() Policy {
	return Policy{Name: DefaultPolicyName, Description: "dispatchd's defaults: serve every order that can be served, on time, with the least driving",
		Weights: DefaultWeights(), ScoreScale: DefaultScoreScale}
}

// Scale returns the policy's score scale, DefaultScoreScale when unset.
func (p Policy) Scale() float64 {
	if p.ScoreScale == 0 {
		return DefaultScoreScale
	}
	return p.ScoreScale
}

// Validate reports every problem with the policy, field paths relative to
// it.
func (p Policy) Validate() error {
	var v checker
	p.check(&v)
	return v.err()
}

func (p Policy) check(v *checker) {
	checkID(v, "name", p.Name)
	switch {
	case len(p.Description) > MaxDescription:
		v.add("description", fmt.Sprintf("longer than %d bytes", MaxDescription))
	case !utf8.ValidString(p.Description):
		v.add("description", "not valid UTF-8")
	}
	v.enter("weights")
	p.Weights.check(v)
	v.leave()
	if msg := ScoreScaleProblem(p.ScoreScale); msg != "" {
		v.add("score_scale", msg)
	}
}

// ScoreScaleProblem says what is wrong with a score scale, or returns "";
// zero is the default.
func ScoreScaleProblem(x float64) string {
	if x == 0 || x > 0 && x <= MaxWeight {
		return ""
	}
	return fmt.Sprintf("want a positive number of objective units, at most %g (0 for the default %d)", float64(MaxWeight), DefaultScoreScale)
}

// Measures are a plan's totals in the units its weights are per, before
// any weight: what a policy prices. Pricing the same measures under
// another policy says what that policy thinks of the plan.
type Measures struct {
	// Unassigned counts the orders left out; UnassignedRank sums their
	// priority ranks (0 low … 3 emergency), which the priority weight
	// multiplies.
	Unassigned     float64 `json:"unassigned"`
	UnassignedRank float64 `json:"unassigned_rank"`
	// Lateness is minutes past SLA deadlines, at the end of service.
	Lateness float64 `json:"lateness_min"`
	// TravelTime is minutes of travel; Distance kilometres of it.
	TravelTime float64 `json:"travel_time_min"`
	Distance   float64 `json:"distance_km"`
	// Overtime is minutes back past shift ends.
	Overtime float64 `json:"overtime_min"`
	// SkillSurplus is levels of skill above the required ones.
	SkillSurplus float64 `json:"skill_surplus_levels"`
	// PreferredTechnician counts orders that name preferred technicians
	// and are done by another.
	PreferredTechnician float64 `json:"preferred_technician_misses"`
	// WorkloadBalance is Σ over active technicians of |work − mean work|,
	// minutes of service.
	WorkloadBalance float64 `json:"workload_balance_min"`
	// PlanChange counts orders done by someone other than the technicians
	// an earlier dispatch named.
	PlanChange float64 `json:"plan_change"`
}

// Price weighs measures into the objective's terms.
func (w Weights) Price(m Measures) ObjectiveTerms {
	return ObjectiveTerms{
		Unassigned:          w.Unassigned * (m.Unassigned + w.Priority*m.UnassignedRank),
		Lateness:            w.Lateness * m.Lateness,
		TravelTime:          w.TravelTime * m.TravelTime,
		Distance:            w.Distance * m.Distance,
		Overtime:            w.Overtime * m.Overtime,
		SkillSurplus:        w.SkillSurplus * m.SkillSurplus,
		PreferredTechnician: w.PreferredTechnician * m.PreferredTechnician,
		WorkloadBalance:     w.WorkloadBalance * m.WorkloadBalance,
		PlanChange:          w.PlanChange * m.PlanChange,
	}
}

// Term describes one term of the objective for people: the name of the
// weight that prices it (and of its ObjectiveTerms field) and the unit of
// its measure. Compare tables and reports list terms in this order.
type Term struct {
	Name string
	Unit string
}

// Terms lists the objective's terms, in the order Weights documents them.
func Terms() []Term {
	return []Term{
		{"unassigned", "orders (× 1 + priority × rank)"},
		{"lateness", "minutes late"},
		{"travel_time", "minutes of travel"},
		{"distance", "km"},
		{"overtime", "minutes of overtime"},
		{"skill_surplus", "levels above required"},
		{"preferred_technician", "orders not by a preferred technician"},
		{"workload_balance", "minutes of |work − mean|"},
		{"plan_change", "orders moved off their technician"},
	}
}

// Of returns the term of the given name (a Term's Name), and whether
// there is one.
func (o ObjectiveTerms) Of(name string) (float64, bool) {
	switch name {
	case "unassigned":
		return o.Unassigned, true
	case "lateness":
		return o.Lateness, true
	case "travel_time":
		return o.TravelTime, true
	case "distance":
		return o.Distance, true
	case "overtime":
		return o.Overtime, true
	case "skill_surplus":
		return o.SkillSurplus, true
	case "preferred_technician":
		return o.PreferredTechnician, true
	case "workload_balance":
		return o.WorkloadBalance, true
	case "plan_change":
		return o.PlanChange, true
	}
	return 0, false
}

// PolicyAction is what a change of the policy book did.
type PolicyAction string

// The changes of the policy book.
const (
	// PolicyCreated: a policy of a new name was put.
	PolicyCreated PolicyAction = "created"
	// PolicyUpdated: a policy was replaced by another of the same name.
	PolicyUpdated PolicyAction = "updated"
	// PolicyDeleted: a policy was deleted.
	PolicyDeleted PolicyAction = "deleted"
	// PolicyActivated: another policy became the active one.
	PolicyActivated PolicyAction = "activated"
)

// PolicyChange is one entry of the policy book's history: who changed
// which policy when, from what to what. Operators read it to learn why
// the suggestions changed; it is also what a policy event carries.
type PolicyChange struct {
	// Seq numbers the book's changes from 1, set by the store on reading.
	Seq    int          `json:"seq,omitempty"`
	At     time.Time    `json:"at"`
	Action PolicyAction `json:"action"`
	// Name is the policy changed, or the one activated.
	Name string `json:"name"`
	// By is the name of the API key the change came with; ByKey its id.
	By    string `json:"by"`
	ByKey string `json:"by_key,omitempty"`
	// From is the policy before the change (none when created); To after
	// it (none when deleted). An activation's From is the policy that was
	// active, its To the one that is now.
	From *Policy `json:"from,omitempty"`
	To   *Policy `json:"to,omitempty"`
	// Active says the change altered the policy in force: the active
	// policy was replaced, or another was activated.
	Active bool `json:"active"`
	// Reason says why, when the change was not an operator's request
	// (a policy file loaded at start).
	Reason string `json:"reason,omitempty"`
}
