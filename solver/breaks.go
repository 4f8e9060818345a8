package solver

import "slices"

// schedule is the outcome of following a sequence's earliest schedule.
type schedule struct {
	ok   bool
	soft float64 // weighted lateness and overtime
	back int64   // arrival at the end location
}

// better orders schedules: feasible first, then cheaper, then back sooner.
func (a schedule) better(b schedule) bool {
	if a.ok != b.ok {
		return a.ok
	}
	if a.soft != b.soft {
		return a.soft < b.soft
	}
	return a.back < b.back
}

// simulate follows the earliest schedule of a whole sequence of vehicle v;
// breaks after the last job are taken at the end location.
func (in *instance) simulate(v int32, seq []int32) schedule {
	ve := &in.vehicles[v]
	last := -1
	for i, x := range seq {
		if x >= 0 {
			last = i
		}
	}
	t, loc := ve.shiftStart, ve.startLoc
	late := int64(0)
	back, home := int64(0), false
	for i, x := range seq {
		if x < 0 {
			if last >= 0 && i > last && !home {
				t += in.tt.dur(loc, ve.endLoc)
				back, home = t, true
			}
			b := &ve.breaks[-x-1]
			s := max(t, b.earliest)
			if s > b.latest {
				return schedule{}
			}
			t = s + b.dur
			continue
		}
		jb := &in.jobs[x]
		s, ok := jb.firstStart(t + in.tt.dur(loc, jb.loc))
		if !ok {
			return schedule{}
		}
		t, loc = s+jb.dur, jb.loc
		if jb.deadline != never {
			late += max(0, t-jb.deadline)
		}
	}
	if !home {
		t += in.tt.dur(loc, ve.endLoc)
		back = t
	}
	if t > ve.latestEnd {
		return schedule{}
	}
	sc := schedule{ok: true, back: back}
	if in.timeSoft {
		over := max(0, back-ve.shiftEnd)
		sc.soft = in.w.Lateness*float64(late)/msPerMi + in.w.Overtime*float64(over)/msPerMi
	}
	return sc
}

// withBreaks returns the best sequence of a route that holds job j alone
// with all of vehicle v's breaks: the first k breaks before the job and
// the rest after it, for the best k. It appends to dst.
func (in *instance) withBreaks(dst []int32, v, j int32) []int32 {
	seq, _ := in.soloSequence(dst, v, j)
	return seq
}

// soloSequence is withBreaks that also reports the schedule.
func (in *instance) soloSequence(dst []int32, v, j int32) ([]int32, schedule) {
	nb := len(in.vehicles[v].breaks)
	var best []int32
	var bestSc schedule
	for k := 0; k <= nb; k++ {
		seq := dst[:0]
		for b := range k {
			seq = append(seq, int32(-b-1))
		}
		seq = append(seq, j)
		for b := k; b < nb; b++ {
			seq = append(seq, int32(-b-1))
		}
		if sc := in.simulate(v, seq); best == nil || sc.better(bestSc) {
			best, bestSc = slices.Clone(seq), sc
		}
		dst = seq
	}
	return append(dst[:0], best...), bestSc
}

// placeBreaks moves each break of a feasible route, one at a time, to the
// gap that makes the route cheapest and back soonest; the break's current
// gap is a candidate, so the route stays feasible.
func (in *instance) placeBreaks(r *route) {
	ve := &in.vehicles[r.v]
	changed := false
	trial := make([]int32, 0, len(r.seq))
	for b := range ve.breaks {
		id := int32(-b - 1)
		at := slices.Index(r.seq, id)
		if at < 0 {
			continue
		}
		rest := slices.Delete(slices.Clone(r.seq), at, at+1)
		bestAt, bestSc := at, in.simulate(r.v, r.seq)
		for g := 0; g <= len(rest); g++ {
			if g == at {
				continue
			}
			trial = append(append(append(trial[:0], rest[:g]...), id), rest[g:]...)
			if sc := in.simulate(r.v, trial); sc.better(bestSc) {
				bestAt, bestSc = g, sc
			}
		}
		if bestAt != at {
			r.seq = slices.Insert(rest, bestAt, id)
			changed = true
		}
	}
	if changed {
		r.update(in)
	}
}

// tryEmpty checks starting vehicle v's empty route with job j, breaks
// placed, and returns the objective's change.
func (r *route) tryEmpty(in *instance, j int32, scratch []int32) (insertion, bool) {
	jb := &in.jobs[j]
	ve := &in.vehicles[r.v]
	var sc schedule
	if len(ve.breaks) == 0 {
		sc = in.simulate(r.v, append(scratch[:0], j))
	} else {
		_, sc = in.soloSequence(scratch, r.v, j)
	}
	if !sc.ok {
		return insertion{}, false
	}
	delta := in.tt.cost(ve.startLoc, jb.loc) + in.tt.cost(jb.loc, ve.endLoc) +
		in.pair[int(r.v)*len(in.jobs)+int(j)] + sc.soft
	return insertion{gap: 0, delta: delta}, true
}
