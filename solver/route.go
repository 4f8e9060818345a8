package solver

import "slices"

// A route is one technician's day as a sequence of visits: a job index
// (≥ 0) or a break, written -(b+1) for the vehicle's break b. A break has
// no place of its own: the technician takes it where they are — after the
// previous stop, before leaving for the next job; a break after the last
// job is taken at the end location, once back.
//
// For every position p in [0, len(seq)+1] — 0 is the start location and
// len(seq)+1 the end location — update keeps the earliest schedule and
// the latest start that keeps everything after p feasible, so that an
// insertion is checked in constant time (forward/backward time slack, as
// in Savelsbergh's and Vidal's work, extended to several windows per job:
// with start times monotone in arrival, arriving by lst[p] is enough).
type route struct {
	v   int32
	seq []int32

	loc  []int32 // where the technician is at p
	leg  []int64 // travel time into p (zero into a break)
	est  []int64 // earliest start at p (at the depots: departure, arrival)
	dep  []int64 // earliest departure from p
	lst  []int64 // latest start at p that keeps the rest feasible
	next []int32 // place of the first job after p, or the end location
	// slack[p] is the waiting after p: a delay at p shrinks by it before it
	// reaches the end (exact while no multi-window job lies after p).
	slack []int64
	// late[p] is the SLA lateness (ms) of the jobs at p and after.
	late []int64

	jobs int
	// lastJob is the position of the last job (0 when there is none);
	// breaks after it are taken at the end location.
	lastJob int
	// back is when the technician reaches the end location.
	back int64
	load []float64
	work int64   // service time of the jobs, ms
	arcs float64 // Σ arc costs
	soft float64 // weighted lateness and overtime
	pair float64 // Σ static pair costs
	// lastTimed is the last position holding a job whose push does not
	// simply shrink by waiting (several windows) or that has a deadline.
	lastTimed int

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
	c.leg = slices.Clone(r.leg)
	c.est = slices.Clone(r.est)
	c.dep = slices.Clone(r.dep)
	c.lst = slices.Clone(r.lst)
	c.next = slices.Clone(r.next)
	c.slack = slices.Clone(r.slack)
	c.late = slices.Clone(r.late)
	c.load = slices.Clone(r.load)
	c.owner = s
	return &c
}

func grow[T any](s []T, n int) []T {
	if cap(s) >= n {
		return s[:n]
	}
	return make([]T, n, n+n/2+4)
}

// update recomputes the schedule, bounds and costs of the route and
// reports whether it is feasible.
func (r *route) update(in *instance) bool {
	m := len(r.seq)
	n := m + 2
	r.loc, r.est, r.dep, r.lst = grow(r.loc, n), grow(r.est, n), grow(r.dep, n), grow(r.lst, n)
	r.leg = grow(r.leg, n)
	r.next, r.slack, r.late = grow(r.next, n), grow(r.slack, n), grow(r.late, n)
	r.load = grow(r.load, in.dims)
	clear(r.load)
	ve := &in.vehicles[r.v]
	tt := in.tt
	feasible := true
	r.jobs, r.work, r.arcs, r.pair, r.lastTimed, r.lastJob = 0, 0, 0, 0, 0, 0
	for p := m; p >= 1; p-- {
		if r.seq[p-1] >= 0 {
			r.lastJob = p
			break
		}
	}
	nj := len(in.jobs)

	r.loc[0], r.est[0], r.dep[0], r.leg[0] = ve.startLoc, ve.shiftStart, ve.shiftStart, 0
	for p := 1; p <= m; p++ {
		x := r.seq[p-1]
		if x < 0 {
			// A break stays where the technician is; after the last job,
			// they first go to the end location.
			r.loc[p], r.leg[p] = r.loc[p-1], 0
			if r.lastJob > 0 && p > r.lastJob {
				r.loc[p] = ve.endLoc
				r.leg[p] = tt.dur(r.loc[p-1], ve.endLoc)
			}
			b := &ve.breaks[-x-1]
			s := max(r.dep[p-1]+r.leg[p], b.earliest)
			feasible = feasible && s <= b.latest
			r.est[p], r.dep[p] = s, s+b.dur
			continue
		}
		jb := &in.jobs[x]
		leg, cost := tt.arc(r.loc[p-1], jb.loc)
		r.leg[p] = leg
		arr := r.dep[p-1] + r.leg[p]
		s, ok := jb.firstStart(arr)
		if !ok {
			feasible, s = false, arr
		}
		r.loc[p], r.est[p], r.dep[p] = jb.loc, s, s+jb.dur
		r.arcs += cost
		r.jobs++
		r.work += jb.dur
		if in.pair != nil {
			r.pair += in.pair[int(r.v)*nj+int(x)]
		}
		for k, d := range jb.demand {
			r.load[k] += d
		}
		if jb.multiWindow || jb.deadline != never {
			r.lastTimed = p
		}
	}
	e := m + 1
	r.loc[e] = ve.endLoc
	r.leg[e] = tt.dur(r.loc[m], ve.endLoc) // zero after breaks taken there
	r.est[e] = r.dep[m] + r.leg[e]
	r.dep[e] = r.est[e]
	r.back = r.est[e]
	if r.lastJob > 0 {
		leg, cost := tt.arc(r.loc[r.lastJob], ve.endLoc)
		r.arcs += cost
		r.back = r.dep[r.lastJob] + leg
	}
	feasible = feasible && r.est[e] <= ve.latestEnd

	// Backward: latest starts, next job's place, waiting and lateness.
	r.lst[e], r.next[e], r.slack[e], r.late[e] = ve.latestEnd, ve.endLoc, 0, 0
	nextLoc := ve.endLoc
	for p := m; p >= 0; p-- {
		r.next[p] = nextLoc
		bound := r.lst[p+1] - r.leg[p+1]
		r.slack[p] = r.slack[p+1] + r.est[p+1] - r.dep[p] - r.leg[p+1]
		r.late[p] = r.late[p+1]
		if p == 0 {
			r.lst[0] = bound
			break
		}
		x := r.seq[p-1]
		if x < 0 {
			b := &ve.breaks[-x-1]
			r.lst[p] = min(b.latest, bound-b.dur)
			continue
		}
		jb := &in.jobs[x]
		l, ok := jb.lastStart(bound - jb.dur)
		if !ok {
			l, feasible = always, false
		}
		r.lst[p] = l
		nextLoc = jb.loc
		if jb.deadline != never {
			r.late[p] += max(0, r.dep[p]-jb.deadline)
		}
	}
	r.soft = r.softCost(in, r.late[0], r.back)
	return feasible
}

// softCost weighs lateness (ms) and the return time into the objective.
func (r *route) softCost(in *instance, late, back int64) float64 {
	if !in.timeSoft || len(r.seq) == 0 {
		return 0
	}
	over := max(0, back-in.vehicles[r.v].shiftEnd)
	return in.w.Lateness*float64(late)/msPerMi + in.w.Overtime*float64(over)/msPerMi
}

// fits reports whether the route has room for one more job of the given
// demand: job count and capacity.
func (r *route) fits(in *instance, jb *job) bool {
	ve := &in.vehicles[r.v]
	if ve.maxJobs > 0 && r.jobs+ve.doneJobs >= ve.maxJobs {
		return false
	}
	if ve.capacity == nil {
		return true
	}
	for k, d := range jb.demand {
		c := 0.0
		if k < len(ve.capacity) {
			c = ve.capacity[k]
		}
		have := 0.0
		if k < len(r.load) {
			have = r.load[k]
		}
		if k < len(ve.doneLoad) {
			have += ve.doneLoad[k]
		}
		if have+d > c+capacityEps {
			return false
		}
	}
	return true
}

// insertion is the effect of putting a job into a gap of a route.
type insertion struct {
	gap   int     // the job goes between positions gap and gap+1
	delta float64 // change of the objective, workload balance aside
	start int64   // the job's start
}

// tryGap checks putting job j into gap g (between positions g and g+1,
// at most the last job's position) of a non-empty route and returns the
// objective's change. It runs in constant time unless soft time costs must
// follow the schedule down the route; that walk is skipped when the rest
// of the cost already reaches bound, since later schedules only ever add
// cost.
func (r *route) tryGap(in *instance, j int32, g int, bound float64) (insertion, bool) {
	jb := &in.jobs[j]
	tt := in.tt
	legIn := tt.dur(r.loc[g], jb.loc)
	if r.dep[g]+legIn > jb.windows[len(jb.windows)-1].end {
		return insertion{}, false // too late for every window: spare the second lookup
	}
	nx := r.next[g]
	at, ok := r.tryAt(in, jb, g, legIn, tt.dur(jb.loc, nx))
	if !ok {
		return insertion{}, false
	}
	delta := tt.cost(r.loc[g], jb.loc) + tt.cost(jb.loc, nx) - tt.cost(r.loc[g], nx) +
		in.pair[int(r.v)*len(in.jobs)+int(j)]
	if in.timeSoft && delta < bound {
		delta += r.softDelta(in, jb, g, at)
	}
	return insertion{gap: g, delta: delta, start: at.start}, true
}

// placement is a feasible position of a job in a gap: when it starts, and
// the first visit after it (q, past any breaks) with when that visit is
// reached (for the end location after breaks taken there: when they end).
type placement struct {
	start  int64
	q      int
	arrQ   int64
	legOut int64 // travel from the job to the next job's place or the end
}

// tryAt checks putting job jb into gap g, given the travel into it from
// the place at g and out of it to the next job's place (or the end
// location). Time alone is checked: in a tight schedule most positions
// fail it, and it needs fewer lookups than the cost.
func (r *route) tryAt(in *instance, jb *job, g int, legIn, legOut int64) (placement, bool) {
	s, ok := jb.firstStart(r.dep[g] + legIn)
	if !ok {
		return placement{}, false
	}
	t := s + jb.dur
	q := g + 1
	var arrQ int64
	switch {
	case q <= len(r.seq) && r.seq[q-1] < 0 && g >= r.lastJob:
		// The job becomes the last: home first, then the breaks there.
		if t, q, ok = r.throughBreaks(in, t+legOut, q); !ok {
			return placement{}, false
		}
		arrQ = t
	case q <= len(r.seq) && r.seq[q-1] < 0:
		if t, q, ok = r.throughBreaks(in, t, q); !ok {
			return placement{}, false
		}
		arrQ = t + legOut
	default:
		arrQ = t + legOut
	}
	if arrQ > r.lst[q] {
		return placement{}, false
	}
	return placement{start: s, q: q, arrQ: arrQ, legOut: legOut}, true
}

// throughBreaks follows the breaks from position q on, which now come
// after a job that ends at t, and returns when the last ends and the
// position after them.
func (r *route) throughBreaks(in *instance, t int64, q int) (int64, int, bool) {
	ve := &in.vehicles[r.v]
	m := len(r.seq)
	for q <= m && r.seq[q-1] < 0 {
		b := &ve.breaks[-r.seq[q-1]-1]
		bs := max(t, b.earliest)
		if bs > b.latest {
			return 0, 0, false
		}
		t = bs + b.dur
		q++
	}
	return t, q, true
}

// softDelta is the change of lateness and overtime cost of putting job jb
// into gap g at the placement found for it.
func (r *route) softDelta(in *instance, jb *job, g int, at placement) float64 {
	own := int64(0)
	if jb.deadline != never {
		own = max(0, at.start+jb.dur-jb.deadline)
	}
	if r.pushOnly(in, at.q) {
		return r.softCost(in, r.late[0]+own, r.back+r.push(in, at)) - r.soft
	}
	late, back := r.walkFrom(in, g, at.start+jb.dur, at.legOut)
	return r.softCost(in, r.late[0]-r.late[g+1]+own+late, back) - r.soft
}

// pushOnly reports whether a delay at position q reaches the end simply
// shrunk by the waiting after q: no job from q on has a deadline or
// several windows, and no break moves the return.
func (r *route) pushOnly(in *instance, q int) bool {
	return r.lastTimed < q && r.lastJob == len(r.seq) && len(in.vehicles[r.v].breaks) == 0
}

// push returns how much later the technician is back when a job goes in
// at the placement, for a route where pushOnly holds at its q.
func (r *route) push(in *instance, at placement) int64 {
	newQ := at.arrQ
	if at.q <= len(r.seq) {
		newQ, _ = in.jobs[r.seq[at.q-1]].firstStart(at.arrQ)
	}
	return max(0, newQ-r.est[at.q]-r.slack[at.q])
}

// walkFrom follows the earliest schedule after a job inserted after
// position g that ends at t, legOut from the next job's place (or the end
// location), and returns the lateness of the jobs after it and the time
// the technician is back. A break after the route's last job (whether or
// not the new job joins before it) is taken at the end location, once
// back.
func (r *route) walkFrom(in *instance, g int, t, legOut int64) (late, back int64) {
	ve := &in.vehicles[r.v]
	// Once past the first job after the new one, every leg into p (a job,
	// the end location before the breaks there, or the end) leaves from
	// the place the route had at p-1: it is r.leg[p], already looked up.
	moved := false
	leg := func(p int) int64 {
		if !moved {
			return legOut
		}
		return r.leg[p]
	}
	home := false
	for p := g + 1; p <= len(r.seq); p++ {
		x := r.seq[p-1]
		if x < 0 {
			if p > r.lastJob && !home {
				t += leg(p)
				back, home = t, true
			}
			b := &ve.breaks[-x-1]
			t = max(t, b.earliest) + b.dur
			continue
		}
		next := &in.jobs[x]
		st, _ := next.firstStart(t + leg(p))
		t, moved = st+next.dur, true
		if next.deadline != never {
			late += max(0, t-next.deadline)
		}
	}
	if !home {
		back = t + leg(len(r.seq)+1)
	}
	return late, back
}
