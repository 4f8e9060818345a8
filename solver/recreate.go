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

// recreate inserts jobs, in order, each at its cheapest feasible position
// over all routes, skipping positions with probability blink. A job stays
// unassigned when it fits nowhere or inserting it costs more than leaving
// it out.
func (s *solution) recreate(rng *rand.Rand, jobs []int32, blink float64, scratch *scratch) {
	in := s.in
	// Positions to try before the next blink: geometric, drawn once per
	// blink rather than a coin per position.
	gap := blinkGap(rng, blink)
	for _, j := range jobs {
		jb := &in.jobs[j]
		mean := s.meanWork()
		scratch.resetClasses(len(in.vehicles))
		bestV, bestGap, bestCost := int32(-1), 0, jb.missed
		for _, v := range jb.vehicles {
			r := s.routes[v]
			if !r.fits(in, jb) {
				continue
			}
			extra := s.workloadDelta(v, jb.dur, mean)
			if len(r.seq) == 0 {
				if !scratch.firstOfClass(in.vehicles[v].class) {
					continue
				}
				if ins, ok := r.tryEmpty(in, j, scratch.seq); ok && ins.delta+extra < bestCost {
					bestV, bestGap, bestCost = v, 0, ins.delta+extra
				}
				continue
			}
			for g := 0; g <= r.lastJob; g++ {
				if gap == 0 {
					gap = blinkGap(rng, blink)
					continue
				}
				gap--
				if ins, ok := r.tryGap(in, j, g, bestCost-extra); ok && ins.delta+extra < bestCost {
					bestV, bestGap, bestCost = v, g, ins.delta+extra
				}
			}
		}
		if bestV >= 0 {
			s.insert(j, bestV, bestGap)
		}
	}
}

// blinkGap draws how many positions pass before the next blink, each
// position blinking with probability p.
func blinkGap(rng *rand.Rand, p float64) int {
	if p <= 0 {
		return math.MaxInt
	}
	return int(math.Log(1-rng.Float64()) / math.Log(1-p))
}

// scratch holds buffers reused across iterations.
type scratch struct {
	seq      []int32
	seen     []bool
	seenList []int32
	removed  []int32
	toInsert []int32
	sortKeyF []float64
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
// emergencies are placed before routine work.
func (in *instance) insertionOrder(rng *rand.Rand, jobs []int32) {
	rng.Shuffle(len(jobs), func(a, b int) { jobs[a], jobs[b] = jobs[b], jobs[a] })
	var key func(j int32) float64
	switch x := rng.IntN(11); {
	case x < 4:
		key = func(int32) float64 { return 0 }
	case x < 8:
		key = func(j int32) float64 { return -in.demandSize(j) }
	case x < 10:
		key = func(j int32) float64 { return -in.depotDist[j] }
	default:
		key = func(j int32) float64 { return in.depotDist[j] }
	}
	slices.SortStableFunc(jobs, func(a, b int32) int {
		if c := cmp.Compare(in.jobs[b].missed, in.jobs[a].missed); c != 0 {
			return c
		}
		return cmp.Compare(key(a), key(b))
	})
}

// demandSize is a job's total demand over all dimensions.
func (in *instance) demandSize(j int32) float64 {
	sum := 0.0
	for _, d := range in.jobs[j].demand {
		sum += d
	}
	return sum
}
