package solver

import (
	"cmp"
	"math"
	"slices"
	"time"

	"github.com/dispatchd/dispatchd/geo"
	"github.com/dispatchd/dispatchd/model"
)

// plan turns a solution into the model's plan: routes with every stop's
// times, breaks as stops, unassigned orders with reasons, KPIs, and the
// objective's measures and terms from the objective's terms. Legs are
// measured again with the problem's own travel model, so the figures do
// not depend on the search's internal tables.
func (in *instance) plan(s *solution) model.Plan {
	out := model.Plan{Routes: []model.Route{}, Unassigned: []model.Unassigned{}}
	var k model.KPIs
	var shiftMS, workMS, travelMS, lateMS, overMS int64
	meters := 0.0
	for v, r := range s.routes {
		if r.jobs == 0 {
			continue
		}
		rt, st := in.routeOut(int32(v), r)
		out.Routes = append(out.Routes, rt)
		ve := &in.vehicles[v]
		k.TechniciansUsed++
		k.Assigned += r.jobs
		travelMS += st.travel
		lateMS += st.late
		overMS += st.over
		meters += st.meters
		shiftMS += ve.shiftEnd - ve.shiftStart
		workMS += r.work
	}
	k.Travel, k.Lateness, k.Overtime = msSeconds(travelMS), msSeconds(lateMS), msSeconds(overMS)
	free := slices.Clone(s.free)
	slices.SortFunc(free, func(a, b int32) int { return cmp.Compare(in.jobs[a].idx, in.jobs[b].idx) })
	explain := newExplainer(in, s)
	for _, j := range free {
		k.Unassigned++
		out.Unassigned = append(out.Unassigned, model.Unassigned{
			WorkOrderID: in.p.WorkOrders[in.jobs[j].idx].ID,
			Reasons:     explain.why(j),
		})
	}
	if shiftMS > 0 {
		k.Utilisation = math.Round(float64(workMS)/float64(shiftMS)*1e4) / 1e4
	}
	k.Distance = roundDecimeter(meters)
	out.KPIs = k
	for _, t := range objective {
		t.measure(s, &out.Measures)
	}
	out.ObjectiveTerms = in.w.Price(out.Measures)
	out.Objective = out.ObjectiveTerms.Total()
	return out
}

// routeMeters is the length of route r, measured with the problem's own
// travel model.
func (in *instance) routeMeters(r *route) float64 {
	ve := &in.vehicles[r.v]
	t := &in.p.Technicians[ve.idx]
	m, prev := 0.0, t.Start
	for _, x := range r.seq {
		loc := in.p.WorkOrders[in.jobs[x].idx].Location
		m += in.leg(prev, loc).Meters
		prev = loc
	}
	return m + in.leg(prev, t.EndLocation()).Meters
}

// routeStats are a route's unrounded totals: ms and metres.
type routeStats struct {
	travel, late, over int64
	meters             float64
}

func msSeconds(ms int64) model.Seconds { return model.SecondsOf(time.Duration(ms) * time.Millisecond) }

// routeOut writes one route's stops with the earliest schedule, breaks
// where they are taken, except that the technician leaves home no earlier
// than needed to start the first job on time.
func (in *instance) routeOut(v int32, r *route) (model.Route, routeStats) {
	ve := &in.vehicles[v]
	t := &in.p.Technicians[ve.idx]
	zone := t.Shift.Start.Location()
	at := func(ms int64) time.Time { return fromMS(ms, zone) }
	start, end := t.Start, t.EndLocation()
	rt := model.Route{TechnicianID: t.ID, Stops: make([]model.Stop, 0, len(r.seq)+len(ve.breaks)), StartLocation: &start, EndLocation: &end}
	if in.dims > 0 {
		rt.Load = slices.Clone(r.load)
	}
	place := func(p int) model.Location { // a copy: the plan does not alias the problem
		switch {
		case p == 0:
			return t.Start
		case p > len(r.seq):
			return t.EndLocation()
		}
		return in.p.WorkOrders[r.job(in, p).idx].Location
	}
	var st routeStats
	prev := t.Start
	// rest says a break was taken at the job being reached, after arriving:
	// the technician then leaves as early as they can.
	rest := false
	for _, vs := range r.timeline(in, nil) {
		if vs.brk >= 0 {
			where := place(vs.p)
			rt.Stops = append(rt.Stops, model.Stop{Type: model.StopBreak, Start: at(vs.start), End: at(vs.end), Location: &where})
			rest = rest || vs.arrived
			continue
		}
		wo := &in.p.WorkOrders[r.job(in, vs.p).idx]
		leg := in.leg(prev, wo.Location)
		departed, arrival := vs.departed, vs.arrival
		if vs.p == 1 && !rest {
			// Nothing to do at the first job before it starts: leave home
			// no earlier than needed.
			departed = max(departed, vs.start-vs.leg)
			arrival = departed + vs.leg
		}
		if vs.p == 1 {
			rt.Start = at(departed)
		}
		where := wo.Location
		stop := model.Stop{
			WorkOrderID: wo.ID,
			Arrival:     at(arrival),
			Start:       at(vs.start),
			End:         at(vs.end),
			Travel:      msSeconds(vs.leg),
			Distance:    roundDecimeter(leg.Meters),
			Wait:        msSeconds(vs.start - arrival),
			Location:    &where,
		}
		if d := r.job(in, vs.p).deadline; d != never && vs.end > d {
			stop.Lateness = msSeconds(vs.end - d)
			st.late += vs.end - d
		}
		rt.Stops = append(rt.Stops, stop)
		st.meters += leg.Meters
		st.travel += vs.leg
		rt.Work += wo.Duration
		prev = wo.Location
		rest = false
	}
	st.meters += in.leg(prev, t.EndLocation()).Meters
	st.travel += r.leg[len(r.seq)+1]
	st.over = max(0, r.back-ve.shiftEnd)
	rt.Distance = roundDecimeter(st.meters)
	rt.End = at(r.back)
	rt.Travel = msSeconds(st.travel)
	rt.Overtime = msSeconds(st.over)
	return rt, st
}

// roundDecimeter rounds metres to 0.1 m: finer is noise in a road
// distance, and DIMACS benchmark distances are whole tenths.
func roundDecimeter(m float64) float64 { return math.Round(m*10) / 10 }

// leg measures a leg with the problem's travel model.
func (in *instance) leg(from, to model.Location) geo.Leg {
	leg, err := in.travel.Leg(from, to)
	if err != nil {
		// compile resolved every location of the problem already.
		panic("solver: " + err.Error())
	}
	return leg
}
