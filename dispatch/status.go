package dispatch

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/dispatchd/dispatchd/model"
	"github.com/dispatchd/dispatchd/store"
)

// StatusUpdate moves a work order along its lifecycle: from the field
// (acknowledged, en route, on site, complete) or the desk (cancelled).
type StatusUpdate struct {
	Status model.Status `json:"status"`
	// At is when it happened, as the device saw it; zero means now. It may
	// lie in the past (a device that was offline) but not ahead of the
	// service's clock by more than the allowed skew.
	At     time.Time `json:"at,omitzero"`
	Reason string    `json:"reason,omitempty"`
	// Outcome is the close-out, required to complete.
	Outcome *model.Outcome `json:"outcome,omitempty"`
}

// SetStatus moves a work order to a new status by the lifecycle of
// model.CheckTransition; a move it does not allow is a
// *model.TransitionError naming the allowed ones. Completing needs a valid
// outcome. en_route, on_site and complete stamp their actual times, which
// the technician's day then follows (later suggestions start from where
// the technician really is and when they are really free); cancelled
// frees the order's slot. Concurrent updates of one order are serialised:
// each is decided on the status the previous one left. An actor bound to
// a technician moves only orders assigned to them, and only to one of
// FieldStatuses. A given At must not precede the actual times it follows
// (en route, on site): 400 naming at.
func (s *Service) SetStatus(ctx context.Context, id string, u StatusUpdate, by Actor) (model.WorkOrder, error) {
	var errs []model.FieldError
	if u.Status == "" || !u.Status.Known() {
		errs = append(errs, model.FieldError{Field: "status", Message: "want one of " + model.Spell(model.Statuses)})
	}
	if by.bound() && u.Status != "" && u.Status.Known() && !slices.Contains(FieldStatuses, u.Status) {
		return model.WorkOrder{}, fmt.Errorf("dispatch: the key %q is a technician's: it moves orders to %v, not %s: %w",
			by.Name, FieldStatuses, u.Status, model.ErrForbidden)
	}
	if !u.At.IsZero() {
		var ve *model.ValidationError
		if err := s.notAhead("at", u.At); errors.As(err, &ve) {
			errs = append(errs, ve.Errors...)
		}
	}
	switch {
	case u.Status == model.StatusComplete && u.Outcome == nil:
		errs = append(errs, model.FieldError{Field: "outcome", Message: "required to complete: " +
			`{"code": one of ` + model.Spell(model.OutcomeCodes) + `, "notes", "labour_minutes", "parts": [{"name", "sku", "quantity"}]}`})
	case u.Outcome != nil && u.Status != model.StatusComplete:
		errs = append(errs, model.FieldError{Field: "outcome", Message: "only a completion has an outcome"})
	case u.Outcome != nil:
		var ve *model.ValidationError
		if err := u.Outcome.Validate(); errors.As(err, &ve) {
			errs = append(errs, ve.Prefix("outcome").Errors...)
		}
	}
	if len(errs) > 0 {
		return model.WorkOrder{}, &model.ValidationError{Errors: errs}
	}
	var out model.WorkOrder
	err := s.retry(ctx, "updating the status of "+id, func() (store.Change, error) {
		rev, w, from, err := s.readOrderFor(ctx, id, by, u.Status, model.ActionStatus)
		if err != nil {
			return store.Change{}, err
		}
		now := s.now()
		at := now
		if !u.At.IsZero() {
			at = u.At
		}
		// Actual times run forwards: a stop cannot end before it began.
		if since, what := lastStamp(&w, u.Status); at.Before(since) {
			if !u.At.IsZero() {
				return store.Change{}, invalid("at", "%s is before the order %s at %s: a later move cannot have happened earlier",
					at.Format(time.RFC3339), what, since.Format(time.RFC3339))
			}
			at = since // a device's stamp a little ahead of our clock
		}
		w.Status, w.UpdatedAt = u.Status, &now
		switch u.Status {
		case model.StatusEnRoute:
			w.EnRouteAt = &at
		case model.StatusOnSite:
			w.OnSiteAt = &at
		case model.StatusComplete:
			w.CompletedAt, w.Outcome = &at, u.Outcome
		}
		out = w
		entry := model.HistoryEntry{WorkOrderID: id, Action: model.HistoryStatus, At: at, By: by.Name, ByKey: by.KeyID, Reason: u.Reason,
			From: from, To: u.Status, Outcome: u.Outcome}
		return store.Change{Guards: []store.Guard{{Key: store.OrderKey(id), Rev: rev}}, Orders: []model.WorkOrder{w},
			History: []model.HistoryEntry{entry}}, nil
	})
	if err != nil {
		return model.WorkOrder{}, err
	}
	return out, nil
}

// lastStamp is the latest time a move of w to status must not precede,
// and what happened then: its departure, its arrival. (Not its creation:
// an order may be keyed in after the technician set off for it.)
func lastStamp(w *model.WorkOrder, to model.Status) (time.Time, string) {
	var since time.Time
	what := ""
	later := func(t *time.Time, did string) {
		if t != nil && t.After(since) {
			since, what = *t, did
		}
	}
	if to == model.StatusOnSite || to == model.StatusComplete {
		later(w.EnRouteAt, "went en route")
	}
	if to == model.StatusComplete {
		later(w.OnSiteAt, "arrived on site")
	}
	return since, what
}

// readOrderFor reads an order as readOrder does and checks that the
// actor may act on it (before anything about it is told) and that the
// lifecycle lets it move to status to by the action; from is its status.
func (s *Service) readOrderFor(ctx context.Context, id string, by Actor, to model.Status, a model.Action) (rev int64, w model.WorkOrder, from model.Status, err error) {
	rev, w, err = s.readOrder(ctx, id)
	if err != nil {
		return 0, model.WorkOrder{}, "", err
	}
	if err := by.forOrder(&w); err != nil {
		return 0, model.WorkOrder{}, "", err
	}
	from = w.Status
	if from == "" {
		from = model.StatusCreated
	}
	if err := model.CheckTransition(from, to, a); err != nil {
		return 0, model.WorkOrder{}, "", fmt.Errorf("dispatch: work order %s is %s: %w", id, from, err)
	}
	return rev, w, from, nil
}

// readOrder reads an order's revision, then the order: a write between
// the two raises the revision, so a commit guarded by it cannot act on an
// order older than the one read.
func (s *Service) readOrder(ctx context.Context, id string) (int64, model.WorkOrder, error) {
	revs, err := s.store.Revisions(ctx, store.OrderKey(id))
	if err != nil {
		return 0, model.WorkOrder{}, fmt.Errorf("dispatch: reading work order %s: %w", id, err)
	}
	w, err := s.store.GetWorkOrder(ctx, id)
	if err != nil {
		return 0, model.WorkOrder{}, fmt.Errorf("dispatch: reading work order %s: %w", id, err)
	}
	return revs[0], w, nil
}
