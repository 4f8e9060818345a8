package dispatch

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/dispatchd/dispatchd/model"
	"github.com/dispatchd/dispatchd/solver"
	"github.com/dispatchd/dispatchd/store"
)

// ApplyRequest applies a plan of the stored day: batch dispatch.
type ApplyRequest struct {
	// Partial applies what still fits when something changed since the
	// plan was made, and reports the rest; without it, any change refuses
	// the whole plan.
	Partial bool `json:"partial,omitempty"`
}

// Application is what applying a plan did.
type Application struct {
	PlanID string    `json:"plan_id"`
	At     time.Time `json:"at"`
	// By and ByKey are the actor's key: its name and id.
	By      string `json:"by,omitempty"`
	ByKey   string `json:"by_key,omitempty"`
	Partial bool   `json:"partial"`
	// Applied are the orders dispatched, at the plan's times; Moved the
	// stops already dispatched that the plan pushed later within their
	// windows.
	Applied []AppliedStop `json:"applied"`
	Moved   []AppliedStop `json:"moved,omitempty"`
	// Skipped are the plan's orders a partial application left, with why;
	// Changes what changed since the plan was made.
	Skipped []SkippedOrder `json:"skipped"`
	Changes []PlanChange   `json:"changes"`
}

// AppliedStop is an order dispatched (or moved) by a plan's application.
type AppliedStop struct {
	WorkOrderID  string    `json:"work_order_id"`
	TechnicianID string    `json:"technician_id"`
	Start        time.Time `json:"start"`
}

// SkippedOrder is an order of a plan its partial application left.
type SkippedOrder struct {
	WorkOrderID  string           `json:"work_order_id"`
	TechnicianID string           `json:"technician_id"`
	Reasons      []string         `json:"reasons"`
	Conflicts    []model.Conflict `json:"conflicts,omitempty"`
}

// PlanChange is something that changed since a plan was made.
type PlanChange struct {
	// Kind is work_order, technician or day (a technician's day that got
	// an order the plan did not know of).
	Kind    string `json:"kind"`
	ID      string `json:"id"`
	Message string `json:"message"`
}

// StalePlanError says a plan no longer matches the store: what changed
// since it was made and, for a partial application that found nothing
// left to apply, what it skipped. Nothing was written.
type StalePlanError struct {
	PlanID  string
	Changes []PlanChange
	Skipped []SkippedOrder
}

func (e *StalePlanError) Error() string {
	texts := make([]string, 0, len(e.Changes))
	for _, c := range e.Changes {
		texts = append(texts, c.Message)
	}
	switch {
	case len(e.Changes) == 0 && len(e.Skipped) == 0:
		return fmt.Sprintf("dispatch: plan %s assigns no order: nothing to apply", e.PlanID)
	case len(e.Changes) == 0:
		return fmt.Sprintf("dispatch: nothing of plan %s still fits (%d orders skipped)", e.PlanID, len(e.Skipped))
	}
	return fmt.Sprintf("dispatch: plan %s is stale, %d change(s) since it was made: %s; nothing was applied (partial: true applies what still fits)",
		e.PlanID, len(e.Changes), strings.Join(texts, "; "))
}

// Unwrap makes the error of kind model.ErrConflict.
func (e *StalePlanError) Unwrap() error { return model.ErrConflict }

// ApplyPlan dispatches every order a finished plan of the stored day
// assigned, at the plan's times, in one change guarded by what the plan
// was made from: each technician's assignments are checked together by
// the scheduling kernel (solver.Check), on the day as the store has it.
// If any order, technician or technician's day the plan read changed
// since, nothing is written and a *StalePlanError lists what changed;
// with Partial, what still fits is applied and the rest reported. A plan
// is applied once: a second application is a conflict, on whichever
// replica, as is an application that lost a race to an overlapping one.
// Each order's history names the plan (Cause) and the actor.
func (s *Service) ApplyPlan(ctx context.Context, id string, req ApplyRequest, by Actor) (Application, error) {
	var out Application
	var rec PlanRecord
	err := s.retry(ctx, "applying plan "+id, func() (store.Change, error) {
		var err error
		if rec, err = s.Plan(ctx, id); err != nil {
			return store.Change{}, err
		}
		switch {
		case rec.Basis == nil:
			return store.Change{}, fmt.Errorf("dispatch: plan %s was made from a problem in its request, not from the stored day (date): nothing to apply it to: %w", id, model.ErrConflict)
		case rec.Plan == nil || (rec.Status != PlanDone && rec.Status != PlanCancelled):
			return store.Change{}, fmt.Errorf("dispatch: plan %s is %s: only a finished plan is applied: %w", id, rec.Status, model.ErrConflict)
		}
		applied, err := s.store.Revisions(ctx, store.PlanKey(id))
		if err != nil {
			return store.Change{}, fmt.Errorf("dispatch: applying plan %s: %w", id, err)
		}
		if applied[0] > 0 {
			return store.Change{}, fmt.Errorf("dispatch: plan %s is already applied: %w", id, model.ErrConflict)
		}
		c, a, err := s.application(ctx, &rec, req.Partial, by)
		out = a
		return c, err
	})
	if err != nil {
		return Application{}, err
	}
	rec.Applied = &out
	for attempt := range 3 {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err = s.plans.save(sctx, rec)
		cancel()
		if err == nil {
			break
		}
		// The orders are dispatched and the plan marked applied in the
		// store either way; only the record's account of it is missing.
		s.log.Warn("cannot store a plan's application", "id", id, "attempt", attempt+1, "err", err)
	}
	if o := s.plans.opts.Observer; o != nil {
		o.PlanApplied(req.Partial, len(out.Applied), len(out.Skipped))
	}
	return out, nil
}

// proposal is one stop of a plan to dispatch.
type proposal struct {
	order string
	start time.Time
}

// application decides what applying a plan writes.
func (s *Service) application(ctx context.Context, rec *PlanRecord, partial bool, by Actor) (store.Change, Application, error) {
	basis := rec.Basis
	now := s.now()
	a := Application{PlanID: rec.ID, At: now, By: by.Name, ByKey: by.KeyID, Partial: partial, Applied: []AppliedStop{}, Skipped: []SkippedOrder{}, Changes: []PlanChange{}}
	keys := make([]string, 0, len(basis.Revisions))
	for k := range basis.Revisions {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	cur, err := s.store.Revisions(ctx, keys...)
	if err != nil {
		return store.Change{}, a, fmt.Errorf("dispatch: applying plan %s: %w", rec.ID, err)
	}
	var moved []string
	for i, k := range keys {
		if cur[i] != basis.Revisions[k] {
			moved = append(moved, k)
		}
	}
	if a.Changes, err = s.planChanges(ctx, basis, moved); err != nil {
		return store.Change{}, a, err
	}
	if len(a.Changes) > 0 && !partial {
		return store.Change{}, a, &StalePlanError{PlanID: rec.ID, Changes: a.Changes}
	}
	c := store.Change{Guards: []store.Guard{{Key: store.PlanKey(rec.ID), Rev: 0}}, Raise: []string{store.PlanKey(rec.ID)}}
	if !partial {
		// Nothing moved: the plan's own reads guard the change.
		for i, k := range keys {
			c.Guards = append(c.Guards, store.Guard{Key: k, Rev: cur[i]})
		}
	}
	planned := map[string]bool{}
	for _, oid := range basis.Orders {
		planned[oid] = true
	}
	byTech := map[string][]proposal{}
	var techs []string
	for _, r := range rec.Plan.Routes {
		for _, st := range r.Stops {
			if st.IsBreak() || !planned[st.WorkOrderID] {
				continue
			}
			if _, ok := byTech[r.TechnicianID]; !ok {
				techs = append(techs, r.TechnicianID)
			}
			byTech[r.TechnicianID] = append(byTech[r.TechnicianID], proposal{order: st.WorkOrderID, start: st.Start})
		}
	}
	slices.Sort(techs)
	skip := func(oid, tech string, conflicts []model.Conflict, reasons ...string) {
		a.Skipped = append(a.Skipped, SkippedOrder{WorkOrderID: oid, TechnicianID: tech, Reasons: reasons, Conflicts: conflicts})
	}
	for _, tech := range techs {
		props := byTech[tech]
		days, err := s.readDays(ctx, []string{tech}, basis.Date, "")
		var ve *model.ValidationError
		if errors.As(err, &ve) {
			for _, p := range props {
				skip(p.order, tech, nil, fmt.Sprintf("technician %s no longer exists", tech))
			}
			continue
		}
		if err != nil {
			return store.Change{}, a, err
		}
		c.Guards = append(c.Guards, days.guards...)
		var orders []model.WorkOrder
		for _, p := range props {
			rev, w, err := s.readOrder(ctx, p.order)
			switch {
			case errors.Is(err, store.ErrNotFound):
				skip(p.order, tech, nil, "the order no longer exists")
				continue
			case err != nil:
				return store.Change{}, a, err
			case w.Status != model.StatusCreated && w.Status != "":
				skip(p.order, tech, nil, fmt.Sprintf("the order is %s now", describeOrder(&w)))
				continue
			}
			start := p.start
			next := w
			next.Status, next.TechnicianIDs, next.ScheduledStart, next.UpdatedAt = model.StatusDispatched, []string{tech}, &start, &now
			if errs := validateOrder(&next); len(errs) > 0 {
				skip(p.order, tech, nil, (&model.ValidationError{Errors: errs}).Summary())
				continue
			}
			c.Guards = append(c.Guards, store.Guard{Key: store.OrderKey(w.ID), Rev: rev})
			orders = append(orders, next)
		}
		// The kernel judges the technician's assignments together; with
		// Partial, an order that conflicts is left and the rest judged
		// again without it, until what is left fits.
		var verdict solver.Verdict
		for len(orders) > 0 {
			if verdict, err = days.check(orders...); err != nil {
				return store.Change{}, a, err
			}
			if len(verdict.Conflicts) == 0 {
				break
			}
			if !partial {
				return store.Change{}, a, &ConflictError{WorkOrderID: orders[0].ID, Conflicts: verdict.Conflicts}
			}
			orders = slices.DeleteFunc(orders, func(w model.WorkOrder) bool {
				var mine []model.Conflict
				for _, cf := range verdict.Conflicts {
					if cf.WorkOrderID == w.ID {
						mine = append(mine, cf)
					}
				}
				if len(mine) > 0 {
					skip(w.ID, tech, mine, "conflicts with the technician's day as it is now")
				}
				return len(mine) > 0
			})
			verdict = solver.Verdict{}
		}
		for _, w := range orders {
			c.Orders = append(c.Orders, w)
			c.History = append(c.History, model.HistoryEntry{WorkOrderID: w.ID, Action: model.HistoryDispatched, At: now, By: by.Name, ByKey: by.KeyID,
				Reason: "applied plan " + rec.ID, Cause: rec.ID, From: model.StatusCreated, To: model.StatusDispatched,
				ToTechnicians: w.TechnicianIDs, ToStart: w.ScheduledStart})
			a.Applied = append(a.Applied, AppliedStop{WorkOrderID: w.ID, TechnicianID: tech, Start: *w.ScheduledStart})
		}
		pushed := days.retime(verdict.Moves, rec.ID, now, by)
		c.Orders = append(c.Orders, pushed.orders...)
		c.History = append(c.History, pushed.history...)
		for _, w := range pushed.orders {
			a.Moved = append(a.Moved, AppliedStop{WorkOrderID: w.ID, TechnicianID: tech, Start: *w.ScheduledStart})
		}
	}
	if len(a.Applied) == 0 {
		return store.Change{}, a, &StalePlanError{PlanID: rec.ID, Changes: a.Changes, Skipped: a.Skipped}
	}
	var touched []string
	for _, st := range a.Applied {
		if !slices.Contains(touched, st.TechnicianID) {
			touched = append(touched, st.TechnicianID)
		}
	}
	c.Events = []model.Event{{Type: model.EventPlanApplied, At: now, PlanID: rec.ID, TechnicianIDs: touched, Actor: by.Name, ActorKey: by.KeyID,
		Plan: &model.PlanNews{Status: rec.Status, Assigned: rec.Plan.KPIs.Assigned, Unassigned: rec.Plan.KPIs.Unassigned,
			Applied: len(a.Applied), Skipped: len(a.Skipped)}}}
	return c, a, nil
}

// planChanges says what changed under the keys whose revisions moved
// since the plan read them, from the records as they are now.
func (s *Service) planChanges(ctx context.Context, basis *PlanBasis, moved []string) ([]PlanChange, error) {
	out := []PlanChange{}
	known := map[string]bool{}
	for _, id := range basis.Orders {
		known[id] = true
	}
	for _, id := range basis.Pinned {
		known[id] = true
	}
	for _, k := range moved {
		kind, rest, _ := strings.Cut(k, ":")
		switch kind {
		case "wo":
			w, err := s.store.GetWorkOrder(ctx, rest)
			switch {
			case errors.Is(err, store.ErrNotFound):
				out = append(out, PlanChange{Kind: "work_order", ID: rest, Message: rest + " was deleted"})
				continue
			case err != nil:
				return nil, fmt.Errorf("dispatch: reading work order %s: %w", rest, err)
			}
			msg := rest + " changed: it is " + describeOrder(&w)
			if h, err := s.store.History(ctx, rest); err == nil && len(h) > 0 {
				last := h[len(h)-1]
				msg += fmt.Sprintf(" (%s by %s at %s)", last.Action, last.By, last.At.Format(time.RFC3339))
			}
			out = append(out, PlanChange{Kind: "work_order", ID: rest, Message: msg})
		case "tech":
			t, err := s.store.GetTechnician(ctx, rest)
			switch {
			case errors.Is(err, store.ErrNotFound):
				out = append(out, PlanChange{Kind: "technician", ID: rest, Message: "technician " + rest + " was deleted"})
			case err != nil:
				return nil, fmt.Errorf("dispatch: reading technician %s: %w", rest, err)
			default:
				out = append(out, PlanChange{Kind: "technician", ID: rest, Message: fmt.Sprintf("technician %s changed: shift now %s–%s, %d break(s)",
					rest, t.Shift.Start.Format(time.RFC3339), clock(t.Shift.End), len(t.Breaks))})
			}
		case "route":
			tech := rest[:max(0, len(rest)-len(":2006-01-02"))]
			route, err := s.store.Route(ctx, tech, basis.Date)
			if err != nil {
				return nil, fmt.Errorf("dispatch: reading the route of %s: %w", tech, err)
			}
			for _, w := range route {
				if !known[w.ID] && w.Status != model.StatusCancelled {
					out = append(out, PlanChange{Kind: "day", ID: tech, Message: fmt.Sprintf("%s was put on %s's day at %s", w.ID, tech, clock(*w.ScheduledStart))})
				}
			}
			// An order of the plan that left or moved on the day is told
			// by its own change.
		}
	}
	return out, nil
}

// describeOrder says where an order stands: its status, technicians and
// start.
func describeOrder(w *model.WorkOrder) string {
	st := w.Status
	if st == "" {
		st = model.StatusCreated
	}
	if len(w.TechnicianIDs) == 0 || w.ScheduledStart == nil {
		return string(st)
	}
	return fmt.Sprintf("%s to %s at %s", st, strings.Join(w.TechnicianIDs, ", "), w.ScheduledStart.Format(time.RFC3339))
}
