package solver

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/dispatchd/dispatchd/geo"
	"github.com/dispatchd/dispatchd/model"
	"github.com/uber/h3-go/v4"
)

// SuggestOptions shape a suggestion. The zero value returns five
// candidates and the twenty nearest rejections.
type SuggestOptions struct {
	// Limit is how many candidates to return; zero means 5.
	Limit int
	// MaxRejected bounds the rejected technicians listed, nearest first;
	// zero means 20, negative means every technician considered.
	MaxRejected int
	// Policy prices the insertions; nil means the state's. Its weights
	// must be valid (model.Weights.Validate).
	Policy *model.Policy
	// Exhaustive evaluates every technician; it is the default, and
	// overrides Pruned.
	Exhaustive bool
	// Pruned searches outward from the order, ring by ring of H3 cells,
	// and stops when no technician farther out could score higher than
	// the candidates found (see farEnough); the answer is the exhaustive
	// one. A state builds its index on its first pruned query.
	//
	// It is off by default because on a metro it does not pay: with the
	// default policy it still reaches 91–95% of a crew with 8 stops each,
	// and walking the rings costs more than it saves (1,000 technicians:
	// 238 µs a query pruned, 171 µs exhaustive; 10,000: 2.3 ms against
	// 1.5 ms; a travel-only policy reaches 75% and still loses), before
	// the index's own cost (an H3 cell per route place through cgo,
	// 1.3 ms for 200 technicians of 8 stops). It is for territories wide
	// enough that most of the crew cannot reach the order in its window.
	Pruned bool
}

// Suggest ranks technicians for one work order against a day in progress.
// For every technician who passes the hard filters it finds the cheapest
// feasible insertion into the rest of their day — any position after
// their fixed stops that keeps every later stop feasible — and scores it;
// every technician it considers and rejects says why.
//
// It evaluates every technician unless opts.Pruned asks for the H3
// search, which gives the same answer. Suggest returns a
// *model.ValidationError for an invalid order.
func Suggest(ctx context.Context, st *State, order model.WorkOrder, opts SuggestOptions) (model.Suggestions, error) {
	q, err := st.newQuery(&order, opts)
	if err != nil {
		return model.Suggestions{}, err
	}
	prune := st.indexable && opts.Pruned && !opts.Exhaustive
	if prune {
		st.index.Do(st.buildIndex)
	}
	if err := q.run(ctx, !prune); err != nil {
		return model.Suggestions{}, err
	}
	return q.answer(), nil
}

// query is one suggestion in progress.
type query struct {
	st    *State
	order *model.WorkOrder
	need  need
	jb    job
	sc    scorer
	limit int
	maxRj int
	// legs to and from the order
	prep    geo.Prepared
	matrixI int

	// withOrder is the state's instance with the order's place in its
	// travel table, for laying a route out with the order in it; built
	// when first needed (withOrder).
	inOrder *instance

	evaluated []bool
	// cands holds the best limit candidates so far, in rank order: a
	// technician who cannot beat the last need not be scored in full.
	cands     []candidate
	rejected  []int32 // in the order considered, as many as are listed
	considerd int
}

// candidate is a technician's best insertion, before it becomes a
// model.Candidate.
type candidate struct {
	v       int32
	cost    float64 // what the insertion adds to the objective: the rank
	eta     int64   // earliest arrival at the order
	g       int
	at      placement
	legIn   int64
	m       measures
	emptyOK bool // the remaining day was empty: the order is its only job
}

func (st *State) newQuery(order *model.WorkOrder, opts SuggestOptions) (*query, error) {
	if err := st.validateOrder(order); err != nil {
		return nil, err
	}
	p := st.policy
	if opts.Policy != nil {
		p = *opts.Policy
	}
	q := &query{st: st, order: order, sc: newScorer(p), limit: opts.Limit, maxRj: opts.MaxRejected}
	if q.limit <= 0 {
		q.limit = 5
	}
	if q.maxRj == 0 {
		q.maxRj = 20
	}
	q.need = st.prof.need(order, func(id string) (int32, bool) { v, ok := st.techIDs[id]; return v, ok })
	q.jb = job{idx: -1, dur: secMS(order.Duration), deadline: never, demand: order.Demand, fixed: -1}
	if order.SLADeadline != nil {
		q.jb.deadline = toMS(*order.SLADeadline)
	}
	for _, tw := range order.TimeWindows {
		q.jb.windows = append(q.jb.windows, window{toMS(tw.Start), toMS(tw.End)})
	}
	q.jb.windows = mergeWindows(q.jb.windows)
	if len(q.jb.windows) == 0 {
		q.jb.windows = []window{{always, never}}
	}
	if st.matrix != nil {
		q.matrixI, _ = st.matrix.Index(order.Location)
		q.jb.loc = int32(q.matrixI)
	} else {
		q.prep = geo.Prepare(order.Location)
	}
	q.evaluated = make([]bool, len(st.in.vehicles))
	return q, nil
}

// withOrder returns the state's instance as laying out a route with the
// order in it needs it: for haversine travel, a copy whose travel table
// knows the order's place, at q.jb.loc (a matrix has it already).
func (q *query) withOrder() *instance {
	if q.inOrder == nil {
		in := *q.st.in
		if q.st.matrix == nil {
			in.tt, q.jb.loc = q.st.in.tt.withGuest(q.order.Location)
		}
		q.inOrder = &in
	}
	return q.inOrder
}

// validateOrder checks the order on its own and that the travel model can
// place it.
func (st *State) validateOrder(order *model.WorkOrder) error {
	var errs []model.FieldError
	var ve *model.ValidationError
	if err := order.Validate(); errors.As(err, &ve) {
		errs = append(errs, ve.Prefix("work_order").Errors...)
	}
	switch {
	case st.matrix != nil:
		if _, err := st.matrix.Index(order.Location); err != nil && !order.Location.IsZero() {
			errs = append(errs, model.FieldError{Field: "work_order.location", Message: "not in the travel matrix: give its location_index"})
		}
	case !order.Location.IsZero() && !order.Location.HasCoordinates():
		errs = append(errs, model.FieldError{Field: "work_order.location", Message: "no coordinates, and travel has no matrix"})
	}
	if order.Crew() > 1 {
		errs = append(errs, model.FieldError{Field: "work_order.technicians_needed", Message: "suggestions are for one technician; crews are not planned yet"})
	}
	if len(errs) > 0 {
		return &model.ValidationError{Errors: errs}
	}
	return nil
}

// legs returns the travel (ms) from a place to the order and back.
func (q *query) legs(place int32) (in, out int64) {
	if m := q.st.matrix; m != nil {
		return durMS(m.LegByIndex(int(place), q.matrixI).Duration), durMS(m.LegByIndex(q.matrixI, int(place)).Duration)
	}
	d := durMS(q.st.hav.LegPrepared(q.st.places[place], q.prep).Duration)
	return d, d
}

// gapLegs looks up the legs between the order and the places around the
// gaps of a route, taken in order, remembering the last two places: the
// place at gap g is the next place of gap g-1, which it looked up already.
type gapLegs struct {
	q          *query
	at, nextAt int32 // -1: none yet
	in, nextIn int64
	nextOut    int64
}

func (q *query) gapLegs() gapLegs { return gapLegs{q: q, at: -1, nextAt: -1} }

// around returns the travel from place g of route r to the order and from
// the order to place g+1.
func (l *gapLegs) around(r *route, g int) (legIn, legOut int64) {
	switch p := r.loc[g]; p {
	case l.at:
	case l.nextAt:
		l.at, l.in = p, l.nextIn
	default:
		l.at = p
		l.in, _ = l.q.legs(p)
	}
	if p := r.loc[g+1]; p != l.nextAt {
		l.nextAt = p
		l.nextIn, l.nextOut = l.q.legs(p)
	}
	return l.in, l.nextOut
}

// run evaluates technicians: every one when exhaustive, else ring by ring
// outward from the order until the bound says no one farther out can rank.
func (q *query) run(ctx context.Context, exhaustive bool) error {
	st := q.st
	for _, id := range q.order.PreferredTechnicians {
		if v, ok := st.techIDs[id]; ok {
			q.evaluate(v)
		}
	}
	if exhaustive {
		for v := range st.in.vehicles {
			if v&255 == 0 && ctx.Err() != nil {
				return ctx.Err()
			}
			q.evaluate(int32(v))
		}
		return nil
	}
	origin, err := geo.Cell(q.order.Location, cellResolution)
	if err != nil {
		return err
	}
	edge := math.Inf(1)
	for _, e := range origin.DirectedEdges() {
		edge = min(edge, h3.EdgeLengthM(e))
	}
	longest := 0 // index into st.byLeg of the longest leg not yet evaluated
	var rings [][]h3.Cell
	for k := 0; ; k++ {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if k >= len(rings) {
			if k > maxRings {
				// Far-flung technicians: finish them off without rings.
				for v := range st.in.vehicles {
					q.evaluate(int32(v))
				}
				return nil
			}
			rings = geo.Rings(origin, max(8, 2*k))
		}
		for _, c := range rings[k] {
			for _, v := range st.cells[c] {
				q.evaluate(v)
			}
		}
		if q.considerd == len(st.in.vehicles) {
			return nil
		}
		for longest < len(st.byLeg) && q.evaluated[st.byLeg[longest]] {
			longest++
		}
		// Every place of a technician not yet evaluated is farther than
		// radius: RingsCovering's reach of k rings, inverted.
		radius := float64(k-1) * 1.5 * edge
		if radius <= 0 {
			continue
		}
		if q.farEnough(radius, st.maxLeg[st.byLeg[longest]]) {
			return nil
		}
	}
}

// maxRings bounds the ring search: beyond it the cells are so many that
// evaluating the rest directly is cheaper.
const maxRings = 96

// farEnough reports whether no technician whose places all lie farther
// than radius from the order (their longest leg being at most leg) can
// rank among the candidates: the limit-th best strictly beats their best
// possible score, or they could not reach the order in time at all.
func (q *query) farEnough(radius, leg float64) bool {
	st := q.st
	reach := st.hav.Seconds(radius) // no sooner than this from now
	minStart := float64(st.now) + reach*msPerS
	last := float64(q.jb.windows[len(q.jb.windows)-1].end)
	if minStart > math.Min(last, float64(st.latest-q.jb.dur)) {
		return true // nobody farther out can start the order in time
	}
	if len(q.cands) < q.limit {
		return false
	}
	// The detour's great-circle length bounds its road distance, which
	// the detour factor only lengthens.
	meters := math.Max(0, 2*radius-leg)
	margin := math.Inf(1)
	if q.jb.deadline != never {
		margin = (float64(q.jb.deadline) - minStart - float64(q.jb.dur)) / msPerS
	}
	return q.outranked(q.sc.bound(st.hav.Seconds(meters), meters, margin, len(q.order.PreferredTechnicians) > 0))
}

// evaluate considers technician v once: a candidate with their best
// insertion, or a rejection.
func (q *query) evaluate(v int32) {
	if q.evaluated[v] {
		return
	}
	q.evaluated[v] = true
	q.considerd++
	c, ok, outranked := q.best(v)
	switch {
	case outranked:
		// Qualified, but even its best could not rank: neither a candidate
		// nor rejected.
	case ok:
		q.keep(c)
	case q.maxRj < 0 || len(q.rejected) < q.maxRj:
		q.rejected = append(q.rejected, v)
	}
}

// keep puts a candidate in rank order among the best limit: cost
// ascending, ties by technician id.
func (q *query) keep(c candidate) {
	techs := q.st.in.p.Technicians
	i, _ := slices.BinarySearchFunc(q.cands, c, func(a, b candidate) int {
		if x := cmp.Compare(a.cost, b.cost); x != 0 {
			return x
		}
		return cmp.Compare(techs[a.v].ID, techs[b.v].ID)
	})
	if i == q.limit {
		return
	}
	if len(q.cands) == q.limit {
		q.cands = q.cands[:q.limit-1]
	}
	q.cands = slices.Insert(q.cands, i, c)
}

// outranked reports whether a technician whose cost is at least bound
// cannot rank: there are limit candidates, and the last costs strictly
// less.
func (q *query) outranked(bound float64) bool {
	return len(q.cands) == q.limit && q.cands[q.limit-1].cost < bound
}

// best finds technician v's best insertion of the order; outranked says
// that v qualifies but cannot score high enough to rank, so its route was
// not searched.
func (q *query) best(v int32) (c candidate, ok, outranked bool) {
	st, in := q.st, q.st.in
	if !st.prof.qualifies(v, &q.need) || st.broken[v] != "" {
		return candidate{}, false, false
	}
	if st.slots[v] <= 0 {
		return candidate{}, false, false
	}
	r := st.routes[v]
	if len(q.jb.demand) > 0 && !r.fits(in, &q.jb) {
		return candidate{}, false, false
	}
	base := q.base(v, st.booked[v], st.totalBooked)
	// No insertion starts before the technician, free at dep[0], could
	// drive straight there (the triangle inequality, less a second a leg
	// for rounding); with the static criteria exact and travel at its
	// best, that bounds v's score.
	legIn0, _ := q.legs(st.origin[v])
	soonest := st.free[v] + legIn0 - int64(st.legs[v])*msPerS
	if q.outranked(q.sc.bound2(base, soonest, q.jb)) {
		return candidate{}, false, true
	}
	best := candidate{v: v, cost: math.Inf(1)}
	last := q.jb.windows[len(q.jb.windows)-1].end
	gl := q.gapLegs()
	gl.at, gl.in = st.origin[v], legIn0 // the route starts at the origin
	for g := 0; g <= r.jobs; g++ {
		if r.soonest(g) > last {
			break // departures only get later along the route
		}
		legIn, legOut := gl.around(r, g)
		at, ok := r.tryAt(in, &q.jb, g, legIn, legOut)
		if !ok {
			continue
		}
		m := q.measure(base, r, &q.jb, g, legIn, legOut, false)
		if c := q.sc.cost(m); c < best.cost {
			best = candidate{v: v, cost: c, eta: r.soonest(g) + legIn, g: g, at: at, legIn: legIn, m: m, emptyOK: r.jobs == 0}
		}
	}
	return best, !math.IsInf(best.cost, 1), false
}

// base returns technician v's measures that do not depend on where the
// order goes: skill surplus, preference, plan change, and what the order
// does to the crew's balance of work, given v's booked service and the
// crew's (ms).
func (q *query) base(v int32, booked, crew int64) measures {
	t := &q.st.in.p.Technicians[v]
	o := q.order
	m := measures{
		surplus:      float64(q.st.prof.surplus(v, &q.need)),
		notPreferred: float64(boolInt(len(o.PreferredTechnicians) > 0 && !o.Prefers(t.ID))),
		changed:      float64(boolInt(len(o.TechnicianIDs) > 0 && !slices.Contains(o.TechnicianIDs, t.ID))),
	}
	if n := q.st.in.activeVehicles; n > 0 {
		// The balance term is Σ |work − mean|: with the order, the mean
		// moves the same for every candidate, and v's own distance from it
		// changes by between −dur and +dur; counted from −dur, the least
		// it can grow by, it is the same for every candidate but v's part.
		dur := float64(q.jb.dur)
		mean := float64(crew+q.jb.dur) / float64(n)
		w := float64(booked)
		m.workload = (math.Abs(w+dur-mean) - math.Abs(w-mean) + dur) / msPerS
	}
	return m
}

// measure completes base with what job jb's placement in gap g of route
// r adds: the detour's time and (when it is weighed, or exact is set)
// distance, and the lateness and overtime it creates, its own and that of
// the stops it delays.
func (q *query) measure(base measures, r *route, jb *job, g int, legIn, legOut int64, exact bool) measures {
	m := base
	replaced := int64(0)
	if r.jobs > 0 {
		replaced = r.leg[g+1]
	}
	m.addedTravel = float64(legIn+legOut-replaced) / msPerS
	if exact || q.sc.w.Distance > 0 {
		m.addedMeters = q.addedMeters(r, g)
	}
	late, back := r.follow(q.st.in, jb, g, legIn, legOut)
	m.late = float64(max(0, late-r.lateness)) / msPerS
	shiftEnd := r.vehicle(q.st.in).shiftEnd
	m.overtime = float64(max(0, back-shiftEnd)-max(0, r.back-shiftEnd)) / msPerS
	return m
}

// addedMeters is the road distance the detour to the order adds in gap g
// of route r.
func (q *query) addedMeters(r *route, g int) float64 {
	d := q.metres(r.loc[g], true) + q.metres(r.loc[g+1], false)
	if r.jobs > 0 {
		if leg, err := q.st.in.tt.leg(r.loc[g], r.loc[g+1]); err == nil {
			d -= leg.Meters
		}
	}
	return d
}

// metres returns the road distance from a place to the order (to set) or
// from the order to the place.
func (q *query) metres(place int32, to bool) float64 {
	if m := q.st.matrix; m != nil {
		if to {
			return m.LegByIndex(int(place), q.matrixI).Meters
		}
		return m.LegByIndex(q.matrixI, int(place)).Meters
	}
	return q.st.hav.LegPrepared(q.st.places[place], q.prep).Meters
}

// answer ranks the candidates and writes the response.
func (q *query) answer() model.Suggestions {
	st := q.st
	techs := st.in.p.Technicians
	out := model.Suggestions{Candidates: []model.Candidate{}, Rejected: []model.Rejection{},
		Considered: q.considerd, Technicians: len(techs)}
	for i, c := range q.cands {
		out.Candidates = append(out.Candidates, q.candidateOut(c, i+1))
	}
	for _, v := range q.rejected {
		out.Rejected = append(out.Rejected, model.Rejection{TechnicianID: techs[v].ID, Reasons: q.reasons(v)})
	}
	return out
}

func (q *query) candidateOut(c candidate, rank int) model.Candidate {
	st, in := q.st, q.st.in
	t := &in.p.Technicians[c.v]
	zone := t.Shift.Start.Location()
	at := func(ms int64) time.Time { return fromMS(ms, zone) }
	r := st.routes[c.v]
	m := c.m
	if q.sc.w.Distance == 0 {
		m.addedMeters = q.addedMeters(r, c.g) // for the breakdown: unweighed, so not measured while ranking
	}
	out := model.Candidate{
		TechnicianID: t.ID, Rank: rank, Score: q.sc.points(c.cost), Cost: c.cost,
		ETA: at(c.eta), Start: at(c.at.start), End: at(c.at.start + q.jb.dur),
		InsertAfter: st.after[c.v],
		Travel:      msSeconds(c.legIn), AddedTravel: msSeconds(int64(c.m.addedTravel * msPerS)),
		Lateness:  msSeconds(max(0, c.at.start+q.jb.dur-q.jb.deadline)),
		Breakdown: q.sc.breakdown(m),
	}
	if !c.emptyOK {
		out.InsertAfter, out.InsertBefore = q.around(c.v, c.g)
		delay, n := r.knockOn(q.withOrder(), &q.jb, c.g)
		out.Delay, out.DelayedStops = msSeconds(delay), n
	}
	return out
}

// around names the stops a gap of technician v's remaining route lies
// between: the job before it (or the fixed stop the route follows) and
// the job after it; "" for the start or the end of the day.
func (q *query) around(v int32, g int) (after, before string) {
	in, r := q.st.in, q.st.routes[v]
	after = q.st.after[v]
	if g > 0 {
		after = in.p.WorkOrders[in.jobs[r.seq[g-1]].idx].ID
	}
	if g < len(r.seq) {
		before = in.p.WorkOrders[in.jobs[r.seq[g]].idx].ID
	}
	return after, before
}

// knockOn returns the largest delay that putting job jb into gap g gives
// a later job's start, and how many later jobs start later.
func (r *route) knockOn(in *instance, jb *job, g int) (int64, int) {
	t, ok := r.trial(in, jb, g)
	if !ok {
		return 0, 0
	}
	delay, n := int64(0), 0
	for p := g + 1; p <= len(r.seq); p++ {
		if d := t.start[p+1] - r.start[p]; d > 0 {
			delay, n = max(delay, d), n+1
		}
	}
	return delay, n
}

// reasons says why technician v was rejected: every rule that rules them
// out, in words a dispatcher understands.
func (q *query) reasons(v int32) []string {
	st, in := q.st, q.st.in
	t := &in.p.Technicians[v]
	var out []string
	for _, r := range Qualify(t, q.order) {
		out = append(out, r.Text)
	}
	if msg := st.broken[v]; msg != "" {
		out = append(out, msg)
	}
	r := st.routes[v]
	ve := &in.vehicles[v]
	if ve.maxJobs > 0 && r.jobs+ve.doneJobs >= ve.maxJobs {
		out = append(out, fmt.Sprintf("max_jobs reached (%d)", ve.maxJobs))
	} else if !r.fits(in, &q.jb) {
		out = append(out, fmt.Sprintf("capacity: demand %v does not fit what is left of %v", q.order.Demand, t.Capacity))
	}
	// fits also checks max_jobs, so a technician ruled out by none of the
	// above is qualified, sound and has room: only time is left.
	if len(out) == 0 {
		out = append(out, q.timeReason(v))
	}
	return out
}

// timeReason says why a qualified technician with room has no slot.
func (q *query) timeReason(v int32) string {
	st, in := q.st, q.st.in
	t := &in.p.Technicians[v]
	ve := &in.vehicles[v]
	zone := t.Shift.Start.Location()
	legIn, _ := q.legs(ve.startLoc)
	_, legOut := q.legs(ve.endLoc)
	free := ve.shiftStart
	earliest := free + legIn
	shiftEnd := fromMS(ve.latestEnd, zone)
	if earliest+q.jb.dur+legOut > ve.latestEnd {
		return fmt.Sprintf("off shift: free from %s, %v away, and the shift ends %s", clock(fromMS(free, zone)), msDuration(legIn), clock(shiftEnd))
	}
	if _, ok := q.jb.firstStart(earliest); !ok {
		return fmt.Sprintf("no window can be met: free from %s, %v away", clock(fromMS(free, zone)), msDuration(legIn))
	}
	if len(ve.breaks) > 0 && st.routes[v].jobs == 0 {
		return "its break leaves no gap long enough before the shift ends"
	}
	return "no gap long enough: every slot would make a later stop miss its window or the shift end"
}
