package dispatch

import (
	"context"
	"fmt"
	"time"

	"github.com/dispatchd/dispatchd/model"
	"github.com/dispatchd/dispatchd/solver"
)

// StoredDay returns the stored day in progress at now (zero means the
// service's clock), priced by the policy the choice makes (ResolvePolicy),
// for a caller that suggests on it. Its slices may be shared with the
// service's cache: read them, do not change them.
func (s *Service) StoredDay(ctx context.Context, now time.Time, choice PolicyChoice) (solver.Day, error) {
	if now.IsZero() {
		now = s.clock()
	}
	return s.storedDay(ctx, now, "", choice)
}

// Suggestions ranks the technicians for a stored, open work order against
// the stored day — their routes, live positions and the service's now —
// with the same Suggest as a stateless suggestion, priced by the policy
// the choice makes (the active one, or one named). An order already on a
// route is suggested as if it were not: where else it could go.
func (s *Service) Suggestions(ctx context.Context, id string, choice PolicyChoice, opts solver.SuggestOptions) (model.Suggestions, error) {
	w, err := s.order(ctx, id)
	if err != nil {
		return model.Suggestions{}, err
	}
	if !w.Status.Open() {
		return model.Suggestions{}, fmt.Errorf("dispatch: work order %s is %s: nothing to suggest: %w", id, w.Status, model.ErrConflict)
	}
	day, err := s.storedDay(ctx, s.clock(), id, choice)
	if err != nil {
		return model.Suggestions{}, err
	}
	st, err := solver.NewState(day)
	if err != nil {
		// The store holds only what was validated on the way in: a day it
		// cannot compile is the service's fault, not the caller's.
		return model.Suggestions{}, fmt.Errorf("dispatch: compiling the stored day for %s: %v: %w", id, err, model.ErrInternal)
	}
	out, err := solver.Suggest(ctx, st, w, opts)
	if err != nil {
		return model.Suggestions{}, fmt.Errorf("dispatch: suggesting for %s: %w", id, err)
	}
	return out, nil
}
