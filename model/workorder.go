package model

import (
	"fmt"
	"slices"
	"time"
)

// Priority says how much a work order matters; emergencies come first.
type Priority string

// The priorities, most urgent first. An omitted priority is PriorityNormal.
const (
	PriorityEmergency Priority = "emergency"
	PriorityHigh      Priority = "high"
	PriorityNormal    Priority = "normal"
	PriorityLow       Priority = "low"
)

// Priorities lists the known priorities, most urgent first.
var Priorities = []Priority{PriorityEmergency, PriorityHigh, PriorityNormal, PriorityLow}

// Rank returns 3 for emergency, 2 for high, 1 for normal (or omitted) and 0
// for low, so that a weight per step of urgency can multiply it; -1 for an
// unknown priority.
func (p Priority) Rank() int {
	switch p {
	case PriorityEmergency:
		return 3
	case PriorityHigh:
		return 2
	case PriorityNormal, "":
		return 1
	case PriorityLow:
		return 0
	}
	return -1
}

// WorkOrder is a job at a customer's site.
type WorkOrder struct {
	ID           string `json:"id"`
	CustomerID   string `json:"customer_id,omitempty"`
	CustomerName string `json:"customer_name,omitempty"`
	SiteID       string `json:"site_id,omitempty"`
	EquipmentID  string `json:"equipment_id,omitempty"`
	JobType      string `json:"job_type,omitempty"`

	Priority Priority `json:"priority,omitempty"`
	Location Location `json:"location"`
	Address  string   `json:"address,omitempty"`
	// Duration is the time on site.
	Duration Seconds `json:"duration_s"`

	RequiredSkills         Skills   `json:"required_skills,omitempty"`
	RequiredCertifications []string `json:"required_certifications,omitempty"`
	RequiredTools          []string `json:"required_tools,omitempty"`
	// TechniciansNeeded is how many technicians must work the order
	// together; zero means one.
	TechniciansNeeded int `json:"technicians_needed,omitempty"`

	// TimeWindows bound the start of service: it starts inside one of them.
	// None means any time in the technician's shift.
	TimeWindows []TimeWindow `json:"time_windows,omitempty"`
	// SLADeadline is soft: lateness is measured at the end of service.
	SLADeadline *time.Time `json:"sla_deadline,omitempty"`

	PreferredTechnicians []string `json:"preferred_technicians,omitempty"`
	ExcludedTechnicians  []string `json:"excluded_technicians,omitempty"`

	// Demand is the load the order takes from a technician's capacity, one
	// number per dimension.
	Demand []float64 `json:"demand,omitempty"`
	Notes  string    `json:"notes,omitempty"`
	// AccessInstructions say how to get in (gate codes, keys, whom to
	// ask); they are for the technician, never for logs.
	AccessInstructions string `json:"access_instructions,omitempty"`

	Status Status `json:"status,omitempty"`
	// TechnicianIDs and ScheduledStart say who does the order and when, once
	// it is dispatched.
	TechnicianIDs  []string   `json:"technician_ids,omitempty"`
	ScheduledStart *time.Time `json:"scheduled_start,omitempty"`
	// Pinned fixes the order to its technicians and scheduled start: a
	// planner must not move it.
	Pinned bool `json:"pinned,omitempty"`

	// ArrivalWindow is the arrival promised to the customer at dispatch;
	// DispatchNotes are the dispatcher's notes for the technician.
	ArrivalWindow *TimeWindow `json:"arrival_window,omitempty"`
	DispatchNotes string      `json:"dispatch_notes,omitempty"`
	// EnRouteAt, OnSiteAt and CompletedAt are the actual times the field
	// reported; the technician's day follows them rather than the plan.
	EnRouteAt   *time.Time `json:"en_route_at,omitempty"`
	OnSiteAt    *time.Time `json:"on_site_at,omitempty"`
	CompletedAt *time.Time `json:"completed_at,omitempty"`
	// Outcome is the close-out of a complete order.
	Outcome *Outcome `json:"outcome,omitempty"`
	// CreatedAt and UpdatedAt are when the order was taken in and last
	// changed, by the service's clock.
	CreatedAt *time.Time `json:"created_at,omitempty"`
	UpdatedAt *time.Time `json:"updated_at,omitempty"`
}

// Crew returns how many technicians the order needs (at least one).
func (w *WorkOrder) Crew() int { return max(w.TechniciansNeeded, 1) }

// IsFixed reports whether a planner must leave the order where it is: it is
// pinned, or its technician is already on the way or on site.
func (w *WorkOrder) IsFixed() bool {
	return w.Pinned || w.Status == StatusEnRoute || w.Status == StatusOnSite
}

// Excludes reports whether the order excludes the technician.
func (w *WorkOrder) Excludes(technicianID string) bool {
	return slices.Contains(w.ExcludedTechnicians, technicianID)
}

// Prefers reports whether the technician is one of the order's preferred.
func (w *WorkOrder) Prefers(technicianID string) bool {
	return slices.Contains(w.PreferredTechnicians, technicianID)
}

// Validate reports every problem with the work order on its own; field paths
// are relative to the order ("time_windows[0].end: before start"). References
// to technicians are checked by Problem.Validate, which knows them.
func (w *WorkOrder) Validate() error {
	var v checker
	w.check(&v)
	return v.err()
}

func (w *WorkOrder) check(v *checker) {
	checkID(v, "id", w.ID)
	checkOptionalID(v, "customer_id", w.CustomerID)
	checkOptionalID(v, "site_id", w.SiteID)
	checkOptionalID(v, "equipment_id", w.EquipmentID)
	if w.Priority.Rank() < 0 {
		v.add("priority", fmt.Sprintf("unknown priority %q: want one of emergency, high, normal, low", w.Priority))
	}
	v.enter("location")
	w.Location.check(v)
	v.leave()
	checkSeconds(v, "duration_s", w.Duration)
	checkSkills(v, "required_skills", w.RequiredSkills)
	checkNames(v, "required_certifications", w.RequiredCertifications)
	checkNames(v, "required_tools", w.RequiredTools)
	if w.TechniciansNeeded < 0 {
		v.add("technicians_needed", "negative")
	} else if w.TechniciansNeeded > MaxCrew {
		v.add("technicians_needed", fmt.Sprintf("%d; at most %d", w.TechniciansNeeded, MaxCrew))
	}
	checkIDs(v, "preferred_technicians", w.PreferredTechnicians)
	checkIDs(v, "excluded_technicians", w.ExcludedTechnicians)
	checkIDs(v, "technician_ids", w.TechnicianIDs)
	for i, tw := range w.TimeWindows {
		v.enterIndex("time_windows", i)
		tw.check(v)
		v.leave()
	}
	checkAmounts(v, "demand", w.Demand)
	if !w.Status.Known() {
		v.add("status", fmt.Sprintf("unknown status %q: want one of %s", w.Status, Spell(Statuses)))
	}
	if w.IsFixed() {
		if len(w.TechnicianIDs) == 0 {
			v.add("technician_ids", "required for an order that is pinned, en route or on site")
		}
		if w.ScheduledStart == nil {
			v.add("scheduled_start", "required for an order that is pinned, en route or on site")
		}
	}
	if len(w.TechnicianIDs) > 0 && len(w.TechnicianIDs) != w.Crew() {
		v.add("technician_ids", fmt.Sprintf("%d given, the order needs %d", len(w.TechnicianIDs), w.Crew()))
	}
	for i, id := range w.TechnicianIDs {
		for _, prev := range w.TechnicianIDs[:i] {
			if prev == id {
				v.add(fmt.Sprintf("technician_ids[%d]", i), "duplicate technician "+Quote(id))
			}
		}
	}
}
