package solver

import "slices"

// solution is an assignment of jobs to routes. Routes are shared between
// solutions copy-on-write: a solution changes a route in place only if it
// owns it, so that copying a solution for a trial move costs little.
type solution struct {
	in     *instance
	routes []*route
	where  []int32 // vehicle of each job, -1 when unassigned
	free   []int32 // unassigned jobs
	freeAt []int32 // index of each job in free, -1 when assigned
	missed float64 // Σ cost of unassigned jobs
	// retries says which routes an unassigned job is worth trying again.
	retries retries
}

func newSolution(in *instance) *solution {
	s := &solution{
		in:      in,
		routes:  make([]*route, len(in.vehicles)),
		where:   make([]int32, len(in.jobs)),
		freeAt:  make([]int32, len(in.jobs)),
		retries: newRetries(len(in.jobs)),
	}
	for v := range in.vehicles {
		s.routes[v] = newRoute(int32(v))
		s.routes[v].owner = s
		s.routes[v].update(in)
	}
	for j := range in.jobs {
		s.where[j] = -1
		s.freeAt[j] = int32(len(s.free))
		s.free = append(s.free, int32(j))
		s.missed += in.jobs[j].missed
	}
	return s
}

// copy returns a solution that shares every route with s until either
// changes it.
func (s *solution) copy() *solution {
	s.release()
	c := &solution{
		in:     s.in,
		routes: slices.Clone(s.routes),
		where:  slices.Clone(s.where),
		free:   slices.Clone(s.free),
		freeAt: slices.Clone(s.freeAt),
		missed: s.missed,
	}
	s.retries.copyInto(&c.retries)
	return c
}

// copyInto makes dst equal to s, reusing dst's slices; s gives up its
// routes as copy does.
func (s *solution) copyInto(dst *solution) {
	s.release()
	dst.in = s.in
	dst.routes = append(dst.routes[:0], s.routes...)
	dst.where = append(dst.where[:0], s.where...)
	dst.free = append(dst.free[:0], s.free...)
	dst.freeAt = append(dst.freeAt[:0], s.freeAt...)
	dst.missed = s.missed
	s.retries.copyInto(&dst.retries)
}

// own returns route v, about to change, copied first if another solution
// owns it.
func (s *solution) own(v int32) *route {
	s.retries.changed(v)
	r := s.routes[v]
	if r.owner != s {
		r = r.clone(s)
		s.routes[v] = r
	}
	return r
}

// cost returns the objective of the solution: the sum of its terms.
func (s *solution) cost() float64 {
	c := 0.0
	for _, t := range objective {
		c += t.cost(s)
	}
	return c
}

// meanWork is the crew's mean service time, ms.
func (s *solution) meanWork() float64 {
	if s.in.activeVehicles == 0 {
		return 0
	}
	return float64(s.totalWork()) / float64(s.in.activeVehicles)
}

// totalWork is the service time of every route, ms.
func (s *solution) totalWork() int64 {
	total := int64(0)
	for _, r := range s.routes {
		total += r.work
	}
	return total
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

func (s *solution) markAssigned(j, v int32) {
	s.where[j] = v
	i := s.freeAt[j]
	last := s.free[len(s.free)-1]
	s.free[i] = last
	s.freeAt[last] = i
	s.free = s.free[:len(s.free)-1]
	s.freeAt[j] = -1
	s.missed -= s.in.jobs[j].missed
}

func (s *solution) markFree(j int32) {
	s.retries.lastTry[j] = 0 // out of its route: worth trying anywhere
	s.where[j] = -1
	s.freeAt[j] = int32(len(s.free))
	s.free = append(s.free, j)
	s.missed += s.in.jobs[j].missed
}

// insert puts job j into gap g of route v, which must have been checked
// feasible; the breaks follow.
func (s *solution) insert(j, v int32, g int) {
	r := s.own(v)
	r.seq = slices.Insert(r.seq, g, j)
	r.update(s.in)
	s.markAssigned(j, v)
}

// remove takes job j out of its route, unless that would make the route
// infeasible (travel times that break the triangle inequality); it
// reports whether it did.
func (s *solution) remove(j int32) bool {
	v := s.where[j]
	r := s.own(v)
	p := slices.Index(r.seq, j)
	r.seq = slices.Delete(r.seq, p, p+1)
	if !r.update(s.in) {
		r.seq = slices.Insert(r.seq, p, j)
		r.update(s.in)
		return false
	}
	s.markFree(j)
	return true
}

// removeAll takes jobs out of route v at once and appends them to removed.
// Should that leave the route infeasible (travel times that break the
// triangle inequality), it removes them one by one, keeping those whose
// removal would break it.
func (s *solution) removeAll(v int32, jobs, removed []int32) []int32 {
	if len(jobs) == 0 {
		return removed
	}
	r := s.own(v)
	old := slices.Clone(r.seq)
	r.seq = slices.DeleteFunc(r.seq, func(x int32) bool { return slices.Contains(jobs, x) })
	if !r.update(s.in) {
		r.seq = append(r.seq[:0], old...)
		r.update(s.in)
		for _, j := range jobs {
			if s.remove(j) {
				removed = append(removed, j)
			}
		}
		return removed
	}
	for _, j := range jobs {
		s.markFree(j)
		removed = append(removed, j)
	}
	return removed
}
