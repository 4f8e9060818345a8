package check

import (
	"fmt"
	"slices"
	"time"

	"github.com/dispatchd/dispatchd/geo"
	"github.com/dispatchd/dispatchd/model"
)

// Kind names the hard rule a plan breaks.
type Kind string

// The hard rules Plan enforces.
const (
	// KindUnknown: a route's technician, a stop's work order or type, or an
	// id listed unassigned that the problem does not have.
	KindUnknown Kind = "unknown"
	// KindInactive: work given to a technician who is not active.
	KindInactive Kind = "inactive"
	// KindDuplicate: two routes for one technician, an order done twice, or
	// listed unassigned twice.
	KindDuplicate Kind = "duplicate"
	// KindTeam: an order that needs more than one technician is assigned;
	// team orders must stay unassigned until planners support them.
	KindTeam Kind = "team"
	// KindSkill: the technician's level is below a required level.
	KindSkill Kind = "skill"
	// KindCertification: a required certification is missing, or expired on
	// the day of the stop in the technician's shift time zone.
	KindCertification Kind = "certification"
	// KindTool: a required tool is missing.
	KindTool Kind = "tool"
	// KindExcluded: the order excludes the technician.
	KindExcluded Kind = "excluded"
	// KindTime: a stop without a start or an end, or a break ending before
	// it starts.
	KindTime Kind = "time"
	// KindDuration: a job does not end at its start plus duration_s.
	KindDuration Kind = "duration"
	// KindOrder: a job starts before the previous job of the route ends.
	KindOrder Kind = "order"
	// KindWindow: a job starts outside every time window of its order.
	KindWindow Kind = "window"
	// KindShift: the first job starts before shift start plus the travel
	// from the start location.
	KindShift Kind = "shift"
	// KindTravel: a job starts (or is said to be reached) before the
	// previous stop's end plus the breaks between plus the travel, or a
	// leg cannot be found in the travel model.
	KindTravel Kind = "travel"
	// KindShiftEnd: the technician is back at the end location after shift
	// end plus overtime_s.
	KindShiftEnd Kind = "shift_end"
	// KindMaxJobs: more jobs than the technician's max_jobs.
	KindMaxJobs Kind = "max_jobs"
	// KindCapacity: the route's load exceeds the capacity in a dimension.
	KindCapacity Kind = "capacity"
	// KindBreak: a required break is not shown, starts outside [earliest,
	// latest], is short, overlaps work or travel, or ends after shift end
	// plus overtime.
	KindBreak Kind = "break"
	// KindPinned: an order that is pinned, en route or on site is not on its
	// technician_ids[0] at its scheduled_start.
	KindPinned Kind = "pinned"
	// KindInconsistent: an order both assigned and listed unassigned, or
	// neither.
	KindInconsistent Kind = "inconsistent"
	// KindReason: an unassigned order without a non-empty reason.
	KindReason Kind = "reason"
	// KindClosed: a complete or cancelled order is routed or listed
	// unassigned; closed orders are history and stay out of plans.
	KindClosed Kind = "closed"
)

// Violation is one broken hard rule.
type Violation struct {
	Kind    Kind
	Message string
}

// String formats the violation as "kind: message".
func (v Violation) String() string { return string(v.Kind) + ": " + v.Message }

// PlanReport is Plan's verdict on a plan and its recomputed numbers.
type PlanReport struct {
	// Feasible is true when Violations is empty.
	Feasible bool
	// Violations are in the order found: route by route in plan order,
	// then order by order in problem order.
	Violations []Violation
	// Mismatches are numbers the plan reports (stop, route and plan
	// totals, KPIs, objective) that disagree with the recomputation; they
	// do not make a plan infeasible, but a planner should report none.
	Mismatches []string
	// KPIs, Measures, Terms and Objective are recomputed from the problem
	// and the plan's stop order and start times; Objective is
	// Terms.Total().
	KPIs      model.KPIs
	Measures  model.Measures
	Terms     model.ObjectiveTerms
	Objective float64
}

// Kinds returns the distinct kinds of the report's violations, sorted.
func (r *PlanReport) Kinds() []Kind {
	var kinds []Kind
	for _, v := range r.Violations {
		if !slices.Contains(kinds, v.Kind) {
			kinds = append(kinds, v.Kind)
		}
	}
	slices.Sort(kinds)
	return kinds
}

// slack absorbs the rounding of reported times to whole seconds in
// comparisons that involve travel, durations and breaks. Time windows,
// break windows and pinned starts are compared exactly: their bounds are
// given, not computed, and rounding a time inside them keeps it inside.
const slack = time.Second

// Plan judges a plan against its problem by the rules of API.md
// ("Semantics") and the model's doc comments, trusting only each route's
// technician, the order of its stops and their start times (and, for
// breaks, their end times). Every other time, travel leg, load, KPI and
// objective term is recomputed, travel with geo.New(p.Travel) — the model
// the solver uses — so times must agree to the second.
//
// A route's timeline: the technician is free at shift start at the start
// location; they travel to each job, which starts no earlier than their
// arrival and lasts duration_s, and then to the end location. A break is
// taken where the technician is — at the place before, once free and
// before leaving, or at the next, once arrived and before its work (or,
// after the last job, at the end location once back): it overlaps neither
// work nor travel. A route with no job stops leaves the technician
// unused: its breaks are not checked.
//
// p must be valid (Problem.Validate).
func Plan(p *model.Problem, plan model.Plan) PlanReport {
	c := newPlanChecker(p)
	travel, err := geo.New(p.Travel)
	if err != nil {
		c.add(KindTravel, "building the travel model: %v", err)
		return c.finish()
	}
	c.travel = travel
	for i := range plan.Routes {
		c.route(&plan.Routes[i])
	}
	c.checkOrders(plan.Unassigned)
	c.objective()
	c.compare(plan)
	return c.finish()
}

// planChecker holds what Plan learns while it walks a plan.
type planChecker struct {
	p      *model.Problem
	travel geo.Travel
	techs  map[string]*model.Technician
	orders map[string]*model.WorkOrder
	routed map[string]bool
	// done is the first assignment of every order found in a route.
	done map[string]assignment
	// routes are the timed routes of used technicians, for the totals and
	// the comparison with what the plan reports.
	routes []timedRoute
	rep    PlanReport
}

// assignment is where and when an order is done.
type assignment struct {
	tech       *model.Technician
	start, end time.Time
}

func newPlanChecker(p *model.Problem) *planChecker {
	c := &planChecker{
		p:      p,
		techs:  make(map[string]*model.Technician, len(p.Technicians)),
		orders: make(map[string]*model.WorkOrder, len(p.WorkOrders)),
		routed: map[string]bool{},
		done:   map[string]assignment{},
	}
	for i := range p.Technicians {
		c.techs[p.Technicians[i].ID] = &p.Technicians[i]
	}
	for i := range p.WorkOrders {
		c.orders[p.WorkOrders[i].ID] = &p.WorkOrders[i]
	}
	return c
}

func (c *planChecker) add(kind Kind, format string, args ...any) {
	c.rep.Violations = append(c.rep.Violations, Violation{Kind: kind, Message: fmt.Sprintf(format, args...)})
}

func (c *planChecker) mismatch(format string, args ...any) {
	c.rep.Mismatches = append(c.rep.Mismatches, fmt.Sprintf(format, args...))
}

func (c *planChecker) finish() PlanReport {
	c.rep.Feasible = len(c.rep.Violations) == 0
	c.rep.Objective = c.rep.Terms.Total()
	return c.rep
}

// job is a job stop resolved against the problem.
type job struct {
	stop  *model.Stop
	order *model.WorkOrder
	// start is the plan's claim; end is start + duration_s.
	start, end time.Time
	// breaks are the breaks shown between the previous job and this one.
	breaks []*model.Stop
	// leg is the travel that leads here.
	leg geo.Leg
}

// timedRoute is a used technician's route as Plan recomputes it.
type timedRoute struct {
	route  *model.Route
	tech   *model.Technician
	jobs   []job
	home   geo.Leg   // the leg from the last job to the end location
	depart time.Time // earliest departure from the start location
	back   time.Time // earliest arrival at the end location
}

// travelSeconds returns the route's travel, start to end location.
func (r *timedRoute) travelSeconds() float64 {
	s := r.home.Duration.Seconds()
	for _, j := range r.jobs {
		s += j.leg.Duration.Seconds()
	}
	return s
}

// meters returns the route's distance, start to end location.
func (r *timedRoute) meters() float64 {
	m := r.home.Meters
	for _, j := range r.jobs {
		m += j.leg.Meters
	}
	return m
}

// workSeconds returns the service time of the route's jobs.
func (r *timedRoute) workSeconds() float64 {
	var s float64
	for _, j := range r.jobs {
		s += float64(j.order.Duration)
	}
	return s
}

// overtime returns how long after shift end the technician is back.
func (r *timedRoute) overtime() time.Duration {
	return max(0, r.back.Sub(r.tech.Shift.End))
}

func (c *planChecker) route(r *model.Route) {
	t, ok := c.techs[r.TechnicianID]
	switch {
	case !ok:
		c.add(KindUnknown, "route for unknown technician %q", r.TechnicianID)
		return
	case c.routed[t.ID]:
		c.add(KindDuplicate, "two routes for %s", t.ID)
		return
	}
	c.routed[t.ID] = true
	jobs, trailing := c.stops(t, r)
	if len(jobs) == 0 {
		return
	}
	if !t.IsActive() {
		c.add(KindInactive, "%s is not active but has %d job(s)", t.ID, len(jobs))
	}
	for i := range jobs {
		c.pair(t, &jobs[i])
	}
	tr := timedRoute{route: r, tech: t, jobs: jobs}
	c.timeline(&tr, trailing)
	c.limits(t, jobs)
	c.routes = append(c.routes, tr)
}

// stops resolves a route's stops: its jobs, each with the breaks shown
// before it, and the breaks shown after the last job.
func (c *planChecker) stops(t *model.Technician, r *model.Route) ([]job, []*model.Stop) {
	var jobs []job
	var pending []*model.Stop
	for i := range r.Stops {
		st := &r.Stops[i]
		switch st.Type {
		case model.StopBreak:
			if st.Start.IsZero() || st.End.IsZero() || st.End.Before(st.Start) {
				c.add(KindTime, "%s: break %d has start %s and end %s", t.ID, i, clock(st.Start), clock(st.End))
				continue
			}
			pending = append(pending, st)
		case "", model.StopJob:
			if j, ok := c.job(t, st); ok {
				j.breaks, pending = pending, nil
				jobs = append(jobs, j)
			}
		default:
			c.add(KindUnknown, "%s: stop %d has unknown type %q", t.ID, i, st.Type)
		}
	}
	return jobs, pending
}

// job resolves one job stop and records its assignment.
func (c *planChecker) job(t *model.Technician, st *model.Stop) (job, bool) {
	w, ok := c.orders[st.WorkOrderID]
	if !ok {
		c.add(KindUnknown, "%s visits unknown work order %q", t.ID, st.WorkOrderID)
		return job{}, false
	}
	if st.Start.IsZero() {
		c.add(KindTime, "%s %s: no start time", t.ID, w.ID)
		return job{}, false
	}
	j := job{stop: st, order: w, start: st.Start, end: st.Start.Add(w.Duration.Duration())}
	if !w.Status.Open() {
		c.add(KindClosed, "%s is %s and is routed to %s", w.ID, w.Status, t.ID)
	}
	prev, twice := c.done[w.ID]
	switch {
	case w.Crew() > 1:
		c.add(KindTeam, "%s needs %d technicians and is assigned to %s: team orders must stay unassigned", w.ID, w.Crew(), t.ID)
	case twice:
		c.add(KindDuplicate, "%s is done by %s and again by %s", w.ID, prev.tech.ID, t.ID)
	}
	if !twice {
		c.done[w.ID] = assignment{tech: t, start: j.start, end: j.end}
	}
	return j, true
}

// pair checks that the technician may do the job and that its stop keeps
// the order's own rules: qualifications on the day, window, duration.
func (c *planChecker) pair(t *model.Technician, j *job) {
	w := j.order
	day := model.DateOf(j.start.In(t.Shift.Start.Location()))
	for _, s := range w.RequiredSkills.Names() {
		if have := t.Skills[s]; have < w.RequiredSkills[s] {
			c.add(KindSkill, "%s %s: needs %s ≥ %d, has %d", t.ID, w.ID, s, w.RequiredSkills[s], have)
		}
	}
	for _, name := range w.RequiredCertifications {
		cert, ok := t.Certification(name)
		switch {
		case !ok:
			c.add(KindCertification, "%s %s: needs %s, has none", t.ID, w.ID, name)
		case !cert.ValidOn(day):
			c.add(KindCertification, "%s %s: needs %s, which expired %s (job on %s)", t.ID, w.ID, name, cert.Expires, day)
		}
	}
	for _, tool := range w.RequiredTools {
		if !t.HasTool(tool) {
			c.add(KindTool, "%s %s: needs tool %s", t.ID, w.ID, tool)
		}
	}
	if w.Excludes(t.ID) {
		c.add(KindExcluded, "%s %s: the order excludes this technician", t.ID, w.ID)
	}
	if len(w.TimeWindows) > 0 && !slices.ContainsFunc(w.TimeWindows, func(tw model.TimeWindow) bool { return tw.Contains(j.start) }) {
		c.add(KindWindow, "%s %s: starts %s, outside every time window", t.ID, w.ID, clock(j.start))
	}
	switch end := j.stop.End; {
	case end.IsZero():
		c.add(KindTime, "%s %s: no end time", t.ID, w.ID)
	case absDuration(end.Sub(j.end)) > slack:
		c.add(KindDuration, "%s %s: ends %s, want start + %ds = %s", t.ID, w.ID, clock(end), w.Duration, clock(j.end))
	}
}

// timeline walks the route from shift start to the end location: travel,
// breaks and the start of every job.
func (c *planChecker) timeline(r *timedRoute, trailing []*model.Stop) {
	t := r.tech
	free, place := t.Shift.Start, t.Start
	var shown []*model.Stop
	for i := range r.jobs {
		j := &r.jobs[i]
		shown = append(shown, j.breaks...)
		j.leg = c.leg(t, place, j.order.Location, j.order.ID)
		free = c.breaksAround(t, free, j.breaks, j.leg.Duration)
		if i == 0 {
			r.depart = free
		}
		if n := len(j.breaks); n > 0 && j.breaks[n-1].End.Sub(j.start) > slack {
			c.add(KindBreak, "%s: break %s–%s overlaps %s, which starts %s", t.ID, clock(j.breaks[n-1].Start), clock(j.breaks[n-1].End), j.order.ID, clock(j.start))
		}
		c.reach(t, r.jobs, i, free)
		free, place = j.end, j.order.Location
	}
	r.home = c.leg(t, place, t.EndLocation(), "the end location")
	r.back = c.breaksAround(t, free, trailing, r.home.Duration).Add(r.home.Duration)
	shown = append(shown, trailing...)
	if limit := t.Shift.End.Add(t.Overtime.Duration()); r.back.Sub(limit) > slack {
		c.add(KindShiftEnd, "%s: back at the end location %s, after shift end + overtime %s", t.ID, clock(r.back), clock(limit))
	}
	c.matchBreaks(t, shown)
}

// reach checks that job i can be reached: free is when the technician can
// leave for it (after the previous job and the breaks taken there).
func (c *planChecker) reach(t *model.Technician, jobs []job, i int, free time.Time) {
	j := &jobs[i]
	earliest := free.Add(j.leg.Duration)
	switch {
	case i == 0 && t.Shift.Start.Add(j.leg.Duration).Sub(j.start) > slack:
		c.add(KindShift, "%s %s: starts %s, before shift start %s + %v travel", t.ID, j.order.ID, clock(j.start), clock(t.Shift.Start), j.leg.Duration)
	case i > 0 && j.start.Before(jobs[i-1].end):
		c.add(KindOrder, "%s %s: starts %s, before %s ends at %s", t.ID, j.order.ID, clock(j.start), jobs[i-1].order.ID, clock(jobs[i-1].end))
	case earliest.Sub(j.start) > slack:
		c.add(KindTravel, "%s %s: starts %s, earliest %s (free %s + %v travel)", t.ID, j.order.ID, clock(j.start), clock(earliest), clock(free), j.leg.Duration)
	}
	if a := j.stop.Arrival; !a.IsZero() && (earliest.Sub(a) > slack || a.Sub(j.start) > slack) {
		c.add(KindTravel, "%s %s: reported arrival %s is not between %s and the start %s", t.ID, j.order.ID, clock(a), clock(earliest), clock(j.start))
	}
}

// breaksAround checks the breaks shown between two places, the
// technician free at the first at free, and returns when they leave it. A
// break is taken where the technician is — at the first place before
// leaving or at the next once arrived — so the breaks follow one another
// from free on and the travel fits whole before one of them, else it
// comes after the last (and reach judges whether the next stop can then
// be reached); the earliest such departure counts.
func (c *planChecker) breaksAround(t *model.Technician, free time.Time, breaks []*model.Stop, travel time.Duration) time.Time {
	depart, found := free, false
	fits := func(from, to time.Time) bool { return to.Sub(from.Add(travel)) >= -slack }
	for _, b := range breaks {
		if free.Sub(b.Start) > slack {
			c.add(KindBreak, "%s: break at %s starts before %s, when the previous stop (or the shift) lets it", t.ID, clock(b.Start), clock(free))
		}
		if !found && fits(free, b.Start) {
			depart, found = free, true
		}
		free = maxTime(free, b.End)
	}
	if !found {
		depart = free
	}
	return depart
}

// matchBreaks pairs the breaks shown, in route order, with the required
// breaks in order of their earliest start.
func (c *planChecker) matchBreaks(t *model.Technician, shown []*model.Stop) {
	req := slices.Clone(t.Breaks)
	slices.SortStableFunc(req, func(a, b model.Break) int { return a.Earliest.Compare(b.Earliest) })
	if len(shown) != len(req) {
		c.add(KindBreak, "%s: %d break(s) required, %d shown", t.ID, len(req), len(shown))
	}
	limit := t.Shift.End.Add(t.Overtime.Duration())
	for i := range min(len(shown), len(req)) {
		s, b := shown[i], req[i]
		if s.Start.Before(b.Earliest) || s.Start.After(b.Latest) {
			c.add(KindBreak, "%s: break %d starts %s, outside [%s, %s]", t.ID, i, clock(s.Start), clock(b.Earliest), clock(b.Latest))
		}
		if got := s.End.Sub(s.Start); b.Duration.Duration()-got > slack {
			c.add(KindBreak, "%s: break %d lasts %v, needs %ds", t.ID, i, got, b.Duration)
		}
		if s.End.Sub(limit) > slack {
			c.add(KindBreak, "%s: break %d ends %s, after shift end + overtime %s", t.ID, i, clock(s.End), clock(limit))
		}
	}
}

// limits checks max_jobs and capacity; a dimension beyond the listed
// capacity has capacity 0, and no capacity at all means unlimited.
func (c *planChecker) limits(t *model.Technician, jobs []job) {
	if t.MaxJobs > 0 && len(jobs) > t.MaxJobs {
		c.add(KindMaxJobs, "%s: %d jobs > max_jobs %d", t.ID, len(jobs), t.MaxJobs)
	}
	if t.Capacity == nil {
		return
	}
	for k, load := range routeLoad(jobs) {
		capacity := 0.0
		if k < len(t.Capacity) {
			capacity = t.Capacity[k]
		}
		if load > capacity+1e-9*max(1, capacity) {
			c.add(KindCapacity, "%s: load %g > capacity %g in dimension %d", t.ID, load, capacity, k)
		}
	}
}

// routeLoad sums the demands of the jobs per dimension.
func routeLoad(jobs []job) []float64 {
	var load []float64
	for _, j := range jobs {
		for k, d := range j.order.Demand {
			if k >= len(load) {
				load = append(load, make([]float64, k+1-len(load))...)
			}
			load[k] += d
		}
	}
	return load
}

// leg returns the travel between two places, reporting a place the travel
// model cannot find.
func (c *planChecker) leg(t *model.Technician, from, to model.Location, toName string) geo.Leg {
	leg, err := c.travel.Leg(from, to)
	if err != nil {
		c.add(KindTravel, "%s: no travel to %s: %v", t.ID, toName, err)
	}
	return leg
}

// checkOrders checks every order against the plan's unassigned list: each is
// either assigned or listed with a reason, and fixed orders are where they
// were fixed.
func (c *planChecker) checkOrders(list []model.Unassigned) {
	listed := map[string]*model.Unassigned{}
	for i := range list {
		u := &list[i]
		switch _, known := c.orders[u.WorkOrderID]; {
		case !known:
			c.add(KindUnknown, "unassigned lists unknown work order %q", u.WorkOrderID)
		case listed[u.WorkOrderID] != nil:
			c.add(KindDuplicate, "%s is listed unassigned twice", u.WorkOrderID)
		default:
			listed[u.WorkOrderID] = u
		}
	}
	for i := range c.p.WorkOrders {
		w := &c.p.WorkOrders[i]
		a, assigned := c.done[w.ID]
		u := listed[w.ID]
		switch {
		case !w.Status.Open():
			if u != nil {
				c.add(KindClosed, "%s is %s and is listed unassigned", w.ID, w.Status)
			}
		case assigned && u != nil:
			c.add(KindInconsistent, "%s is assigned to %s and listed unassigned", w.ID, a.tech.ID)
		case !assigned && u == nil:
			c.add(KindInconsistent, "%s is neither assigned nor listed unassigned", w.ID)
		case u != nil && !hasReason(u):
			c.add(KindReason, "%s is unassigned without a reason", w.ID)
		}
		c.pinned(w, a, assigned)
	}
}

func hasReason(u *model.Unassigned) bool {
	return slices.ContainsFunc(u.Reasons, func(r string) bool { return r != "" })
}

// pinned checks that a fixed order (pinned, en route or on site) is done by
// its technician_ids[0] at its scheduled_start. Team orders are left to the
// team rule: they must stay unassigned for now.
func (c *planChecker) pinned(w *model.WorkOrder, a assignment, assigned bool) {
	if !w.IsFixed() || w.Crew() > 1 || len(w.TechnicianIDs) == 0 || w.ScheduledStart == nil {
		return
	}
	who, when := w.TechnicianIDs[0], *w.ScheduledStart
	switch {
	case !assigned:
		c.add(KindPinned, "%s is fixed to %s at %s but unassigned", w.ID, who, clock(when))
	case a.tech.ID != who:
		c.add(KindPinned, "%s is fixed to %s but done by %s", w.ID, who, a.tech.ID)
	case !a.start.Equal(when):
		c.add(KindPinned, "%s is fixed at %s but starts %s", w.ID, clock(when), clock(a.start))
	}
}

// clock formats an instant for messages: RFC 3339, to the nanosecond only
// when it has a fraction.
func clock(t time.Time) string {
	if t.IsZero() {
		return "(none)"
	}
	return t.Format(time.RFC3339Nano)
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

func absDuration(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}
