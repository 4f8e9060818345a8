package solver

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/dispatchd/dispatchd/model"
)

// SlotOptions shape an offer of arrival windows. The zero value offers
// five two-hour windows today.
type SlotOptions struct {
	// Length is the length of an arrival window; zero means 2 h.
	Length time.Duration
	// Days is how many days, from the state's, the windows may fall on;
	// zero means 1. Later days have no routes yet: each technician works
	// their shift again, with an empty day.
	Days int
	// Limit is how many windows to offer; zero means 5.
	Limit int
	// Policy prices the insertions; nil means the state's.
	Policy *model.Policy
}

// maxSlotDays bounds how far ahead Slots looks, and minSlot how short a
// window it offers: together they bound the grid it searches.
const (
	maxSlotDays = 14
	minSlot     = 15 * time.Minute
)

// Slots returns the best arrival windows of a given length that could be
// offered to a customer for a work order: windows on a grid of that
// length, aligned to the hour, inside the working day and the order's own
// windows, each backed by the best technician and insertion that can
// start the order in it. No capacity is counted twice: a gap between two
// stops of a route backs one window, and a technician's empty day backs
// windows whose service times do not overlap, so that every window
// offered is capacity of its own. Windows come best first.
func Slots(ctx context.Context, st *State, order model.WorkOrder, opts SlotOptions) ([]model.Slot, error) {
	if opts.Length == 0 {
		opts.Length = 2 * time.Hour
	}
	if opts.Days == 0 {
		opts.Days = 1
	}
	if opts.Limit <= 0 {
		opts.Limit = 5
	}
	if opts.Length < minSlot || opts.Length > 24*time.Hour || opts.Days < 1 || opts.Days > maxSlotDays {
		return nil, &model.ValidationError{Errors: []model.FieldError{{Field: "slot_length_s",
			Message: fmt.Sprintf("want a length from %v to 24 h and 1 to %d days", minSlot, maxSlotDays)}}}
	}
	q, err := st.newQuery(&order, SuggestOptions{Policy: opts.Policy})
	if err != nil {
		return nil, err
	}
	var offers []offer
	for d := range opts.Days {
		var day *slotDay
		for _, w := range st.grid(d, durMS(opts.Length)) {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			jb := q.jb
			jb.windows = intersectWindows(q.jb.windows, w)
			if len(jb.windows) == 0 {
				continue
			}
			if day == nil {
				day = q.slotDay(d)
			}
			offers = q.offersIn(day, w, &jb, offers)
		}
	}
	return q.pick(offers, opts.Limit), nil
}

// grid returns the windows of day d (0 is the state's day): length ms
// each, aligned to the hour, inside some technician's shift, not ending
// before now. Windows come from each technician's own shift, not from the
// span of all shifts, so that technicians far apart in time cannot make
// the grid vast.
func (st *State) grid(d int, length int64) []window {
	shift := int64(d) * 24 * 3600 * msPerS
	const hour = 3600 * msPerS
	seen := map[int64]bool{}
	var out []window
	for v := range st.in.p.Technicians {
		t := &st.in.p.Technicians[v]
		first, last := toMS(t.Shift.Start)+shift, toMS(t.Shift.End)+shift
		for a := first - first%hour; a < last; a += length {
			if a+length > st.now && !seen[a] {
				seen[a] = true
				out = append(out, window{a, a + length})
			}
		}
	}
	slices.SortFunc(out, func(x, y window) int { return cmp.Compare(x.start, y.start) })
	return out
}

// offer is one way to serve a window: technician v's gap g on day d.
type offer struct {
	win   window
	day   int
	c     candidate
	after string
}

// slotDay is what the windows of day d need of the technicians who could
// take the order that day and that no window changes: their measures of
// base, the legs to and from the order, a later day's vehicle. The grid
// has many windows a day, and the legs are most of the work of one.
type slotDay struct {
	d     int
	techs []slotTech
	// fresh holds, on a later day, each technician's empty route: at home,
	// on that day's shift and breaks, nothing done yet.
	fresh []freshRoute
	// in and out hold every technician's legs, from techs[i].legs on: to
	// the order from the place at each gap g of the remaining route and
	// from it to the next job's place or the end location; for an empty
	// day, one pair from its start location and to its end location.
	in, out []int64
}

// slotTech is one technician's part of a slotDay.
type slotTech struct {
	v    int32
	base measures
	legs int
}

// slotDay works out day d for the technicians who qualify and, today,
// whose remaining route is sound and has room, or, on a later day, whose
// empty vehicle has the capacity.
func (q *query) slotDay(d int) *slotDay {
	st, in := q.st, q.st.in
	day := &slotDay{d: d, techs: make([]slotTech, 0, len(in.vehicles))}
	n := 0 // legs
	for v := range in.vehicles {
		v := int32(v)
		if !st.prof.qualifies(v, &q.need) {
			continue
		}
		t := slotTech{v: v, legs: n}
		if d > 0 {
			ve, ok := q.freshVehicle(v, d)
			if !ok {
				continue
			}
			day.fresh = append(day.fresh, freshRoute{ve: ve})
			t.base = q.base(v, 0, 0) // nothing is booked yet
		} else {
			r := st.routes[v]
			if st.broken[v] != "" || !r.fits(in, &q.jb) {
				continue
			}
			t.base = q.base(v, st.booked[v], st.totalBooked)
			n += r.jobs // gaps 0 to jobs
		}
		n++
		day.techs = append(day.techs, t)
	}
	day.in, day.out = make([]int64, 0, n), make([]int64, 0, n)
	for i, t := range day.techs {
		if d > 0 {
			ve := &day.fresh[i].ve
			legIn, _ := q.legs(ve.startLoc)
			_, legOut := q.legs(ve.endLoc)
			day.in, day.out = append(day.in, legIn), append(day.out, legOut)
			continue
		}
		r := st.routes[t.v]
		gl := q.gapLegs()
		for g := 0; g <= r.jobs; g++ {
			legIn, legOut := gl.around(r, g)
			day.in, day.out = append(day.in, legIn), append(day.out, legOut)
		}
	}
	return day
}

// freshVehicle returns technician v's vehicle on day d > 0, and whether
// the order's demand fits it.
func (q *query) freshVehicle(v int32, d int) (vehicle, bool) {
	st, in := q.st, q.st.in
	t := &in.p.Technicians[v]
	shift := int64(d) * 24 * 3600 * msPerS
	ve := in.vehicles[v]
	if !fitsCapacity(q.jb.demand, ve.capacity) {
		return vehicle{}, false
	}
	ve.startLoc = st.home[v] // at home: the day has not begun
	ve.shiftStart, ve.shiftEnd, ve.latestEnd = toMS(t.Shift.Start)+shift, toMS(t.Shift.End)+shift, toMS(t.Shift.End)+secMS(t.Overtime)+shift
	ve.breaks = breakSpecs(t, shift)
	ve.doneJobs, ve.doneLoad = 0, nil
	return ve, true
}

// offersIn appends every technician's best way, per gap, of starting the
// order inside window w of the day, as job jb: the order with its
// windows cut to w.
func (q *query) offersIn(day *slotDay, w window, jb *job, out []offer) []offer {
	st, in := q.st, q.st.in
	for i := range day.techs {
		t := &day.techs[i]
		v := t.v
		legIn, legOut := day.in[t.legs:], day.out[t.legs:]
		if day.d > 0 {
			if c, ok := q.freshDay(v, &day.fresh[i], t.base, jb, legIn[0], legOut[0]); ok {
				out = append(out, offer{win: w, day: day.d, c: c})
			}
			continue
		}
		r := st.routes[v]
		for g := 0; g <= r.jobs; g++ {
			at, ok := r.tryAt(in, jb, g, legIn[g], legOut[g])
			if !ok {
				continue
			}
			m := q.measure(t.base, r, jb, g, legIn[g], legOut[g], false)
			c := candidate{v: v, cost: q.sc.cost(m), eta: r.soonest(g) + legIn[g], g: g, at: at, legIn: legIn[g], m: m, emptyOK: r.jobs == 0}
			out = append(out, offer{win: w, c: c, after: st.after[v]})
		}
	}
	return out
}

// freshRoute is a technician's empty route on a later day.
type freshRoute struct {
	ve vehicle
	r  *route
}

// freshDay scores technician v's later day, empty but for this order:
// legIn and legOut are the legs from home and to the end location.
func (q *query) freshDay(v int32, fr *freshRoute, base measures, jb *job, legIn, legOut int64) (candidate, bool) {
	in := q.st.in
	if fr.r == nil {
		fr.r = &route{v: v, ve: &fr.ve}
		fr.r.update(in)
	}
	at, ok := fr.r.tryAt(in, jb, 0, legIn, legOut)
	if !ok {
		return candidate{}, false
	}
	m := q.measure(base, fr.r, jb, 0, legIn, legOut, false)
	return candidate{v: v, cost: q.sc.cost(m), eta: fr.ve.shiftStart + legIn, at: at, legIn: legIn, m: m, emptyOK: true}, true
}

// pick chooses windows best first, each served by a gap no better window
// uses: offers sorted by cost, then start, then technician.
func (q *query) pick(offers []offer, limit int) []model.Slot {
	techs := q.st.in.p.Technicians
	slices.SortFunc(offers, func(a, b offer) int {
		if c := cmp.Compare(a.c.cost, b.c.cost); c != 0 {
			return c
		}
		if c := cmp.Compare(a.win.start, b.win.start); c != 0 {
			return c
		}
		return cmp.Compare(techs[a.c.v].ID, techs[b.c.v].ID)
	})
	type gapKey struct{ v, day, g int }
	usedGap := map[gapKey]bool{}    // gaps between stops: one window each
	booked := map[gapKey][]window{} // empty days: service times taken
	usedWin := map[int64]bool{}
	out := []model.Slot{}
	for _, o := range offers {
		key := gapKey{int(o.c.v), o.day, o.c.g}
		service := window{o.c.at.start, o.c.at.start + q.jb.dur}
		switch {
		case usedWin[o.win.start]:
			continue
		case o.c.emptyOK:
			if slices.ContainsFunc(booked[key], func(w window) bool { return w.start < service.end && service.start < w.end }) {
				continue
			}
			booked[key] = append(booked[key], service)
		case usedGap[key]:
			continue
		default:
			usedGap[key] = true
		}
		usedWin[o.win.start] = true
		out = append(out, q.slotOut(o))
		if len(out) == limit {
			break
		}
	}
	return out
}

func (q *query) slotOut(o offer) model.Slot {
	st, in := q.st, q.st.in
	t := &in.p.Technicians[o.c.v]
	zone := t.Shift.Start.Location()
	m := o.c.m
	if q.sc.w.Distance == 0 { // for the breakdown: unweighed, so not measured while ranking
		if o.day == 0 {
			m.addedMeters = q.addedMeters(st.routes[o.c.v], o.c.g)
		} else {
			m.addedMeters = q.metres(st.home[o.c.v], true) + q.metres(in.vehicles[o.c.v].endLoc, false)
		}
	}
	s := model.Slot{
		Window:       model.TimeWindow{Start: fromMS(o.win.start, zone), End: fromMS(o.win.end, zone)},
		TechnicianID: t.ID,
		Start:        fromMS(o.c.at.start, zone),
		Score:        q.sc.points(o.c.cost),
		Cost:         o.c.cost,
		Breakdown:    q.sc.breakdown(m),
	}
	if o.day == 0 && !o.c.emptyOK {
		s.InsertAfter, s.InsertBefore = q.around(o.c.v, o.c.g)
	} else if o.day == 0 {
		s.InsertAfter = o.after
	}
	return s
}

// intersectWindows returns the parts of ws inside w.
func intersectWindows(ws []window, w window) []window {
	var out []window
	for _, x := range ws {
		if s, e := max(x.start, w.start), min(x.end, w.end); s <= e {
			out = append(out, window{s, e})
		}
	}
	return out
}
