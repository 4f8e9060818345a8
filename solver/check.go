package solver

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/dispatchd/dispatchd/geo"
	"github.com/dispatchd/dispatchd/model"
)

// Assignment proposes that a technician do a work order starting at a
// given time: a dispatch, a reassignment, or one stop of a plan. A crew
// order is proposed once per technician.
type Assignment struct {
	TechnicianID string
	Order        model.WorkOrder
	Start        time.Time
}

// Move is a later stop that an assignment pushes, still within its
// window: a dispatch stores its new start.
type Move struct {
	TechnicianID string
	WorkOrderID  string
	From, To     time.Time
}

// Verdict is what Check finds: every rule the proposal breaks (none: it
// fits), and the stops it pushes later.
type Verdict struct {
	Conflicts []model.Conflict
	Moves     []Move
}

// Check judges proposed assignments against a day in progress, as Suggest
// sees it: each technician's remaining day runs from where and when they
// are free (after the stops they are on or driving to, else from their
// live position) through their other stops, which keep their order and
// may move within their windows. An order proposed is first taken off
// every route it is on (a reassignment or a new time), and a technician
// given several proposals gets them in order of start. Each proposal then
// fits exactly when Suggest could offer that technician that start: the
// same qualification tables, limits and route-following steps decide both.
//
// Every broken rule is listed, not only the first: qualifications, limits
// and the order's own windows, and for time, the first place where the day
// stops working — the stop the proposal overlaps (with the travel between
// them), a later stop pushed out of its window, a break squeezed out, or
// the shift's end. Check returns a *model.ValidationError for an invalid
// day or proposal; conflicts are not errors.
func Check(day Day, proposed ...Assignment) (Verdict, error) {
	if err := validateProposals(day, proposed); err != nil {
		return Verdict{}, err
	}
	day.Routes = withoutProposed(day.Routes, proposed)
	var places []model.Location
	for _, a := range proposed {
		places = append(places, a.Order.Location)
	}
	st, err := newState(day, places)
	if err != nil {
		return Verdict{}, err
	}
	order := slices.Clone(proposed)
	slices.SortStableFunc(order, func(a, b Assignment) int {
		if c := cmp.Compare(a.TechnicianID, b.TechnicianID); c != 0 {
			return c
		}
		return a.Start.Compare(b.Start)
	})
	var out Verdict
	routes := map[int32]*route{}
	for i := range order {
		a := &order[i]
		v := st.techIDs[a.TechnicianID]
		r, ok := routes[v]
		if !ok {
			r = st.routes[v]
		}
		routes[v] = st.check(v, r, a, &out)
	}
	stored := storedStarts(day.Routes)
	for v, r := range routes {
		out.Moves = append(out.Moves, st.moves(v, r, stored)...)
	}
	slices.SortFunc(out.Moves, func(a, b Move) int {
		return cmp.Or(cmp.Compare(a.TechnicianID, b.TechnicianID), a.To.Compare(b.To))
	})
	return out, nil
}

// validateProposals checks the proposals on their own: known technicians,
// a start, a valid order, no technician twice on one order.
func validateProposals(day Day, proposed []Assignment) error {
	var errs []model.FieldError
	if len(proposed) == 0 {
		errs = append(errs, model.FieldError{Field: "assignments", Message: "none proposed"})
	}
	known := map[string]bool{}
	for _, t := range day.Technicians {
		known[t.ID] = true
	}
	type pair struct{ tech, order string }
	seen := map[pair]bool{}
	for i, a := range proposed {
		path := fmt.Sprintf("assignments[%d]", i)
		if !known[a.TechnicianID] {
			errs = append(errs, model.FieldError{Field: path + ".technician_id", Message: fmt.Sprintf("unknown technician %q", a.TechnicianID)})
		}
		if a.Start.IsZero() {
			errs = append(errs, model.FieldError{Field: path + ".start", Message: "missing"})
		}
		var ve *model.ValidationError
		if err := a.Order.Validate(); errors.As(err, &ve) {
			errs = append(errs, ve.Prefix(path+".work_order").Errors...)
		}
		if err := placeable(day.Travel, a.Order.Location); err != "" {
			errs = append(errs, model.FieldError{Field: path + ".work_order.location", Message: err})
		}
		k := pair{a.TechnicianID, a.Order.ID}
		if seen[k] {
			errs = append(errs, model.FieldError{Field: path, Message: fmt.Sprintf("%s proposed twice for %s", a.Order.ID, a.TechnicianID)})
		}
		seen[k] = true
	}
	if len(errs) > 0 {
		return &model.ValidationError{Errors: errs}
	}
	return nil
}

// placeable says why the travel model cannot place a location, or "".
func placeable(travel *model.Travel, l model.Location) string {
	tr, err := geo.New(travel)
	if err != nil {
		return "" // the day's own validation names the travel model
	}
	if m, ok := tr.(*geo.Matrix); ok {
		if _, err := m.Index(l); err != nil {
			return "not in the travel matrix: give its location_index"
		}
		return ""
	}
	if !l.HasCoordinates() {
		return "no coordinates, and travel has no matrix"
	}
	return ""
}

// withoutProposed returns the routes without the stops of the proposed
// orders, copying only the routes it changes.
func withoutProposed(routes []model.Route, proposed []Assignment) []model.Route {
	ids := map[string]bool{}
	for _, a := range proposed {
		ids[a.Order.ID] = true
	}
	out := slices.Clone(routes)
	for i := range out {
		if slices.ContainsFunc(out[i].Stops, func(s model.Stop) bool { return !s.IsBreak() && ids[s.WorkOrderID] }) {
			out[i].Stops = slices.DeleteFunc(slices.Clone(out[i].Stops), func(s model.Stop) bool { return !s.IsBreak() && ids[s.WorkOrderID] })
		}
	}
	return out
}

// storedStarts maps each routed order to its stored start.
func storedStarts(routes []model.Route) map[string]time.Time {
	out := map[string]time.Time{}
	for _, r := range routes {
		for _, s := range r.Stops {
			if !s.IsBreak() {
				out[s.WorkOrderID] = s.Start
			}
		}
	}
	return out
}

// check judges one proposal on technician v's remaining route r, appends
// its conflicts, and returns the route with the order in it (r itself when
// it does not fit).
func (st *State) check(v int32, r *route, a *Assignment, out *Verdict) *route {
	in := st.in
	t := &in.p.Technicians[v]
	w := &a.Order
	zone := t.Shift.Start.Location()
	s := toMS(a.Start)
	jb := st.pinnedJob(w, s)
	add := func(c model.Conflict) {
		c.TechnicianID, c.WorkOrderID = t.ID, w.ID
		c.Start, c.End = fromMS(s, zone), fromMS(s+jb.dur, zone)
		out.Conflicts = append(out.Conflicts, c)
	}
	for _, rs := range Qualify(t, w) {
		add(model.Conflict{Kind: conflictOf[rs.Kind], Skill: rs.Skill, Have: rs.Have, Need: rs.Need, Certification: rs.Certification, Expires: rs.Expired, Tool: rs.Tool, Message: rs.Text})
	}
	if msg := st.broken[v]; msg != "" {
		add(model.Conflict{Kind: model.ConflictDay, Message: msg})
		return r
	}
	ve := r.vehicle(in)
	if ve.maxJobs > 0 && r.jobs+ve.doneJobs >= ve.maxJobs {
		add(model.Conflict{Kind: model.ConflictMaxJobs, Message: fmt.Sprintf("max_jobs reached (%d)", ve.maxJobs)})
	} else if !r.fits(in, jb) {
		add(model.Conflict{Kind: model.ConflictCapacity, Message: fmt.Sprintf("capacity: demand %v does not fit what is left of %v", w.Demand, t.Capacity)})
	}
	if len(w.TimeWindows) > 0 && !slices.ContainsFunc(w.TimeWindows, func(tw model.TimeWindow) bool { return tw.Contains(a.Start) }) {
		add(model.Conflict{Kind: model.ConflictWindow, Message: fmt.Sprintf("starts %s, outside its time windows", clock(a.Start.In(zone)))})
	}
	// Time: the proposal fits if some gap of the route takes it at s.
	best, bestAdded := -1, int64(0)
	for g := 0; g <= r.jobs; g++ {
		legIn, legOut := in.tt.dur(r.loc[g], jb.loc), in.tt.dur(jb.loc, r.loc[g+1])
		if _, ok := r.tryAt(in, jb, g, legIn, legOut); !ok {
			continue
		}
		added := legIn + legOut
		if r.jobs > 0 {
			added -= r.leg[g+1]
		}
		if best < 0 || added < bestAdded {
			best, bestAdded = g, added
		}
	}
	if best < 0 {
		found := st.diagnose(r, jb, s)
		for _, c := range found {
			add(c)
		}
		for _, c := range st.overlaps(r, jb, s, found) {
			add(c)
		}
		return r
	}
	next, _ := r.trial(in, jb, best)
	return next
}

// overlaps names every stop of route r whose service overlaps job jb's at
// s that found does not already name: diagnose stops at the first place
// the day breaks, but a dispatcher deciding whether to override wants to
// see every order the proposal lands on.
func (st *State) overlaps(r *route, jb *job, s int64, found []model.Conflict) []model.Conflict {
	in := st.in
	zone := in.p.Technicians[r.v].Shift.Start.Location()
	at := func(ms int64) time.Time { return fromMS(ms, zone) }
	var out []model.Conflict
	for p := 1; p <= r.jobs; p++ {
		other := r.job(in, p)
		os, oe := r.start[p], r.start[p]+other.dur
		if oe <= s || os >= s+jb.dur || other.idx < 0 {
			continue
		}
		name := in.p.WorkOrders[other.idx].ID
		if slices.ContainsFunc(found, func(c model.Conflict) bool { return c.Other == name }) {
			continue
		}
		out = append(out, model.Conflict{Kind: model.ConflictOverlap, Other: name, OtherStart: at(os), OtherEnd: at(oe),
			Message: fmt.Sprintf("starts %s, while %s is done %s–%s", clock(at(s)), name, clock(at(os)), clock(at(oe)))})
	}
	return out
}

// conflictOf maps the static reasons to conflicts.
var conflictOf = map[ReasonKind]model.ConflictKind{
	ReasonInactive:      model.ConflictInactive,
	ReasonSkill:         model.ConflictSkill,
	ReasonCertification: model.ConflictCertification,
	ReasonTool:          model.ConflictTool,
	ReasonExcluded:      model.ConflictExcluded,
}

// pinnedJob compiles an order as a job that must start exactly at s.
func (st *State) pinnedJob(w *model.WorkOrder, s int64) *job {
	jb := &job{idx: -1, loc: st.in.tt.loc.index(w.Location), dur: secMS(w.Duration), deadline: never, demand: w.Demand, fixed: -1,
		windows: []window{{s, s}}}
	if w.SLADeadline != nil {
		jb.deadline = toMS(*w.SLADeadline)
	}
	return jb
}

// diagnose says why job jb cannot start at s anywhere in route r: it
// follows the day with the job where its start puts it, and names the
// first place where the day stops working.
func (st *State) diagnose(r *route, jb *job, s int64) []model.Conflict {
	in := st.in
	ve := r.vehicle(in)
	zone := in.p.Technicians[r.v].Shift.Start.Location()
	at := func(ms int64) time.Time { return fromMS(ms, zone) }
	n := r.jobs
	g := 0
	for g < n && r.start[g+1] < s {
		g++
	}
	// The same day without breaks tells a break squeezed out from a stop
	// that cannot be reached anyway.
	bare := *ve
	bare.breaks = nil
	plain := &route{v: r.v, ve: &bare, seq: r.seq, extra: r.extra}
	plain.update(in)
	name := func(p int) string { return in.p.WorkOrders[r.job(in, p).idx].ID }
	stopTimes := func(p int) (time.Time, time.Time) { return at(r.start[p]), at(r.start[p] + r.job(in, p).dur) }

	nk := r.nk
	f, l := make([]int64, nk), make([]int64, nk)
	nf, nl := make([]int64, nk), make([]int64, nk)
	pf, pl := []int64{plain.free[g]}, []int64{0}
	npf, npl := []int64{0}, []int64{0}
	legIn := in.tt.dur(r.loc[g], jb.loc)
	ve.step(r.at(r.free, g), r.at(r.late, g), legIn, jb, f, l, nil)
	bare.step(pf, pl, legIn, jb, npf, npl, nil)
	if allNever(f) {
		if npf[0] < never {
			return []model.Conflict{breakConflict(ve, zone)}
		}
		ready := plain.free[g]
		switch {
		case g > 0:
			os, oe := stopTimes(g)
			return []model.Conflict{{Kind: model.ConflictOverlap, Other: name(g), OtherStart: os, OtherEnd: oe, Travel: msSeconds(legIn),
				Message: fmt.Sprintf("starts %s, but %s ends %s and the drive from it takes %v", clock(at(s)), name(g), clock(oe), msDuration(legIn))}}
		case st.after[r.v] != "":
			return []model.Conflict{{Kind: model.ConflictOverlap, Other: st.after[r.v], OtherEnd: at(ready), Travel: msSeconds(legIn),
				Message: fmt.Sprintf("starts %s, but %s keeps the technician until %s and the drive from it takes %v", clock(at(s)), st.after[r.v], clock(at(ready)), msDuration(legIn))}}
		case ready <= toMS(in.p.Technicians[r.v].Shift.Start):
			return []model.Conflict{{Kind: model.ConflictShift, Travel: msSeconds(legIn),
				Message: fmt.Sprintf("starts %s, before the shift start %s plus the drive from the start location (%v)", clock(at(s)), clock(at(ready)), msDuration(legIn))}}
		}
		return []model.Conflict{{Kind: model.ConflictUnreachable, Travel: msSeconds(legIn),
			Message: fmt.Sprintf("starts %s, but the technician, free at %s, is %v away", clock(at(s)), clock(at(ready)), msDuration(legIn))}}
	}
	legOut := in.tt.dur(jb.loc, r.loc[g+1])
	for p := g + 1; p <= n+1; p++ {
		leg, next := r.beyond(in, g, p, legOut)
		ve.step(f, l, leg, next, nf, nl, nil)
		bare.step(npf, npl, leg, next, pf, pl, nil)
		f, nf, l, nl = nf, f, nl, l
		npf, pf, npl, pl = pf, npf, pl, npl
		end := p == n+1
		if end {
			if _, ok := r.endState(in, f, l); ok {
				break
			}
		} else if !allNever(f) {
			continue
		}
		plainOK := npf[0] < never && (!end || npf[0] <= ve.latestEnd)
		switch {
		case plainOK:
			return []model.Conflict{breakConflict(ve, zone)}
		case end:
			back := slices.Min(f)
			if npf[0] < never {
				back = npf[0]
			}
			over := max(0, back-ve.shiftEnd)
			return []model.Conflict{{Kind: model.ConflictShift, Overtime: msSeconds(over),
				Message: fmt.Sprintf("the technician would be back %s, past the shift end %s with the overtime allowed (%v of overtime needed)", clock(at(back)), clock(at(ve.shiftEnd)), msDuration(over))}}
		}
		os, oe := stopTimes(p)
		kind, how := model.ConflictKnockOn, "pushes"
		if p == g+1 {
			kind, how = model.ConflictOverlap, "overlaps, with the drive ("+msDuration(leg).String()+"),"
		}
		return []model.Conflict{{Kind: kind, Other: name(p), OtherStart: os, OtherEnd: oe, Travel: msSeconds(leg),
			Message: fmt.Sprintf("ends %s and %s %s (scheduled %s–%s) out of its windows", clock(at(s+jb.dur)), how, name(p), clock(os), clock(oe))}}
	}
	// The walk found the day feasible: only a gap other than the one its
	// start puts the order in could have failed, which cannot be.
	return []model.Conflict{breakConflict(ve, zone)}
}

func allNever(f []int64) bool {
	for _, x := range f {
		if x < never {
			return false
		}
	}
	return true
}

// breakConflict says that the technician's breaks no longer fit.
func breakConflict(ve *vehicle, zone *time.Location) model.Conflict {
	var parts []string
	for _, b := range ve.breaks {
		parts = append(parts, fmt.Sprintf("%v starting %s–%s", msDuration(b.dur), clock(fromMS(b.earliest, zone)), clock(fromMS(b.latest, zone))))
	}
	msg := "no break fits"
	if len(parts) > 0 {
		msg = "leaves no room for the break (" + joinAnd(parts) + ")"
	}
	return model.Conflict{Kind: model.ConflictBreak, Message: msg}
}

func joinAnd(parts []string) string {
	switch len(parts) {
	case 0:
		return ""
	case 1:
		return parts[0]
	}
	out := parts[0]
	for _, p := range parts[1 : len(parts)-1] {
		out += ", " + p
	}
	return out + " and " + parts[len(parts)-1]
}

// moves lists the stops of technician v's route r that start later than
// stored.
func (st *State) moves(v int32, r *route, stored map[string]time.Time) []Move {
	in := st.in
	t := &in.p.Technicians[v]
	var out []Move
	for p := 1; p <= r.jobs; p++ {
		if r.seq[p-1] < 0 {
			continue
		}
		id := in.p.WorkOrders[r.job(in, p).idx].ID
		from, ok := stored[id]
		if to := fromMS(r.start[p], t.Shift.Start.Location()); ok && to.After(from) {
			out = append(out, Move{TechnicianID: t.ID, WorkOrderID: id, From: from, To: to})
		}
	}
	return out
}
