package solver

import (
	"math"
	"slices"
)

// SWAP* (after Vidal, 2022): for two routes A and B that lie near each
// other, exchange a job u of A and a job v of B, each inserted at its
// best place in the other route — not necessarily where the other was.
// Priced by travel, every pair (u, v) takes constant time once the three
// cheapest feasible gaps of every job of each route in the other are
// known: v's removal spoils at most the two gaps beside it, so one of the
// three is still there, or u takes v's place. The best-priced exchanges
// of a pair of routes are then laid out exactly by commit, which keeps
// every hard constraint and takes a move only when the whole objective
// falls. The per-job moves cannot find these exchanges: a swap puts each
// job where the other was, and a relocate of one job alone usually breaks
// a window or the capacity.

// swapStarTries is how many of the best-priced exchanges of a pair of
// routes are laid out exactly.
const swapStarTries = 3

// gapCosts is, for one job and one other route, the three cheapest gaps
// of that route (gap g lies between places g and g+1) where the job fits
// in time, by travel, cheapest first; a missing one has gap -1.
type gapCosts struct {
	cost [3]float64
	gap  [3]int32
}

// add offers gap g at cost c.
func (gc *gapCosts) add(g int32, c float64) {
	switch {
	case c < gc.cost[0]:
		gc.cost[2], gc.gap[2] = gc.cost[1], gc.gap[1]
		gc.cost[1], gc.gap[1] = gc.cost[0], gc.gap[0]
		gc.cost[0], gc.gap[0] = c, g
	case c < gc.cost[1]:
		gc.cost[2], gc.gap[2] = gc.cost[1], gc.gap[1]
		gc.cost[1], gc.gap[1] = c, g
	case c < gc.cost[2]:
		gc.cost[2], gc.gap[2] = c, g
	}
}

// without returns the cheapest of the gaps that stay when the job at
// index k of the route leaves it (gaps k and k+1 touch it), or the gap
// it leaves, at cost here, if that is cheaper.
func (gc *gapCosts) without(k int32, here float64) (int32, float64) {
	for t := range gc.gap {
		g := gc.gap[t]
		if g < 0 {
			break
		}
		if g != k && g != k+1 {
			if gc.cost[t] <= here { // the gap is known to fit in time
				return g, gc.cost[t]
			}
			break
		}
	}
	return k, here
}

// starSide holds, for each job of one route, what the other route offers
// it: whether it may move there, its three cheapest gaps there, and what
// taking it out of its own route saves.
type starSide struct {
	movable []bool
	gaps    []gapCosts
	out     []float64
	legs    []float64 // the travel cost of each gap of the route itself
}

// starMove is an exchange priced by travel: the jobs at indices i of A
// and k of B, going to gap ga of A and gb of B (indices of the routes as
// they are).
type starMove struct {
	delta  float64
	i, k   int32
	ga, gb int32
}

// swapStar runs SWAP* over the pairs of routes, one of which was marked
// in ls.star (its jobs were scanned by the per-job moves since the last
// SWAP*), that lie near each other: a job of one has a job of the other
// among its nearest neighbours. It reports whether it changed s; the
// routes it changes are marked dirty for the per-job moves.
func (ls *localSearch) swapStar(s *solution) bool {
	in := s.in
	nr := len(s.routes)
	ls.mark = grow(ls.mark, nr)
	ls.pairs = ls.pairs[:0]
	for a := range nr {
		if !ls.star[a] {
			continue
		}
		ls.star[a] = false
		ls.stamp++
		for _, u := range s.routes[a].seq {
			nb := in.neighbours[u]
			for _, x := range nb[:min(len(nb), lsNeighbours)] {
				b := int(s.where[x])
				if b < 0 || b == a || ls.mark[b] == ls.stamp {
					continue
				}
				ls.mark[b] = ls.stamp
				ls.pairs = append(ls.pairs, uint64(min(a, b))<<32|uint64(max(a, b)))
			}
		}
	}
	slices.Sort(ls.pairs)
	ls.pairs = slices.Compact(ls.pairs)
	changed := false
	for _, p := range ls.pairs {
		if ls.budget.searchSpent() {
			break
		}
		if ls.swapPair(s, int32(p>>32), int32(p&math.MaxUint32)) {
			changed = true
		}
	}
	return changed
}

// swapPair tries the best-priced exchanges between routes a and b and
// makes the first that commit takes; it reports whether it made one.
func (ls *localSearch) swapPair(s *solution, a, b int32) bool {
	in := s.in
	ra, rb := s.routes[a], s.routes[b]
	if len(ra.seq) == 0 || len(rb.seq) == 0 {
		return false
	}
	ls.sideA.legsOf(in, ra)
	ls.sideB.legsOf(in, rb)
	ls.sideA.fill(in, ra, rb, ls.sideB.legs)
	ls.sideB.fill(in, rb, ra, ls.sideA.legs)
	// Inlined, as the method value would not be (see travelTable.cost).
	c := func(a, b int32) float64 { return in.tt.cost(a, b) }
	nj := len(in.jobs)
	pair := func(v int32, j int32) float64 {
		if in.pair == nil {
			return 0
		}
		return in.pair[int(v)*nj+int(j)]
	}
	var best [swapStarTries]starMove
	for t := range best {
		best[t].delta = -lsEps
	}
	A, B := &ls.sideA, &ls.sideB
	for i, u := range ra.seq {
		if !A.movable[i] {
			continue
		}
		lu := in.jobs[u].loc
		pairU := pair(b, u) - pair(a, u)
		for k, v := range rb.seq {
			if !B.movable[k] {
				continue
			}
			lv := in.jobs[v].loc
			// u in v's place and v in u's, by travel: checked in time only
			// for an exchange that would be among the best.
			hereU := c(rb.loc[k], lu) + c(lu, rb.loc[k+2]) - B.legs[k] - B.legs[k+1] + B.out[k]
			hereV := c(ra.loc[i], lv) + c(lv, ra.loc[i+2]) - A.legs[i] - A.legs[i+1] + A.out[i]
			rest := pairU + pair(a, v) - pair(b, v) - A.out[i] - B.out[k]
			gb, insU := A.gaps[i].without(int32(k), hereU)
			ga, insV := B.gaps[k].without(int32(i), hereV)
			if insU+insV+rest >= best[swapStarTries-1].delta {
				continue
			}
			if gb == int32(k) && !ls.joins(rb, k, ra.seq[i:i+1], rb, k+2) {
				gb, insU = A.gaps[i].without(int32(k), math.Inf(1))
			}
			if ga == int32(i) && !ls.joins(ra, i, rb.seq[k:k+1], ra, i+2) {
				ga, insV = B.gaps[k].without(int32(i), math.Inf(1))
			}
			d := insU + insV + rest
			if d >= best[swapStarTries-1].delta {
				continue
			}
			m := starMove{delta: d, i: int32(i), k: int32(k), ga: ga, gb: gb}
			t := swapStarTries - 1
			for ; t > 0 && d < best[t-1].delta; t-- {
				best[t] = best[t-1]
			}
			best[t] = m
		}
	}
	for _, m := range best {
		if m.delta >= -lsEps {
			break
		}
		u, v := ra.seq[m.i], rb.seq[m.k]
		ls.seqA = spliced(ls.seqA[:0], ra.seq, int(m.i), v, int(m.ga))
		ls.seqB = spliced(ls.seqB[:0], rb.seq, int(m.k), u, int(m.gb))
		if ls.commit(s, a, ls.seqA, b, ls.seqB) {
			return true
		}
	}
	return false
}

// legsOf keeps the travel cost of each gap of route r.
func (sd *starSide) legsOf(in *instance, r *route) {
	n := len(r.seq)
	sd.legs = grow(sd.legs, n+1)
	for g := range n + 1 {
		sd.legs[g] = in.tt.cost(r.loc[g], r.loc[g+1])
	}
}

// fill works out, for every job of route r, whether it may move to route
// o (the travel cost of whose gaps is legs), its three cheapest gaps
// there where it fits in time, and what taking it out of r saves, by
// travel.
func (sd *starSide) fill(in *instance, r, o *route, legs []float64) {
	n := len(r.seq)
	// Inlined, as the method value would not be (see travelTable.cost).
	c := func(a, b int32) float64 { return in.tt.cost(a, b) }
	sd.movable = grow(sd.movable, n)
	sd.gaps = grow(sd.gaps, n)
	sd.out = grow(sd.out, n)
	nj := len(in.jobs)
	no := len(o.seq)
	for i, j := range r.seq {
		jb := &in.jobs[j]
		sd.movable[i] = jb.fixed < 0 && in.ok[int(o.v)*nj+int(j)]
		sd.out[i] = sd.legs[i] + sd.legs[i+1] - c(r.loc[i], r.loc[i+2])
		gc := &sd.gaps[i]
		*gc = gapCosts{cost: [3]float64{math.Inf(1), math.Inf(1), math.Inf(1)}, gap: [3]int32{-1, -1, -1}}
		if !sd.movable[i] {
			continue
		}
		for g := range no + 1 {
			if !o.mayFit(jb, g) {
				continue
			}
			d := c(o.loc[g], jb.loc) + c(jb.loc, o.loc[g+1]) - legs[g]
			if d >= gc.cost[2] {
				continue
			}
			if _, ok := o.tryAt(in, jb, g, in.tt.dur(o.loc[g], jb.loc), in.tt.dur(jb.loc, o.loc[g+1])); ok {
				gc.add(int32(g), d)
			}
		}
	}
}

// spliced appends to dst the jobs of seq without the one at index rm and
// with job j put into gap g (before index g of seq as it is).
func spliced(dst, seq []int32, rm int, j int32, g int) []int32 {
	for x, y := range seq {
		if x == g {
			dst = append(dst, j)
		}
		if x != rm {
			dst = append(dst, y)
		}
	}
	if g == len(seq) {
		dst = append(dst, j)
	}
	return dst
}
