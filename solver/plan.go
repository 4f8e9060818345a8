package solver

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/dispatchd/dispatchd/model"
)

// Options bound and steer a Plan run. The run ends at whichever comes
// first: TimeLimit, the context's deadline, or Iterations.
type Options struct {
	// TimeLimit bounds the wall-clock time of the whole Plan call, from
	// validation to the last explanation; zero means none of its own.
	TimeLimit time.Duration
	// Iterations bounds the improvement iterations (one ruin and recreate
	// each). Zero means DefaultIterations when there is no time limit and
	// no deadline, and no bound otherwise. With Iterations set, the same
	// problem and Seed give the same plan as long as the run is not cut
	// short by time.
	Iterations int
	// Seed seeds every random choice of the run.
	Seed uint64
	// Threads is how many searches run in parallel, each on a core of its
	// own, exchanging their best plans now and then; zero means one per
	// core (runtime.GOMAXPROCS). Iterations bounds each thread's search,
	// and with an iteration budget the plan depends on Seed and Threads
	// only, never on the clock or the scheduler.
	Threads int
	// Observer, if not nil, is told of the run's progress.
	Observer Observer
}

// DefaultIterations is the iteration budget of a run given no other bound.
const DefaultIterations = 20_000

// Progress is a snapshot of a running Plan. With several threads,
// Iteration counts the iterations of the thread that holds the best plan
// (each thread runs about as many).
type Progress struct {
	Iteration     int
	Elapsed       time.Duration
	BestObjective float64
	Assigned      int
	Unassigned    int
}

// Observer receives progress reports. Plan calls it from its own
// goroutine: after construction, then every progressEvery (sooner for a
// new best), and at the end.
type Observer interface {
	Observe(Progress)
}

// ObserverFunc adapts a function to an Observer.
type ObserverFunc func(Progress)

// Observe calls f.
func (f ObserverFunc) Observe(p Progress) { f(p) }

const progressEvery = 100 * time.Millisecond

// Plan assigns and routes a problem's work orders to its technicians and
// returns the best plan found: every hard constraint holds in it, and each
// order left out says why. It is anytime: construction builds a complete
// plan, and improvement runs until the budget in opts (or the context's
// deadline) is spent.
//
// The time limit bounds the whole call — compiling the problem, building
// the plan, improving it and explaining what is left out — and so does
// the context's deadline; a limit or a cancel takes effect within an
// insertion. Should the time run out before the plan is built, Plan
// returns the part built so far, with the orders it never got to
// unassigned and a reason saying so.
//
// Plan returns a *model.ValidationError for an invalid problem, an error
// wrapping ErrInfeasible when pinned stops cannot be kept, and the
// context's error, beside the best plan so far, when the context is
// cancelled before its deadline.
func Plan(ctx context.Context, p *model.Problem, opts Options) (model.Plan, error) {
	b := startBudget(ctx, opts.TimeLimit)
	defer b.release()
	if err := p.Validate(); err != nil {
		return model.Plan{}, err
	}
	in, err := compile(p, b)
	if err != nil {
		return model.Plan{}, err
	}
	best, err := in.search(opts, b)
	if best == nil {
		return model.Plan{}, err
	}
	return in.plan(best), err
}

// search builds a first solution and improves it by ruin and recreate
// under simulated annealing, on opts.Threads threads (see parallel.go);
// it returns the best solution found. The jobs it never got to try, when
// the budget ran out first, are marked in in.unconsidered.
func (in *instance) search(opts Options, b *budget) (*solution, error) {
	started := time.Now()
	iterations := opts.Iterations
	if iterations == 0 && !b.timed() {
		iterations = DefaultIterations
	}
	rng := rand.New(rand.NewPCG(opts.Seed, 0xd1b54a32d192ed03))
	sc := &scratch{budget: b}

	cur := newSolution(in)
	if !in.compiled {
		in.leaveOut(cur.free)
		return cur, b.err()
	}
	if err := cur.placeFixed(); err != nil {
		return nil, err
	}
	// absent counts, per job, the iterations that ended with it unassigned.
	absent := make([]int32, len(in.jobs))
	todo := cur.insertable(sc.toInsert[:0])
	in.insertionOrder(rng, todo, absent, false, sc)
	built := cur.recreate(rng, todo, 0, sc)
	curCost := cur.cost()

	first := &searcher{in: in, rng: rng, sc: sc, absent: absent, cur: cur, curCost: curCost,
		best: cur.copy(), bestCost: curCost, cand: &solution{}}
	g := &group{in: in, opts: opts, b: b, started: started, iterations: iterations, workers: []*searcher{first}}
	g.report(0)
	if built < len(todo) {
		in.leaveOut(todo[built:])
		return first.best, b.err()
	}
	g.t0, g.tf = in.temperatures(cur)
	g.spawn(opts.threads())
	g.run()
	best := g.bestWorker()
	g.report(best.it)
	return best.best, b.err()
}

// leaveOut marks jobs the run never got to try.
func (in *instance) leaveOut(jobs []int32) {
	if in.unconsidered == nil {
		in.unconsidered = make([]bool, len(in.jobs))
	}
	for _, j := range jobs {
		in.unconsidered[j] = true
	}
}

// release gives up ownership of the routes, so that the next change to
// any of them, by s or by a solution copied from it, copies it first.
func (s *solution) release() {
	for _, r := range s.routes {
		if r.owner == s {
			r.owner = nil
		}
	}
}

// temperatures returns the annealing's start and end temperatures, scaled
// to the problem's cost per job. SISR starts at 100 (in Solomon distance
// units, about ten times our scale). Without a local search, starting at
// 30 gave a mean Solomon gap of 0.41% at 2 s against 0.53%. With every
// candidate searched locally, starting at 10 is better again on short
// runs and the same on long ones (12 hard Solomon instances, fixed
// iterations, mean over seeds: 10,000 iterations 0.60% against 0.74%,
// four seeds; 40,000 iterations 0.371% against 0.373%, two seeds).
func (in *instance) temperatures(s *solution) (float64, float64) {
	arcs, jobs := 0.0, 0
	for _, r := range s.routes {
		arcs += r.arcs
		jobs += r.jobs
	}
	scale := 1.0
	if jobs > 0 && arcs > 0 {
		scale = arcs / float64(jobs) / 10
	}
	return 10 * scale, 1 * scale
}

// insertable appends the unassigned jobs that some vehicle qualifies for.
func (s *solution) insertable(dst []int32) []int32 {
	for _, j := range s.free {
		if len(s.in.jobs[j].vehicles) > 0 {
			dst = append(dst, j)
		}
	}
	return dst
}

// placeFixed puts pinned jobs on their technicians' routes in order of
// their scheduled start, and fails if they cannot all be kept.
func (s *solution) placeFixed() error {
	in := s.in
	var fixed []int32
	for j := range in.jobs {
		if in.jobs[j].fixed >= 0 && len(in.jobs[j].vehicles) > 0 {
			fixed = append(fixed, int32(j))
		}
	}
	slices.SortFunc(fixed, func(a, b int32) int { return int(in.jobs[a].windows[0].start - in.jobs[b].windows[0].start) })
	for _, j := range fixed {
		v := in.jobs[j].fixed
		r := s.routes[v]
		placed := false
		for g := r.jobs; g >= 0 && !placed; g-- {
			if _, ok := r.tryGap(in, j, g, math.Inf(1)); ok {
				s.insert(j, v, g)
				placed = true
			}
		}
		if !placed {
			w := &in.p.WorkOrders[in.jobs[j].idx]
			t := &in.p.Technicians[in.vehicles[v].idx]
			return fmt.Errorf("%w: pinned work order %s cannot start at %s on %s's route (shift %s–%s, with travel and the other pinned stops)",
				ErrInfeasible, w.ID, clock(w.ScheduledStart.In(t.Shift.Start.Location())), t.ID, clock(t.Shift.Start), clock(t.Shift.End))
		}
	}
	return nil
}
