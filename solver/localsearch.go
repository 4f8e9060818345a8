package solver

import (
	"math/rand/v2"
	"slices"
)

// Local search: after ruin and recreate finds a new best plan, moves of
// one job or one route tail between a job and its nearest neighbours —
// relocate (before or after the neighbour), swap, and 2-opt* (exchange
// the tails of two routes at the neighbour) — are tried until none
// improves. A move is first priced by its travel alone, from the travel
// table, which rules out nearly every one at the cost of a few lookups;
// the few that pass are checked exactly, by laying out the changed routes
// with the same schedule (breaks, windows, shift, lateness and overtime
// included) that every insertion uses, and the qualifications, capacity
// and max_jobs. So a move is taken only when the whole objective falls
// and every hard constraint still holds, whatever the day has.
const (
	// lsNeighbours is how many nearest neighbours of a job its moves go
	// to.
	lsNeighbours = 20
	// lsPasses bounds the passes over the jobs of changed routes: a pass
	// that changes nothing ends the search sooner.
	lsPasses = 8
)

// localSearch holds the buffers of one thread's local search.
type localSearch struct {
	in    *instance
	order []int32
	pos   []int32 // index of each assigned job in its route's seq
	dirty []bool  // per route: changed since its jobs' moves were last tried
	a, b  *route  // trial routes
	seqA  []int32
	seqB  []int32
	seqC  []int32 // chainOf's
	// deep adds the moves of two jobs in a row (segments.go).
	deep   bool
	budget *budget
	// SWAP*'s buffers (swapstar.go): per route, whether its jobs were
	// scanned since the last SWAP*; the pairs of routes to try.
	star         []bool
	mark         []uint32
	stamp        uint32
	pairs        []uint64
	sideA, sideB starSide
	// starGated says SWAP* runs only on solutions that cost less than
	// starBelow after the per-job moves.
	starGated bool
	starBelow float64
}

// improve applies improving moves to s until none is left, or the budget
// is spent; it reports whether s changed. When prev is not nil, s is prev
// changed in a few routes (routes are shared copy-on-write, so a changed
// route is another route), and prev had no improving move left: the
// moves worth trying are those of jobs on the changed routes, and then
// of jobs on the routes that moves changed.
func (ls *localSearch) improve(s, prev *solution, rng *rand.Rand) bool {
	in := s.in
	if ls.a == nil {
		ls.a, ls.b = newRoute(0), newRoute(0)
	}
	ls.pos = grow(ls.pos, len(in.jobs))
	ls.dirty = grow(ls.dirty, len(s.routes))
	for v, r := range s.routes {
		ls.index(r)
		ls.dirty[v] = prev == nil || len(prev.routes) != len(s.routes) || prev.routes[v] != r
	}
	ls.star = grow(ls.star, len(s.routes))
	clear(ls.star)
	changed := false
	for {
		if ls.passes(s, rng) {
			changed = true
		}
		// With no per-job move left, SWAP* between routes near the
		// changed ones; the routes it changes are searched again.
		if ls.budget.searchSpent() || ls.starGated && s.cost() >= ls.starBelow || !ls.swapStar(s) {
			return changed
		}
		changed = true
	}
}

// passes runs passes of the per-job moves over the jobs of dirty routes
// until one changes nothing, at most lsPasses; it reports whether s
// changed.
func (ls *localSearch) passes(s *solution, rng *rand.Rand) bool {
	in := s.in
	changed := false
	for range lsPasses {
		ls.order = ls.order[:0]
		for v, r := range s.routes {
			if !ls.dirty[v] {
				continue
			}
			ls.dirty[v] = false
			ls.star[v] = true
			for _, j := range r.seq {
				if in.jobs[j].fixed < 0 {
					ls.order = append(ls.order, j)
				}
			}
		}
		if len(ls.order) == 0 {
			break
		}
		rng.Shuffle(len(ls.order), func(a, b int) { ls.order[a], ls.order[b] = ls.order[b], ls.order[a] })
		for _, u := range ls.order {
			if ls.budget.searchSpent() {
				return changed
			}
			nb := in.neighbours[u]
			for _, x := range nb[:min(len(nb), lsNeighbours)] {
				if s.where[x] < 0 || s.where[u] < 0 {
					continue
				}
				if ls.tryPair(s, u, x) || ls.deep && ls.trySegments(s, u, x) {
					changed = true
				}
			}
		}
	}
	return changed
}

func (ls *localSearch) index(r *route) {
	for i, j := range r.seq {
		ls.pos[j] = int32(i)
	}
}

// tryPair tries the moves between job u and its neighbour x, and makes
// the first that improves the objective; it reports whether it did.
func (ls *localSearch) tryPair(s *solution, u, x int32) bool {
	in := s.in
	tt := in.tt
	vu, vx := s.where[u], s.where[x]
	ru, rx := s.routes[vu], s.routes[vx]
	i, k := int(ls.pos[u]), int(ls.pos[x]) // seq indices; places i+1, k+1
	lu, lx := in.jobs[u].loc, in.jobs[x].loc
	nj := len(in.jobs)
	pu, nu := ru.loc[i], ru.loc[i+2] // around u
	px, nx := rx.loc[k], rx.loc[k+2] // around x
	// Inlined, as the method value would not be (see travelTable.cost).
	c := func(a, b int32) float64 { return tt.cost(a, b) }
	// The legs most moves price, each looked up once.
	puLu, luNu, lxLu, luLx := c(pu, lu), c(lu, nu), c(lx, lu), c(lu, lx)
	pxLx, lxNx, pxLu, luNx := c(px, lx), c(lx, nx), c(px, lu), c(lu, nx)
	// Taking u out of its route saves this much travel.
	outU := puLu + luNu - c(pu, nu)
	if len(ru.seq) == 1 {
		outU = puLu + luNu // the route becomes empty: no legs at all
	}
	if vu != vx {
		okU := in.ok[int(vx)*nj+int(u)]
		pairU := in.pair[int(vx)*nj+int(u)] - in.pair[int(vu)*nj+int(u)]
		// Relocate u after x, then before x.
		if okU {
			if d := lxLu + luNx - lxNx - outU + pairU; d < -lsEps {
				if ls.moveSegment(s, vu, i, 1, vx, k+1) {
					return true
				}
			}
			if d := pxLu + luLx - pxLx - outU + pairU; d < -lsEps {
				if ls.moveSegment(s, vu, i, 1, vx, k) {
					return true
				}
			}
		}
		// Swap u and x.
		if okU && in.ok[int(vu)*nj+int(x)] && in.jobs[x].fixed < 0 {
			d := c(pu, lx) + c(lx, nu) - puLu - luNu +
				pxLu + luNx - pxLx - lxNx +
				pairU + in.pair[int(vu)*nj+int(x)] - in.pair[int(vx)*nj+int(x)]
			if d < -lsEps && ls.swapSegments(s, vu, i, 1, vx, k, 1) {
				return true
			}
		}
		// 2-opt*: u then x's tail from x on, and x's head then u's tail; or
		// x's head through x then u's tail from u on.
		if d := luLx + c(px, nu) - luNu - pxLx; d < -lsEps {
			if ls.tails(s, vu, i+1, vx, k) {
				return true
			}
		}
		if d := lxLu + c(pu, nx) - lxNx - puLu; d < -lsEps {
			if ls.tails(s, vu, i, vx, k+1) {
				return true
			}
		}
		return false
	}
	// The same route: relocate u after x, or before it.
	if k != i-1 {
		if d := lxLu + luNx - lxNx - outU; d < -lsEps && ls.moveSegment(s, vu, i, 1, vx, k+1) {
			return true
		}
	}
	if k != i+1 {
		if d := pxLu + luLx - pxLx - outU; d < -lsEps && ls.moveSegment(s, vu, i, 1, vx, k) {
			return true
		}
	}
	return false
}

// lsEps is the least gain a move must bring: float noise is no gain.
const lsEps = 1e-7

// tails gives route vu its jobs before index i followed by route vx's
// from index k on, and route vx its jobs before k followed by vu's from i
// on, if that is feasible and cheaper; a pinned job never changes route.
func (ls *localSearch) tails(s *solution, vu int32, i int, vx int32, k int) bool {
	in := s.in
	ru, rx := s.routes[vu], s.routes[vx]
	nj := len(in.jobs)
	for _, j := range ru.seq[i:] {
		if in.jobs[j].fixed >= 0 || !in.ok[int(vx)*nj+int(j)] {
			return false
		}
	}
	for _, j := range rx.seq[k:] {
		if in.jobs[j].fixed >= 0 || !in.ok[int(vu)*nj+int(j)] {
			return false
		}
	}
	// Each head must reach the other's tail in time. The tail's latest
	// times are its own technician's, the same for the other only when the
	// two end alike (the same place, the same latest end, the same breaks).
	if prefilter && sameEnd(ru.vehicle(in), rx.vehicle(in)) &&
		(!ls.joins(ru, i, nil, rx, k+1) || !ls.joins(rx, k, nil, ru, i+1)) {
		return false
	}
	if prefilter && (!ru.takes(in, rx.seq[k:], ru.seq[i:]) || !rx.takes(in, ru.seq[i:], rx.seq[k:])) {
		return false
	}
	a := append(ls.seqA[:0], ru.seq[:i]...)
	a = append(a, rx.seq[k:]...)
	b := append(ls.seqB[:0], rx.seq[:k]...)
	b = append(b, ru.seq[i:]...)
	ls.seqA, ls.seqB = a, b
	return ls.commit(s, vu, a, vx, b)
}

// commit lays out route va with jobs a (and, when vb ≥ 0, route vb with
// jobs b) on trial routes and, if they are feasible and the objective
// falls, puts them into s.
func (ls *localSearch) commit(s *solution, va int32, a []int32, vb int32, b []int32) bool {
	in := s.in
	ta := ls.trial(ls.a, va, a)
	if ta == nil {
		return false
	}
	oa := s.routes[va]
	delta := routeCost(ta) - routeCost(oa)
	var tb, ob *route
	if vb >= 0 {
		if tb = ls.trial(ls.b, vb, b); tb == nil {
			return false
		}
		ob = s.routes[vb]
		delta += routeCost(tb) - routeCost(ob)
	}
	if w := in.w.WorkloadBalance; w != 0 && vb >= 0 && ta.work != oa.work {
		// Work moves between the two routes only: the crew's mean stays.
		mean := s.meanWork()
		dev := func(v int32, work int64) float64 {
			if !in.p.Technicians[in.vehicles[v].idx].IsActive() {
				return 0
			}
			return abs(float64(work) - mean)
		}
		delta += w * (dev(va, ta.work) + dev(vb, tb.work) - dev(va, oa.work) - dev(vb, ob.work)) / msPerMi
	}
	if delta >= -lsEps {
		return false
	}
	ls.dirty[va] = true
	if vb >= 0 {
		ls.dirty[vb] = true
	}
	ls.a = ls.put(s, va, ta)
	for _, j := range ta.seq {
		s.where[j] = va
	}
	ls.index(ta)
	if vb >= 0 {
		ls.b = ls.put(s, vb, tb)
		for _, j := range tb.seq {
			s.where[j] = vb
		}
		ls.index(tb)
	}
	return true
}

// routeCost is what a route adds to the objective, workload aside.
func routeCost(r *route) float64 { return r.arcs + r.soft + r.pair }

// trial lays out route v with the given jobs on scratch route t and
// returns it if every hard constraint holds, else nil.
func (ls *localSearch) trial(t *route, v int32, seq []int32) *route {
	t.v = v
	t.seq = append(t.seq[:0], seq...)
	t.owner = nil
	if !t.update(ls.in) || !t.withinLimits() {
		return nil
	}
	return t
}

// put makes trial route t solution s's route v and returns a route to
// use as the next trial route: the one t replaced, if s owned it.
func (ls *localSearch) put(s *solution, v int32, t *route) *route {
	s.retries.changed(v)
	old := s.routes[v]
	t.owner = s
	s.routes[v] = t
	if old.owner == s {
		old.owner = nil
		return old
	}
	return newRoute(v)
}

// Constant-time filters: most moves that gain travel break a time window
// (on the Solomon instances 97 % of those laid out did), and each is ruled
// out here by necessary conditions from the route's bounds before a route
// is laid out: the soonest the technician can be free at a place, whatever
// breaks they took, and the latest they may reach a place, whatever breaks
// are left. Breaks only add time, so a move these rule out is infeasible;
// one they let through is laid out exactly.

// prefilter turns the filters on; tests turn it off to show that they
// rule out only what laying out would.
var prefilter = true

// joins reports whether a technician free at place p of route from, at the
// soonest, can serve jobs in turn and reach place q of route to by the
// latest time it may be reached.
func (ls *localSearch) joins(from *route, p int, jobs []int32, to *route, q int) bool {
	in := ls.in
	t := from.soon[p]
	if t >= never {
		return false
	}
	loc := from.loc[p]
	for _, j := range jobs {
		jb := &in.jobs[j]
		s, ok := jb.firstStart(t + in.tt.dur(loc, jb.loc))
		if !ok {
			return false
		}
		t, loc = s+jb.dur, jb.loc
	}
	return t+in.tt.dur(loc, to.loc[q]) <= to.rmax[q]
}

func demand(jb *job, k int) float64 {
	if k < len(jb.demand) {
		return jb.demand[k]
	}
	return 0
}

// sameEnd reports whether two technicians' routes end alike, so that the
// latest times of one's jobs hold for the other's: the same end place and
// latest end, the same breaks.
func sameEnd(a, b *vehicle) bool {
	return a == b || a.endLoc == b.endLoc && a.latestEnd == b.latestEnd && slices.Equal(a.breaks, b.breaks)
}
