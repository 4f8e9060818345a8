package solver

// Moves of two jobs in a row (u and the job after it on its route), as in
// the local search of hybrid genetic search (Vidal et al. 2012): the pair
// relocated before or after a neighbour x on any route, its own included
// (or-opt), and, between routes, the pair swapped with x or with x and the
// job after it. They are priced by travel and filtered like the one-job
// moves (localsearch.go), then laid out exactly.

// trySegments tries the moves of u and the job after it with the
// neighbour x, and makes the first that improves the objective; it
// reports whether it did.
func (ls *localSearch) trySegments(s *solution, u, x int32) bool {
	in := s.in
	vu, vx := s.where[u], s.where[x]
	ru, rx := s.routes[vu], s.routes[vx]
	i, k := int(ls.pos[u]), int(ls.pos[x]) // seq indices; places i+1, k+1
	if i+1 >= len(ru.seq) {
		return false // u is the last job: no pair
	}
	u2 := ru.seq[i+1]
	if u2 == x || in.jobs[u2].fixed >= 0 {
		return false
	}
	// Inlined, as the method value would not be (see travelTable.cost).
	c := func(a, b int32) float64 { return in.tt.cost(a, b) }
	lu, lu2, lx := in.jobs[u].loc, in.jobs[u2].loc, in.jobs[x].loc
	pu, nu := ru.loc[i], ru.loc[i+3] // before u, after u2
	px, nx := rx.loc[k], rx.loc[k+2] // before x, after x
	// Taking the pair out saves this much travel, its own leg aside.
	out := c(pu, lu) + c(lu2, nu) - c(pu, nu)
	if len(ru.seq) == 2 {
		out = c(pu, lu) + c(lu2, nu) // the route becomes empty
	}
	if vu == vx {
		if k != i-1 {
			if d := c(lx, lu) + c(lu2, nx) - c(lx, nx) - out; d < -lsEps && ls.moveSegment(s, vu, i, 2, vu, k+1) {
				return true
			}
		}
		if k != i+2 {
			if d := c(px, lu) + c(lu2, lx) - c(px, lx) - out; d < -lsEps && ls.moveSegment(s, vu, i, 2, vu, k) {
				return true
			}
		}
		return false
	}
	seg := ru.seq[i : i+2]
	if ls.qualified(vx, seg) {
		pair := ls.pairCost(vx, seg) - ls.pairCost(vu, seg)
		if d := c(lx, lu) + c(lu2, nx) - c(lx, nx) - out + pair; d < -lsEps && ls.moveSegment(s, vu, i, 2, vx, k+1) {
			return true
		}
		if d := c(px, lu) + c(lu2, lx) - c(px, lx) - out + pair; d < -lsEps && ls.moveSegment(s, vu, i, 2, vx, k) {
			return true
		}
		// The pair for x alone.
		one := rx.seq[k : k+1]
		if in.jobs[x].fixed < 0 && ls.qualified(vu, one) {
			d := c(pu, lx) + c(lx, nu) - c(pu, lu) - c(lu2, nu) +
				c(px, lu) + c(lu2, nx) - c(px, lx) - c(lx, nx) +
				pair + ls.pairCost(vu, one) - ls.pairCost(vx, one)
			if d < -lsEps && ls.swapSegments(s, vu, i, 2, vx, k, 1) {
				return true
			}
		}
		// The pair for x and the job after it.
		if k+1 < len(rx.seq) {
			two := rx.seq[k : k+2]
			x2 := two[1]
			if in.jobs[x].fixed < 0 && in.jobs[x2].fixed < 0 && ls.qualified(vu, two) {
				lx2, nx2 := in.jobs[x2].loc, rx.loc[k+3]
				d := c(pu, lx) + c(lx2, nu) - c(pu, lu) - c(lu2, nu) +
					c(px, lu) + c(lu2, nx2) - c(px, lx) - c(lx2, nx2) +
					pair + ls.pairCost(vu, two) - ls.pairCost(vx, two)
				if d < -lsEps && ls.swapSegments(s, vu, i, 2, vx, k, 2) {
					return true
				}
			}
		}
	}
	return false
}

// qualified reports whether technician v may do every job of seg.
func (ls *localSearch) qualified(v int32, seg []int32) bool {
	nj := len(ls.in.jobs)
	for _, j := range seg {
		if !ls.in.ok[int(v)*nj+int(j)] {
			return false
		}
	}
	return true
}

// pairCost is the static cost of technician v doing the jobs of seg.
func (ls *localSearch) pairCost(v int32, seg []int32) float64 {
	nj := len(ls.in.jobs)
	sum := 0.0
	for _, j := range seg {
		sum += ls.in.pair[int(v)*nj+int(j)]
	}
	return sum
}

// moveSegment moves the n jobs from index i of route vu to gap at of
// route vx (an index into vx's jobs as they are, the segment still in
// place; on the same route, not inside the segment), if that is feasible
// and cheaper: relocate for one job, or-opt for more. Taking jobs out
// never makes a route infeasible in time, so only the route that gains
// them, or on the same route the jobs between the old place and the new,
// is tested before the routes are laid out.
func (ls *localSearch) moveSegment(s *solution, vu int32, i, n int, vx int32, at int) bool {
	ru, rx := s.routes[vu], s.routes[vx]
	seg := ru.seq[i : i+n]
	if vu == vx {
		// The jobs between the segment and its new place move too.
		if prefilter && (at < i && !ls.joins(ru, at, ls.chainOf(seg, ru.seq[at:i]), ru, i+n+1) ||
			at > i+n && !ls.joins(ru, i, ls.chainOf(ru.seq[i+n:at], seg), ru, at+1)) {
			return false
		}
		seq := append(ls.seqA[:0], ru.seq[:min(i, at)]...)
		if at < i {
			seq = append(append(append(seq, seg...), ru.seq[at:i]...), ru.seq[i+n:]...)
		} else {
			seq = append(append(append(seq, ru.seq[i+n:at]...), seg...), ru.seq[at:]...)
		}
		ls.seqA = seq
		return ls.commit(s, vu, seq, -1, nil)
	}
	if prefilter && (!rx.takes(s.in, seg, nil) || !ls.joins(rx, at, seg, rx, at+1)) {
		return false
	}
	a := append(append(ls.seqA[:0], ru.seq[:i]...), ru.seq[i+n:]...)
	b := append(append(append(ls.seqB[:0], rx.seq[:at]...), seg...), rx.seq[at:]...)
	ls.seqA, ls.seqB = a, b
	return ls.commit(s, vu, a, vx, b)
}

// swapSegments exchanges the na jobs from index i of route vu with the nb
// jobs from index k of route vx, if that is feasible and cheaper: swap for
// one job each.
func (ls *localSearch) swapSegments(s *solution, vu int32, i, na int, vx int32, k, nb int) bool {
	ru, rx := s.routes[vu], s.routes[vx]
	sa, sb := ru.seq[i:i+na], rx.seq[k:k+nb]
	if prefilter && (!ru.takes(s.in, sb, sa) || !rx.takes(s.in, sa, sb) ||
		!ls.joins(ru, i, sb, ru, i+na+1) || !ls.joins(rx, k, sa, rx, k+nb+1)) {
		return false
	}
	a := append(append(append(ls.seqA[:0], ru.seq[:i]...), sb...), ru.seq[i+na:]...)
	b := append(append(append(ls.seqB[:0], rx.seq[:k]...), sa...), rx.seq[k+nb:]...)
	ls.seqA, ls.seqB = a, b
	return ls.commit(s, vu, a, vx, b)
}

// chainOf returns the jobs of a then b in a buffer of the local search.
func (ls *localSearch) chainOf(a, b []int32) []int32 {
	ls.seqC = append(append(ls.seqC[:0], a...), b...)
	return ls.seqC
}

// takes reports whether the route has room under max_jobs and capacity
// for the jobs add instead of the jobs drop.
func (r *route) takes(in *instance, add, drop []int32) bool {
	if len(add) > len(drop) && r.room < len(add)-len(drop) {
		return false
	}
	if r.capLeft == nil {
		return true
	}
	for d := range in.dims {
		gain := 0.0
		for _, j := range add {
			gain += demand(&in.jobs[j], d)
		}
		for _, j := range drop {
			gain -= demand(&in.jobs[j], d)
		}
		if gain > r.left(d)+capacityEps {
			return false
		}
	}
	return true
}
