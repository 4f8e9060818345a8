package solver

import (
	"cmp"
	"math"
	"math/rand/v2"
	"slices"
)

// blinkRate is the chance that recreate skips a position, which keeps the
// greedy insertion from always making the same choice (SISR's blinks).
const blinkRate = 0.01

// Granular insertion: a job with many qualified vehicles tries only the
// routes of its nearest neighbours and one empty route per class, which
// on a 1,000-customer instance is a tenth of the routes; when none of them
// takes it, every qualified vehicle is tried, so pruning never leaves a
// job out that could go in.
const (
	granularNeighbours = 40
	granularMinRoutes  = 16
)

// recreate inserts jobs, in order, each at its cheapest feasible position
// over the candidate routes, skipping positions with probability blink. A
// job stays unassigned when it fits nowhere or inserting it costs more
// than leaving it out. It returns how many of the jobs it tried: all of
// them, unless the search's budget ran out first.
func (s *solution) recreate(rng *rand.Rand, jobs []int32, blink float64, sc *scratch) int {
	in := s.in
	// Positions to try before the next blink: geometric, drawn once per
	// blink rather than a coin per position.
	gap := blinkGap(rng, blink)
	// The crew's mean workload moves only by what goes in: it is summed
	// once, not over every route for every job.
	work := s.totalWork()
	for i, j := range jobs {
		if sc.budget.searchSpent() {
			return i
		}
		jb := &in.jobs[j]
		mean := 0.0
		if in.activeVehicles > 0 {
			mean = float64(work) / float64(in.activeVehicles)
		}
		best := bestInsertion{v: -1, cost: jb.missed}
		if s.retries.lastTry[j] > 0 {
			// It fit nowhere when last tried: only a changed route may take it.
			s.tryVehicles(rng, j, s.changedRoutes(j, sc), mean, blink, &gap, &best, sc)
		} else {
			pruned := len(jb.vehicles) > granularMinRoutes
			vehicles := jb.vehicles
			if pruned {
				vehicles = s.candidates(j, sc)
			}
			s.tryVehicles(rng, j, vehicles, mean, blink, &gap, &best, sc)
			if pruned && best.v < 0 {
				s.tryVehicles(rng, j, jb.vehicles, mean, blink, &gap, &best, sc)
			}
		}
		if best.v >= 0 {
			s.insert(j, best.v, best.gap)
			work += jb.dur
		} else {
			s.retries.failed(j)
		}
	}
	return len(jobs)
}

// bestInsertion is the cheapest insertion found so far.
type bestInsertion struct {
	v    int32
	gap  int
	cost float64
}

// tryVehicles looks for the cheapest insertion of job j into the routes of
// the given vehicles, trying one empty route per class.
func (s *solution) tryVehicles(rng *rand.Rand, j int32, vehicles []int32, mean, blink float64, gap *int, best *bestInsertion, sc *scratch) {
	in := s.in
	jb := &in.jobs[j]
	sc.resetClasses(len(in.vehicles))
	for _, v := range vehicles {
		r := s.routes[v]
		if !r.fits(in, jb) {
			continue
		}
		extra := workloadTerm{}.insertion(s, v, jb.dur, mean)
		if r.jobs == 0 && !sc.firstOfClass(in.vehicles[v].class) {
			continue
		}
		last := jb.windows[len(jb.windows)-1].end
		// With symmetric travel the leg out of the job to place g+1 is the
		// leg into it from there, for gap g+1.
		outAt, out := -2, int64(0) // no gap looked up yet
		for g := 0; g <= r.jobs; g++ {
			if r.soonest(g) > last {
				break // the technician is free only later at every later place
			}
			if !r.mayFit(jb, g) {
				continue
			}
			if *gap == 0 {
				*gap = blinkGap(rng, blink)
				continue
			}
			*gap--
			var legIn int64
			if outAt == g-1 && in.tt.symmetric {
				legIn = out
			} else {
				legIn = in.tt.dur(r.loc[g], jb.loc)
			}
			if r.soonest(g)+legIn > last {
				continue
			}
			outAt, out = g, in.tt.dur(jb.loc, r.loc[g+1])
			if ins, ok := r.tryGapLegs(in, j, g, legIn, out, best.cost-extra); ok && ins.delta+extra < best.cost {
				*best = bestInsertion{v, g, ins.delta + extra}
			}
		}
	}
}

// candidates lists, in ascending order, the qualified vehicles whose
// routes hold one of job j's nearest neighbours, and the first qualified
// vehicle with an empty route of each class.
func (s *solution) candidates(j int32, sc *scratch) []int32 {
	in := s.in
	nj := len(in.jobs)
	if len(sc.picked) < len(in.vehicles) {
		sc.picked = make([]bool, len(in.vehicles))
	}
	nb := in.neighbours[j]
	for _, o := range nb[:min(len(nb), granularNeighbours)] {
		if v := s.where[o]; v >= 0 && in.ok[int(v)*nj+int(j)] {
			sc.picked[v] = true
		}
	}
	// Every candidate qualifies, so the qualified vehicles, ascending,
	// give the candidates in order without a sort. Of the empty routes
	// only the first of each class is a candidate: tryVehicles would try
	// no other, and on 1,000 customers with 250 technicians the rest were
	// most of the list.
	sc.cand = sc.cand[:0]
	sc.resetClasses(len(in.vehicles))
	for _, v := range in.jobs[j].vehicles {
		switch {
		case sc.picked[v]:
			sc.picked[v] = false
			sc.cand = append(sc.cand, v)
		case s.routes[v].jobs == 0 && sc.firstOfClass(in.vehicles[v].class):
			sc.cand = append(sc.cand, v)
		}
	}
	return sc.cand
}

// blinkGap draws how many positions pass before the next blink, each
// position blinking with probability p.
func blinkGap(rng *rand.Rand, p float64) int {
	if p <= 0 {
		return math.MaxInt
	}
	return int(math.Log(1-rng.Float64()) / math.Log(1-p))
}

// scratch holds buffers reused across iterations, and the budget that
// may cut a recreate short (nil: none).
type scratch struct {
	budget   *budget
	seen     []bool
	seenList []int32
	removed  []int32
	toInsert []int32
	cand     []int32
	picked   []bool
	order    []orderKey
}

func (sc *scratch) resetClasses(n int) {
	if len(sc.seen) < n {
		sc.seen = make([]bool, n)
	}
	for _, c := range sc.seenList {
		sc.seen[c] = false
	}
	sc.seenList = sc.seenList[:0]
}

// firstOfClass reports whether no empty route of the class was tried yet.
func (sc *scratch) firstOfClass(c int32) bool {
	if sc.seen[c] {
		return false
	}
	sc.seen[c] = true
	sc.seenList = append(sc.seenList, c)
	return true
}

// insertionOrder sorts jobs for recreate as SISR does — at random, by
// decreasing demand, far from or close to the depots first, with weights
// 4:4:2:1 — within classes of cost of leaving them out, so that
// emergencies are placed before routine work. When focus is set (a few
// jobs are left out, as when the fleet is tight), jobs that were left out
// more often come first within a class, as in SISR's fleet minimisation;
// on an overloaded day that would favour the jobs no plan wants.
func (in *instance) insertionOrder(rng *rand.Rand, jobs []int32, absent []int32, focus bool, sc *scratch) {
	rng.Shuffle(len(jobs), func(a, b int) { jobs[a], jobs[b] = jobs[b], jobs[a] })
	x := rng.IntN(11)
	// The keys are worked out once per job, not per comparison: on an
	// overloaded day hundreds of jobs are sorted every iteration.
	keys := sc.order[:0]
	for i, j := range jobs {
		k := orderKey{missed: in.jobs[j].missed, pos: int32(i), j: j}
		if focus {
			k.absent = absent[j]
		}
		switch {
		case x < 4:
		case x < 8:
			k.key = -in.demandSize(j)
		case x < 10:
			k.key = -in.depotDist[j]
		default:
			k.key = in.depotDist[j]
		}
		keys = append(keys, k)
	}
	sc.order = keys
	if x < 4 && !focus {
		// The shuffle's order within each class (of the few costs of
		// leaving a job out, by priority): a pass per class, no sort.
		out := jobs[:0] // keys hold every job: jobs is only written
		for len(keys) > 0 {
			top := keys[0].missed
			for _, k := range keys {
				top = max(top, k.missed)
			}
			rest := keys[:0]
			for _, k := range keys {
				if k.missed == top {
					out = append(out, k.j)
				} else {
					rest = append(rest, k)
				}
			}
			keys = rest
		}
		return
	}
	slices.SortFunc(keys, func(a, b orderKey) int {
		if c := cmp.Compare(b.missed, a.missed); c != 0 {
			return c
		}
		if c := cmp.Compare(b.absent, a.absent); c != 0 {
			return c
		}
		if c := cmp.Compare(a.key, b.key); c != 0 {
			return c
		}
		return cmp.Compare(a.pos, b.pos)
	})
	for i, k := range keys {
		jobs[i] = k.j
	}
}

// orderKey is a job's place in insertionOrder.
type orderKey struct {
	missed float64
	absent int32
	key    float64
	pos    int32 // after the shuffle: ties keep it
	j      int32
}

// demandSize is a job's total demand over all dimensions.
func (in *instance) demandSize(j int32) float64 {
	sum := 0.0
	for _, d := range in.jobs[j].demand {
		sum += d
	}
	return sum
}
