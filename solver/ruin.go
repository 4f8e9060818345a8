package solver

import (
	"math"
	"math/rand/v2"
	"slices"
)

// SISR parameters (Christiaens & Vanden Berghe 2020): ruins remove about
// avgRemoved jobs as strings of at most maxString adjacent jobs; a
// split-string keeps a block of jobs that grows with probability
// 1-splitDepth per step.
const (
	avgRemoved = 10
	maxString  = 10
	splitDepth = 0.01
)

// A search that finds no new best grows its ruins: by avgRemoved jobs
// over every ruinGrowOver of its budget without one, to at most
// 1+ruinGrowMax times the size, and back to avgRemoved on the next new
// best. Some local optima are a whole restructuring of their
// neighbourhood away from a better plan (rc102's at 1.1 % above the best
// known differs from it in 10 of its 14 routes), too far for ruins of ten
// jobs and annealing near its final temperature to cross.
//
// ruinGrowShare bounds a grown ruin by the day's size: on average at most
// this share of its jobs, so that on a small day the end of a search is
// not a string of restarts (40 orders: 1.2 times avgRemoved at most; from
// 100 orders on the bound is ruinGrowMax's).
const (
	ruinGrowOver  = 0.2
	ruinGrowMax   = 2
	ruinGrowShare = 0.3
)

// ruinScale is how many times avgRemoved a ruin removes, on average, on a
// day of jobs jobs when the search is at progress (share of the budget
// spent) and found its best at bestAt.
func ruinScale(jobs int, progress, bestAt float64) float64 {
	most := min(ruinGrowMax, max(0, ruinGrowShare*float64(jobs)/avgRemoved-1))
	return 1 + min(most, max(0, progress-bestAt)/ruinGrowOver)
}

// ruin removes strings of adjacent jobs from routes near a random seed job
// and returns the removed jobs; scale multiplies their average number.
func (s *solution) ruin(rng *rand.Rand, removed []int32, scale float64) []int32 {
	in := s.in
	seed, ok := s.seedNearFree(rng)
	if !ok {
		seed, ok = s.randomMovable(rng)
	}
	if !ok {
		return removed
	}
	lsMax := math.Min(maxString, s.avgRouteJobs())
	ksMax := 4*avgRemoved*scale/(1+lsMax) - 1
	ks := int(math.Floor(rng.Float64()*ksMax)) + 1
	ruined := make([]int32, 0, ks)
	visit := func(j int32) bool {
		v := s.where[j]
		if v < 0 || in.jobs[j].fixed >= 0 || slices.Contains(ruined, v) {
			return len(ruined) < ks
		}
		ruined = append(ruined, v)
		r := s.routes[v]
		ltMax := math.Min(float64(r.jobs), lsMax)
		lt := int(math.Floor(rng.Float64()*ltMax)) + 1
		removed = s.removeString(rng, j, lt, removed)
		return len(ruined) < ks
	}
	if !visit(seed) {
		return removed
	}
	for _, j := range in.neighbours[seed] {
		if !visit(j) {
			break
		}
	}
	return removed
}

// seedNearFree picks, half the time when a few jobs that could be
// assigned are not, an assigned neighbour of one of them: ruining around
// it makes room where the job would go, which a ruin anywhere rarely does
// once routes are full (SISR's fleet-minimisation insight). On an
// overloaded day, where many jobs stay out for good, it would only pull
// the search towards them.
func (s *solution) seedNearFree(rng *rand.Rand) (int32, bool) {
	if !s.fewFree() || rng.IntN(2) == 0 {
		return 0, false
	}
	j := s.free[rng.IntN(len(s.free))]
	if len(s.in.jobs[j].vehicles) == 0 {
		return 0, false
	}
	for _, o := range s.in.neighbours[j] {
		if s.where[o] >= 0 && s.in.jobs[o].fixed < 0 {
			return o, true
		}
	}
	return 0, false
}

// fewFree reports whether a few jobs, and not many, are left out: at most
// one in a hundred (or three).
func (s *solution) fewFree() bool {
	return len(s.free) > 0 && len(s.free) <= max(3, len(s.where)/100)
}

// randomMovable picks an assigned job that may be moved.
func (s *solution) randomMovable(rng *rand.Rand) (int32, bool) {
	n := len(s.where)
	if n == 0 {
		return 0, false
	}
	for range 32 {
		j := int32(rng.IntN(n))
		if s.where[j] >= 0 && s.in.jobs[j].fixed < 0 {
			return j, true
		}
	}
	start := rng.IntN(n)
	for k := range n {
		j := int32((start + k) % n)
		if s.where[j] >= 0 && s.in.jobs[j].fixed < 0 {
			return j, true
		}
	}
	return 0, false
}

// avgRouteJobs is the mean number of jobs of the used routes.
func (s *solution) avgRouteJobs() float64 {
	jobs, used := 0, 0
	for _, r := range s.routes {
		if r.jobs > 0 {
			jobs += r.jobs
			used++
		}
	}
	if used == 0 {
		return 1
	}
	return math.Round(float64(jobs) / float64(used))
}

// removeString removes a string of l jobs around job j from its route — or,
// half the time, l jobs of a longer string that keeps a block in its
// middle — skipping pinned jobs.
func (s *solution) removeString(rng *rand.Rand, j int32, l int, removed []int32) []int32 {
	r := s.routes[s.where[j]]
	jobsAt := slices.Clone(r.seq)
	n := len(jobsAt)
	at := slices.Index(jobsAt, j)
	keepFrom, keepTo := 0, 0 // the preserved block, [keepFrom, keepTo)
	total := l
	if rng.IntN(2) == 1 && l < n {
		m := 1
		for l+m < n && rng.Float64() >= splitDepth {
			m++
		}
		total = l + m
	}
	lo := max(0, at-total+1)
	hi := min(n-total, at)
	from := lo + rng.IntN(hi-lo+1)
	if total > l {
		keepFrom = from + rng.IntN(l)
		keepTo = keepFrom + total - l
	}
	take := jobsAt[:0]
	for k := from; k < from+total; k++ {
		if (k < keepFrom || k >= keepTo) && s.in.jobs[jobsAt[k]].fixed < 0 {
			take = append(take, jobsAt[k])
		}
	}
	return s.removeAll(s.where[j], take, removed)
}
