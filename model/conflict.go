package model

import "time"

// ConflictKind names the rule a proposed assignment (or a technician's day
// as it stands) breaks. It is the one list of conflict kinds: the
// scheduling kernel reports them, dispatch refuses and records overrides
// by them, schedules flag them.
type ConflictKind string

// The conflict kinds.
const (
	// ConflictOverlap: another stop of the technician, with the travel
	// between the two, takes the time.
	ConflictOverlap ConflictKind = "overlap"
	// ConflictUnreachable: from where the technician is, and when they are
	// free, the stop cannot be reached by its start.
	ConflictUnreachable ConflictKind = "unreachable"
	// ConflictShift: the work falls outside the shift, or the technician
	// cannot be back by its end plus the allowed overtime.
	ConflictShift ConflictKind = "shift"
	// ConflictBreak: a break can no longer be taken inside its window.
	ConflictBreak ConflictKind = "break"
	// ConflictWindow: the order starts outside its time windows.
	ConflictWindow ConflictKind = "window"
	// ConflictKnockOn: the assignment pushes a later stop out of its time
	// windows.
	ConflictKnockOn ConflictKind = "knock_on"
	// ConflictDay: the technician's day as planned already breaks a rule
	// (a window or the shift end), so nothing can be promised on it.
	ConflictDay ConflictKind = "day"
	// ConflictInactive: the technician is not active.
	ConflictInactive ConflictKind = "inactive"
	// ConflictSkill: a required skill is missing or its level too low.
	ConflictSkill ConflictKind = "skill"
	// ConflictCertification: a required certification is missing or not
	// valid on the day.
	ConflictCertification ConflictKind = "certification"
	// ConflictTool: a required tool is missing.
	ConflictTool ConflictKind = "tool"
	// ConflictExcluded: the order excludes the technician.
	ConflictExcluded ConflictKind = "excluded"
	// ConflictCapacity: the day's load exceeds the technician's capacity.
	ConflictCapacity ConflictKind = "capacity"
	// ConflictMaxJobs: the day has more jobs than the technician's max_jobs.
	ConflictMaxJobs ConflictKind = "max_jobs"
)

// ConflictKinds lists every conflict kind.
var ConflictKinds = []ConflictKind{ConflictOverlap, ConflictUnreachable, ConflictShift, ConflictBreak, ConflictWindow,
	ConflictKnockOn, ConflictDay, ConflictInactive, ConflictSkill, ConflictCertification, ConflictTool, ConflictExcluded, ConflictCapacity,
	ConflictMaxJobs}

// Conflict is one rule an assignment breaks, in words for the dispatcher
// and with the facts behind them for a program.
type Conflict struct {
	Kind ConflictKind `json:"kind"`
	// TechnicianID and WorkOrderID name the assignment the conflict is
	// about: the proposed one, or the stop of the day that breaks the rule.
	TechnicianID string `json:"technician_id"`
	WorkOrderID  string `json:"work_order_id,omitempty"`
	// Start and End are when the work order would be done.
	Start time.Time `json:"start,omitzero"`
	End   time.Time `json:"end,omitzero"`
	// Other names the other order involved (the stop overlapped, the later
	// stop pushed out of its window) and when it is done.
	Other      string    `json:"other_work_order_id,omitempty"`
	OtherStart time.Time `json:"other_start,omitzero"`
	OtherEnd   time.Time `json:"other_end,omitzero"`
	// Travel is the drive between the two stops of an overlap, or to the
	// stop when it is unreachable.
	Travel Seconds `json:"travel_s,omitempty"`
	// Overtime is how far past the shift end the day would run.
	Overtime Seconds `json:"overtime_s,omitempty"`
	// Skill, Have and Need describe a skill below the required level.
	Skill string `json:"skill,omitempty"`
	Have  int    `json:"have,omitempty"`
	Need  int    `json:"need,omitempty"`
	// Certification is missing, or expired on Expires.
	Certification string `json:"certification,omitempty"`
	Expires       Date   `json:"expires,omitzero"`
	// Tool is missing.
	Tool string `json:"tool,omitempty"`
	// Message says it all in one sentence.
	Message string `json:"message"`
}

func (c Conflict) String() string { return string(c.Kind) + ": " + c.Message }

// Same reports whether two conflicts are the same finding: same kind, same
// assignment, same other order. Overrides are recorded and compared by it,
// so that a later check that words a conflict differently still counts as
// the one a dispatcher overrode.
func (c Conflict) Same(o Conflict) bool {
	return c.Kind == o.Kind && c.TechnicianID == o.TechnicianID && c.WorkOrderID == o.WorkOrderID && c.Other == o.Other &&
		c.Skill == o.Skill && c.Certification == o.Certification && c.Tool == o.Tool
}
