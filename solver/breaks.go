package solver

// Breaks are taken where the technician is. Between two places of a day —
// the start location, the jobs, the end location — a technician who has
// to take breaks there takes some at the first place, once its work is
// done and before leaving, and the rest at the second, once arrived and
// before its work starts (typically while waiting for its window); a break
// after the last job is taken at that job's site or at the end location,
// once home. Nobody drives somewhere only to take a break, and a break
// never overlaps work or travel.
//
// So a route holds only its jobs, and where each break goes is worked out
// with the route: the earliest schedule is a small dynamic programme over
// (place, breaks taken so far). Every step in it is monotone in time —
// a later departure never gives an earlier start — so the earliest time of
// each state decides feasibility exactly, and the latest times, worked
// backwards the same way, make an insertion check constant in the route's
// length (polynomial in its few breaks). step and stepBack are that
// programme's one move forward and backward; Plan, Suggest, Slots and
// Check all follow routes with them.

// takeBreaks takes breaks bs in turn from t, each as soon as its window
// allows, and returns when the last ends; false if one would start after
// its latest start.
func takeBreaks(bs []breakSpec, t int64) (int64, bool) {
	for i := range bs {
		b := &bs[i]
		s := max(t, b.earliest)
		if s > b.latest {
			return 0, false
		}
		t = s + b.dur
	}
	return t, true
}

// latestBefore returns the latest time from which breaks bs can be taken
// in turn and all end by t; false if even their earliest starts are too
// late.
func latestBefore(bs []breakSpec, t int64) (int64, bool) {
	for i := len(bs) - 1; i >= 0; i-- {
		b := &bs[i]
		s := min(b.latest, t-b.dur)
		if s < b.earliest {
			return 0, false
		}
		t = s
	}
	return t, true
}

// ready returns the earliest time the technician, free at the place
// before at t, is ready at the next place having taken breaks bs on the
// way (split between the two places as is best), travel leg between; and
// how many were taken before leaving. With atEnd the next place is the end
// location and every break is taken before leaving: those after the
// arrival home are its own state (see endLatest).
func ready(bs []breakSpec, t, leg int64, atEnd bool) (int64, int, bool) {
	if len(bs) == 0 {
		return t + leg, 0, true
	}
	if atEnd {
		t, ok := takeBreaks(bs, t)
		return t + leg, len(bs), ok
	}
	best, split, found := int64(never), 0, false
	tp := t
	for c := 0; c <= len(bs); c++ {
		if c > 0 {
			var ok bool
			if tp, ok = takeBreaks(bs[c-1:c], tp); !ok {
				break // a longer prefix before leaving cannot fit either
			}
		}
		// On a tie, the break is taken where the technician already is.
		if tq, ok := takeBreaks(bs[c:], tp+leg); ok && tq <= best {
			best, split, found = tq, c, true
		}
	}
	return best, split, found
}

// readyLatest is ready backwards: the latest time the technician can be
// free at the place before and still be ready at the next by r.
func readyLatest(bs []breakSpec, r, leg int64, atEnd bool) (int64, bool) {
	if len(bs) == 0 {
		return r - leg, true
	}
	if atEnd {
		return latestBefore(bs, r-leg)
	}
	best, found := int64(always), false
	for c := 0; c <= len(bs); c++ {
		rq, ok := latestBefore(bs[c:], r)
		if !ok {
			continue
		}
		if rp, ok := latestBefore(bs[:c], rq-leg); ok && rp > best {
			best, found = rp, true
		}
	}
	return best, found
}

// endLatest returns, for each number k of breaks taken before arriving at
// the end location, the latest arrival that leaves time for the rest there
// and for the shift's end (always when none does).
func (ve *vehicle) endLatest(out []int64) {
	for k := range out {
		out[k] = always
		if t, ok := latestBefore(ve.breaks[k:], ve.latestEnd); ok {
			out[k] = min(t, ve.latestEnd)
		}
	}
}

// A state vector holds, for k = 0 … len(breaks), a time of the day's
// schedule at one place with the first k breaks taken: never (forward) or
// always (backward) when that state cannot be reached or kept.

// stepLink is how step reached a state: the state at the place before and
// how many of the breaks in between were taken there before leaving.
type stepLink struct{ from, split int8 }

// step moves the earliest schedule one place on: from the state vector
// free (when the technician is free to leave the place before, with its
// lateness so far in late) over leg to job jb, or to the end location when
// jb is nil (then the vector is of arrivals). It writes the new vectors
// and, if links is not nil, how each state was reached. Ties go to fewer
// breaks before, so that the schedule does not depend on lateness.
func (ve *vehicle) step(free, late []int64, leg int64, jb *job, outFree, outLate []int64, links []stepLink) {
	bs := ve.breaks
	if len(bs) == 0 {
		outFree[0], outLate[0] = never, late[0]
		if free[0] >= never {
			return
		}
		t := free[0] + leg
		if jb == nil {
			outFree[0] = t
			return
		}
		s, ok := jb.firstStart(t)
		if !ok {
			return
		}
		end := s + jb.dur
		outFree[0] = end
		if jb.deadline != never {
			outLate[0] += max(0, end-jb.deadline)
		}
		return
	}
	for b := range outFree {
		best, bestLate, link := int64(never), int64(0), stepLink{-1, 0}
		for a := 0; a <= b; a++ {
			if free[a] >= never {
				continue
			}
			r, split, ok := ready(bs[a:b], free[a], leg, jb == nil)
			if !ok {
				continue
			}
			if jb != nil {
				s, ok := jb.firstStart(r)
				if !ok {
					continue
				}
				r = s + jb.dur
			}
			if r < best {
				best, bestLate, link = r, late[a], stepLink{int8(a), int8(a + split)}
			}
		}
		if jb != nil && jb.deadline != never && best < never {
			bestLate += max(0, best-jb.deadline)
		}
		outFree[b], outLate[b] = best, bestLate
		if links != nil {
			links[b] = link
		}
	}
}

// stepBack moves the latest schedule one place back: from the latest
// ready times next at the next place (the latest arrivals, when it is the
// end location: atEnd) over leg, to the latest times the technician may
// be free at the place before.
func (ve *vehicle) stepBack(next []int64, leg int64, atEnd bool, out []int64) {
	bs := ve.breaks
	if len(bs) == 0 {
		out[0] = always
		if next[0] > always {
			out[0] = next[0] - leg
		}
		return
	}
	for a := range out {
		best := int64(always)
		for c := a; c < len(next); c++ {
			if next[c] <= always {
				continue
			}
			if t, ok := readyLatest(bs[a:c], next[c], leg, atEnd); ok && t > best {
				best = t
			}
		}
		out[a] = best
	}
}

// latestReady turns the latest end of service at a job into the latest
// time the technician may be ready there: its latest allowed start.
func (jb *job) latestReady(end []int64, out []int64) {
	for k, e := range end {
		out[k] = always
		if e <= always {
			continue
		}
		if s, ok := jb.lastStart(e - jb.dur); ok {
			out[k] = s
		}
	}
}
