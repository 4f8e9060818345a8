package solver

import (
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/dispatchd/dispatchd/geo"
	"github.com/dispatchd/dispatchd/model"
)

// Times inside the solver are int64 milliseconds since the Unix epoch:
// integers keep feasibility exact (the DIMACS one-decimal travel times are
// whole milliseconds), and a millisecond is finer than any dispatcher's
// clock.
const (
	never   = math.MaxInt64 / 4 // no deadline; also "no upper bound"
	always  = -never            // no lower bound
	msPerS  = 1000
	msPerMi = 60 * msPerS
)

func toMS(t time.Time) int64      { return t.UnixMilli() }
func durMS(d time.Duration) int64 { return d.Milliseconds() }
func secMS(s model.Seconds) int64 { return int64(s) * msPerS }
func fromMS(ms int64, loc *time.Location) time.Time {
	return time.UnixMilli(ms).In(loc)
}

// window is an interval of allowed service starts, in ms.
type window struct{ start, end int64 }

// job is a work order as the search sees it.
type job struct {
	idx      int // in Problem.WorkOrders
	loc      int32
	dur      int64
	windows  []window // sorted, disjoint, never empty
	deadline int64    // SLA deadline on the end of service, or never
	demand   []float64
	// missed is the cost of leaving the job unassigned.
	missed float64
	// fixed is the vehicle a pinned job must stay on (-1 if free); its
	// window is then exactly its scheduled start.
	fixed int32
	// vehicles lists the vehicles that qualify for the job, ascending.
	vehicles []int32
}

// breakSpec is a technician's break: it starts in [earliest, latest].
type breakSpec struct{ earliest, latest, dur int64 }

// vehicle is a technician as the search sees it.
type vehicle struct {
	idx              int // in Problem.Technicians
	startLoc, endLoc int32
	shiftStart       int64
	shiftEnd         int64
	latestEnd        int64 // shift end plus allowed overtime
	breaks           []breakSpec
	maxJobs          int // 0: no cap
	capacity         []float64
	// doneJobs and doneLoad are what the technician did today before the
	// route starts (a suggestion plans the rest of a day); they count
	// against max_jobs and capacity.
	doneJobs int
	doneLoad []float64
	// class groups vehicles that are interchangeable while empty, so that a
	// homogeneous fleet is tried once rather than once per vehicle.
	class int32
}

// instance is a Problem compiled for the search: flat arrays, indices for
// ids, times in ms.
type instance struct {
	p        *model.Problem
	w        model.Weights
	travel   geo.Travel
	tt       *travelTable
	jobs     []job
	vehicles []vehicle
	// pair[v*len(jobs)+j] is the static cost of vehicle v doing job j:
	// skill surplus, preferred technician and plan change.
	pair []float64
	// ok[v*len(jobs)+j] reports whether vehicle v qualifies for job j.
	ok []bool
	// classHash[v] hashes vehicle v's rows of ok and pair, for classify.
	classHash []uint64
	// neighbours[j] lists other jobs by increasing travel from j.
	neighbours [][]int32
	// depotDist[j] is the mean travel time (ms) to job j from the
	// technicians' start locations (a sample of them on a large crew), for
	// SISR's far-first and close-first insertion orders.
	depotDist []float64
	dims      int // capacity dimensions used by any job
	// timeSoft is set when lateness or overtime cost anything: insertion
	// costs must then follow schedule changes down the route.
	timeSoft bool
	// activeVehicles counts active technicians, over whom workload is
	// balanced.
	activeVehicles int

	// budget is the Plan call's (nil for a suggestion); compiled is set
	// once every table above is built within it.
	budget   *budget
	compiled bool
	// unconsidered marks the jobs the run never got to try, when its
	// budget ran out first (nil: none).
	unconsidered []bool
	// emptyDays[v] is vehicle v's empty day, built when an explanation
	// first needs it: the explanations are Plan's alone, which owns its
	// instance.
	emptyDays []*route
}

// ErrInfeasible is returned (wrapped) when the problem's fixed parts
// cannot be kept: a pinned stop that cannot be reached in time.
var ErrInfeasible = errors.New("solver: infeasible")

// neighbourCount bounds the neighbour lists the ruin step walks.
const neighbourCount = 64

// compile builds the search's view of a validated problem. When the
// budget runs out before it is done, it returns the instance with
// compiled unset: enough to say that every order was left out, and why.
func compile(p *model.Problem, b *budget) (*instance, error) {
	tr, err := geo.New(p.Travel)
	if err != nil {
		return nil, fmt.Errorf("solver: building the travel model: %w", err)
	}
	in := &instance{p: p, w: p.Policy(), travel: tr, budget: b}
	in.timeSoft = in.w.Lateness > 0 || in.w.Overtime > 0
	locs := newLocator(tr)
	for i := range p.Technicians {
		in.vehicles = append(in.vehicles, compileVehicle(i, &p.Technicians[i], locs))
		if p.Technicians[i].IsActive() {
			in.activeVehicles++
		}
	}
	techIndex := make(map[string]int32, len(p.Technicians))
	for i := range p.Technicians {
		techIndex[p.Technicians[i].ID] = int32(i)
	}
	for i := range p.WorkOrders {
		if !p.WorkOrders[i].Status.Open() {
			continue // history: neither planned nor unassigned
		}
		j, err := compileJob(i, &p.WorkOrders[i], locs, in.w, techIndex)
		if err != nil {
			return nil, err
		}
		in.dims = max(in.dims, len(j.demand))
		in.jobs = append(in.jobs, j)
	}
	if moved := layOut(locs, legTime(locs, tr)); moved != nil {
		for v := range in.vehicles {
			ve := &in.vehicles[v]
			ve.startLoc, ve.endLoc = moved[ve.startLoc], moved[ve.endLoc]
		}
		for j := range in.jobs {
			in.jobs[j].loc = moved[in.jobs[j].loc]
		}
	}
	in.tt, err = newTravelTable(locs, tr, in.w, b)
	if err != nil {
		return nil, err
	}
	in.compiled = in.qualify(techIndex) && in.classify() && in.findNeighbours() && in.measureDepotDist()
	return in, nil
}

func compileVehicle(i int, t *model.Technician, locs *locator) vehicle {
	v := vehicle{
		idx:        i,
		startLoc:   locs.index(t.Start),
		endLoc:     locs.index(t.EndLocation()),
		shiftStart: toMS(t.Shift.Start),
		shiftEnd:   toMS(t.Shift.End),
		maxJobs:    t.MaxJobs,
		capacity:   t.Capacity,
	}
	v.latestEnd = v.shiftEnd + secMS(t.Overtime)
	v.breaks = breakSpecs(t, 0)
	return v
}

// breakSpecs returns a technician's breaks, shifted by shift ms, in the
// order they are taken: schedules follow a route's breaks in turn, and a
// technician may list them in any order.
func breakSpecs(t *model.Technician, shift int64) []breakSpec {
	var bs []breakSpec
	for _, b := range t.Breaks {
		bs = append(bs, breakSpec{earliest: toMS(b.Earliest) + shift, latest: toMS(b.Latest) + shift, dur: secMS(b.Duration)})
	}
	slices.SortFunc(bs, func(a, b breakSpec) int { return cmp.Compare(a.earliest, b.earliest) })
	return bs
}

func compileJob(i int, w *model.WorkOrder, locs *locator, weights model.Weights, techIndex map[string]int32) (job, error) {
	j := job{
		idx:      i,
		loc:      locs.index(w.Location),
		dur:      secMS(w.Duration),
		deadline: never,
		demand:   w.Demand,
		missed:   weights.UnassignedCost(w.Priority),
		fixed:    -1,
	}
	if w.SLADeadline != nil {
		j.deadline = toMS(*w.SLADeadline)
	}
	for _, tw := range w.TimeWindows {
		j.windows = append(j.windows, window{toMS(tw.Start), toMS(tw.End)})
	}
	j.windows = mergeWindows(j.windows)
	if len(j.windows) == 0 {
		j.windows = []window{{always, never}}
	}
	if w.IsFixed() {
		v, ok := techIndex[w.TechnicianIDs[0]]
		if !ok {
			return job{}, fmt.Errorf("solver: pinned work order %s: unknown technician %s", w.ID, w.TechnicianIDs[0])
		}
		j.fixed = v
		s := toMS(*w.ScheduledStart)
		j.windows = []window{{s, s}}
	}
	return j, nil
}

// mergeWindows sorts windows and joins those that overlap or touch.
func mergeWindows(ws []window) []window {
	slices.SortFunc(ws, func(a, b window) int { return cmp.Compare(a.start, b.start) })
	out := ws[:0]
	for _, w := range ws {
		if n := len(out); n > 0 && w.start <= out[n-1].end {
			out[n-1].end = max(out[n-1].end, w.end)
			continue
		}
		out = append(out, w)
	}
	return out
}

// firstStart returns the earliest allowed start at or after t.
func (j *job) firstStart(t int64) (int64, bool) {
	for _, w := range j.windows {
		if t <= w.end {
			return max(t, w.start), true
		}
	}
	return 0, false
}

// lastStart returns the latest allowed start at or before t.
func (j *job) lastStart(t int64) (int64, bool) {
	for k := len(j.windows) - 1; k >= 0; k-- {
		if w := j.windows[k]; t >= w.start {
			return min(t, w.end), true
		}
	}
	return 0, false
}

// qualify fills the compatibility and static pair-cost tables. A job that
// needs a crew qualifies nobody until crews are planned; a pinned job
// qualifies only its technician. Qualifications are checked on integer
// profiles, once for each set of requirements that orders share, and no
// reason is spelled out here: only orders left unassigned need them.
func (in *instance) qualify(techIndex map[string]int32) bool {
	nj, nv := len(in.jobs), len(in.vehicles)
	in.ok = make([]bool, nv*nj)
	in.pair = make([]float64, nv*nj)
	in.classHash = make([]uint64, nv)
	prof := newProfiles(in.p.Technicians)
	lookup := func(id string) (int32, bool) { v, ok := techIndex[id]; return v, ok }
	// shared maps a set of requirements to the technicians who meet it.
	type qualified struct {
		vehicles []int32
		surplus  []int // skill surplus of each
	}
	shared := map[string]*qualified{}
	var key []byte
	for j := range in.jobs {
		if in.budget.searchSpent() {
			return false
		}
		jb := &in.jobs[j]
		w := &in.p.WorkOrders[jb.idx]
		if w.Crew() > 1 {
			continue
		}
		n := prof.need(w, lookup)
		if jb.fixed >= 0 {
			// A pinned order stays with its technician, qualified or not.
			if v := jb.fixed; fitsCapacity(jb.demand, in.vehicles[v].capacity) {
				in.admit(j, v, prof.surplus(v, &n), w, lookup)
			}
			continue
		}
		key = needKey(key[:0], &n, jb.demand)
		q := shared[string(key)]
		if q == nil {
			q = &qualified{}
			anyone := n
			anyone.excluded = nil // the key leaves exclusions out
			for v := range int32(nv) {
				if prof.qualifies(v, &anyone) && fitsCapacity(jb.demand, in.vehicles[v].capacity) {
					q.vehicles = append(q.vehicles, v)
					q.surplus = append(q.surplus, prof.surplus(v, &n))
				}
			}
			shared[string(key)] = q
		}
		for i, v := range q.vehicles {
			if !slices.Contains(n.excluded, v) {
				in.admit(j, v, q.surplus[i], w, lookup)
			}
		}
	}
	return true
}

// admit records that vehicle v qualifies for job j, whose required skills
// it exceeds by surplus levels.
func (in *instance) admit(j int, v int32, surplus int, w *model.WorkOrder, techIndex func(string) (int32, bool)) {
	nj := len(in.jobs)
	jb := &in.jobs[j]
	c := pairPrice(in.w, surplus, len(w.PreferredTechnicians) > 0 && !namesVehicle(w.PreferredTechnicians, v, techIndex),
		len(w.TechnicianIDs) > 0 && !namesVehicle(w.TechnicianIDs, v, techIndex))
	i := int(v)*nj + j
	in.ok[i] = true
	in.pair[i] = c
	jb.vehicles = append(jb.vehicles, v)
	in.classHash[v] = mix(mix(in.classHash[v], uint64(j)), math.Float64bits(c))
}

// namesVehicle reports whether a list of technician ids names vehicle v.
func namesVehicle(ids []string, v int32, techIndex func(string) (int32, bool)) bool {
	for _, id := range ids {
		if x, ok := techIndex(id); ok && x == v {
			return true
		}
	}
	return false
}

// needKey appends to dst what decides who qualifies for an order, but its
// exclusions: requirements in the profiles' numbers and the demand.
func needKey(dst []byte, n *need, demand []float64) []byte {
	if n.impossible {
		return append(dst, 'x')
	}
	skills := slices.Clone(n.skills)
	slices.SortFunc(skills, func(a, b skillLevel) int { return cmp.Compare(a.skill, b.skill) })
	dst = binary.AppendUvarint(dst, uint64(len(skills)))
	for _, s := range skills {
		dst = binary.AppendUvarint(dst, uint64(s.skill))
		dst = binary.AppendUvarint(dst, uint64(s.level))
	}
	for _, words := range [][]uint64{n.certs, n.tools} {
		for _, x := range words {
			dst = binary.LittleEndian.AppendUint64(dst, x)
		}
	}
	for _, d := range demand {
		dst = binary.LittleEndian.AppendUint64(dst, math.Float64bits(d))
	}
	return dst
}

// mix folds x into the hash h: FNV-1a's step on 64-bit words, then a
// multiply by the golden ratio's odd constant, which spreads a change in
// x to the high bits too.
func mix(h, x uint64) uint64 {
	const prime = 0x100000001b3
	return (h ^ x) * prime * 0x9e3779b97f4a7c15
}

// fitsCapacity reports whether a demand fits a capacity on its own; nil
// capacity is unlimited and a dimension beyond the list has capacity 0.
func fitsCapacity(demand, capacity []float64) bool {
	if capacity == nil {
		return true
	}
	for k, d := range demand {
		if d > 0 && (k >= len(capacity) || d > capacity[k]+capacityEps) {
			return false
		}
	}
	return true
}

// capacityEps absorbs float rounding in sums of demands.
const capacityEps = 1e-9

// classify groups vehicles that are interchangeable while their routes
// are empty: same places, shift, breaks, limits and qualifications. Rows
// of the tables are compared only between vehicles whose hashes of them
// agree.
func (in *instance) classify() bool {
	nj := len(in.jobs)
	type key struct {
		start, end                 int32
		shiftStart, shiftEnd, late int64
		maxJobs                    int
		hash                       uint64
	}
	same := func(a, b int) bool {
		va, vb := &in.vehicles[a], &in.vehicles[b]
		return slices.Equal(va.breaks, vb.breaks) && slices.Equal(va.capacity, vb.capacity) &&
			slices.Equal(in.ok[a*nj:(a+1)*nj], in.ok[b*nj:(b+1)*nj]) &&
			slices.Equal(in.pair[a*nj:(a+1)*nj], in.pair[b*nj:(b+1)*nj])
	}
	seen := map[key][]int{} // the first vehicle of each class with the key
	classes := int32(0)
	for v := range in.vehicles {
		ve := &in.vehicles[v]
		k := key{ve.startLoc, ve.endLoc, ve.shiftStart, ve.shiftEnd, ve.latestEnd, ve.maxJobs, in.classHash[v]}
		ve.class = -1
		for _, first := range seen[k] {
			if same(v, first) {
				ve.class = in.vehicles[first].class
				break
			}
		}
		if ve.class < 0 {
			ve.class = classes
			classes++
			seen[k] = append(seen[k], v)
		}
	}
	return !in.budget.searchSpent()
}

// findNeighbours lists, for every job, the nearest other jobs by travel
// time (ties by index), for the ruin step's string removals and granular
// insertion. With travel from coordinates the candidates come from a k-d
// tree, so that a day of n orders costs O(n k log n) rather than n sorts
// of n legs; with a matrix, which has no geometry, each job keeps the k
// smallest of its row.
func (in *instance) findNeighbours() bool {
	n := len(in.jobs)
	in.neighbours = make([][]int32, n)
	k := min(neighbourCount, n-1)
	if k <= 0 {
		return true
	}
	// key[o] is the travel time from the job at hand to job o, looked up
	// once: above denseLimit the table computes a leg on every lookup.
	key := make([]int64, n)
	closer := func(a, b int32) int {
		if c := cmp.Compare(key[a], key[b]); c != 0 {
			return c
		}
		return cmp.Compare(a, b)
	}
	if in.tt.places != nil {
		return in.neighboursFromTree(k, key, closer)
	}
	cand := make([]int32, 0, n)
	for j := range in.jobs {
		if in.budget.searchSpent() {
			return false
		}
		cand = cand[:0]
		from := in.jobs[j].loc
		for o := range in.jobs {
			if o != j {
				cand = append(cand, int32(o))
				key[o] = in.tt.dur(from, in.jobs[o].loc)
			}
		}
		in.neighbours[j] = slices.Clone(smallest(cand, k, closer))
	}
	return true
}

// neighboursFromTree finds neighbour lists with a k-d tree over the jobs'
// places. Travel times are whole seconds, monotone in the great-circle
// distance, so the nearest by distance are the nearest by travel but for
// ties in the rounding: the query widens until the farthest candidate is
// two seconds past the k-th, so that every job as close as the k-th is
// among the candidates, and the lists are the ones a full sort gives.
func (in *instance) neighboursFromTree(k int, key []int64, closer func(a, b int32) int) bool {
	locs := make([]model.Location, len(in.jobs))
	for j := range in.jobs {
		locs[j] = in.tt.loc.places[in.jobs[j].loc]
	}
	tree, err := geo.NewKDTree(locs)
	if err != nil {
		// compile placed every job, so each has coordinates.
		panic("solver: " + err.Error())
	}
	var near []int
	var cand, sorted []int32
	for j := range in.jobs {
		if in.budget.searchSpent() {
			return false
		}
		from := in.jobs[j].loc
		for want := k + 1 + k/4; ; want *= 2 {
			near = tree.Nearest(locs[j], want, near[:0])
			cand = cand[:0]
			for _, o := range near {
				if o != j {
					cand = append(cand, int32(o))
					key[o] = in.tt.dur(from, in.jobs[o].loc)
				}
			}
			// cand is in order of distance: its last is the farthest.
			farthest := key[cand[len(cand)-1]]
			sorted = smallest(append(sorted[:0], cand...), k, closer)
			if len(near) == len(locs) || farthest >= key[sorted[k-1]]+2*msPerS {
				break
			}
		}
		in.neighbours[j] = slices.Clone(sorted)
	}
	return true
}

// smallest returns the k smallest elements of list in order, in list's
// first k slots; the order of the rest is lost.
func smallest(list []int32, k int, compare func(a, b int32) int) []int32 {
	if len(list) > 4*k {
		// A bounded max-heap: O(n log k) rather than a sort of all n.
		h := list[:k]
		slices.SortFunc(h, func(a, b int32) int { return compare(b, a) })
		for _, x := range list[k:] {
			if compare(x, h[0]) < 0 {
				h[0] = x
				siftDown(h, compare)
			}
		}
		slices.SortFunc(h, compare)
		return h
	}
	slices.SortFunc(list, compare)
	return list[:min(k, len(list))]
}

// siftDown restores the max-heap h after its top was replaced.
func siftDown(h []int32, compare func(a, b int32) int) {
	i := 0
	for {
		c := 2*i + 1
		if c >= len(h) {
			return
		}
		if r := c + 1; r < len(h) && compare(h[r], h[c]) > 0 {
			c = r
		}
		if compare(h[c], h[i]) <= 0 {
			return
		}
		h[i], h[c] = h[c], h[i]
		i = c
	}
}

// depotSample bounds the start locations depotDist averages over: it
// only orders jobs from near to far, and on a day of a thousand
// technicians, each starting from home, all of them would make it the
// most expensive step of compiling (ten million legs).
const depotSample = 128

// measureDepotDist fills depotDist, averaging over every distinct start
// location, or over depotSample of them spread evenly through the crew.
func (in *instance) measureDepotDist() bool {
	seen := make([]bool, in.tt.n)
	var starts []int32
	for _, v := range in.vehicles {
		if !seen[v.startLoc] {
			seen[v.startLoc] = true
			starts = append(starts, v.startLoc)
		}
	}
	if n := len(starts); n > depotSample {
		for i := range depotSample {
			starts[i] = starts[i*n/depotSample]
		}
		starts = starts[:depotSample]
	}
	in.depotDist = make([]float64, len(in.jobs))
	for j := range in.jobs {
		if in.budget.searchSpent() {
			return false
		}
		sum := 0.0
		for _, s := range starts {
			sum += float64(in.tt.dur(s, in.jobs[j].loc))
		}
		if len(starts) > 0 {
			in.depotDist[j] = sum / float64(len(starts))
		}
	}
	return true
}
