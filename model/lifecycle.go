package model

import (
	"fmt"
	"slices"
	"strings"
)

// Status is where a work order is in its life.
type Status string

// The statuses, in the order a work order normally passes through them. An
// omitted status is StatusCreated.
const (
	StatusCreated      Status = "created"
	StatusDispatched   Status = "dispatched"
	StatusAcknowledged Status = "acknowledged"
	StatusEnRoute      Status = "en_route"
	StatusOnSite       Status = "on_site"
	StatusComplete     Status = "complete"
	StatusCancelled    Status = "cancelled"
)

// Statuses lists every status in lifecycle order.
var Statuses = []Status{StatusCreated, StatusDispatched, StatusAcknowledged, StatusEnRoute, StatusOnSite, StatusComplete, StatusCancelled}

// Known reports whether s is one of Statuses (or omitted).
func (s Status) Known() bool { return s == "" || slices.Contains(Statuses, s) }

// Open reports whether an order in status s still needs doing.
func (s Status) Open() bool { return s != StatusComplete && s != StatusCancelled }

func (s Status) orCreated() Status {
	if s == "" {
		return StatusCreated
	}
	return s
}

// Action is the kind of request that moves a work order: each endpoint of
// the dispatch workflow may make only its own moves.
type Action string

// The actions that move a work order.
const (
	// ActionDispatch assigns technicians to a created order.
	ActionDispatch Action = "dispatch"
	// ActionReassign gives a dispatched order to other technicians; it keeps
	// or returns the order to dispatched.
	ActionReassign Action = "reassign"
	// ActionStatus is a status update from the field or the dispatcher.
	ActionStatus Action = "status"
)

// Transition is one allowed move of a work order.
type Transition struct {
	From   Status
	To     Status
	Action Action
}

// lifecycle is the whole work-order state machine of API.md: created →
// dispatched → acknowledged → en_route → on_site → complete, cancel from any
// state before complete, and reassign back to dispatched.
var lifecycle = []Transition{
	{StatusCreated, StatusDispatched, ActionDispatch},

	{StatusDispatched, StatusAcknowledged, ActionStatus},
	{StatusAcknowledged, StatusEnRoute, ActionStatus},
	{StatusEnRoute, StatusOnSite, ActionStatus},
	{StatusOnSite, StatusComplete, ActionStatus},

	{StatusCreated, StatusCancelled, ActionStatus},
	{StatusDispatched, StatusCancelled, ActionStatus},
	{StatusAcknowledged, StatusCancelled, ActionStatus},
	{StatusEnRoute, StatusCancelled, ActionStatus},
	{StatusOnSite, StatusCancelled, ActionStatus},

	{StatusDispatched, StatusDispatched, ActionReassign},
	{StatusAcknowledged, StatusDispatched, ActionReassign},
	{StatusEnRoute, StatusDispatched, ActionReassign},
	{StatusOnSite, StatusDispatched, ActionReassign},
}

// Transitions returns a copy of the lifecycle table.
func Transitions() []Transition { return append([]Transition(nil), lifecycle...) }

// AllowedMoves returns the statuses an order in status from may move to by
// the action, in lifecycle order.
func AllowedMoves(from Status, a Action) []Status {
	from = from.orCreated()
	var out []Status
	for _, t := range lifecycle {
		if t.From == from && t.Action == a {
			out = append(out, t.To)
		}
	}
	return out
}

// TransitionError says that a move is not allowed, and which are.
type TransitionError struct {
	From    Status
	To      Status
	Action  Action
	Allowed []Status
}

func (e *TransitionError) Error() string {
	allowed := "none"
	if len(e.Allowed) > 0 {
		names := make([]string, len(e.Allowed))
		for i, s := range e.Allowed {
			names[i] = string(s)
		}
		allowed = strings.Join(names, ", ")
	}
	return fmt.Sprintf("model: cannot %s a work order from %s to %s (allowed: %s)", e.Action, e.From, e.To, allowed)
}

// Unwrap makes a refused move of kind ErrConflict: the request is well
// formed, the order's state forbids it.
func (e *TransitionError) Unwrap() error { return ErrConflict }

// CheckTransition returns nil if an order in status from may move to status
// to by the action, and a *TransitionError naming the allowed moves if not.
func CheckTransition(from, to Status, a Action) error {
	from, to = from.orCreated(), to.orCreated()
	for _, t := range lifecycle {
		if t.From == from && t.To == to && t.Action == a {
			return nil
		}
	}
	return &TransitionError{From: from, To: to, Action: a, Allowed: AllowedMoves(from, a)}
}
