package solver

import (
	"math"
	"slices"
)

// A route is one technician's day: the jobs in the order they are done.
// Its places are numbered 0 (the start location), 1 … n (the jobs) and
// n+1 (the end location). Breaks are not in the sequence: where each is
// taken follows from the schedule (see breaks.go).
//
// For every place and every number k of breaks taken by then, update
// keeps the earliest time the technician is free there and the latest
// that keeps everything after it feasible, so that an insertion is
// checked in constant time (forward/backward time slack, as in
// Savelsbergh's and Vidal's work, extended to several windows per job —
// start times are monotone in arrival — and to breaks, whose placement is
// a dimension of the state).
type route struct {
	v   int32
	seq []int32 // jobs; -(i+1) is extra[i], a job that is not in the instance

	// extra holds the jobs of a trial route that are not in the instance:
	// an order suggested or checked.
	extra []*job
	// ve, when set, is the vehicle instead of the instance's vehicle v: a
	// technician on a later day of Slots.
	ve *vehicle
	// nk is the number of break states: the vehicle's breaks plus one.
	nk int

	loc []int32 // place p
	// slab holds every int64 array below, carved by carve: one allocation
	// to copy when a solution takes the route over.
	slab []int64
	leg  []int64 // travel time into place p
	// Per place p and state k, at index p*nk+k: the earliest time the
	// technician is free to leave p having taken k breaks (at the end
	// location: arrives), the SLA lateness so far, how that state was
	// reached, the latest time they may be free to leave p with the rest
	// still feasible, and the latest time they may be ready at p (for a
	// job, its latest start).
	free   []int64
	late   []int64
	links  []stepLink
	latest []int64
	rdy    []int64
	// soon and rmax are, per place, the earliest free time and the latest
	// ready time over all states: bounds that rule most insertions out
	// before any break is followed.
	soon []int64
	rmax []int64
	// path is the state at each place of the schedule the route keeps:
	// the cheapest of the end states, followed back.
	path []int8
	// start is when service starts at each job of that schedule.
	start []int64

	jobs int
	// back is when the technician reaches the end location; lateness the
	// schedule's SLA lateness, ms.
	back     int64
	lateness int64
	load     []float64
	// room is how many more jobs max_jobs allows; capLeft the capacity
	// left per dimension (nil: unlimited).
	room    int
	capLeft []float64
	work    int64   // service time of the jobs, ms
	arcs    float64 // Σ arc costs
	soft    float64 // weighted lateness and overtime
	pair    float64 // Σ static pair costs

	// owner is the solution allowed to change the route in place; any other
	// copies it first.
	owner *solution
}

func newRoute(v int32) *route { return &route{v: v} }

// clone returns a deep copy owned by s.
func (r *route) clone(s *solution) *route {
	c := *r
	c.seq = slices.Clone(r.seq)
	c.loc = slices.Clone(r.loc)
	c.slab = slices.Clone(r.slab)
	c.carve(len(r.loc), r.nk)
	c.links = slices.Clone(r.links)
	c.path = slices.Clone(r.path)
	c.load = slices.Clone(r.load)
	c.capLeft = slices.Clone(r.capLeft)
	c.owner = s
	return &c
}

func grow[T any](s []T, n int) []T {
	if cap(s) >= n {
		return s[:n]
	}
	return make([]T, n, n+n/2+4)
}

// vehicle returns the technician the route is for.
func (r *route) vehicle(in *instance) *vehicle {
	if r.ve != nil {
		return r.ve
	}
	return &in.vehicles[r.v]
}

// soonest returns the earliest time the technician can be free at place
// p, whatever breaks they have taken by then.
func (r *route) soonest(p int) int64 { return r.soon[p] }

// carve slices the slab into the route's per-place arrays.
func (r *route) carve(places, nk int) {
	a := r.slab
	take := func(n int) []int64 {
		s := a[:n:n]
		a = a[n:]
		return s
	}
	r.leg, r.start, r.soon, r.rmax = take(places), take(places), take(places), take(places)
	r.free, r.late, r.latest, r.rdy = take(places*nk), take(places*nk), take(places*nk), take(places*nk)
}

// job returns the job at place p (1 … n).
func (r *route) job(in *instance, p int) *job {
	if x := r.seq[p-1]; x >= 0 {
		return &in.jobs[x]
	}
	return r.extra[-r.seq[p-1]-1]
}

// at returns the state vector of place p in a per-place array.
func (r *route) at(a []int64, p int) []int64 { return a[p*r.nk : (p+1)*r.nk] }

// update recomputes the schedule, bounds and costs of the route and
// reports whether it is feasible.
func (r *route) update(in *instance) bool {
	ve := r.vehicle(in)
	n := len(r.seq)
	nk := len(ve.breaks) + 1
	r.nk = nk
	places := n + 2
	r.loc, r.links, r.path = grow(r.loc, places), grow(r.links, places*nk), grow(r.path, places)
	r.slab = grow(r.slab, places*(4+4*nk))
	r.carve(places, nk)
	r.load = grow(r.load, in.dims)
	clear(r.load)
	tt := in.tt
	nj := len(in.jobs)
	r.jobs, r.work, r.arcs, r.pair = n, 0, 0, 0

	r.loc[0], r.leg[0] = ve.startLoc, 0
	for p := 1; p <= n; p++ {
		jb := r.job(in, p)
		r.loc[p] = jb.loc
		leg, cost := tt.arc(r.loc[p-1], jb.loc)
		r.leg[p] = leg
		r.arcs += cost
		r.work += jb.dur
		if x := r.seq[p-1]; x >= 0 && in.pair != nil {
			r.pair += in.pair[int(r.v)*nj+int(x)]
		}
		for k, d := range jb.demand {
			if k < len(r.load) {
				r.load[k] += d
			}
		}
	}
	r.limits(ve)
	e := n + 1
	r.loc[e] = ve.endLoc
	leg, cost := tt.arc(r.loc[n], ve.endLoc)
	r.leg[e] = leg
	if n > 0 {
		r.arcs += cost
	}

	if nk == 1 {
		return r.scheduleBare(in, ve)
	}
	return r.schedule(in, ve)
}

// schedule is update's schedule: forward the earliest time of every state
// at every place, backward the latest, and the cheapest end state followed
// back.
func (r *route) schedule(in *instance, ve *vehicle) bool {
	n, nk := len(r.seq), r.nk
	e, places := n+1, n+2
	// Forward: the earliest schedule of every state.
	f0, l0 := r.at(r.free, 0), r.at(r.late, 0)
	for k := range f0 {
		f0[k], l0[k] = never, 0
	}
	f0[0] = ve.shiftStart
	for p := 1; p <= e; p++ {
		var jb *job
		if p <= n {
			jb = r.job(in, p)
		}
		ve.step(r.at(r.free, p-1), r.at(r.late, p-1), r.leg[p], jb, r.at(r.free, p), r.at(r.late, p), r.links[p*nk:(p+1)*nk])
	}
	// Backward: the latest times that keep the rest feasible.
	ve.endLatest(r.at(r.rdy, e))
	copy(r.at(r.latest, e), r.at(r.rdy, e))
	for p := n; p >= 0; p-- {
		ve.stepBack(r.at(r.rdy, p+1), r.leg[p+1], p+1 == e, r.at(r.latest, p))
		if p >= 1 {
			r.job(in, p).latestReady(r.at(r.latest, p), r.at(r.rdy, p))
		}
	}
	copy(r.at(r.rdy, 0), r.at(r.latest, 0)) // nothing to start at the start

	for p := range places {
		r.soon[p] = slices.Min(r.at(r.free, p))
		r.rmax[p] = slices.Max(r.at(r.rdy, p))
	}
	if n == 0 {
		// An unused technician takes no breaks and costs nothing.
		r.back, r.lateness, r.soft = ve.shiftStart, 0, 0
		clear(r.path)
		return true
	}
	k, ok := r.endState(in, r.at(r.free, e), r.at(r.late, e))
	if !ok {
		r.back, r.lateness, r.soft = never, 0, 0
		return false
	}
	r.path[e] = int8(k)
	for p := e; p >= 1; p-- {
		r.path[p-1] = r.links[p*nk+int(r.path[p])].from
	}
	for p := 1; p <= n; p++ {
		r.start[p] = r.free[p*nk+int(r.path[p])] - r.job(in, p).dur
	}
	r.back = r.free[e*nk+k]
	r.lateness = r.late[e*nk+k]
	r.soft = timeTerm{}.price(in, ve, r.lateness, r.back)
	return true
}

// scheduleBare is schedule for a technician without breaks: one state per
// place, the same steps written out, since most routes of the classic
// benchmarks are such and update runs on every change (Solomon: 10% of
// the search's time). TestBareScheduleIsTheSchedule holds the two equal.
func (r *route) scheduleBare(in *instance, ve *vehicle) bool {
	n := len(r.seq)
	e := n + 1
	r.free[0], r.late[0] = ve.shiftStart, 0
	t, late := ve.shiftStart, int64(0)
	for p := 1; p <= n; p++ {
		jb := r.job(in, p)
		s, ok := jb.firstStart(t + r.leg[p])
		if !ok || t >= never {
			t = never
		} else {
			t = s + jb.dur
			if jb.deadline != never {
				late += max(0, t-jb.deadline)
			}
		}
		r.free[p], r.late[p], r.links[p] = t, late, stepLink{}
	}
	arrive := int64(never)
	if t < never {
		arrive = t + r.leg[e]
	}
	r.free[e], r.late[e], r.links[e] = arrive, late, stepLink{}
	r.rdy[e], r.latest[e] = ve.latestEnd, ve.latestEnd
	next := ve.latestEnd
	for p := n; p >= 0; p-- {
		l := int64(always)
		if next > always {
			l = next - r.leg[p+1]
		}
		r.latest[p] = l
		if p == 0 {
			r.rdy[0] = l
			break
		}
		jb := r.job(in, p)
		next = always
		if l > always {
			if s, ok := jb.lastStart(l - jb.dur); ok {
				next = s
			}
		}
		r.rdy[p] = next
	}
	copy(r.soon, r.free)
	copy(r.rmax, r.rdy)
	clear(r.path)
	if n == 0 {
		r.back, r.lateness, r.soft = ve.shiftStart, 0, 0
		return true
	}
	if arrive > ve.latestEnd {
		r.back, r.lateness, r.soft = never, 0, 0
		return false
	}
	for p := 1; p <= n; p++ {
		r.start[p] = r.free[p] - r.job(in, p).dur
	}
	r.back, r.lateness = arrive, late
	r.soft = timeTerm{}.price(in, ve, late, arrive)
	return true
}

// endState chooses the schedule a route keeps among its end states
// (arrivals and lateness per number of breaks taken before arriving):
// the cheapest feasible one, then the soonest back, then the one with the
// fewest breaks before arriving.
func (r *route) endState(in *instance, arrive, late []int64) (int, bool) {
	rdy := r.at(r.rdy, len(r.seq)+1)
	best, bestCost, found := 0, 0.0, false
	for k, a := range arrive {
		if a > rdy[k] {
			continue
		}
		c := timeTerm{}.price(in, r.vehicle(in), late[k], a)
		if !found || c < bestCost || (c == bestCost && a < arrive[best]) {
			best, bestCost, found = k, c, true
		}
	}
	return best, found
}

// fits reports whether the route has room for one more job of the given
// demand: job count and capacity, from what update left.
func (r *route) fits(in *instance, jb *job) bool {
	if r.room <= 0 {
		return false
	}
	if r.capLeft == nil {
		return true
	}
	for k, d := range jb.demand {
		if d > r.left(k)+capacityEps {
			return false
		}
	}
	return true
}

// left is the capacity left in dimension k of a route with a capacity;
// a dimension beyond the capacity has none.
func (r *route) left(k int) float64 {
	if k < len(r.capLeft) {
		return r.capLeft[k]
	}
	return 0
}

// withinLimits reports whether the route, as update laid it out, keeps
// within max_jobs and its capacity in every dimension its jobs load.
func (r *route) withinLimits() bool {
	if r.room < 0 {
		return false
	}
	if r.capLeft == nil {
		return true
	}
	for k, l := range r.load {
		if k < len(r.capLeft) && r.capLeft[k] < -capacityEps || k >= len(r.capLeft) && l > capacityEps {
			return false
		}
	}
	return true
}

// limits works out the room left under max_jobs and capacity.
func (r *route) limits(ve *vehicle) {
	r.room = math.MaxInt
	if ve.maxJobs > 0 {
		r.room = ve.maxJobs - ve.doneJobs - r.jobs
	}
	if ve.capacity == nil {
		r.capLeft = nil
		return
	}
	r.capLeft = grow(r.capLeft, len(ve.capacity))
	for k, c := range ve.capacity {
		if k < len(r.load) {
			c -= r.load[k]
		}
		if k < len(ve.doneLoad) {
			c -= ve.doneLoad[k]
		}
		r.capLeft[k] = c
	}
}

// insertion is the effect of putting a job into a gap of a route.
type insertion struct {
	gap   int     // the job goes between places gap and gap+1
	delta float64 // change of the objective, workload balance aside
	start int64   // the job's start
}

// stateBuf holds a state vector on the stack for the usual few breaks.
const stateBuf = 8

// tryGap checks putting job j into gap g (between places g and g+1) of
// the route and returns the objective's change. Feasibility is checked in
// constant time; soft time costs follow the schedule down the route until
// the change dies out, which is skipped when the rest of the cost already
// reaches bound, since later schedules only ever add cost.
func (r *route) tryGap(in *instance, j int32, g int, bound float64) (insertion, bool) {
	jb := &in.jobs[j]
	if !r.mayFit(jb, g) {
		return insertion{}, false
	}
	legIn := in.tt.dur(r.loc[g], jb.loc)
	if r.soonest(g)+legIn > jb.windows[len(jb.windows)-1].end {
		return insertion{}, false // too late for every window: spare the second lookup
	}
	return r.tryGapLegs(in, j, g, legIn, in.tt.dur(jb.loc, r.loc[g+1]), bound)
}

// tryGapLegs is tryGap given the travel into the job from place g and out
// of it to place g+1.
func (r *route) tryGapLegs(in *instance, j int32, g int, legIn, legOut int64, bound float64) (insertion, bool) {
	jb := &in.jobs[j]
	at, ok := r.tryAt(in, jb, g, legIn, legOut)
	if !ok {
		return insertion{}, false
	}
	delta := travelTerm{}.insertion(in, r, g, jb.loc, in.pair[int(r.v)*len(in.jobs)+int(j)])
	if in.timeSoft && delta < bound {
		late, back := r.follow(in, jb, g, legIn, at.legOut)
		delta += timeTerm{}.price(in, r.vehicle(in), late, back) - r.soft
	}
	return insertion{gap: g, delta: delta, start: at.start}, true
}

// mayFit is a test of gap g for job jb without travel, which costs
// lookups: the technician must be free at place g by the job's last
// window's end, and be ready at place g+1 no sooner than the job's first
// window can end.
func (r *route) mayFit(jb *job, g int) bool {
	if r.soonest(g) > jb.windows[len(jb.windows)-1].end {
		return false
	}
	return r.rmax[g+1] >= jb.windows[0].start+jb.dur
}

// placement is a feasible position of a job in a gap: its earliest start
// there, and the travel from it to the next place.
type placement struct {
	start  int64
	legOut int64
}

// tryAt checks putting job jb into gap g, given the travel into it from
// place g and out of it to place g+1: feasible exactly when some number of
// breaks taken by the job's end is reached in time and leaves the rest
// feasible. Time alone is checked: in a tight schedule most positions
// fail it, and it needs fewer lookups than the cost.
func (r *route) tryAt(in *instance, jb *job, g int, legIn, legOut int64) (placement, bool) {
	ve := r.vehicle(in)
	nk := r.nk
	if nk == 1 {
		s, ok := jb.firstStart(r.free[g] + legIn)
		if !ok || r.free[g] >= never || s+jb.dur+legOut > r.rdy[g+1] {
			return placement{}, false
		}
		return placement{start: s, legOut: legOut}, true
	}
	// Without the breaks, which only add time, the job must fit between
	// the soonest the technician is free and the latest they may be ready.
	s0, ok := jb.firstStart(r.soon[g] + legIn)
	if !ok || r.soon[g] >= never || s0+jb.dur+legOut > r.rmax[g+1] {
		return placement{}, false
	}
	var fb, lb, zb [stateBuf]int64
	f, l, z := fb[:], lb[:], zb[:]
	if nk > stateBuf {
		f, l, z = make([]int64, nk), make([]int64, nk), make([]int64, nk)
	}
	f, l, z = f[:nk], l[:nk], z[:nk]
	ve.step(r.at(r.free, g), r.at(r.late, g), legIn, jb, f, l, nil)
	ve.stepBack(r.at(r.rdy, g+1), legOut, g+1 == len(r.seq)+1, z)
	start, ok := int64(never), false
	for k := range f {
		if f[k] <= z[k] && f[k]-jb.dur < start {
			start, ok = f[k]-jb.dur, true
		}
	}
	return placement{start: start, legOut: legOut}, ok
}

// follow returns the SLA lateness and the return time of the route with
// job jb put into gap g (which must be feasible), following the schedule
// from the job on until it is the route's own again.
func (r *route) follow(in *instance, jb *job, g int, legIn, legOut int64) (late, back int64) {
	ve := r.vehicle(in)
	nk := r.nk
	var b1, b2, b3, b4 [stateBuf]int64
	f, l, nf, nl := b1[:], b2[:], b3[:], b4[:]
	if nk > stateBuf {
		f, l, nf, nl = make([]int64, nk), make([]int64, nk), make([]int64, nk), make([]int64, nk)
	}
	f, l, nf, nl = f[:nk], l[:nk], nf[:nk], nl[:nk]
	ve.step(r.at(r.free, g), r.at(r.late, g), legIn, jb, f, l, nil)
	n := len(r.seq)
	for p := g + 1; p <= n+1; p++ {
		leg, next := r.beyond(in, g, p, legOut)
		ve.step(f, l, leg, next, nf, nl, nil)
		if p <= n && slices.Equal(nf, r.at(r.free, p)) && slices.Equal(nl, r.at(r.late, p)) {
			return r.lateness, r.back // from here on, the route's own schedule
		}
		f, nf, l, nl = nf, f, nl, l
	}
	k, ok := r.endState(in, f, l)
	if !ok {
		return 0, never
	}
	return l[k], f[k]
}

// beyond returns, for the route with a job put into gap g (legOut from
// it to place g+1), the travel into place p > g and the job there (nil
// at the end location): what following the rest of the route steps to.
func (r *route) beyond(in *instance, g, p int, legOut int64) (int64, *job) {
	leg := r.leg[p]
	if p == g+1 {
		leg = legOut
	}
	if p > len(r.seq) {
		return leg, nil
	}
	return leg, r.job(in, p)
}

// trial returns a copy of the route, owned by nobody, with job jb put
// into gap g as an extra job, updated: the full schedule of an insertion
// that Suggest, Slots and Check describe.
func (r *route) trial(in *instance, jb *job, g int) (*route, bool) {
	t := &route{v: r.v, extra: append(slices.Clone(r.extra), jb), ve: r.ve}
	t.seq = slices.Insert(slices.Clone(r.seq), g, -int32(len(t.extra)))
	ok := t.update(in)
	return t, ok
}

// visit is one event of a route's schedule: a job at place p, or break b
// taken at place p; arrival is when the technician got to p (for a job).
type visit struct {
	p        int
	brk      int  // -1 for the job
	arrived  bool // a break taken at p after arriving there
	arrival  int64
	start    int64
	end      int64
	leg      int64 // travel into p, for a job
	departed int64 // when the technician left the place before, for a job
}

// timeline lays out the schedule the route keeps, in time order: each
// job with the breaks taken before leaving the place before it and after
// arriving, and the breaks at the end location. The route must be
// feasible and not empty.
func (r *route) timeline(in *instance, dst []visit) []visit {
	ve := r.vehicle(in)
	n := len(r.seq)
	for p := 1; p <= n+1; p++ {
		a, b := int(r.path[p-1]), int(r.path[p])
		split := int(r.links[p*r.nk+b].split)
		t := r.free[(p-1)*r.nk+a]
		for k := a; k < split; k++ {
			bs := &ve.breaks[k]
			s := max(t, bs.earliest)
			dst = append(dst, visit{p: p - 1, brk: k, start: s, end: s + bs.dur})
			t = s + bs.dur
		}
		departed := t
		t += r.leg[p]
		arrival := t
		if p == n+1 {
			for k := b; k < len(ve.breaks); k++ {
				bs := &ve.breaks[k]
				s := max(t, bs.earliest)
				dst = append(dst, visit{p: p, brk: k, arrived: true, start: s, end: s + bs.dur})
				t = s + bs.dur
			}
			break
		}
		for k := split; k < b; k++ {
			bs := &ve.breaks[k]
			s := max(t, bs.earliest)
			dst = append(dst, visit{p: p, brk: k, arrived: true, start: s, end: s + bs.dur})
			t = s + bs.dur
		}
		jb := r.job(in, p)
		dst = append(dst, visit{p: p, brk: -1, arrival: arrival, start: r.start[p], end: r.start[p] + jb.dur, leg: r.leg[p], departed: departed})
	}
	return dst
}
