package solver

import (
	"math/rand/v2"
	"slices"
)

// Crossover: each searcher keeps a small pool of diverse local optima
// from its own trajectory and, now and then, instead of a ruin, crosses
// its current solution with a pool member by selective route exchange
// (after Nagata & Kobayashi's SREX): a few routes of the member, around a
// random job, replace the current solution's routes that share most jobs
// with them; the jobs that this leaves out are put back by recreate, and
// the child is educated by local search and judged by the annealing like
// any candidate. Routes are moved whole only onto an empty vehicle of the
// same class (interchangeable vehicles), and a route holding a pinned job
// or a job from outside the instance never moves, so that every
// constraint holds by construction.
const (
	// poolSize is the number of solutions a searcher keeps.
	poolSize = 8
	// poolEvery is the number of iterations between offers of the current
	// solution to the pool.
	poolEvery = 100
	// crossEvery: one iteration in crossEvery crosses, once the pool has a
	// member and every order of the current solution is served.
	crossEvery = 20
	// crossRoutes is the most routes a crossover takes from the member.
	crossRoutes = 4
	// crossShare: a crossover takes at most one in crossShare of the
	// member's routes, so that a child keeps most of the current solution.
	crossShare = 5
	// crossFrom is the share of the search before the first crossover:
	// early on, ruin and recreate gains faster and the pool is poor.
	crossFrom = 0.25
)

// elite is a pool member: a solution, its cost and its successor array.
type elite struct {
	s    *solution
	cost float64
	succ []int32
}

// pool is a searcher's elite solutions and the crossover's buffers.
type pool struct {
	members []elite
	succ    []int32 // the successor array of the solution offered
	mark    []bool  // per job: on one of the member's routes taken
	count   []int32 // per vehicle: jobs of the routes taken it holds
	fromB   []int32 // the member's vehicles whose routes are taken
	intoA   []int32 // the current solution's vehicles cleared
	seq     []int32
	take    []int32
	used    []bool // per vehicle: received a route
}

// successors fills succ with each job's successor on its route: -1 for the
// end of a route (or a job from outside the instance), -2 when unassigned.
func successors(s *solution, succ []int32) []int32 {
	succ = grow(succ, len(s.where))
	for j := range succ {
		succ[j] = -2
	}
	for _, r := range s.routes {
		for p, j := range r.seq {
			if j < 0 {
				continue
			}
			next := int32(-1)
			if p+1 < len(r.seq) && r.seq[p+1] >= 0 {
				next = r.seq[p+1]
			}
			succ[j] = next
		}
	}
	return succ
}

// brokenPairs is the share of jobs whose successor differs between two
// successor arrays (the broken-pairs distance).
func brokenPairs(a, b []int32) float64 {
	if len(a) == 0 {
		return 0
	}
	n := 0
	for j := range a {
		if a[j] != b[j] {
			n++
		}
	}
	return float64(n) / float64(len(a))
}

// offer gives the pool a copy of s, a local optimum with every order
// served, at cost c. While the pool has room it takes s unless it holds
// s already; then s replaces its nearest member (by broken pairs) if it
// is cheaper, so that the pool stays spread over the search's path.
func (p *pool) offer(s *solution, c float64) {
	if len(s.free) > 0 {
		return
	}
	p.succ = successors(s, p.succ)
	near, nearD := -1, 2.0
	for i := range p.members {
		if d := brokenPairs(p.succ, p.members[i].succ); d < nearD {
			near, nearD = i, d
		}
	}
	switch {
	case len(p.members) < poolSize && nearD > 0:
		p.members = append(p.members, elite{s: s.copy(), cost: c, succ: slices.Clone(p.succ)})
	case near >= 0 && c < p.members[near].cost-1e-9:
		m := &p.members[near]
		m.s, m.cost = s.copy(), c
		m.succ = append(m.succ[:0], p.succ...)
	}
}

// movable reports whether route r may move to another solution whole: it
// has jobs, none pinned and none from outside the instance.
func movable(in *instance, r *route) bool {
	if len(r.seq) == 0 {
		return false
	}
	for _, j := range r.seq {
		if j < 0 || in.jobs[j].fixed >= 0 {
			return false
		}
	}
	return true
}

// cross turns child, a copy of the current solution a, into a crossing of
// a with member b: a few of b's routes near a random job replace a's
// routes that share most jobs with them, and the jobs of a's routes that
// none of b's routes holds are left unassigned, for recreate. It reports
// whether anything changed.
func (p *pool) cross(rng *rand.Rand, a, b, child *solution) bool {
	in := a.in
	nv := len(a.routes)
	p.mark = grow(p.mark, len(in.jobs))
	p.count = grow(p.count, nv)
	p.used = grow(p.used, nv)
	clear(p.mark)
	clear(p.count)
	clear(p.used)

	// The member's routes: that of a random job and of its neighbours.
	seed := int32(-1)
	for range 32 {
		j := int32(rng.IntN(len(in.jobs)))
		if v := b.where[j]; v >= 0 && movable(in, b.routes[v]) {
			seed = j
			break
		}
	}
	if seed < 0 {
		return false
	}
	used := 0
	for _, r := range b.routes {
		if len(r.seq) > 0 {
			used++
		}
	}
	k := 1 + rng.IntN(min(crossRoutes, max(1, used/crossShare)))
	p.fromB = p.fromB[:0]
	pick := func(j int32) {
		v := b.where[j]
		if v < 0 || slices.Contains(p.fromB, v) || !movable(in, b.routes[v]) {
			return
		}
		p.fromB = append(p.fromB, v)
		for _, x := range b.routes[v].seq {
			p.mark[x] = true
		}
	}
	pick(seed)
	for _, j := range in.neighbours[seed] {
		if len(p.fromB) >= k {
			break
		}
		pick(j)
	}

	// a's routes that hold most of their jobs, as many.
	for j, on := range p.mark {
		if v := a.where[j]; on && v >= 0 {
			p.count[v]++
		}
	}
	p.intoA = p.intoA[:0]
	for range len(p.fromB) {
		top := -1
		for v, c := range p.count {
			if c > 0 && (top < 0 || c > p.count[top]) {
				top = v
			}
		}
		if top < 0 {
			break
		}
		p.intoA = append(p.intoA, int32(top))
		p.count[top] = 0
	}

	// Clear a's routes, then move b's routes onto empty vehicles of their
	// class, their own first, then a cleared one, then any.
	for _, u := range p.intoA {
		p.take = p.take[:0]
		for _, j := range child.routes[u].seq {
			if j >= 0 && in.jobs[j].fixed < 0 {
				p.take = append(p.take, j)
			}
		}
		child.removeAll(u, p.take, nil)
	}
	changed := len(p.intoA) > 0
	for _, v := range p.fromB {
		u := p.target(child, v)
		if u < 0 {
			continue
		}
		// Take the route's jobs out of where they are in the child.
		p.take = append(p.take[:0], b.routes[v].seq...)
		slices.SortFunc(p.take, func(x, y int32) int { return int(child.where[x]) - int(child.where[y]) })
		for i := 0; i < len(p.take); {
			w := child.where[p.take[i]]
			e := i + 1
			for e < len(p.take) && child.where[p.take[e]] == w {
				e++
			}
			if w >= 0 {
				child.removeAll(w, p.take[i:e], nil)
			}
			i = e
		}
		p.seq = p.seq[:0]
		for _, j := range b.routes[v].seq {
			if child.where[j] < 0 {
				p.seq = append(p.seq, j)
			}
		}
		if len(p.seq) == 0 {
			continue
		}
		r := child.own(u)
		r.seq = append(r.seq[:0], p.seq...)
		if !r.update(in) || !r.withinLimits() {
			r.seq = r.seq[:0]
			r.update(in)
			continue
		}
		p.used[u] = true
		for _, j := range r.seq {
			child.markAssigned(j, u)
		}
		changed = true
	}
	return changed
}

// target returns an empty vehicle of the child, of the class of b's
// vehicle v, to take b's route v: v itself if it can, then a cleared
// one, then any; -1 if none is.
func (p *pool) target(child *solution, v int32) int32 {
	in := child.in
	class := in.vehicles[v].class
	free := func(u int32) bool {
		return !p.used[u] && len(child.routes[u].seq) == 0 && in.vehicles[u].class == class
	}
	if free(v) {
		return v
	}
	for _, u := range p.intoA {
		if free(u) {
			return u
		}
	}
	for u := range child.routes {
		if free(int32(u)) {
			return int32(u)
		}
	}
	return -1
}

// crossover makes cand, a copy of the current solution, a crossing of it
// with a random pool member, one iteration in crossEvery while every order
// is served; it reports whether it did.
func (w *searcher) crossover(cand *solution, progress float64) bool {
	if progress < crossFrom || len(w.pool.members) == 0 || len(w.cur.free) > 0 || w.it%crossEvery != crossEvery-1 {
		return false
	}
	b := w.pool.members[w.rng.IntN(len(w.pool.members))].s
	return w.pool.cross(w.rng, w.cur, b, cand)
}
