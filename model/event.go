package model

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// EventType names what an event says happened. It is the one list of
// event kinds: the event log stores them, the live stream and webhooks
// filter by them.
type EventType string

// The events every change of the workflow publishes.
const (
	// EventWorkOrderCreated: an order was taken in.
	EventWorkOrderCreated EventType = "workorder.created"
	// EventWorkOrderUpdated: fields of an order changed, or its start moved
	// because another order was put before it (Change.Action retimed).
	EventWorkOrderUpdated EventType = "workorder.updated"
	// EventWorkOrderDispatched: an order got technicians and a start, by
	// hand or from a plan (PlanID).
	EventWorkOrderDispatched EventType = "workorder.dispatched"
	// EventWorkOrderReassigned: an order moved to other technicians or
	// another start.
	EventWorkOrderReassigned EventType = "workorder.reassigned"
	// EventWorkOrderStatus: an order moved along its lifecycle (but to
	// cancelled).
	EventWorkOrderStatus EventType = "workorder.status"
	// EventWorkOrderCancelled: an order was cancelled.
	EventWorkOrderCancelled EventType = "workorder.cancelled"
	// EventPlanProgress: a running plan found a better plan (at most one a
	// second per plan).
	EventPlanProgress EventType = "plan.progress"
	// EventPlanDone: a plan ended: done, cancelled or failed (Plan.Status).
	EventPlanDone EventType = "plan.done"
	// EventPlanApplied: a plan's stops were dispatched.
	EventPlanApplied EventType = "plan.applied"
	// EventTechnicianLocation: a technician's live position, at most one
	// per technician per throttle interval.
	EventTechnicianLocation EventType = "technician.location"
	// EventPolicyUpdated: a scheduling policy was created or replaced
	// (Policy; Policy.Active when it is the one in force).
	EventPolicyUpdated EventType = "policy.updated"
	// EventPolicyDeleted: a scheduling policy was deleted.
	EventPolicyDeleted EventType = "policy.deleted"
	// EventPolicyActivated: another policy became the one suggestions and
	// plans use when a request names none.
	EventPolicyActivated EventType = "policy.activated"
)

// The events a live stream tells its own subscriber; they are never
// stored and need no subscription.
const (
	// EventStreamMissed: events after the subscriber's Last-Event-ID are
	// no longer kept; the stream goes on from the oldest kept. Resync from
	// the API.
	EventStreamMissed EventType = "stream.missed"
	// EventStreamDropped: the subscriber fell too far behind and the
	// stream ends; reconnect with the last id received to resume.
	EventStreamDropped EventType = "stream.dropped"
)

// EventTypes lists the stored event types, the ones a subscriber or a
// webhook may ask for.
var EventTypes = []EventType{EventWorkOrderCreated, EventWorkOrderUpdated, EventWorkOrderDispatched,
	EventWorkOrderReassigned, EventWorkOrderStatus, EventWorkOrderCancelled, EventPlanProgress, EventPlanDone,
	EventPlanApplied, EventTechnicianLocation, EventPolicyUpdated, EventPolicyDeleted, EventPolicyActivated}

// EventTypeProblem says what is wrong with an event type a subscriber or a
// webhook asks for, or returns "" for one of EventTypes.
func EventTypeProblem(t EventType) string {
	if t.Known() {
		return ""
	}
	return fmt.Sprintf("unknown event type %s: want one of %s", Quote(string(t)), Spell(EventTypes))
}

// Known reports whether t is a stored event type.
func (t EventType) Known() bool {
	for _, k := range EventTypes {
		if t == k {
			return true
		}
	}
	return false
}

// Event is one thing that happened, as the event log keeps it and the
// live stream and webhooks deliver it.
type Event struct {
	// ID is the event's place in the log, set by the store: "ms-seq",
	// ordered (CompareEventIDs). A subscriber resumes after it.
	ID   string    `json:"id"`
	Type EventType `json:"type"`
	At   time.Time `json:"at"`
	// WorkOrderID names the order of a workorder event; TechnicianIDs
	// every technician it concerns (before and after a reassignment, the
	// one who moved); PlanID the plan of a plan event, or the plan an
	// order was dispatched from.
	WorkOrderID   string   `json:"work_order_id,omitempty"`
	TechnicianIDs []string `json:"technician_ids,omitempty"`
	PlanID        string   `json:"plan_id,omitempty"`
	// Actor is who made the change: the name of the API key it came
	// with; ActorKey is that key's id.
	Actor    string `json:"actor,omitempty"`
	ActorKey string `json:"actor_key,omitempty"`
	// Change is the history entry of a workorder event: what changed,
	// from and to, and why.
	Change *HistoryEntry `json:"change,omitempty"`
	// Notifications are what the technicians concerned are told.
	Notifications []Notification `json:"notifications,omitempty"`
	// Position is a technician.location event's fix.
	Position *Position `json:"position,omitempty"`
	// Plan is the state of a plan event's plan.
	Plan *PlanNews `json:"plan,omitempty"`
	// Policy is a policy event's change of the policy book.
	Policy *PolicyChange `json:"policy,omitempty"`
	// Stream explains a stream.missed or stream.dropped event.
	Stream *StreamNotice `json:"stream,omitempty"`
}

// Concerns reports whether the event concerns the technician.
func (e *Event) Concerns(technicianID string) bool {
	for _, id := range e.TechnicianIDs {
		if id == technicianID {
			return true
		}
	}
	return false
}

// Notification is what one technician is told about a change of an order
// assigned to them, or taken from them.
type Notification struct {
	TechnicianID string `json:"technician_id"`
	Message      string `json:"message"`
}

// PlanNews is how a plan stands in a plan event.
type PlanNews struct {
	Status        string  `json:"status"`
	Iterations    int     `json:"iterations,omitempty"`
	BestObjective float64 `json:"best_objective,omitempty"`
	Assigned      int     `json:"assigned"`
	Unassigned    int     `json:"unassigned"`
	// Applied and Skipped count the orders a plan's application
	// dispatched and left.
	Applied int `json:"applied,omitempty"`
	Skipped int `json:"skipped,omitempty"`
}

// StreamNotice explains a stream event to its subscriber.
type StreamNotice struct {
	Message string `json:"message"`
	// After is the id the subscriber resumed after; Resumed the id the
	// stream goes on after.
	After   string `json:"after,omitempty"`
	Resumed string `json:"resumed,omitempty"`
}

// ParseEventID reads an event id, "ms-seq" as stores write them (a
// bare "ms" means "ms-0"), into its two numbers.
func ParseEventID(id string) (ms, seq uint64, err error) {
	a, b, found := strings.Cut(id, "-")
	ms, err = strconv.ParseUint(a, 10, 64)
	if err == nil && found {
		seq, err = strconv.ParseUint(b, 10, 64)
	}
	if err != nil || id == "" {
		return 0, 0, fmt.Errorf("event id %s: want ms-seq, two whole numbers", Quote(id))
	}
	return ms, seq, nil
}

// CompareEventIDs orders two valid event ids: -1, 0 or +1. The empty id
// is before every other.
func CompareEventIDs(a, b string) int {
	switch {
	case a == b:
		return 0
	case a == "":
		return -1
	case b == "":
		return 1
	}
	am, as, _ := ParseEventID(a)
	bm, bs, _ := ParseEventID(b)
	switch {
	case am != bm:
		return cmpUint(am, bm)
	default:
		return cmpUint(as, bs)
	}
}

func cmpUint(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
