package check

import (
	"math"
	"slices"
	"time"

	"github.com/dispatchd/dispatchd/model"
)

// objective recomputes the KPIs and every objective term exactly as the
// model.Weights doc comment defines them, from the timed routes and the
// first assignment of every order.
func (c *planChecker) objective() {
	w := c.p.Policy()
	k, m := &c.rep.KPIs, &c.rep.Measures
	var travel, meters, overtime, work, shift float64
	for i := range c.routes {
		r := &c.routes[i]
		travel += r.travelSeconds()
		meters += r.meters()
		overtime += r.overtime().Seconds()
		work += r.workSeconds()
		shift += r.tech.Shift.End.Sub(r.tech.Shift.Start).Seconds()
	}
	k.TechniciansUsed = len(c.routes)
	k.Travel, k.Distance, k.Overtime = roundSeconds(travel), meters, roundSeconds(overtime)
	if shift > 0 {
		k.Utilisation = work / shift
	}
	m.TravelTime, m.Distance, m.Overtime = travel/60, meters/1000, overtime/60
	m.WorkloadBalance = c.workloadSpread()
	c.orderMeasures()
	terms := &c.rep.Terms
	terms.TravelTime = w.TravelTime * m.TravelTime
	terms.Distance = w.Distance * m.Distance
	terms.Overtime = w.Overtime * m.Overtime
	terms.WorkloadBalance = w.WorkloadBalance * m.WorkloadBalance
	terms.Lateness = w.Lateness * m.Lateness
	terms.SkillSurplus = w.SkillSurplus * m.SkillSurplus
	terms.PreferredTechnician = w.PreferredTechnician * m.PreferredTechnician
	terms.PlanChange = w.PlanChange * m.PlanChange
	for i := range c.p.WorkOrders {
		if o := &c.p.WorkOrders[i]; o.Status.Open() && !c.assigned(o.ID) {
			terms.Unassigned += w.UnassignedCost(o.Priority)
		}
	}
}

// assigned reports whether the plan does order id.
func (c *planChecker) assigned(id string) bool {
	_, ok := c.done[id]
	return ok
}

// orderMeasures adds the measures that are sums over orders: unassigned,
// lateness, skill surplus, preferred technician and plan change.
func (c *planChecker) orderMeasures() {
	k, m := &c.rep.KPIs, &c.rep.Measures
	late := 0.0
	for i := range c.p.WorkOrders {
		o := &c.p.WorkOrders[i]
		a, ok := c.done[o.ID]
		if !o.Status.Open() {
			continue
		}
		if !ok {
			k.Unassigned++
			m.Unassigned++
			m.UnassignedRank += float64(max(o.Priority.Rank(), 0))
			continue
		}
		k.Assigned++
		if o.SLADeadline != nil {
			late += max(0, a.end.Sub(*o.SLADeadline).Seconds())
		}
		for _, s := range o.RequiredSkills.Names() {
			m.SkillSurplus += float64(max(0, a.tech.Skills[s]-o.RequiredSkills[s]))
		}
		if len(o.PreferredTechnicians) > 0 && !o.Prefers(a.tech.ID) {
			m.PreferredTechnician++
		}
		if len(o.TechnicianIDs) > 0 && !slices.Contains(o.TechnicianIDs, a.tech.ID) {
			m.PlanChange++
		}
	}
	k.Lateness = roundSeconds(late)
	m.Lateness = late / 60
}

// workloadSpread returns Σ over active technicians of |work − mean work|,
// work being minutes of service on their route.
func (c *planChecker) workloadSpread() float64 {
	work := map[string]float64{}
	for i := range c.routes {
		work[c.routes[i].tech.ID] = c.routes[i].workSeconds() / 60
	}
	var active []float64
	for i := range c.p.Technicians {
		if t := &c.p.Technicians[i]; t.IsActive() {
			active = append(active, work[t.ID])
		}
	}
	if len(active) == 0 {
		return 0
	}
	var sum, spread float64
	for _, m := range active {
		sum += m
	}
	mean := sum / float64(len(active))
	for _, m := range active {
		spread += math.Abs(m - mean)
	}
	return spread
}

// compare lists every number the plan reports that disagrees with the
// recomputation: times and legs to the second, distances and the
// objective to a relative 1e-6.
func (c *planChecker) compare(plan model.Plan) {
	for i := range c.routes {
		c.compareRoute(&c.routes[i])
	}
	got, want := plan.KPIs, c.rep.KPIs
	for _, f := range []struct {
		name      string
		got, want float64
		prec      precision
	}{
		{"assigned", float64(got.Assigned), float64(want.Assigned), exact},
		{"unassigned", float64(got.Unassigned), float64(want.Unassigned), exact},
		{"travel_s", float64(got.Travel), float64(want.Travel), seconds},
		{"distance_m", got.Distance, want.Distance, decimetres},
		{"lateness_s", float64(got.Lateness), float64(want.Lateness), seconds},
		{"overtime_s", float64(got.Overtime), float64(want.Overtime), seconds},
		{"utilisation", got.Utilisation, want.Utilisation, fourDecimals},
		{"technicians_used", float64(got.TechniciansUsed), float64(want.TechniciansUsed), exact},
	} {
		if !agree(f.got, f.want, f.prec) {
			c.mismatch("kpis.%s: reported %v, recomputed %v", f.name, f.got, f.want)
		}
	}
	c.compareObjective(plan)
}

func (c *planChecker) compareObjective(plan model.Plan) {
	c.compareMeasures(plan.Measures)
	got, want := plan.ObjectiveTerms, c.rep.Terms
	for _, f := range []struct {
		name      string
		got, want float64
	}{
		{"unassigned", got.Unassigned, want.Unassigned},
		{"lateness", got.Lateness, want.Lateness},
		{"travel_time", got.TravelTime, want.TravelTime},
		{"distance", got.Distance, want.Distance},
		{"overtime", got.Overtime, want.Overtime},
		{"skill_surplus", got.SkillSurplus, want.SkillSurplus},
		{"preferred_technician", got.PreferredTechnician, want.PreferredTechnician},
		{"workload_balance", got.WorkloadBalance, want.WorkloadBalance},
		{"plan_change", got.PlanChange, want.PlanChange},
	} {
		if !agree(f.got, f.want, exact) {
			c.mismatch("objective_terms.%s: reported %v, recomputed %v", f.name, f.got, f.want)
		}
	}
	if !agree(plan.Objective, want.Total(), exact) {
		c.mismatch("objective: reported %v, recomputed %v", plan.Objective, want.Total())
	}
}

// compareMeasures checks the plan's measures; a plan that reports none
// (all zero, as from an older planner) is not held to them.
func (c *planChecker) compareMeasures(got model.Measures) {
	if got == (model.Measures{}) {
		return
	}
	want := c.rep.Measures
	for _, f := range []struct {
		name      string
		got, want float64
	}{
		{"unassigned", got.Unassigned, want.Unassigned},
		{"unassigned_rank", got.UnassignedRank, want.UnassignedRank},
		{"lateness_min", got.Lateness, want.Lateness},
		{"travel_time_min", got.TravelTime, want.TravelTime},
		{"distance_km", got.Distance, want.Distance},
		{"overtime_min", got.Overtime, want.Overtime},
		{"skill_surplus_levels", got.SkillSurplus, want.SkillSurplus},
		{"preferred_technician_misses", got.PreferredTechnician, want.PreferredTechnician},
		{"workload_balance_min", got.WorkloadBalance, want.WorkloadBalance},
		{"plan_change", got.PlanChange, want.PlanChange},
	} {
		if !agree(f.got, f.want, exact) {
			c.mismatch("measures.%s: reported %v, recomputed %v", f.name, f.got, f.want)
		}
	}
}

// compareRoute checks the numbers a route and its job stops report. Times
// the plan leaves out (arrival, route start and end, load) are not
// compared.
func (c *planChecker) compareRoute(r *timedRoute) {
	id := r.tech.ID
	for _, j := range r.jobs {
		c.compareStop(id, &j)
	}
	rt := r.route
	for _, f := range []struct {
		name      string
		got, want float64
		prec      precision
	}{
		{"travel_s", float64(rt.Travel), r.travelSeconds(), seconds},
		{"distance_m", rt.Distance, r.meters(), decimetres},
		{"work_s", float64(rt.Work), r.workSeconds(), seconds},
		{"overtime_s", float64(rt.Overtime), r.overtime().Seconds(), seconds},
	} {
		if !agree(f.got, f.want, f.prec) {
			c.mismatch("route %s: %s reported %v, recomputed %v", id, f.name, f.got, f.want)
		}
	}
	if !rt.End.IsZero() && absDuration(rt.End.Sub(r.back)) > slack {
		c.mismatch("route %s: end reported %s, back at the end location %s", id, clock(rt.End), clock(r.back))
	}
	if first := r.jobs[0]; !rt.Start.IsZero() && (r.depart.Sub(rt.Start) > slack || rt.Start.Add(first.leg.Duration).Sub(first.start) > slack) {
		c.mismatch("route %s: start reported %s, not between %s and %s − %v travel", id, clock(rt.Start), clock(r.depart), clock(first.start), first.leg.Duration)
	}
	if rt.Load != nil && !sameLoad(rt.Load, routeLoad(r.jobs)) {
		c.mismatch("route %s: load reported %v, recomputed %v", id, rt.Load, routeLoad(r.jobs))
	}
}

func (c *planChecker) compareStop(tech string, j *job) {
	st, w := j.stop, j.order
	var late time.Duration
	if w.SLADeadline != nil {
		late = max(0, j.end.Sub(*w.SLADeadline))
	}
	for _, f := range []struct {
		name      string
		got, want float64
		prec      precision
	}{
		{"travel_s", float64(st.Travel), j.leg.Duration.Seconds(), seconds},
		{"distance_m", st.Distance, j.leg.Meters, decimetres},
		{"lateness_s", float64(st.Lateness), late.Seconds(), seconds},
	} {
		if !agree(f.got, f.want, f.prec) {
			c.mismatch("route %s stop %s: %s reported %v, recomputed %v", tech, w.ID, f.name, f.got, f.want)
		}
	}
	if !st.Arrival.IsZero() && !agree(float64(st.Wait), st.Start.Sub(st.Arrival).Seconds(), seconds) {
		c.mismatch("route %s stop %s: wait_s reported %d, start − arrival is %v", tech, w.ID, st.Wait, st.Start.Sub(st.Arrival))
	}
}

// precision is how finely model says a reported number is written.
type precision int

const (
	exact        precision = iota // to a relative 1e-6
	seconds                       // whole seconds: _s fields
	decimetres                    // 0.1 m: distance_m fields
	fourDecimals                  // utilisation
)

// agree compares a reported number with a recomputed one at the precision
// model documents for the field.
func agree(got, want float64, prec precision) bool {
	d := math.Abs(got - want)
	switch prec {
	case seconds:
		return d <= slack.Seconds()
	case decimetres:
		return d <= 0.05+1e-6*math.Abs(want)
	case fourDecimals:
		return d <= 0.5e-4+1e-12
	}
	return d <= 1e-6*max(math.Abs(got), math.Abs(want)) || d <= 1e-9
}

func sameLoad(a, b []float64) bool {
	for k := range max(len(a), len(b)) {
		var x, y float64
		if k < len(a) {
			x = a[k]
		}
		if k < len(b) {
			y = b[k]
		}
		if !agree(x, y, exact) {
			return false
		}
	}
	return true
}

// roundSeconds rounds a float count of seconds to whole seconds.
func roundSeconds(s float64) model.Seconds { return model.Seconds(math.Round(s)) }
