package dispatch

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/dispatchd/dispatchd/model"
	"github.com/dispatchd/dispatchd/solver"
	"github.com/dispatchd/dispatchd/store"
)

// DispatchRequest gives a created work order its technicians and start.
type DispatchRequest struct {
	TechnicianIDs  []string  `json:"technician_ids"`
	ScheduledStart time.Time `json:"scheduled_start"`
	// ArrivalWindow is the arrival promised to the customer; Duration,
	// when set, replaces the order's estimate; Notes are for the
	// technician.
	ArrivalWindow *model.TimeWindow `json:"arrival_window,omitempty"`
	Duration      model.Seconds     `json:"duration_s,omitempty"`
	Notes         string            `json:"notes,omitempty"`
	// Override dispatches despite conflicts; the history records exactly
	// which were overridden.
	Override bool `json:"override,omitempty"`
}

// ReassignRequest gives a dispatched order other technicians, another
// start, or both.
type ReassignRequest struct {
	TechnicianIDs []string `json:"technician_ids"`
	// ScheduledStart, when set, moves the order; nil keeps its start.
	ScheduledStart *time.Time `json:"scheduled_start,omitempty"`
	// ArrivalWindow, when set, is a new arrival promised to the customer
	// (a move to another time needs one, or conflicts with the old
	// promise); nil keeps the order's.
	ArrivalWindow *model.TimeWindow `json:"arrival_window,omitempty"`
	Reason        string            `json:"reason,omitempty"`
	Override      bool              `json:"override,omitempty"`
}

// Dispatch assigns a created work order to technicians at a start. The
// assignment is checked against each technician's day by the scheduling
// kernel (solver.Check): conflicts are a *ConflictError listing each,
// unless the request overrides them, which the history records. Later
// stops the order pushes within their windows move, each with a history
// entry of its own. An order that is not created is a
// *model.TransitionError naming its status. Two dispatches racing for one
// technician's time cannot both succeed: each commit is guarded by the
// revisions of the days it was checked against.
func (s *Service) Dispatch(ctx context.Context, id string, req DispatchRequest, by Actor) (model.WorkOrder, error) {
	if req.Duration < 0 || req.Duration > model.MaxDuration {
		return model.WorkOrder{}, invalid("duration_s", "want 1 to %d s (a week), or nothing to keep the order's estimate", model.MaxDuration)
	}
	if err := arrivalProblem(req.ArrivalWindow); err != nil {
		return model.WorkOrder{}, err
	}
	return s.assign(ctx, id, assignment{
		action: model.ActionDispatch, techs: req.TechnicianIDs, start: &req.ScheduledStart, override: req.Override, by: by,
		change: func(w *model.WorkOrder) {
			if req.Duration > 0 {
				w.Duration = req.Duration
			}
			if req.ArrivalWindow != nil {
				w.ArrivalWindow = req.ArrivalWindow
			}
			if req.Notes != "" {
				w.DispatchNotes = req.Notes
			}
		},
	})
}

// Reassign gives a dispatched (or acknowledged, en route, on site) order
// other technicians or another start (with, when the customer was told, a
// new arrival window), checked like Dispatch; the order returns to
// dispatched and its history says from whom to whom, and why.
func (s *Service) Reassign(ctx context.Context, id string, req ReassignRequest, by Actor) (model.WorkOrder, error) {
	if err := arrivalProblem(req.ArrivalWindow); err != nil {
		return model.WorkOrder{}, err
	}
	return s.assign(ctx, id, assignment{
		action: model.ActionReassign, techs: req.TechnicianIDs, start: req.ScheduledStart, override: req.Override,
		reason: req.Reason, by: by,
		change: func(w *model.WorkOrder) {
			w.EnRouteAt, w.OnSiteAt = nil, nil
			if req.ArrivalWindow != nil {
				w.ArrivalWindow = req.ArrivalWindow
			}
		},
	})
}

// promiseChanges lists what a dispatch or reassignment changed of what
// the customer and the technician were told besides who and when: the
// arrival window, the duration, the notes for the technician.
func promiseChanges(from, to *model.WorkOrder) []model.FieldChange {
	var out []model.FieldChange
	for _, f := range []struct {
		name   string
		before any
		after  any
	}{{"arrival_window", from.ArrivalWindow, to.ArrivalWindow}, {"duration_s", from.Duration, to.Duration}, {"dispatch_notes", from.DispatchNotes, to.DispatchNotes}} {
		b, _ := json.Marshal(f.before)
		a, _ := json.Marshal(f.after)
		if !bytes.Equal(a, b) {
			out = append(out, model.FieldChange{Field: f.name, From: b, To: a})
		}
	}
	return out
}

// arrivalProblem refuses an arrival window that ends before it starts.
func arrivalProblem(tw *model.TimeWindow) error {
	if tw != nil && tw.End.Before(tw.Start) {
		return invalid("arrival_window.end", "before start")
	}
	return nil
}

// assignment is what Dispatch and Reassign ask of assign.
type assignment struct {
	action   model.Action
	techs    []string
	start    *time.Time // nil keeps the order's
	override bool
	reason   string
	by       Actor
	change   func(*model.WorkOrder)
}

func (s *Service) assign(ctx context.Context, id string, a assignment) (model.WorkOrder, error) {
	var errs []model.FieldError
	if len(a.techs) == 0 {
		errs = append(errs, model.FieldError{Field: "technician_ids", Message: "missing: name the technicians"})
	}
	for i, tech := range a.techs {
		if slices.Contains(a.techs[:i], tech) {
			errs = append(errs, model.FieldError{Field: fmt.Sprintf("technician_ids[%d]", i), Message: fmt.Sprintf("%s is named twice", tech)})
		}
	}
	if a.start != nil && a.start.IsZero() {
		errs = append(errs, model.FieldError{Field: "scheduled_start", Message: "missing"})
	}
	if len(errs) > 0 {
		return model.WorkOrder{}, &model.ValidationError{Errors: errs}
	}
	doing := string(a.action) + "ing " + id
	var out model.WorkOrder
	err := s.retry(ctx, doing, func() (store.Change, error) {
		rev, w, from, err := s.readOrderFor(ctx, id, a.by, model.StatusDispatched, a.action)
		if err != nil {
			return store.Change{}, err
		}
		next := w
		next.TechnicianIDs = slices.Clone(a.techs)
		if a.start != nil {
			next.ScheduledStart = a.start
		}
		if next.ScheduledStart == nil {
			return store.Change{}, invalid("scheduled_start", "missing: the order has no start to keep")
		}
		now := s.now()
		next.Status, next.UpdatedAt = model.StatusDispatched, &now
		if a.change != nil {
			a.change(&next)
		}
		if errs := validateOrder(&next); len(errs) > 0 {
			return store.Change{}, &model.ValidationError{Errors: errs}
		}
		days, verdict, err := s.checkOnDays(ctx, &next)
		if err != nil {
			return store.Change{}, err
		}
		if len(verdict.Conflicts) > 0 && !a.override {
			return store.Change{}, &ConflictError{WorkOrderID: id, Conflicts: verdict.Conflicts}
		}
		entry := model.HistoryEntry{WorkOrderID: id, Action: model.HistoryDispatched, At: now, By: a.by.Name, ByKey: a.by.KeyID, Reason: a.reason,
			From: from, To: model.StatusDispatched, FromTechnicians: w.TechnicianIDs, ToTechnicians: next.TechnicianIDs,
			FromStart: w.ScheduledStart, ToStart: next.ScheduledStart}
		if a.action == model.ActionReassign {
			entry.Action = model.HistoryReassigned
		}
		entry.Changes = promiseChanges(&w, &next)
		if a.override {
			entry.Overridden = verdict.Conflicts
		}
		c := store.Change{Guards: append(days.guards, store.Guard{Key: store.OrderKey(id), Rev: rev}),
			Orders: []model.WorkOrder{next}, History: []model.HistoryEntry{entry}}
		moved := days.retime(verdict.Moves, id, now, a.by)
		c.Orders = append(c.Orders, moved.orders...)
		c.History = append(c.History, moved.history...)
		out = next
		return c, nil
	})
	if err != nil {
		return model.WorkOrder{}, err
	}
	return out, nil
}

// techDays is the days of some technicians on one date as the store has
// them, with the revisions they were read at: what a conflict check
// decides on.
type techDays struct {
	day    solver.Day
	techs  []string
	guards []store.Guard
	// orders are the stored orders of the days, by id (crew copies by the
	// order's own id).
	orders map[string]model.WorkOrder
}

// readDays reads the technicians' profiles and their routes on date, and
// their live positions; skip is left off the routes (the order being
// assigned). Revisions are read first, so the guards they make are no
// newer than what was read. An unknown technician is invalid, naming its
// place in technician_ids.
func (s *Service) readDays(ctx context.Context, techs []string, date model.Date, skip string) (*techDays, error) {
	keys := make([]string, 0, 2*len(techs))
	for _, tech := range techs {
		keys = append(keys, store.TechnicianKey(tech), store.RouteKey(tech, date))
	}
	revs, err := s.store.Revisions(ctx, keys...)
	if err != nil {
		return nil, fmt.Errorf("dispatch: reading the days of %v: %w", techs, err)
	}
	d := &techDays{techs: techs, orders: map[string]model.WorkOrder{},
		day: solver.Day{Now: s.clock(), Travel: s.model, Routes: []model.Route{}}}
	for i, k := range keys {
		d.guards = append(d.guards, store.Guard{Key: k, Rev: revs[i]})
	}
	var errs []model.FieldError
	for i, tech := range techs {
		t, err := s.store.GetTechnician(ctx, tech)
		switch {
		case errors.Is(err, store.ErrNotFound):
			errs = append(errs, model.FieldError{Field: fmt.Sprintf("technician_ids[%d]", i), Message: fmt.Sprintf("unknown technician %q", tech)})
			continue
		case err != nil:
			return nil, fmt.Errorf("dispatch: reading technician %s: %w", tech, err)
		}
		d.day.Technicians = append(d.day.Technicians, t)
		route, err := s.store.Route(ctx, tech, date)
		if err != nil {
			return nil, fmt.Errorf("dispatch: reading the route of %s on %s: %w", tech, date, err)
		}
		r := model.Route{TechnicianID: tech}
		for _, w := range route {
			if w.ID == skip || w.Status == model.StatusCancelled || w.ScheduledStart == nil {
				continue
			}
			d.orders[w.ID] = w
			o := pushable(w, tech)
			d.day.Orders = append(d.day.Orders, o)
			r.Stops = append(r.Stops, stopOf(&o))
		}
		if len(r.Stops) > 0 {
			d.day.Routes = append(d.day.Routes, r)
		}
	}
	if len(errs) > 0 {
		return nil, &model.ValidationError{Errors: errs}
	}
	live, err := s.store.Live(ctx, techs...)
	if err != nil {
		return nil, fmt.Errorf("dispatch: reading the positions of %v: %w", techs, err)
	}
	for _, tech := range techs {
		if l, ok := live[tech]; ok && !l.Position.At.After(d.day.Now) {
			p := l.Position
			p.TechnicianID = tech
			d.day.Positions = append(d.day.Positions, p)
		}
	}
	return d, nil
}

// checkOnDays reads the days of a dispatched order's technicians on the
// day of its start (without the order) and judges it on them: the days,
// whose guards a commit must carry, and the verdict.
func (s *Service) checkOnDays(ctx context.Context, w *model.WorkOrder) (*techDays, solver.Verdict, error) {
	days, err := s.readDays(ctx, w.TechnicianIDs, model.DateOf(*w.ScheduledStart), w.ID)
	if err != nil {
		return nil, solver.Verdict{}, err
	}
	verdict, err := days.check(*w)
	return days, verdict, err
}

// check judges orders on each of their technicians' days at their
// starts, in one call of the kernel: a dispatch's one order, or a plan's
// stops of one technician, which it puts there together. Its conflicts
// name orders, never their crew copies (uncrew). A crew order cannot
// move on one member's day alone, so a push of one is no move but a
// knock-on conflict of the order that pushes it, which an override
// accepts (the crew order then keeps its start) and a partial
// application skips.
func (d *techDays) check(orders ...model.WorkOrder) (solver.Verdict, error) {
	var proposed []solver.Assignment
	var ids []string
	for _, w := range orders {
		ids = append(ids, w.ID)
		for _, tech := range w.TechnicianIDs {
			proposed = append(proposed, solver.Assignment{TechnicianID: tech, Order: onRoute(w, tech), Start: *w.ScheduledStart})
		}
	}
	v, err := solver.Check(d.day, proposed...)
	if err != nil {
		return solver.Verdict{}, fmt.Errorf("dispatch: checking %s: %w", strings.Join(ids, ", "), err)
	}
	uncrew(v.Conflicts)
	moves := v.Moves[:0]
	for _, m := range v.Moves {
		crew := crewOf(m.WorkOrderID)
		if crew == "" {
			moves = append(moves, m)
			continue
		}
		cause := pusher(proposed, m)
		v.Conflicts = append(v.Conflicts, model.Conflict{Kind: model.ConflictKnockOn, TechnicianID: m.TechnicianID, WorkOrderID: cause,
			Other: crew, OtherStart: m.From,
			Message: fmt.Sprintf("would push crew order %s from %s to %s on %s's day only; move the crew together", crew, clock(m.From), clock(m.To), m.TechnicianID)})
	}
	v.Moves = moves
	return v, nil
}

// pusher names the proposed order that pushes a stop: the technician's
// latest proposed before the stop's old start (else their first).
func pusher(proposed []solver.Assignment, m solver.Move) string {
	id := ""
	var latest time.Time
	for _, a := range proposed {
		if a.TechnicianID != m.TechnicianID {
			continue
		}
		if id == "" || (a.Start.Before(m.From) && a.Start.After(latest)) {
			id, latest = a.Order.ID, a.Start
		}
	}
	if crew := crewOf(id); crew != "" {
		return crew
	}
	return id
}

// retimed is what moving pushed stops writes.
type retimed struct {
	orders  []model.WorkOrder
	history []model.HistoryEntry
}

// retime moves the later stops an assignment of cause pushes within their
// windows to their new starts (check's moves: never a crew copy), each
// with a history entry naming the cause.
func (d *techDays) retime(moves []solver.Move, cause string, now time.Time, by Actor) retimed {
	var out retimed
	for _, m := range moves {
		id := m.WorkOrderID
		w, ok := d.orders[id]
		if !ok {
			continue
		}
		from := *w.ScheduledStart
		to := m.To
		w.ScheduledStart, w.UpdatedAt = &to, &now
		out.orders = append(out.orders, w)
		out.history = append(out.history, model.HistoryEntry{WorkOrderID: id, Action: model.HistoryRetimed, At: now, By: by.Name, ByKey: by.KeyID,
			Cause: cause, FromStart: &from, ToStart: &to, Reason: fmt.Sprintf("%s was put before it on %s's day", cause, m.TechnicianID)})
	}
	return out
}

func clock(t time.Time) string { return t.Format("15:04") }
