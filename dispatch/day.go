package dispatch

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/dispatchd/dispatchd/model"
	"github.com/dispatchd/dispatchd/solver"
	"github.com/dispatchd/dispatchd/store"
)

// The stored day is what suggestions against the store see: every
// technician, the orders dispatched to them on the day of their shift (at
// their actual times where the field reported them), and their live
// positions. Reading and decoding every technician and order on each
// request would cost most of a suggestion, so the technicians and orders
// are kept per process and thrown away as soon as the store's revisions
// say anything under them changed (a technician written, any route of a
// shift day) — one HMGET per request tells, whichever replica made the
// change. Positions are read fresh every time: a position posted to any
// replica counts at once.

// dayCache keeps the technicians and routed orders of the stored day.
type dayCache struct {
	mu    sync.Mutex
	entry *dayEntry
}

func newDayCache() *dayCache { return &dayCache{} }

// dayEntry is the stored day as read at the revisions of keys.
type dayEntry struct {
	keys   []string
	revs   []int64
	techs  []model.Technician
	orders []model.WorkOrder
	routes []model.Route
	// routed holds the ids of the orders on the routes (a crew order's
	// own id), so that leaving one out costs nothing when it is not there.
	routed map[string]bool
}

// storedDay returns the day in progress as the store has it now: every
// technician, the orders dispatched to them on the day of their shift, and
// their last positions at or before now. Orders needing a crew stand on
// each of their technicians' routes. The slices are shared with the cache
// and must not be changed; skip, when set, names an order to leave out
// (the one being suggested for). The day is priced by the policy the
// choice makes, resolved against the policy book at the revision read
// with the day's (one read).
func (s *Service) storedDay(ctx context.Context, now time.Time, skip string, choice PolicyChoice) (solver.Day, error) {
	e, bookRev, err := s.dayEntry(ctx, store.PoliciesKey)
	if err != nil {
		return solver.Day{}, err
	}
	policy, err := s.policyAt(ctx, choice, bookRev[0])
	if err != nil {
		return solver.Day{}, err
	}
	live, err := s.store.Live(ctx)
	if err != nil {
		return solver.Day{}, fmt.Errorf("dispatch: reading live positions: %w", err)
	}
	day := solver.Day{Now: now, Technicians: e.techs, Orders: e.orders, Routes: e.routes, Travel: s.model, Policy: &policy}
	for _, t := range e.techs {
		if l, ok := live[t.ID]; ok && !l.Position.At.After(now) {
			p := l.Position
			p.TechnicianID = t.ID
			day.Positions = append(day.Positions, p)
		}
	}
	if skip != "" && e.routed[skip] {
		day.Orders, day.Routes = without(e, skip)
	}
	return day, nil
}

// without returns the orders and routes of a day without one order (and
// its crew copies).
func without(e *dayEntry, id string) ([]model.WorkOrder, []model.Route) {
	gone := func(oid string) bool { return oid == id || crewOf(oid) == id }
	orders := slices.DeleteFunc(slices.Clone(e.orders), func(w model.WorkOrder) bool { return gone(w.ID) })
	routes := make([]model.Route, 0, len(e.routes))
	for _, r := range e.routes {
		if slices.ContainsFunc(r.Stops, func(st model.Stop) bool { return gone(st.WorkOrderID) }) {
			r.Stops = slices.DeleteFunc(slices.Clone(r.Stops), func(st model.Stop) bool { return gone(st.WorkOrderID) })
		}
		routes = append(routes, r)
	}
	return orders, routes
}

// dayEntry returns the cached technicians and orders if the store's
// revisions under them have not moved, else reads them again; and the
// revisions of the extra keys, read in the same call when the cache is
// warm.
func (s *Service) dayEntry(ctx context.Context, extra ...string) (*dayEntry, []int64, error) {
	s.days.mu.Lock()
	e := s.days.entry
	s.days.mu.Unlock()
	var extraRevs []int64
	if e != nil {
		revs, err := s.store.Revisions(ctx, append(slices.Clip(e.keys), extra...)...)
		if err != nil {
			return nil, nil, fmt.Errorf("dispatch: checking the stored day: %w", err)
		}
		extraRevs = revs[len(e.keys):]
		if slices.Equal(revs[:len(e.keys)], e.revs) {
			return e, extraRevs, nil
		}
	} else if len(extra) > 0 {
		var err error
		if extraRevs, err = s.store.Revisions(ctx, extra...); err != nil {
			return nil, nil, fmt.Errorf("dispatch: checking the stored day: %w", err)
		}
	}
	e, err := s.readDay(ctx)
	if err != nil {
		return nil, nil, err
	}
	s.days.mu.Lock()
	s.days.entry = e
	s.days.mu.Unlock()
	return e, extraRevs, nil
}

// readDay reads the stored day. Revisions are read before what they
// guard, so that a write in between leaves the entry older than its
// revisions say — it is then read again next time, never kept stale.
func (s *Service) readDay(ctx context.Context) (*dayEntry, error) {
	techRev, err := s.store.Revisions(ctx, store.TechniciansKey)
	if err != nil {
		return nil, fmt.Errorf("dispatch: reading the stored day: %w", err)
	}
	techs, err := s.store.ListTechnicians(ctx)
	if err != nil {
		return nil, fmt.Errorf("dispatch: reading the stored day: %w", err)
	}
	shiftDay := make(map[string]model.Date, len(techs))
	var days []model.Date
	for _, t := range techs {
		d := model.DateOf(t.Shift.Start)
		shiftDay[t.ID] = d
		if !slices.Contains(days, d) {
			days = append(days, d)
		}
	}
	e := &dayEntry{keys: []string{store.TechniciansKey}, revs: techRev, techs: techs, routes: []model.Route{}, routed: map[string]bool{}}
	for _, d := range days {
		e.keys = append(e.keys, store.DayKey(d))
	}
	dayRevs, err := s.store.Revisions(ctx, e.keys[1:]...)
	if err != nil {
		return nil, fmt.Errorf("dispatch: reading the stored day: %w", err)
	}
	e.revs = append(e.revs, dayRevs...)
	stops := map[string][]model.Stop{}
	for _, d := range days {
		orders, err := s.store.DayOrders(ctx, d)
		if err != nil {
			return nil, fmt.Errorf("dispatch: reading the orders of %s: %w", d, err)
		}
		for _, w := range orders {
			if w.Status == model.StatusCancelled {
				continue
			}
			for _, tech := range w.TechnicianIDs {
				if td, ok := shiftDay[tech]; !ok || td != d {
					continue
				}
				o := pushable(w, tech)
				e.routed[w.ID] = true
				e.orders = append(e.orders, o)
				stops[tech] = append(stops[tech], stopOf(&o))
			}
		}
	}
	for _, t := range techs {
		if st := stops[t.ID]; len(st) > 0 {
			e.routes = append(e.routes, model.Route{TechnicianID: t.ID, Stops: st})
		}
	}
	return e, nil
}

// stopOf is the stop an order makes on its technician's day: at the
// actual times the field reported, else as scheduled.
func stopOf(w *model.WorkOrder) model.Stop {
	start := *w.ScheduledStart
	if w.OnSiteAt != nil && (w.Status == model.StatusOnSite || w.Status == model.StatusComplete) {
		start = *w.OnSiteAt
	}
	end := start.Add(w.Duration.Duration())
	if w.CompletedAt != nil && w.Status == model.StatusComplete {
		end = *w.CompletedAt
	}
	return model.Stop{WorkOrderID: w.ID, Start: start, End: end}
}

// onRoute is an order as it stands on one technician's route for the
// solver: a crew order's copy of its own, with the windows it may still
// move in. A later dispatch may push a stop only within what its
// customer was promised: the arrival window given at dispatch, else the
// windows the customer asked for; a dispatched order with neither keeps
// its start, since the technician and the customer were told that time.
func onRoute(w model.WorkOrder, tech string) model.WorkOrder {
	if w.Crew() > 1 {
		w = crewCopy(w, tech)
	}
	switch {
	case w.ArrivalWindow != nil:
		w.TimeWindows = []model.TimeWindow{*w.ArrivalWindow}
	case len(w.TimeWindows) == 0 && w.ScheduledStart != nil:
		w.TimeWindows = []model.TimeWindow{{Start: *w.ScheduledStart, End: *w.ScheduledStart}}
	}
	return w
}

// pushable is a stop of a stored day as a proposal may move it: only
// later than its start, within its windows (onRoute). Never earlier: a
// dispatch stores only the stops it pushes later, so a check that let a
// stop move earlier to make room would leave it where it was,
// double-booked. A stop dispatched outside its windows (an override)
// keeps its start.
func pushable(w model.WorkOrder, tech string) model.WorkOrder {
	w = onRoute(w, tech)
	s := w.ScheduledStart
	if s == nil {
		return w
	}
	var from []model.TimeWindow
	for _, tw := range w.TimeWindows {
		if !tw.End.Before(*s) {
			start := tw.Start
			if start.Before(*s) {
				start = *s
			}
			from = append(from, model.TimeWindow{Start: start, End: tw.End})
		}
	}
	if len(from) == 0 {
		from = []model.TimeWindow{{Start: *s, End: *s}}
	}
	w.TimeWindows = from
	return w
}

// crewMark joins an order's id and a technician's in the copy of a crew
// order that stands on that technician's route: the solver plans one
// technician per order, so each crew member's day holds a copy of its
// own. It is made of characters of the id alphabet, as the solver checks
// ids, and reads as what it is in a schedule.
const crewMark = ":crew:"

// crewCopy is the copy of a crew order on one technician's route.
func crewCopy(w model.WorkOrder, tech string) model.WorkOrder {
	w.ID = w.ID + crewMark + tech
	w.TechnicianIDs = []string{tech}
	w.TechniciansNeeded = 1
	return w
}

// uncrew makes conflicts name the orders their crew copies stand for, in
// place, and returns them: what a dispatcher sees names orders.
func uncrew(cs []model.Conflict) []model.Conflict {
	for i := range cs {
		if id := crewOf(cs[i].WorkOrderID); id != "" {
			cs[i].WorkOrderID = id
		}
		if id := crewOf(cs[i].Other); id != "" {
			cs[i].Other = id
		}
	}
	return cs
}

// crewOf returns the order a crew copy's id stands for, or "".
func crewOf(id string) string {
	if i := strings.LastIndex(id, crewMark); i >= 0 {
		return id[:i]
	}
	return ""
}
