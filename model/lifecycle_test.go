package model

import (
	"errors"
	"slices"
	"testing"
)

func TestCheckTransition(t *testing.T) {
	tests := []struct {
		from, to Status
		action   Action
		ok       bool
	}{
		{StatusCreated, StatusDispatched, ActionDispatch, true},
		{"", StatusDispatched, ActionDispatch, true},
		{StatusDispatched, StatusAcknowledged, ActionStatus, true},
		{StatusAcknowledged, StatusEnRoute, ActionStatus, true},
		{StatusEnRoute, StatusOnSite, ActionStatus, true},
		{StatusOnSite, StatusComplete, ActionStatus, true},
		{StatusCreated, StatusCancelled, ActionStatus, true},
		{StatusOnSite, StatusCancelled, ActionStatus, true},
		{StatusDispatched, StatusDispatched, ActionReassign, true},
		{StatusEnRoute, StatusDispatched, ActionReassign, true},

		{StatusCreated, StatusDispatched, ActionStatus, false}, // dispatching needs technicians
		{StatusCreated, StatusOnSite, ActionStatus, false},
		{StatusDispatched, StatusEnRoute, ActionStatus, false},
		{StatusComplete, StatusCancelled, ActionStatus, false},
		{StatusCancelled, StatusDispatched, ActionDispatch, false},
		{StatusComplete, StatusDispatched, ActionReassign, false},
		{StatusCreated, StatusDispatched, ActionReassign, false},
		{StatusOnSite, StatusEnRoute, ActionStatus, false},
	}
	for _, tt := range tests {
		err := CheckTransition(tt.from, tt.to, tt.action)
		if (err == nil) != tt.ok {
			t.Errorf("CheckTransition(%q, %q, %s) = %v, want ok=%v", tt.from, tt.to, tt.action, err, tt.ok)
		}
		var te *TransitionError
		if err != nil && !errors.As(err, &te) {
			t.Errorf("error %v is not a *TransitionError", err)
		}
	}
}

func TestTransitionErrorNamesAllowedMoves(t *testing.T) {
	var te *TransitionError
	if !errors.As(CheckTransition(StatusDispatched, StatusComplete, ActionStatus), &te) {
		t.Fatal("dispatched → complete allowed")
	}
	if want := []Status{StatusAcknowledged, StatusCancelled}; !slices.Equal(te.Allowed, want) {
		t.Errorf("Allowed = %v, want %v", te.Allowed, want)
	}
	want := "model: cannot status a work order from dispatched to complete (allowed: acknowledged, cancelled)"
	if te.Error() != want {
		t.Errorf("Error() = %q, want %q", te.Error(), want)
	}
}

// TestLifecycleTerminal checks the table's shape: nothing leaves complete or
// cancelled, and every other status can be cancelled.
func TestLifecycleTerminal(t *testing.T) {
	for _, s := range Statuses {
		var moves []Status
		for _, a := range []Action{ActionDispatch, ActionReassign, ActionStatus} {
			moves = append(moves, AllowedMoves(s, a)...)
		}
		if !s.Open() {
			if len(moves) != 0 {
				t.Errorf("%s can move to %v", s, moves)
			}
			continue
		}
		if !slices.Contains(AllowedMoves(s, ActionStatus), StatusCancelled) {
			t.Errorf("%s cannot be cancelled", s)
		}
	}
	if got := len(Transitions()); got != len(lifecycle) {
		t.Errorf("Transitions() has %d rows, want %d", got, len(lifecycle))
	}
}
