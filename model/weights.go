package model

import (
	"encoding/json"
	"fmt"
	"slices"
)

// Weights is a scheduling policy: how much each term of the objective
// costs. Every weight is a non-negative number; the units below make them
// comparable, with one minute of travel as the yardstick.
//
// The objective of a plan is the sum of these terms (ObjectiveTerms):
//
//	unassigned           Σ over unassigned orders of unassigned × (1 + priority × rank),
//	                     rank 0 (low), 1 (normal), 2 (high), 3 (emergency)
//	lateness             lateness × Σ over assigned orders with an SLA deadline of
//	                     max(0, end of service − deadline), in minutes
//	travel_time          travel_time × minutes of travel of every used technician,
//	                     from the start location through the jobs to the end location
//	distance             distance × kilometres of that travel
//	overtime             overtime × Σ over used technicians of max(0, arrival at the
//	                     end location − shift end), in minutes
//	skill_surplus        skill_surplus × Σ over assigned orders and their required
//	                     skills of (the technician's level − the required level)
//	preferred_technician preferred_technician × the assigned orders that name
//	                     preferred technicians and are done by another
//	workload_balance     workload_balance × Σ over active technicians of |work − mean
//	                     work|, work being minutes of service assigned to them
//	plan_change          plan_change × the assigned orders that carry technician_ids
//	                     from an earlier dispatch and are done by someone else
//
// Decoding JSON starts from DefaultWeights, so a policy names only the
// weights it changes.
type Weights struct {
	Unassigned          float64 `json:"unassigned"`
	Priority            float64 `json:"priority"`
	Lateness            float64 `json:"lateness"`
	TravelTime          float64 `json:"travel_time"`
	Distance            float64 `json:"distance"`
	Overtime            float64 `json:"overtime"`
	SkillSurplus        float64 `json:"skill_surplus"`
	PreferredTechnician float64 `json:"preferred_technician"`
	WorkloadBalance     float64 `json:"workload_balance"`
	PlanChange          float64 `json:"plan_change"`
}

// DefaultWeights is the policy used when a request names none: leaving an
// order unassigned costs about as much as 17 hours of driving, so orders are
// only dropped when they cannot be done; lateness is fifty times worse than
// driving, overtime twice.
func DefaultWeights() Weights {
	return Weights{
		Unassigned:          1000,
		Priority:            10,
		Lateness:            50,
		TravelTime:          1,
		Distance:            0,
		Overtime:            2,
		SkillSurplus:        0.2,
		PreferredTechnician: 5,
		WorkloadBalance:     0.5,
		PlanChange:          2,
	}
}

// UnassignedCost returns the cost of leaving an order of priority p
// unassigned.
func (w Weights) UnassignedCost(p Priority) float64 {
	return w.Unassigned * (1 + w.Priority*float64(max(p.Rank(), 0)))
}

// UnmarshalJSON decodes a policy on top of DefaultWeights and refuses
// unknown weight names, which are almost always typos; names match
// exactly ("Lateness" is not "lateness").
func (w *Weights) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	var named map[string]json.RawMessage
	if err := json.Unmarshal(b, &named); err != nil {
		return fmt.Errorf("decoding weights: want an object of named numbers")
	}
	p := DefaultWeights()
	fields := p.fields()
	for _, name := range sortedKeys(named) {
		i := slices.IndexFunc(fields, func(f namedWeight) bool { return f.name == name })
		if i < 0 {
			return fmt.Errorf("decoding weights: unknown weight %s", Quote(name))
		}
		if err := json.Unmarshal(named[name], fields[i].value); err != nil {
			return fmt.Errorf("decoding weights: %s: want a number", name)
		}
	}
	*w = p
	return nil
}

// namedWeight is one weight of a policy by its JSON name.
type namedWeight struct {
	name  string
	value *float64
}

// fields lists w's weights by name, in the order they are documented.
func (w *Weights) fields() []namedWeight {
	return []namedWeight{
		{"unassigned", &w.Unassigned}, {"priority", &w.Priority}, {"lateness", &w.Lateness},
		{"travel_time", &w.TravelTime}, {"distance", &w.Distance}, {"overtime", &w.Overtime},
		{"skill_surplus", &w.SkillSurplus}, {"preferred_technician", &w.PreferredTechnician},
		{"workload_balance", &w.WorkloadBalance}, {"plan_change", &w.PlanChange},
	}
}

// Validate reports every weight outside [0, MaxWeight], and a policy
// that weighs no term at all: under it every plan costs nothing, so the
// planner would leave every order out.
func (w Weights) Validate() error {
	var v checker
	w.check(&v)
	return v.err()
}

func (w Weights) check(v *checker) {
	some, before := false, len(v.errs)
	for _, f := range w.fields() {
		checkRange(v, f.name, *f.value, 0, MaxWeight)
		// priority only multiplies unassigned: alone it weighs nothing.
		some = some || f.name != "priority" && *f.value > 0
	}
	if !some && len(v.errs) == before {
		v.add("", "every weight is zero: a policy must weigh at least one term (priority alone multiplies unassigned)")
	}
}
