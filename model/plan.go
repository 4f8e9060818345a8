package model

import "time"

// StopType says what a stop in a route is.
type StopType string

// The kinds of stop. An omitted type is StopJob.
const (
	StopJob   StopType = "job"
	StopBreak StopType = "break"
)

// Stop is one visit (or break) in a technician's route.
//
// Plans write durations ("_s") rounded to whole seconds, distances ("_m")
// rounded to 0.1 m and utilisation to four decimals; the objective and its
// terms are computed from the unrounded figures. A job stop ends at its
// start plus the order's duration. A break is taken where the technician
// is, and Location says where: at the previous stop once it ends and
// before leaving, or at the next job once arrived and before its work
// (typically while waiting for its window), or after the last job at the
// end location, once back. It overlaps neither work nor travel.
type Stop struct {
	Type        StopType `json:"type,omitempty"`
	WorkOrderID string   `json:"work_order_id,omitempty"`
	// Arrival is when the technician gets there; Start is when service (or
	// the break) starts, at or after Arrival; End is when it ends.
	Arrival time.Time `json:"arrival,omitzero"`
	Start   time.Time `json:"start"`
	End     time.Time `json:"end"`
	// Travel and Distance are of the leg that leads to this stop.
	Travel   Seconds `json:"travel_s"`
	Distance float64 `json:"distance_m"`
	// Wait is the time between Arrival and Start: waiting for the window,
	// and any break taken there before the work.
	Wait Seconds `json:"wait_s,omitempty"`
	// Lateness is how far the end of service is past the SLA deadline.
	Lateness Seconds `json:"lateness_s,omitempty"`
	// Location is where the stop is, so that a plan can be drawn without
	// its problem.
	Location *Location `json:"location,omitempty"`
}

// IsBreak reports whether the stop is a break.
func (s *Stop) IsBreak() bool { return s.Type == StopBreak }

// Route is one technician's day in a plan.
type Route struct {
	TechnicianID string `json:"technician_id"`
	Stops        []Stop `json:"stops"`
	// Start is when the technician leaves their start location (after any
	// break taken there); End is when they are back at their end location,
	// at the earliest.
	Start    time.Time `json:"start,omitzero"`
	End      time.Time `json:"end,omitzero"`
	Travel   Seconds   `json:"travel_s"`
	Distance float64   `json:"distance_m"`
	Work     Seconds   `json:"work_s"`
	Overtime Seconds   `json:"overtime_s"`
	// Load is the sum of the route's demands, per capacity dimension.
	Load []float64 `json:"load,omitempty"`
	// StartLocation and EndLocation are where the day begins and ends.
	StartLocation *Location `json:"start_location,omitempty"`
	EndLocation   *Location `json:"end_location,omitempty"`
}

// Unassigned is a work order a plan leaves undone, and why.
type Unassigned struct {
	WorkOrderID string   `json:"work_order_id"`
	Reasons     []string `json:"reasons"`
}

// KPIs are the plan's headline numbers.
type KPIs struct {
	Assigned   int     `json:"assigned"`
	Unassigned int     `json:"unassigned"`
	Travel     Seconds `json:"travel_s"`
	Distance   float64 `json:"distance_m"`
	Lateness   Seconds `json:"lateness_s"`
	Overtime   Seconds `json:"overtime_s"`
	// Utilisation is work time over shift time of the technicians used,
	// between 0 and 1, to four decimals.
	Utilisation     float64 `json:"utilisation"`
	TechniciansUsed int     `json:"technicians_used"`
}

// ObjectiveTerms is the objective split by term, each already multiplied by
// its weight, so that a reader sees why one plan beats another.
type ObjectiveTerms struct {
	Unassigned          float64 `json:"unassigned"`
	Lateness            float64 `json:"lateness"`
	TravelTime          float64 `json:"travel_time"`
	Distance            float64 `json:"distance"`
	Overtime            float64 `json:"overtime"`
	SkillSurplus        float64 `json:"skill_surplus"`
	PreferredTechnician float64 `json:"preferred_technician"`
	WorkloadBalance     float64 `json:"workload_balance"`
	PlanChange          float64 `json:"plan_change"`
}

// Total returns the sum of the terms.
func (o ObjectiveTerms) Total() float64 {
	return o.Unassigned + o.Lateness + o.TravelTime + o.Distance + o.Overtime +
		o.SkillSurplus + o.PreferredTechnician + o.WorkloadBalance + o.PlanChange
}

// Plan is an answer to a Problem: who does what, when, and what is left.
type Plan struct {
	Routes         []Route        `json:"routes"`
	Unassigned     []Unassigned   `json:"unassigned"`
	KPIs           KPIs           `json:"kpis"`
	Objective      float64        `json:"objective"`
	ObjectiveTerms ObjectiveTerms `json:"objective_terms"`
	// Measures are the totals the terms price, before any weight: priced
	// under another policy, they say what that policy thinks of the plan.
	Measures Measures `json:"measures"`
}
