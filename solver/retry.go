package solver

import "slices"

// A job that fit nowhere when it was last tried can fit now only into a
// route that changed since. Trying every unassigned job on every
// qualified route in every iteration made one iteration on an overloaded
// 10,000-order day — 5,800 orders out, for good — cost about a second;
// with retries an iteration costs what its ruin and recreate touch.
//
// A solution keeps, per job, when it was last tried and fit nowhere, and
// a log of which route changed when, on a clock that every solution of
// one search shares, so that a retry looks only at the routes changed
// since. Blinks aside, the retry finds what a full attempt would; the
// crew's mean workload, which an insertion's cost also weighs, may have
// moved a little in between.
type retries struct {
	clock *uint64
	// lastTry[j] is the clock when job j was last tried and fit nowhere; 0
	// means it must be tried on every qualified route.
	lastTry []uint64
	// changes lists route changes in clock order, since the earliest
	// lastTry of a job still out.
	changes []routeChange
}

type routeChange struct {
	v  int32
	at uint64
}

func newRetries(jobs int) retries {
	return retries{clock: new(uint64), lastTry: make([]uint64, jobs)}
}

// copyInto makes dst equal to r, reusing dst's slices; the clock is
// shared.
func (r *retries) copyInto(dst *retries) {
	dst.clock = r.clock
	dst.lastTry = append(dst.lastTry[:0], r.lastTry...)
	dst.changes = append(dst.changes[:0], r.changes...)
}

// changed records that route v changes now.
func (r *retries) changed(v int32) {
	*r.clock++
	r.changes = append(r.changes, routeChange{v, *r.clock})
}

// failed records that job j was just tried and fit nowhere.
func (r *retries) failed(j int32) { r.lastTry[j] = *r.clock }

// since returns the changes after clock t.
func (r *retries) since(t uint64) []routeChange {
	i, _ := slices.BinarySearchFunc(r.changes, t+1, func(c routeChange, t uint64) int {
		switch {
		case c.at < t:
			return -1
		case c.at > t:
			return 1
		}
		return 0
	})
	return r.changes[i:]
}

// retryable appends the unassigned jobs worth trying in this iteration:
// those some vehicle qualifies for that were never tried since they left
// their route, or that a changed route they qualify for might now take.
// Any other job is, as far as its routes go, tried now and out: it
// records so, which lets the log forget what no job needs any more.
func (s *solution) retryable(dst []int32) []int32 {
	in := s.in
	nj := len(in.jobs)
	r := &s.retries
	now := *r.clock
	oldest := now
	for _, j := range s.free {
		if len(in.jobs[j].vehicles) == 0 {
			continue
		}
		if t := r.lastTry[j]; t == 0 || slices.ContainsFunc(r.since(t), func(c routeChange) bool { return in.ok[int(c.v)*nj+int(j)] }) {
			dst = append(dst, j)
			if t > 0 {
				oldest = min(oldest, t)
			}
			continue
		}
		r.lastTry[j] = now
	}
	r.changes = slices.Delete(r.changes, 0, len(r.changes)-len(r.since(oldest)))
	return dst
}

// changedRoutes lists, in ascending order, the vehicles qualified for job
// j whose routes changed since it was last tried.
func (s *solution) changedRoutes(j int32, sc *scratch) []int32 {
	in := s.in
	nj := len(in.jobs)
	if len(sc.picked) < len(in.vehicles) {
		sc.picked = make([]bool, len(in.vehicles))
	}
	sc.cand = sc.cand[:0]
	for _, c := range s.retries.since(s.retries.lastTry[j]) {
		if !sc.picked[c.v] && in.ok[int(c.v)*nj+int(j)] {
			sc.picked[c.v] = true
			sc.cand = append(sc.cand, c.v)
		}
	}
	for _, v := range sc.cand {
		sc.picked[v] = false
	}
	slices.Sort(sc.cand)
	return sc.cand
}
