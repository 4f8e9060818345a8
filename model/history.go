package model

import (
	"encoding/json"
	"time"
)

// HistoryAction says what a history entry records.
type HistoryAction string

// The actions a work order's history records.
const (
	// HistoryCreated: the order was taken in. DuplicateOf lists the open
	// orders it looked like when the dispatcher allowed it anyway.
	HistoryCreated HistoryAction = "created"
	// HistoryUpdated: fields changed (Changes lists them).
	HistoryUpdated HistoryAction = "updated"
	// HistoryDispatched: technicians and a start were given to the order.
	HistoryDispatched HistoryAction = "dispatched"
	// HistoryReassigned: the order moved to other technicians or another
	// start.
	HistoryReassigned HistoryAction = "reassigned"
	// HistoryRetimed: the order's start moved because another order was
	// put before it on the technician's day.
	HistoryRetimed HistoryAction = "retimed"
	// HistoryStatus: the status changed (From and To).
	HistoryStatus HistoryAction = "status"
)

// HistoryEntry is one change of a work order: who made it, when, why, and
// what it changed. Entries are only ever appended.
type HistoryEntry struct {
	// Seq numbers an order's entries from 1, in the order they happened.
	Seq         int           `json:"seq"`
	WorkOrderID string        `json:"work_order_id"`
	Action      HistoryAction `json:"action"`
	At          time.Time     `json:"at"`
	// By is the actor: the name of the API key the change came with
	// (never taken from a request body); ByKey is that key's id.
	By     string `json:"by"`
	ByKey  string `json:"by_key,omitempty"`
	Reason string `json:"reason,omitempty"`
	// From and To are the statuses before and after.
	From Status `json:"from,omitempty"`
	To   Status `json:"to,omitempty"`
	// FromTechnicians and ToTechnicians are the technicians before and
	// after a dispatch or reassignment; FromStart and ToStart the
	// scheduled starts.
	FromTechnicians []string   `json:"from_technicians,omitempty"`
	ToTechnicians   []string   `json:"to_technicians,omitempty"`
	FromStart       *time.Time `json:"from_start,omitempty"`
	ToStart         *time.Time `json:"to_start,omitempty"`
	// Overridden lists exactly the conflicts a dispatcher overrode;
	// Conflicts those an update left the order's day with (reported, not
	// refused).
	Overridden []Conflict `json:"overridden,omitempty"`
	Conflicts  []Conflict `json:"conflicts,omitempty"`
	// DuplicateOf lists the likely duplicates a creation was allowed over.
	DuplicateOf []string `json:"duplicate_of,omitempty"`
	// Changes lists the fields an update changed.
	Changes []FieldChange `json:"changes,omitempty"`
	// Outcome is the close-out of a completion.
	Outcome *Outcome `json:"outcome,omitempty"`
	// Cause names the order or plan that caused a change made on the
	// order's behalf (a retiming by another order's dispatch).
	Cause string `json:"cause,omitempty"`
}

// FieldChange is one field an update changed, with its JSON values before
// and after (null when unset).
type FieldChange struct {
	Field string          `json:"field"`
	From  json.RawMessage `json:"from"`
	To    json.RawMessage `json:"to"`
}
