package dispatch

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/dispatchd/dispatchd/model"
	"github.com/dispatchd/dispatchd/store"
)

// Import stores a day brought in whole — from another system, or the demo
// day — as it is: technicians, positions, and orders already in their
// statuses. Each order gets a history that walks it to its status the way
// the workflow would have (created, dispatched, then each status move),
// by the actor, at the times its schedule implies, so that its history
// reads like any other order's; actual times are filled in the same way
// where the order has none. Everything is validated first; nothing is
// stored if anything is invalid. An import publishes no events: it
// restores a state, it does not make changes anyone is to be told of.
func (s *Service) Import(ctx context.Context, techs []model.Technician, orders []model.WorkOrder, positions []model.Position, by Actor) error {
	var errs []model.FieldError
	for i := range techs {
		var ve *model.ValidationError
		if err := techs[i].Validate(); errors.As(err, &ve) {
			errs = append(errs, ve.Prefix(fmt.Sprintf("technicians[%d]", i)).Errors...)
		}
	}
	for i := range orders {
		w := orders[i]
		if fe := validateOrder(&w); len(fe) > 0 {
			errs = append(errs, (&model.ValidationError{Errors: fe}).Prefix(fmt.Sprintf("work_orders[%d]", i)).Errors...)
		}
		if w.Status != model.StatusCreated && w.Status != "" && w.Status != model.StatusCancelled && w.ScheduledStart == nil {
			errs = append(errs, model.FieldError{Field: fmt.Sprintf("work_orders[%d].scheduled_start", i), Message: "required for an order that is " + string(w.Status)})
		}
	}
	if len(errs) > 0 {
		return &model.ValidationError{Errors: errs}
	}
	for _, t := range techs {
		if _, err := s.store.PutTechnician(ctx, t); err != nil {
			return fmt.Errorf("dispatch: importing technician %s: %w", t.ID, err)
		}
	}
	for _, p := range positions {
		if _, err := s.store.UpdatePosition(ctx, p, ""); err != nil {
			return fmt.Errorf("dispatch: importing the position of %s: %w", p.TechnicianID, err)
		}
	}
	now := s.now()
	for _, w := range orders {
		w, history := imported(w, now, by)
		if err := s.store.Commit(ctx, store.Change{Orders: []model.WorkOrder{w}, History: history}); err != nil {
			return fmt.Errorf("dispatch: importing work order %s: %w", w.ID, err)
		}
	}
	return nil
}

// path is the lifecycle an order walks to each status, after created.
var path = []model.Status{model.StatusDispatched, model.StatusAcknowledged, model.StatusEnRoute, model.StatusOnSite, model.StatusComplete}

// imported returns an order with the actual times its status implies, and
// the history that walks it there.
func imported(w model.WorkOrder, now time.Time, by Actor) (model.WorkOrder, []model.HistoryEntry) {
	if w.Status == "" {
		w.Status = model.StatusCreated
	}
	created := now
	if w.ScheduledStart != nil && w.ScheduledStart.Add(-24*time.Hour).Before(created) {
		created = w.ScheduledStart.Add(-24 * time.Hour)
	}
	w.CreatedAt, w.UpdatedAt = &created, &now
	out := []model.HistoryEntry{{WorkOrderID: w.ID, Action: model.HistoryCreated, At: created, By: by.Name, ByKey: by.KeyID, To: model.StatusCreated, Reason: "imported"}}
	if w.Status == model.StatusCancelled {
		out = append(out, model.HistoryEntry{WorkOrderID: w.ID, Action: model.HistoryStatus, At: now, By: by.Name, ByKey: by.KeyID,
			From: model.StatusCreated, To: model.StatusCancelled, Reason: "imported"})
		return w, out
	}
	if w.Status == model.StatusCreated {
		return w, out
	}
	start := *w.ScheduledStart
	end := start.Add(w.Duration.Duration())
	from := model.StatusCreated
	for _, to := range path {
		at := created
		switch to {
		case model.StatusEnRoute:
			at = minTime(start.Add(-15*time.Minute), now)
			if w.EnRouteAt == nil {
				w.EnRouteAt = &at
			}
		case model.StatusOnSite:
			at = start
			if w.OnSiteAt == nil {
				w.OnSiteAt = &at
			}
		case model.StatusComplete:
			at = end
			if w.CompletedAt == nil {
				w.CompletedAt = &at
			}
			if w.Outcome == nil {
				w.Outcome = &model.Outcome{Code: model.OutcomeFixed, Notes: "imported", LabourMinutes: int(w.Duration / 60)}
			}
		}
		e := model.HistoryEntry{WorkOrderID: w.ID, Action: model.HistoryStatus, At: at, By: by.Name, ByKey: by.KeyID, From: from, To: to, Reason: "imported"}
		if to == model.StatusDispatched {
			e.Action, e.ToTechnicians, e.ToStart = model.HistoryDispatched, w.TechnicianIDs, w.ScheduledStart
		}
		if to == model.StatusComplete {
			e.Outcome = w.Outcome
		}
		out = append(out, e)
		if to == w.Status {
			break
		}
		from = to
	}
	return w, out
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
