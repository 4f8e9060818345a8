package solver

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/dispatchd/dispatchd/model"
)

// maxNamed bounds how many technicians one reason names.
const maxNamed = 5

// explainer says why orders were left unassigned, concretely: which hard
// constraint rules out which technicians, or what the cheapest insertion
// would have cost.
type explainer struct {
	in   *instance
	s    *solution
	mean float64 // the crew's mean workload in s
}

func newExplainer(in *instance, s *solution) *explainer {
	if in.emptyDays == nil {
		in.emptyDays = make([]*route, len(in.vehicles))
	}
	return &explainer{in: in, s: s, mean: s.meanWork()}
}

// fitsAlone reports whether vehicle v could do job j alone in its day,
// breaks and all. Each vehicle's empty day is built once, not once for
// every order it is asked about.
func (e *explainer) fitsAlone(v, j int32) bool {
	r := e.in.emptyDays[v]
	if r == nil {
		r = newRoute(v)
		r.update(e.in)
		e.in.emptyDays[v] = r
	}
	_, ok := r.tryGap(e.in, j, 0, 0)
	return ok
}

// why returns the reasons job j is unassigned. Once the budget is spent
// it says only what it knows without looking: a plan out of time must
// not spend more explaining itself.
func (e *explainer) why(j int32) []string {
	in := e.in
	jb := &in.jobs[j]
	w := &in.p.WorkOrders[jb.idx]
	if in.unconsidered != nil && in.unconsidered[j] {
		return []string{in.budget.notConsidered()}
	}
	if w.Crew() > 1 {
		return []string{fmt.Sprintf("needs %d technicians: crews are not planned yet", w.Crew())}
	}
	if in.budget.spent() {
		return []string{in.budget.unexplained()}
	}
	if len(jb.vehicles) == 0 {
		if jb.fixed >= 0 {
			t := &in.p.Technicians[in.vehicles[jb.fixed].idx]
			return []string{fmt.Sprintf("pinned to %s, who cannot take it: %s", t.ID, strings.Join(e.staticReasons(t, w), "; "))}
		}
		return e.nobodyQualifies(w)
	}
	return e.noRoom(j)
}

// explainSample is how long explainTime explains orders to estimate how
// long explaining all of them takes, and at least how many; explainSlack
// is what it adds for writing the plan out.
const (
	explainSample     = 40 * time.Millisecond
	explainSampleJobs = 64
	explainSlack      = 10 * time.Millisecond
)

// explainTime estimates how long explaining the jobs s leaves out takes,
// twice over: a timed search ends that much before its deadline. It
// explains some of them, spread through the list, and scales the time by
// the work each takes — for each qualified technician the empty day, and
// every gap of their route if it has room — since orders differ in how
// many may take them. It samples for tens of milliseconds, not a few: on
// a machine busy with other work a short sample runs at full speed within
// one time slice of the operating system's and the explanations at the
// share of a core the process gets, which on 2 shared cores made them
// take twice the estimate. Should the estimate still fall short, the last
// orders get a sentence each rather than the plan its time.
func (in *instance) explainTime(s *solution) time.Duration {
	work := func(j int32) int {
		w := 1
		for _, v := range in.jobs[j].vehicles {
			w++
			if r := s.routes[v]; r.fits(in, &in.jobs[j]) {
				w += r.jobs + 1
			}
		}
		return w
	}
	if len(s.free) == 0 {
		return explainSlack
	}
	total := 0
	for _, j := range s.free {
		total += work(j)
	}
	e := newExplainer(in, s)
	sampled, n := 0, 0
	start := time.Now()
	for ; n < len(s.free) && (n < explainSampleJobs || time.Since(start) < explainSample); n++ {
		// The golden ratio's multiples spread the samples through the list.
		j := s.free[int(math.Mod(float64(n)*0.6180339887498949, 1)*float64(len(s.free)))]
		e.why(j)
		sampled += work(j)
	}
	perWork := float64(time.Since(start)) / float64(sampled)
	return explainSlack + time.Duration(2*perWork*float64(total))
}

// staticReasons lists why one technician cannot take an order at all.
func (e *explainer) staticReasons(t *model.Technician, w *model.WorkOrder) []string {
	var out []string
	for _, r := range Qualify(t, w) {
		out = append(out, r.Text)
	}
	if !fitsCapacity(w.Demand, t.Capacity) {
		out = append(out, fmt.Sprintf("demand %v exceeds capacity %v", w.Demand, t.Capacity))
	}
	return out
}

// nobodyQualifies summarises, requirement by requirement, why no
// technician may do the order; when no single requirement rules everyone
// out, it names the nearest misses.
func (e *explainer) nobodyQualifies(w *model.WorkOrder) []string {
	techs := e.in.p.Technicians
	var out []string
	for _, skill := range w.RequiredSkills.Names() {
		need := w.RequiredSkills[skill]
		var best []string
		top := 0
		qualified := false
		for i := range techs {
			have := techs[i].Skills[skill]
			switch {
			case have >= need && techs[i].IsActive():
				qualified = true
			case have > top:
				top, best = have, []string{techs[i].ID}
			case have == top && have > 0:
				best = append(best, techs[i].ID)
			}
		}
		if qualified {
			continue
		}
		text := fmt.Sprintf("no active technician has %s ≥ %d", skill, need)
		if top > 0 {
			text += fmt.Sprintf(" (best: %s at %d)", names(best), top)
		}
		out = append(out, text)
	}
	for _, cert := range w.RequiredCertifications {
		var expired []string
		valid := false
		for i := range techs {
			t := &techs[i]
			c, ok := t.Certification(cert)
			if !ok {
				continue
			}
			if r := Qualify(t, &model.WorkOrder{RequiredCertifications: []string{cert}}); len(r) == 0 || r[0].Kind == ReasonInactive && len(r) == 1 {
				valid = valid || t.IsActive()
				continue
			}
			expired = append(expired, fmt.Sprintf("%s (expired %s)", t.ID, c.Expires))
		}
		switch {
		case valid:
		case len(expired) > 0:
			out = append(out, fmt.Sprintf("%s held by %s, but not valid on the day", cert, names(expired)))
		default:
			out = append(out, "no technician holds "+cert)
		}
	}
	for _, tool := range w.RequiredTools {
		if !slices.ContainsFunc(techs, func(t model.Technician) bool { return t.HasTool(tool) && t.IsActive() }) {
			out = append(out, "no active technician carries "+tool)
		}
	}
	if !slices.ContainsFunc(techs, func(t model.Technician) bool { return fitsCapacity(w.Demand, t.Capacity) }) {
		out = append(out, fmt.Sprintf("demand %v exceeds every technician's capacity", w.Demand))
	}
	if len(out) > 0 {
		return out
	}
	// Every requirement is met by someone, but nobody meets them all.
	type miss struct {
		id      string
		reasons []string
	}
	var misses []miss
	for i := range techs {
		if r := e.staticReasons(&techs[i], w); len(r) > 0 {
			misses = append(misses, miss{techs[i].ID, r})
		}
	}
	slices.SortStableFunc(misses, func(a, b miss) int { return cmp.Compare(len(a.reasons), len(b.reasons)) })
	var parts []string
	for i, m := range misses {
		if i == maxNamed {
			parts = append(parts, fmt.Sprintf("and %d more", len(misses)-maxNamed))
			break
		}
		parts = append(parts, m.id+": "+strings.Join(m.reasons, ", "))
	}
	return []string{"no technician meets every requirement: " + strings.Join(parts, "; ")}
}

// noRoom explains an order that qualified technicians exist for: it fits
// nobody's shift at all, the days are full, or the weights say leaving it
// out is cheaper than its cheapest insertion.
func (e *explainer) noRoom(j int32) []string {
	in := e.in
	jb := &in.jobs[j]
	w := &in.p.WorkOrders[jb.idx]
	var never []string
	full := map[string][]string{} // cause → technicians
	var causes []string
	block := func(cause, id string) {
		if _, seen := full[cause]; !seen {
			causes = append(causes, cause)
		}
		full[cause] = append(full[cause], id)
	}
	bestV, bestCost := int32(-1), 0.0
	var best insertion
	for _, v := range jb.vehicles {
		t := &in.p.Technicians[in.vehicles[v].idx]
		if !e.fitsAlone(v, j) {
			never = append(never, fmt.Sprintf("%s (%s)", t.ID, e.timeConflict(jb, w, v)))
			continue
		}
		r := e.s.routes[v]
		if !r.fits(in, jb) {
			block(e.limitReached(r, jb), t.ID)
			continue
		}
		ins, ok := e.cheapest(r, j)
		if !ok {
			block("no gap that keeps every later stop in its window and the shift end", t.ID)
			continue
		}
		c := ins.delta + workloadTerm{}.insertion(e.s, v, jb.dur, e.mean)
		if bestV < 0 || c < bestCost {
			bestV, bestCost, best = v, c, ins
		}
	}
	var out []string
	if bestV >= 0 {
		t := &in.p.Technicians[in.vehicles[bestV].idx]
		where := "as the first job of the day"
		if r := e.s.routes[bestV]; len(r.seq) > 0 {
			where = e.after(r, best.gap)
		}
		out = append(out, fmt.Sprintf("cheapest insertion: %s %s, starting %s, adds %.1f to the objective, more than leaving it unassigned (%.1f)",
			t.ID, where, clock(fromMS(best.start, t.Shift.Start.Location())), bestCost, jb.missed))
	}
	for _, cause := range causes {
		out = append(out, "no room: "+cause+": "+names(full[cause]))
	}
	if len(never) > 0 {
		if len(never) == len(jb.vehicles) {
			out = append(out, "fits no qualified technician's shift: "+names(never))
		} else {
			out = append(out, "outside the shift of "+names(never))
		}
	}
	return out
}

// cheapest finds the cheapest feasible insertion of job j into route r.
func (e *explainer) cheapest(r *route, j int32) (insertion, bool) {
	var best insertion
	found := false
	for g := 0; g <= r.jobs; g++ {
		if ins, ok := r.tryGap(e.in, j, g, math.Inf(1)); ok && (!found || ins.delta < best.delta) {
			best, found = ins, true
		}
	}
	return best, found
}

// after names the stop an insertion into gap g follows.
func (e *explainer) after(r *route, g int) string {
	if g == 0 {
		return "as the first job of the day"
	}
	return "after " + e.in.p.WorkOrders[e.in.jobs[r.seq[g-1]].idx].ID
}

// limitReached says which of the route's limits the job would exceed.
func (e *explainer) limitReached(r *route, jb *job) string {
	ve := &e.in.vehicles[r.v]
	if ve.maxJobs > 0 && r.jobs >= ve.maxJobs {
		return "max_jobs reached"
	}
	return fmt.Sprintf("capacity left is too small for demand %v", jb.demand)
}

// timeConflict says why a job cannot be done by a vehicle even on an
// otherwise empty day.
func (e *explainer) timeConflict(jb *job, w *model.WorkOrder, v int32) string {
	in := e.in
	ve := &in.vehicles[v]
	t := &in.p.Technicians[ve.idx]
	zone := t.Shift.Start.Location()
	earliest := ve.shiftStart + in.tt.dur(ve.startLoc, jb.loc)
	latest := ve.latestEnd - in.tt.dur(jb.loc, ve.endLoc) - jb.dur
	shift := fmt.Sprintf("shift %s–%s", clock(t.Shift.Start), clock(t.Shift.End))
	if t.Overtime > 0 {
		shift += fmt.Sprintf(" + %v overtime", t.Overtime.Duration())
	}
	if latest < earliest {
		there, back := in.tt.dur(ve.startLoc, jb.loc), in.tt.dur(jb.loc, ve.endLoc)
		return fmt.Sprintf("the job (%v) and the drive there and back (%v) do not fit the %s",
			msDuration(jb.dur), msDuration(there+back), shift)
	}
	if jb.fixed >= 0 {
		return fmt.Sprintf("pinned start %s cannot be reached within the %s", clock(fromMS(jb.windows[0].start, zone)), shift)
	}
	if len(w.TimeWindows) > 0 {
		var ws []string
		for _, tw := range jb.windows {
			ws = append(ws, clock(fromMS(tw.start, zone))+"–"+clock(fromMS(tw.end, zone)))
		}
		return fmt.Sprintf("window %s cannot be met within the %s, with travel", strings.Join(ws, ", "), shift)
	}
	return "the breaks leave no time for it in the " + shift
}

// msDuration turns ms into a duration rounded to the minute, as a
// dispatcher reads it.
func msDuration(ms int64) time.Duration {
	return (time.Duration(ms) * time.Millisecond).Round(time.Minute)
}

// names joins up to maxNamed names, counting the rest.
func names(list []string) string {
	if len(list) <= maxNamed {
		return strings.Join(list, ", ")
	}
	return strings.Join(list[:maxNamed], ", ") + fmt.Sprintf(" and %d more", len(list)-maxNamed)
}
