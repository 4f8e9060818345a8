package dispatch

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/dispatchd/dispatchd/model"
	"github.com/dispatchd/dispatchd/solver"
	"github.com/dispatchd/dispatchd/store"
)

// Planning the stored day is the morning batch: every order still to
// dispatch that is wanted on the day, planned onto the technicians
// working it around what they already have. An order already dispatched
// stays where it is, a pinned stop of its technicians' routes; once the
// day has begun, each technician's day starts where and when they are
// free — after the job they are on or driving to, else at their live
// position now — with what is behind them counted against their
// max_jobs and capacity. The plan records what it was planned against
// (PlanBasis), so that applying it later can tell exactly what changed
// meanwhile.

// PlanBasis is what a plan of the stored day was made from.
type PlanBasis struct {
	Date model.Date `json:"date"`
	// Orders are the orders planned (created ones); Technicians those
	// planned for; Pinned the dispatched orders kept where they are.
	Orders      []string `json:"work_order_ids"`
	Technicians []string `json:"technician_ids"`
	Pinned      []string `json:"pinned,omitempty"`
	// Revisions are the store revisions of every order, technician and
	// technician's day the plan read (store.OrderKey, TechnicianKey,
	// RouteKey), read before what they guard: a revision that moved
	// since is a change the plan did not see.
	Revisions map[string]int64 `json:"revisions"`
	// Left are the technicians left out of the plan, and why: a day over,
	// or already broken so that nothing more can be promised on it.
	Left []LeftOut `json:"left_out,omitempty"`
}

// LeftOut is a technician a plan of the stored day leaves out.
type LeftOut struct {
	TechnicianID string `json:"technician_id"`
	Reason       string `json:"reason"`
}

// dayRequest selects a stored day to plan.
type dayRequest struct {
	date         model.Date
	orders, tech []string
	weights      *model.Weights
}

// storedProblem assembles the problem of a stored day and what it was
// made from. Revisions are read before the records they guard: the day is
// listed once to learn its keys, their revisions read, then the day read
// again; a record written in between is then newer than its revision,
// which makes the plan's application see a change (and refuse or skip),
// never miss one.
func (s *Service) storedProblem(ctx context.Context, req dayRequest) (model.Problem, PlanBasis, error) {
	techs, orders, err := s.dayRecords(ctx, req)
	if err != nil {
		return model.Problem{}, PlanBasis{}, err
	}
	keys := make([]string, 0, 2*len(techs)+len(orders))
	for _, t := range techs {
		keys = append(keys, store.TechnicianKey(t.ID), store.RouteKey(t.ID, req.date))
	}
	for _, w := range orders {
		keys = append(keys, store.OrderKey(w.ID))
	}
	revs, err := s.store.Revisions(ctx, keys...)
	if err != nil {
		return model.Problem{}, PlanBasis{}, fmt.Errorf("dispatch: reading the revisions of %s: %w", req.date, err)
	}
	basis := PlanBasis{Date: req.date, Revisions: make(map[string]int64, len(keys)), Orders: []string{}, Technicians: []string{}}
	for i, k := range keys {
		basis.Revisions[k] = revs[i]
	}
	// Read again, now that the revisions are known; what was not there at
	// the first read is not planned.
	techs2, orders2, err := s.dayRecords(ctx, req)
	if err != nil {
		return model.Problem{}, PlanBasis{}, err
	}
	p := model.Problem{Technicians: []model.Technician{}, WorkOrders: []model.WorkOrder{}, Weights: req.weights, Travel: s.model}
	known := map[string]bool{}
	now := s.clock()
	for _, t := range techs2 {
		if _, ok := basis.Revisions[store.TechnicianKey(t.ID)]; !ok {
			continue
		}
		route, err := s.store.Route(ctx, t.ID, req.date)
		if err != nil {
			return model.Problem{}, PlanBasis{}, fmt.Errorf("dispatch: reading the route of %s on %s: %w", t.ID, req.date, err)
		}
		live, err := s.store.Live(ctx, t.ID)
		if err != nil {
			return model.Problem{}, PlanBasis{}, fmt.Errorf("dispatch: reading the position of %s: %w", t.ID, err)
		}
		var pos *model.Position
		if l, ok := live[t.ID]; ok && !l.Position.At.After(now) {
			pos = &l.Position
		}
		rest, pinned, why := s.remaining(t, route, pos, now)
		if why != "" {
			basis.Left = append(basis.Left, LeftOut{TechnicianID: t.ID, Reason: why})
			continue
		}
		p.Technicians = append(p.Technicians, rest)
		basis.Technicians = append(basis.Technicians, t.ID)
		known[t.ID] = true
		for _, w := range pinned {
			p.WorkOrders = append(p.WorkOrders, w)
			if id := crewOf(w.ID); id != "" {
				w.ID = id
			}
			if !slices.Contains(basis.Pinned, w.ID) {
				basis.Pinned = append(basis.Pinned, w.ID)
			}
		}
	}
	for _, w := range orders2 {
		if _, ok := basis.Revisions[store.OrderKey(w.ID)]; !ok {
			continue
		}
		// References to technicians outside the plan (a subset of the
		// crew) mean nothing to it.
		w.PreferredTechnicians = slices.DeleteFunc(slices.Clone(w.PreferredTechnicians), func(id string) bool { return !known[id] })
		w.ExcludedTechnicians = slices.DeleteFunc(slices.Clone(w.ExcludedTechnicians), func(id string) bool { return !known[id] })
		p.WorkOrders = append(p.WorkOrders, w)
		basis.Orders = append(basis.Orders, w.ID)
	}
	return p, basis, nil
}

// dayRecords reads the technicians working the day and the orders to
// plan on it, checking the request's lists against them.
func (s *Service) dayRecords(ctx context.Context, req dayRequest) ([]model.Technician, []model.WorkOrder, error) {
	all, err := s.store.ListTechnicians(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("dispatch: listing technicians: %w", err)
	}
	var errs []model.FieldError
	var techs []model.Technician
	if len(req.tech) == 0 {
		for _, t := range all {
			if model.DateOf(t.Shift.Start) == req.date {
				techs = append(techs, t)
			}
		}
	}
	for i, id := range req.tech {
		field := fmt.Sprintf("technician_ids[%d]", i)
		k, found := slices.BinarySearchFunc(all, id, func(t model.Technician, id string) int { return strings.Compare(t.ID, id) })
		switch {
		case slices.Contains(req.tech[:i], id):
			errs = append(errs, model.FieldError{Field: field, Message: id + " is named twice"})
		case !found:
			errs = append(errs, model.FieldError{Field: field, Message: fmt.Sprintf("unknown technician %q", id)})
		case model.DateOf(all[k].Shift.Start) != req.date:
			errs = append(errs, model.FieldError{Field: field, Message: fmt.Sprintf("%s works %s, not %s", id, model.DateOf(all[k].Shift.Start), req.date)})
		default:
			techs = append(techs, all[k])
		}
	}
	wos, err := s.store.ListWorkOrders(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("dispatch: listing work orders: %w", err)
	}
	var orders []model.WorkOrder
	wanted := func(w *model.WorkOrder) bool {
		days := orderDays(*w)
		return len(days) == 0 || days[req.date]
	}
	if len(req.orders) == 0 {
		for i := range wos {
			if w := &wos[i]; (w.Status == model.StatusCreated || w.Status == "") && wanted(w) {
				orders = append(orders, *w)
			}
		}
	}
	for i, id := range req.orders {
		field := fmt.Sprintf("order_ids[%d]", i)
		k, found := slices.BinarySearchFunc(wos, id, func(w model.WorkOrder, id string) int { return strings.Compare(w.ID, id) })
		switch {
		case slices.Contains(req.orders[:i], id):
			errs = append(errs, model.FieldError{Field: field, Message: id + " is named twice"})
		case !found:
			errs = append(errs, model.FieldError{Field: field, Message: fmt.Sprintf("unknown work order %q", id)})
		case wos[k].Status != model.StatusCreated && wos[k].Status != "":
			errs = append(errs, model.FieldError{Field: field, Message: fmt.Sprintf("%s is %s: only created orders are planned", id, wos[k].Status)})
		case !wanted(&wos[k]):
			errs = append(errs, model.FieldError{Field: field, Message: fmt.Sprintf("%s is not wanted on %s", id, req.date)})
		default:
			orders = append(orders, wos[k])
		}
	}
	if len(errs) > 0 {
		return nil, nil, &model.ValidationError{Errors: errs}
	}
	return techs, orders, nil
}

// remaining is a technician's day as a plan made at now sees it: the
// technician as they are free for more work, and the orders already
// theirs that the plan must keep (pinned, crew orders as their copy), or
// why the technician takes no more work today.
func (s *Service) remaining(t model.Technician, route []model.WorkOrder, pos *model.Position, now time.Time) (model.Technician, []model.WorkOrder, string) {
	var ahead, behind []model.WorkOrder
	for _, w := range route {
		if w.Status == model.StatusCancelled || w.ScheduledStart == nil {
			continue
		}
		o := onRoute(w, t.ID)
		st := stopOf(&o)
		switch {
		case now.After(t.Shift.Start) && (w.Status == model.StatusComplete || w.Status == model.StatusOnSite ||
			w.Status == model.StatusEnRoute || st.Start.Before(now)):
			behind = append(behind, o)
		case w.Status != model.StatusComplete:
			ahead = append(ahead, o)
		}
	}
	last := t.Shift.End.Add(t.Overtime.Duration())
	if !now.Before(last) {
		return model.Technician{}, nil, fmt.Sprintf("the shift ended at %s", clock(t.Shift.End))
	}
	if now.After(t.Shift.Start) {
		// The day has begun: it goes on from where and when the
		// technician is free.
		from, free := t.Start, now
		if pos != nil {
			from = pos.Location()
		}
		if n := len(behind); n > 0 {
			w := behind[n-1]
			st := stopOf(&w)
			switch {
			case w.Status != model.StatusComplete:
				from, free = w.Location, later(now, st.End)
			case pos == nil || pos.At.Before(st.Start):
				from = w.Location
			}
		}
		if !free.Before(t.Shift.End) {
			return model.Technician{}, nil, fmt.Sprintf("busy until %s, past the shift end %s", clock(free), clock(t.Shift.End))
		}
		t.Start, t.Shift.Start = from, free
		var breaks []model.Break
		for _, b := range t.Breaks {
			if b.Latest.Before(free) {
				continue
			}
			b.Earliest = later(b.Earliest, free)
			if !b.Earliest.Add(b.Duration.Duration()).After(last) {
				breaks = append(breaks, b)
			}
		}
		t.Breaks = breaks
		if t.MaxJobs > 0 {
			if t.MaxJobs -= len(behind); t.MaxJobs <= len(ahead) {
				return model.Technician{}, nil, fmt.Sprintf("max_jobs (%d) reached", t.MaxJobs+len(behind))
			}
		}
		if len(t.Capacity) > 0 {
			t.Capacity = slices.Clone(t.Capacity)
			for _, w := range behind {
				for k, d := range w.Demand {
					if k < len(t.Capacity) {
						t.Capacity[k] = max(0, t.Capacity[k]-d)
					}
				}
			}
		}
	}
	pinned := make([]model.WorkOrder, len(ahead))
	for i, w := range ahead {
		if w.Crew() <= 1 {
			w.TechnicianIDs = []string{t.ID}
		}
		w.Pinned = true
		pinned[i] = w
	}
	if why := brokenDay(t, pinned, s.model); why != "" {
		return model.Technician{}, nil, why
	}
	return t, pinned, ""
}

// brokenDay says why a technician's pinned stops cannot all be kept (they
// overlap, a break no longer fits, the day runs past the shift): a plan
// could keep none of them, and nothing more can be promised on such a
// day, so it is left out rather than failing the whole plan.
func brokenDay(t model.Technician, pinned []model.WorkOrder, travel *model.Travel) string {
	if len(pinned) == 0 {
		return ""
	}
	r := model.Route{TechnicianID: t.ID}
	for i := range pinned {
		r.Stops = append(r.Stops, stopOf(&pinned[i]))
	}
	day, err := solver.Schedule(solver.Day{Now: t.Shift.Start, Technicians: []model.Technician{t}, Orders: pinned,
		Routes: []model.Route{r}, Travel: travel}, t.ID)
	if err != nil {
		return "its day cannot be laid out: " + err.Error()
	}
	for _, c := range day.Conflicts {
		switch c.Kind {
		case model.ConflictOverlap, model.ConflictUnreachable, model.ConflictShift, model.ConflictBreak:
			return "its day already has conflicts: " + c.String()
		}
	}
	return ""
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
