package solver

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/dispatchd/dispatchd/geo"
	"github.com/dispatchd/dispatchd/model"
	"github.com/uber/h3-go/v4"
)

// Day is a dispatch day in progress, as Suggest and Slots see it.
type Day struct {
	// Now is the instant of the suggestion; zero means the time of NewState.
	Now         time.Time
	Technicians []model.Technician
	// Orders are the work orders on the routes.
	Orders []model.WorkOrder
	// Routes are the technicians' current routes: job stops name an order
	// of Orders and carry its planned start; breaks are stops of type
	// break. Stops en route, on site, complete or starting before Now are
	// fixed: nothing is inserted before them.
	Routes []model.Route
	// Positions are live GPS fixes; the latest at or before Now of each
	// technician counts. A matrix travel model cannot place them and
	// ignores them.
	Positions []model.Position
	Travel    *model.Travel
	// Policy prices suggestions; nil means model.DefaultPolicy. Its
	// name and description are not read.
	Policy *model.Policy
}

// weights returns the weights of the day's policy, nil for the default.
func (day *Day) weights() *model.Weights {
	if day.Policy == nil {
		return nil
	}
	return &day.Policy.Weights
}

// policy returns the day's policy.
func (day *Day) policy() model.Policy {
	if day.Policy == nil {
		return model.DefaultPolicy()
	}
	return *day.Policy
}

// State is a Day compiled for suggestions: every technician's remaining
// route with its schedule bounds, and an H3 index of where they will be.
// It is read-only, and safe for concurrent Suggest and Slots calls.
type State struct {
	in     *instance
	policy model.Policy
	now    int64
	// routes holds each technician's remaining route, from where and when
	// they are free (after any fixed stops) to the end of the day.
	routes []*route
	// booked is each technician's service time today, done and to do, ms;
	// totalBooked is the crew's, over which workload is balanced.
	booked      []int64
	totalBooked int64
	// broken says why a technician's remaining route is already
	// infeasible, so that nothing can be promised on it.
	broken []string
	// after names, per technician, the fixed stop the remaining route
	// follows (for insert_after), or "".
	after []string
	// home is each technician's start location in the travel table, where
	// their later days begin.
	home []int32
	// Flat copies of what every suggestion checks first, so that most
	// technicians are ruled out without touching their routes: jobs that
	// still fit under max_jobs, where and when the remaining day starts,
	// and the number of legs in it.
	slots  []int32
	origin []int32
	free   []int64
	legs   []int32

	hav    geo.Haversine
	matrix *geo.Matrix
	places []geo.Prepared // haversine: every place of the table
	cells  map[h3.Cell][]int32
	maxLeg []float64 // per technician: longest great-circle leg, metres
	byLeg  []int32   // technicians by maxLeg, longest first
	latest int64     // latest end of any shift, with overtime
	// indexable says the H3 search can be used (haversine travel);
	// index builds the H3 index once, when a search first needs it.
	indexable bool
	index     sync.Once
	prof      *profiles
	techIDs   map[string]int32
}

// cellResolution is the H3 resolution of the suggestion index: cells
// about 2 km across, so that a ring is a few minutes of driving and a
// metro a few hundred cells (resolution 8 spent more time on rings than
// on technicians: measured on 1,000 and 10,000 technicians).
const cellResolution = 7

// NewState validates a day and compiles it for suggestions. An invalid
// day gives a *model.ValidationError naming every bad field.
func NewState(day Day) (*State, error) { return newState(day, nil) }

// newState is NewState that also gives the travel table the places of
// orders not on any route (Check's proposals), which must be valid for
// the day's travel model.
func newState(day Day, places []model.Location) (*State, error) {
	ids, err := validateDay(day)
	if err != nil {
		return nil, err
	}
	now := day.Now
	if now.IsZero() {
		now = time.Now()
	}
	p := &model.Problem{Technicians: day.Technicians, WorkOrders: day.Orders, Travel: day.Travel, Weights: day.weights()}
	tr, err := geo.New(p.Travel)
	if err != nil {
		return nil, fmt.Errorf("solver: building the travel model: %w", err)
	}
	in := &instance{p: p, w: p.Policy(), travel: tr}
	in.timeSoft = in.w.Lateness > 0 || in.w.Overtime > 0
	st := &State{in: in, policy: day.policy(), now: toMS(now), cells: map[h3.Cell][]int32{}}
	switch m := tr.(type) {
	case *geo.Matrix:
		st.matrix = m
	case geo.Haversine:
		st.hav = m
	}
	locs := newLocator(tr)
	b := dayBuilder{st: st, day: day, locs: locs, ids: ids, positions: make(map[string]model.Position, len(day.Technicians))}
	b.index()
	for i := range day.Technicians {
		b.technician(i)
	}
	for _, l := range places {
		locs.index(l)
	}
	st.prof = newProfiles(day.Technicians)
	st.techIDs = ids.techs
	in.tt = newLazyTravelTable(locs, tr, in.w)
	in.dims = b.dims
	for v := range in.vehicles {
		in.activeVehicles += boolInt(day.Technicians[v].IsActive())
		st.latest = max(st.latest, in.vehicles[v].latestEnd)
		r := newRoute(int32(v))
		r.seq = b.seqs[v]
		if ok := r.update(in); !ok || st.now >= in.vehicles[v].latestEnd {
			st.broken[v] = brokenDay(&day.Technicians[v], &in.vehicles[v], st.now)
		}
		st.routes = append(st.routes, r)
		ve := &in.vehicles[v]
		left := int32(math.MaxInt32)
		if ve.maxJobs > 0 {
			left = int32(ve.maxJobs - ve.doneJobs - r.jobs)
		}
		st.slots = append(st.slots, left)
		st.origin = append(st.origin, r.loc[0])
		st.free = append(st.free, r.free[0])
		st.legs = append(st.legs, int32(len(r.seq)+1))
	}
	if st.matrix == nil {
		st.places = in.tt.places
		st.indexable = true
	}
	return st, nil
}

// brokenDay says why a technician's remaining day cannot take anything:
// the shift is over (a day in the past, a suggestion without "now"), or
// the day as planned already misses a window or the shift end.
func brokenDay(t *model.Technician, ve *vehicle, now int64) string {
	if now >= ve.latestEnd {
		zone := t.Shift.Start.Location()
		return fmt.Sprintf("the shift %s–%s on %s has ended; now is %s", clock(t.Shift.Start.In(zone)),
			clock(t.Shift.End.In(zone)), model.DateOf(t.Shift.Start), fromMS(now, zone).Format("2006-01-02 15:04"))
	}
	return "the day as planned already misses a window or the shift end"
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// Technicians returns the number of technicians in the state.
func (st *State) Technicians() int { return len(st.in.vehicles) }

// dayBuilder turns a Day into the state's vehicles and remaining routes.
type dayBuilder struct {
	st        *State
	day       Day
	locs      *locator
	ids       dayIDs
	positions map[string]model.Position
	seqs      [][]int32
	dims      int
}

// index keeps each technician's latest position at or before now.
func (b *dayBuilder) index() {
	now := b.day.Now
	for _, p := range b.day.Positions {
		if !now.IsZero() && p.At.After(now) {
			continue
		}
		if old, ok := b.positions[p.TechnicianID]; !ok || p.At.After(old.At) {
			b.positions[p.TechnicianID] = p
		}
	}
}

// technician compiles technician i: where and when their remaining day
// starts, what is already done, and the remaining jobs in order.
func (b *dayBuilder) technician(i int) {
	st, in := b.st, b.st.in
	t := &b.day.Technicians[i]
	ve := compileVehicle(i, t, b.locs)
	st.home = append(st.home, ve.startLoc)
	// The stops are only read, so a route already in time order, as
	// routes usually come, is used as it is rather than copied.
	var stops []model.Stop
	if k, ok := b.ids.routes[t.ID]; ok {
		stops = b.day.Routes[k].Stops
		byStart := func(a, c model.Stop) int { return a.Start.Compare(c.Start) }
		if !slices.IsSortedFunc(stops, byStart) {
			stops = slices.Clone(stops)
			slices.SortStableFunc(stops, byStart)
		}
	}
	now := fromMS(st.now, time.UTC)
	fixed := -1
	for k, s := range stops {
		if s.Start.Before(now) {
			fixed = k
			continue
		}
		if !s.IsBreak() {
			switch b.day.Orders[b.ids.orders[s.WorkOrderID]].Status {
			case model.StatusEnRoute, model.StatusOnSite, model.StatusComplete:
				fixed = k
			}
		}
	}
	origin, at, after := b.origin(t, stops, fixed)
	ve.startLoc = b.locs.index(origin)
	ve.shiftStart = max(at, toMS(t.Shift.Start))
	booked := int64(0)
	var seq []int32
	taken := make([]bool, len(ve.breaks))
	for k, s := range stops {
		if s.IsBreak() {
			if k <= fixed {
				for bi, spec := range ve.breaks {
					if ms := toMS(s.Start); ms >= spec.earliest && ms <= spec.latest {
						taken[bi] = true
					}
				}
			}
			continue
		}
		w := &b.day.Orders[b.ids.orders[s.WorkOrderID]]
		booked += secMS(w.Duration)
		if k <= fixed {
			ve.doneJobs++
			ve.doneLoad = addLoad(ve.doneLoad, w.Demand)
			continue
		}
		// Validation has checked the references compileJob follows.
		j, _ := compileJob(b.ids.orders[w.ID], w, b.locs, in.w, b.ids.techs)
		b.dims = max(b.dims, len(j.demand))
		seq = append(seq, int32(len(in.jobs)))
		in.jobs = append(in.jobs, j)
	}
	// Breaks already taken, or whose window has passed, are no longer due.
	var due []breakSpec
	for k, spec := range ve.breaks {
		if !taken[k] && spec.latest >= ve.shiftStart {
			due = append(due, spec)
		}
	}
	ve.breaks = due
	b.dims = max(b.dims, len(ve.doneLoad))
	in.vehicles = append(in.vehicles, ve)
	b.seqs = append(b.seqs, seq)
	st.booked = append(st.booked, booked)
	st.totalBooked += booked
	st.broken = append(st.broken, "")
	st.after = append(st.after, after)
}

// origin says where and when a technician's remaining day starts, and
// after which fixed stop: the end of the stop they are on or driving to,
// else their live position now (or their start location before the
// shift).
func (b *dayBuilder) origin(t *model.Technician, stops []model.Stop, fixed int) (model.Location, int64, string) {
	now := b.st.now
	pos, live := b.positions[t.ID]
	live = live && b.st.matrix == nil
	if fixed < 0 {
		switch {
		case now < toMS(t.Shift.Start):
			return t.Start, toMS(t.Shift.Start), ""
		case live:
			return pos.Location(), now, ""
		}
		return t.Start, now, ""
	}
	last := stops[fixed]
	if last.IsBreak() {
		loc := t.Start
		for k := fixed - 1; k >= 0; k-- {
			if !stops[k].IsBreak() {
				loc = b.day.Orders[b.ids.orders[stops[k].WorkOrderID]].Location
				break
			}
		}
		if live {
			loc = pos.Location()
		}
		return loc, max(now, toMS(last.End)), ""
	}
	w := &b.day.Orders[b.ids.orders[last.WorkOrderID]]
	switch w.Status {
	case model.StatusComplete:
		if live && !pos.At.Before(last.Start) {
			return pos.Location(), now, w.ID
		}
		return w.Location, now, w.ID
	case model.StatusEnRoute:
		arrival := max(now, toMS(last.Start))
		if live {
			if leg, err := b.st.in.travel.Leg(pos.Location(), w.Location); err == nil {
				arrival = now + durMS(leg.Duration)
			}
		}
		start := arrival
		for _, tw := range w.TimeWindows {
			if arrival <= toMS(tw.End) {
				start = max(arrival, toMS(tw.Start))
				break
			}
		}
		return w.Location, start + secMS(w.Duration), w.ID
	}
	return w.Location, max(now, toMS(last.Start)+secMS(w.Duration)), w.ID
}

func addLoad(load, demand []float64) []float64 {
	for len(load) < len(demand) {
		load = append(load, 0)
	}
	for k, d := range demand {
		load[k] += d
	}
	return load
}

// buildIndex files every technician under the H3 cells of the places of
// their remaining day — where they start from, their stops and their end
// location — and measures their longest leg, which bounds how little an
// insertion can add when none of those places is near.
func (st *State) buildIndex() {
	in := st.in
	st.maxLeg = make([]float64, len(in.vehicles))
	for v, r := range st.routes {
		ve := &in.vehicles[v]
		pts := []int32{ve.startLoc}
		for _, x := range r.seq {
			if x >= 0 {
				pts = append(pts, in.jobs[x].loc)
			}
		}
		pts = append(pts, ve.endLoc)
		var seen []h3.Cell
		for k, p := range pts {
			if k > 0 {
				st.maxLeg[v] = max(st.maxLeg[v], st.places[pts[k-1]].MetersTo(st.places[p]))
			}
			c, err := geo.Cell(in.tt.loc.places[p], cellResolution)
			if err != nil || slices.Contains(seen, c) {
				continue
			}
			seen = append(seen, c)
			st.cells[c] = append(st.cells[c], int32(v))
		}
	}
	st.byLeg = make([]int32, len(in.vehicles))
	for v := range st.byLeg {
		st.byLeg[v] = int32(v)
	}
	slices.SortStableFunc(st.byLeg, func(a, b int32) int { return cmp.Compare(st.maxLeg[b], st.maxLeg[a]) })
}

// dayIDs finds a day's technicians, orders and routes by id. validateDay
// needs them to check references and the state's builder to follow them,
// so they are built once for both.
type dayIDs struct {
	techs  map[string]int32 // index in Technicians
	orders map[string]int   // index in Orders
	routes map[string]int   // technician id → index in Routes
}

// validateDay checks a day: the technicians and orders as a problem, the
// routes' references and the positions, every problem at once. For a
// valid day it returns the day's ids.
func validateDay(day Day) (dayIDs, error) {
	var errs []model.FieldError
	p := model.Problem{Technicians: day.Technicians, WorkOrders: day.Orders, Travel: day.Travel, Weights: day.weights()}
	var ve *model.ValidationError
	if err := p.Validate(); errors.As(err, &ve) {
		errs = append(errs, ve.Errors...)
	}
	if day.Policy != nil {
		if msg := model.ScoreScaleProblem(day.Policy.ScoreScale); msg != "" {
			errs = append(errs, model.FieldError{Field: "score_scale", Message: msg})
		}
	}
	// Like every validator, keep at most model.MaxErrors problems.
	dropped := 0
	add := func(fe ...model.FieldError) {
		for _, e := range fe {
			if len(errs) >= model.MaxErrors {
				dropped++
				continue
			}
			errs = append(errs, e)
		}
	}
	ids := dayIDs{
		techs:  make(map[string]int32, len(day.Technicians)),
		orders: make(map[string]int, len(day.Orders)),
		routes: make(map[string]int, len(day.Routes)),
	}
	for i := range day.Technicians {
		ids.techs[day.Technicians[i].ID] = int32(i)
	}
	for i := range day.Orders {
		ids.orders[day.Orders[i].ID] = i
	}
	// Paths are spelt out only for an error: a valid day of thousands of
	// stops or positions should not pay for thousands of strings.
	type place struct{ route, stop int }
	stopPath := func(p place) string { return fmt.Sprintf("routes[%d].stops[%d]", p.route, p.stop) }
	onRoute := make(map[string]place, len(day.Orders))
	for i, r := range day.Routes {
		_, known := ids.techs[r.TechnicianID]
		switch j, dup := ids.routes[r.TechnicianID]; {
		case !known:
			add(model.FieldError{Field: fmt.Sprintf("routes[%d].technician_id", i), Message: "unknown technician " + model.Quote(r.TechnicianID)})
		case dup:
			add(model.FieldError{Field: fmt.Sprintf("routes[%d].technician_id", i), Message: fmt.Sprintf("a second route for %s (also routes[%d])", r.TechnicianID, j)})
		default:
			ids.routes[r.TechnicianID] = i
		}
		for k, s := range r.Stops {
			here := place{i, k}
			if s.Start.IsZero() {
				add(model.FieldError{Field: stopPath(here) + ".start", Message: "missing"})
			}
			if s.IsBreak() {
				if s.End.Before(s.Start) {
					add(model.FieldError{Field: stopPath(here) + ".end", Message: "before start"})
				}
				continue
			}
			_, known := ids.orders[s.WorkOrderID]
			switch prev, twice := onRoute[s.WorkOrderID]; {
			case !known:
				add(model.FieldError{Field: stopPath(here) + ".work_order_id", Message: "unknown work order " + model.Quote(s.WorkOrderID) + ": give it in work_orders"})
			case twice:
				add(model.FieldError{Field: stopPath(here) + ".work_order_id", Message: fmt.Sprintf("%s is also on %s", s.WorkOrderID, stopPath(prev))})
			default:
				onRoute[s.WorkOrderID] = here
			}
		}
	}
	posPath := func(i int) string { return fmt.Sprintf("positions[%d]", i) }
	for i, pos := range day.Positions {
		if _, known := ids.techs[pos.TechnicianID]; !known {
			add(model.FieldError{Field: posPath(i) + ".technician_id", Message: "unknown technician " + model.Quote(pos.TechnicianID)})
		}
		var pe *model.ValidationError
		if err := pos.Validate(); errors.As(err, &pe) {
			add(pe.Prefix(posPath(i)).Errors...)
		}
	}
	if dropped > 0 {
		errs = append(errs, model.FieldError{Field: errs[len(errs)-1].Field, Message: fmt.Sprintf("and %d more problems not listed", dropped)})
	}
	if len(errs) > 0 {
		return dayIDs{}, &model.ValidationError{Errors: errs}
	}
	return ids, nil
}
