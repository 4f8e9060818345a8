package model

import (
	"fmt"
	"time"
)

// LiveStatus is what a technician's device reports with a position: a
// word from a fixed list, so that a dispatch board can show and count it
// (and a device cannot fill the store with free text).
type LiveStatus string

// The live statuses a device may report.
const (
	// LiveAvailable: free for work.
	LiveAvailable LiveStatus = "available"
	// LiveBusy: at work (driving, on site).
	LiveBusy LiveStatus = "busy"
	// LiveOnBreak: on a break.
	LiveOnBreak LiveStatus = "on_break"
	// LiveOffDuty: off shift; the position is only where they are.
	LiveOffDuty LiveStatus = "off_duty"
)

// LiveStatuses lists every live status.
var LiveStatuses = []LiveStatus{LiveAvailable, LiveBusy, LiveOnBreak, LiveOffDuty}

// LiveStatusProblem says what is wrong with a live status a device posts,
// or returns "" for one of LiveStatuses or none (which keeps the last).
func LiveStatusProblem(s LiveStatus) string {
	for _, k := range LiveStatuses {
		if s == k {
			return ""
		}
	}
	if s == "" {
		return ""
	}
	return fmt.Sprintf("unknown status %s: want one of %s, or none to keep the last", Quote(string(s)), Spell(LiveStatuses))
}

// Position is where a technician was at an instant: a live GPS fix.
// Coordinates are (latitude, longitude) in degrees.
type Position struct {
	TechnicianID string    `json:"technician_id,omitempty"`
	Lat          float64   `json:"lat"`
	Lng          float64   `json:"lng"`
	At           time.Time `json:"at"`
}

// Location returns the position's coordinates as a location.
func (p Position) Location() Location { return LatLng(p.Lat, p.Lng) }

// Validate reports every problem with the position; field paths are
// relative to it.
func (p Position) Validate() error {
	var v checker
	p.check(&v)
	return v.err()
}

func (p Position) check(v *checker) {
	checkOptionalID(v, "technician_id", p.TechnicianID)
	checkCoordinates(v, p.Lat, p.Lng)
	if p.At.IsZero() {
		v.add("at", "missing")
	}
}

// The criteria of a suggestion's score: the terms of the objective that
// putting one order into a technician's day changes, named as the weights
// that weigh them.
const (
	CriterionTravel     = "travel_time"
	CriterionDistance   = "distance"
	CriterionLateness   = "lateness"
	CriterionOvertime   = "overtime"
	CriterionSkill      = "skill_surplus"
	CriterionPreferred  = "preferred_technician"
	CriterionWorkload   = "workload_balance"
	CriterionPlanChange = "plan_change"
)

// Criterion is one part of a suggestion's score: what the insertion adds
// to one term of the objective (Value, in seconds for times, metres for
// distance, levels or orders otherwise), the policy's Weight of that
// term, the Cost it comes to in objective units, and its Grade, the
// score it would leave alone: 100 × (1 − Cost / the policy's scale), at
// least 0. A suggestion's score is the same of the criteria's costs
// together.
type Criterion struct {
	Value  float64 `json:"value"`
	Grade  float64 `json:"grade"`
	Weight float64 `json:"weight"`
	Cost   float64 `json:"cost"`
}

// Candidate is a technician who can take a work order, with the slot it
// would fit into their day and why they score as they do.
type Candidate struct {
	TechnicianID string  `json:"technician_id"`
	Rank         int     `json:"rank"`
	Score        float64 `json:"score"`
	// Cost is what the insertion adds to the plan's objective under the
	// policy: the criteria's costs together. Candidates are ranked by it,
	// cheapest first, then by id; Score shows it on 0–100.
	Cost float64 `json:"cost"`
	// ETA is when the technician would arrive; Start and End bound the
	// service.
	ETA   time.Time `json:"eta"`
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
	// InsertAfter and InsertBefore name the work orders around the slot;
	// empty means the start or the end of what remains of the day.
	InsertAfter  string `json:"insert_after,omitempty"`
	InsertBefore string `json:"insert_before,omitempty"`
	// Travel is the drive to the order; AddedTravel what the detour adds
	// to the day.
	Travel      Seconds `json:"travel_s"`
	AddedTravel Seconds `json:"added_travel_s"`
	// Lateness is the order's own lateness past its SLA deadline.
	Lateness Seconds `json:"lateness_s"`
	// Delay is the largest knock-on delay to a later stop, DelayedStops
	// how many later stops move.
	Delay        Seconds              `json:"delay_s"`
	DelayedStops int                  `json:"delayed_stops"`
	Breakdown    map[string]Criterion `json:"breakdown"`
}

// Rejection says why a technician cannot take a work order.
type Rejection struct {
	TechnicianID string   `json:"technician_id"`
	Reasons      []string `json:"reasons"`
}

// Suggestions ranks technicians for one work order.
type Suggestions struct {
	Candidates []Candidate `json:"candidates"`
	Rejected   []Rejection `json:"rejected"`
	// Considered counts the technicians evaluated; the rest of the
	// Technicians are too far away to score higher than the candidates.
	Considered  int `json:"considered"`
	Technicians int `json:"technicians"`
}

// Slot is an arrival window that can be offered to a customer, with the
// technician and insertion behind it.
type Slot struct {
	Window       TimeWindow           `json:"window"`
	TechnicianID string               `json:"technician_id"`
	Start        time.Time            `json:"start"`
	InsertAfter  string               `json:"insert_after,omitempty"`
	InsertBefore string               `json:"insert_before,omitempty"`
	Score        float64              `json:"score"`
	Cost         float64              `json:"cost"`
	Breakdown    map[string]Criterion `json:"breakdown"`
}
