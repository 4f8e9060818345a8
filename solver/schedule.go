package solver

import (
	"fmt"
	"slices"
	"time"

	"github.com/dispatchd/dispatchd/geo"
	"github.com/dispatchd/dispatchd/model"
)

// TechnicianDay is one technician's stored day laid out in time: the job
// stops at their planned starts with the travel and arrival before each,
// the breaks where they are taken, and every rule the day breaks.
type TechnicianDay struct {
	TechnicianID string
	Stops        []model.Stop
	Conflicts    []model.Conflict
}

// Schedule lays out technician id's route of the day as planned: each
// job at its stored start, in that order, the technician free at the
// shift start at the start location. It flags every conflict of the day
// with the kinds Check uses: a stop that starts before the previous one
// (or the shift) lets it, with the travel between them; outside its
// windows; a technician who may not do it; capacity and max_jobs; breaks
// that no longer fit; the day ending past the shift end and its overtime.
// Breaks are shown where the planned times let the technician take them
// (the stored break stops when they do not fit). It returns a
// *model.ValidationError for an invalid day or an unknown technician.
func Schedule(day Day, id string) (TechnicianDay, error) {
	ids, err := validateDay(day)
	if err != nil {
		return TechnicianDay{}, err
	}
	v, ok := ids.techs[id]
	if !ok {
		return TechnicianDay{}, &model.ValidationError{Errors: []model.FieldError{{Field: "technician_id", Message: fmt.Sprintf("unknown technician %q", id)}}}
	}
	t := &day.Technicians[v]
	zone := t.Shift.Start.Location()
	at := func(ms int64) time.Time { return fromMS(ms, zone) }
	out := TechnicianDay{TechnicianID: id, Stops: []model.Stop{}, Conflicts: []model.Conflict{}}
	var stops []model.Stop
	if k, ok := ids.routes[id]; ok {
		stops = slices.Clone(day.Routes[k].Stops)
		slices.SortStableFunc(stops, func(a, b model.Stop) int { return a.Start.Compare(b.Start) })
	}
	p := &model.Problem{Technicians: []model.Technician{*t}, WorkOrders: day.Orders, Travel: day.Travel, Weights: day.weights()}
	tr, err := geo.New(p.Travel)
	if err != nil {
		return TechnicianDay{}, fmt.Errorf("solver: building the travel model: %w", err)
	}
	in := &instance{p: p, w: p.Policy(), travel: tr}
	locs := newLocator(tr)
	ve := compileVehicle(0, t, locs)
	in.vehicles = []vehicle{ve}
	r := &route{v: 0}
	var orders []*model.WorkOrder
	var shownBreaks []model.Stop
	for _, s := range stops {
		if s.IsBreak() {
			shownBreaks = append(shownBreaks, s)
			continue
		}
		w := &day.Orders[ids.orders[s.WorkOrderID]]
		jb := &job{idx: ids.orders[w.ID], loc: locs.index(w.Location), dur: secMS(w.Duration), deadline: never, demand: w.Demand, fixed: -1,
			windows: []window{{toMS(s.Start), toMS(s.Start)}}}
		r.extra = append(r.extra, jb)
		r.seq = append(r.seq, -int32(len(r.extra)))
		orders = append(orders, w)
	}
	in.tt = newLazyTravelTable(locs, tr, in.w)
	for _, w := range orders {
		in.dims = max(in.dims, len(w.Demand))
	}
	feasible := r.update(in)

	add := func(c model.Conflict, p int) {
		c.TechnicianID = id
		if p >= 1 {
			c.WorkOrderID = orders[p-1].ID
			c.Start, c.End = at(r.extra[p-1].windows[0].start), at(r.extra[p-1].windows[0].start+r.extra[p-1].dur)
		}
		out.Conflicts = append(out.Conflicts, c)
	}
	free := ve.shiftStart
	load := make([]float64, in.dims)
	timing := false // a stop that cannot start when planned
	for p := 1; p <= len(orders); p++ {
		w, jb := orders[p-1], r.extra[p-1]
		s := jb.windows[0].start
		leg := r.leg[p]
		arrival := free + leg
		place := w.Location
		stop := model.Stop{WorkOrderID: w.ID, Arrival: at(arrival), Start: at(s), End: at(s + jb.dur), Travel: msSeconds(leg),
			Location: &place}
		if p == 1 {
			stop.Distance = roundDecimeter(in.leg(t.Start, w.Location).Meters)
		} else {
			stop.Distance = roundDecimeter(in.leg(orders[p-2].Location, w.Location).Meters)
		}
		if arrival > s {
			timing = true
			if p == 1 {
				add(model.Conflict{Kind: model.ConflictShift, Travel: msSeconds(leg),
					Message: fmt.Sprintf("starts %s, before the shift start %s plus the drive from the start location (%v)", clock(at(s)), clock(at(free)), msDuration(leg))}, p)
			} else {
				prev := orders[p-2]
				ps := r.extra[p-2].windows[0].start
				add(model.Conflict{Kind: model.ConflictOverlap, Other: prev.ID, OtherStart: at(ps), OtherEnd: at(free), Travel: msSeconds(leg),
					Message: fmt.Sprintf("starts %s, but %s ends %s and the drive from it takes %v", clock(at(s)), prev.ID, clock(at(free)), msDuration(leg))}, p)
			}
		}
		if len(w.TimeWindows) > 0 && !slices.ContainsFunc(w.TimeWindows, func(tw model.TimeWindow) bool { return tw.Contains(at(s)) }) {
			add(model.Conflict{Kind: model.ConflictWindow, Message: fmt.Sprintf("starts %s, outside its time windows", clock(at(s)))}, p)
		}
		for _, rs := range Qualify(t, w) {
			add(model.Conflict{Kind: conflictOf[rs.Kind], Skill: rs.Skill, Have: rs.Have, Need: rs.Need, Certification: rs.Certification, Expires: rs.Expired, Tool: rs.Tool, Message: rs.Text}, p)
		}
		if t.MaxJobs > 0 && p == t.MaxJobs+1 {
			add(model.Conflict{Kind: model.ConflictMaxJobs, Message: fmt.Sprintf("job %d of the day, past max_jobs (%d)", p, t.MaxJobs)}, p)
		}
		before := slices.Clone(load)
		load = addLoad(load, w.Demand)
		if fitsCapacity(before, t.Capacity) && !fitsCapacity(load, t.Capacity) {
			add(model.Conflict{Kind: model.ConflictCapacity, Message: fmt.Sprintf("the day's load reaches %v, over the capacity %v", load, t.Capacity)}, p)
		}
		out.Stops = append(out.Stops, stop)
		free = max(free, s+jb.dur)
	}
	if len(orders) > 0 {
		back := free + r.leg[len(orders)+1]
		if back > ve.latestEnd {
			timing = true
			add(model.Conflict{Kind: model.ConflictShift, Overtime: msSeconds(back - ve.shiftEnd),
				Message: fmt.Sprintf("back %s, past the shift end %s with the overtime allowed", clock(at(back)), clock(at(ve.shiftEnd)))}, len(orders))
		}
	}
	switch {
	case feasible && len(orders) > 0:
		out.Stops = r.withBreaks(in, out.Stops, func(p int) model.Location {
			switch {
			case p == 0:
				return t.Start
			case p > len(orders):
				return t.EndLocation()
			}
			return orders[p-1].Location
		}, at)
	case !timing && len(orders) > 0 && len(ve.breaks) > 0:
		add(breakConflict(&ve, zone), 0)
		fallthrough
	default:
		out.Stops = mergeBreaks(out.Stops, shownBreaks)
	}
	return out, nil
}

// withBreaks lays the route's schedule over the job stops: the breaks
// where it takes them, and each job's arrival after the breaks taken
// before leaving for it.
func (r *route) withBreaks(in *instance, jobs []model.Stop, place func(p int) model.Location, at func(int64) time.Time) []model.Stop {
	out := make([]model.Stop, 0, len(jobs)+len(r.vehicle(in).breaks))
	for _, vs := range r.timeline(in, nil) {
		if vs.brk < 0 {
			s := jobs[vs.p-1]
			s.Arrival = at(vs.arrival)
			out = append(out, s)
			continue
		}
		where := place(vs.p)
		out = append(out, model.Stop{Type: model.StopBreak, Start: at(vs.start), End: at(vs.end), Location: &where})
	}
	return out
}

// mergeBreaks puts break stops among job stops in order of start.
func mergeBreaks(jobs, breaks []model.Stop) []model.Stop {
	out := append(slices.Clone(jobs), breaks...)
	slices.SortStableFunc(out, func(a, b model.Stop) int { return a.Start.Compare(b.Start) })
	return out
}
