package solver

import (
	"math"
	"math/rand/v2"
	"runtime"
	"sync"
	"time"
)

// Parallel search: Options.Threads independent ruin-and-recreate
// searches, each with its own random stream derived from the seed, start
// from the same first plan and meet at the end of every epoch, when every
// search whose best plan is worse than the best of all takes a copy of
// that plan as both its best and its current one. An epoch is a number of
// iterations when the run has an iteration budget (deadline or not), so
// that what is exchanged, and so the plan, depends on the seed and the
// thread count only; otherwise it is a stretch of wall-clock time, which every
// search reaches within an iteration, so that a search that the machine
// runs slower never holds the others up.
const (
	epochIterations = 500
	epochTime       = 100 * time.Millisecond
)

// threads is the number of searches to run.
func (o Options) threads() int {
	if o.Threads > 0 {
		return o.Threads
	}
	return runtime.GOMAXPROCS(0)
}

// searcher is one thread's search: its random stream, its current and
// best solutions and its buffers.
type searcher struct {
	in       *instance
	rng      *rand.Rand
	sc       *scratch
	ls       localSearch
	pool     pool    // elite solutions to cross with
	absent   []int32 // per job, the iterations that ended with it unassigned
	cur      *solution
	cand     *solution
	best     *solution
	curCost  float64
	bestCost float64
	it       int // iterations done
	// progress is the share of the budget spent at the last iteration;
	// bestAt, when the best was last improved (or taken from another
	// search).
	progress, bestAt float64
	done             bool // the budget is spent, or the search was cut short
}

// group runs the searchers of one Plan call.
type group struct {
	in         *instance
	opts       Options
	b          *budget
	started    time.Time
	iterations int // per searcher; zero means until the deadline
	t0, tf     float64
	// searchEnd is when a timed search ends, to leave time for the
	// explanations; recheck, when that is measured again.
	searchEnd, recheck time.Time
	lastReport         time.Time
	workers            []*searcher
}

// spawn adds searchers up to n, each starting from a copy of the first
// one's solution with a random stream of its own.
func (g *group) spawn(n int) {
	first := g.workers[0]
	for i := 1; i < n; i++ {
		clock := new(uint64)
		w := &searcher{in: g.in, sc: &scratch{budget: g.b}, cand: &solution{},
			rng:      rand.New(rand.NewPCG(g.opts.Seed^mix(0x9e3779b97f4a7c15, uint64(i)), 0xd1b54a32d192ed03+uint64(i))),
			absent:   make([]int32, len(g.in.jobs)),
			cur:      first.cur.transplant(clock),
			curCost:  first.curCost,
			bestCost: first.bestCost,
		}
		w.best = w.cur.copy()
		g.workers = append(g.workers, w)
	}
}

// run improves every searcher's solution, epoch by epoch, until the
// budget is spent.
func (g *group) run() {
	timed := g.b.timed()
	if timed {
		reserve := g.in.explainTime(g.workers[0].best)
		g.searchEnd = g.b.reserve(reserve)
		g.recheck = g.searchEnd.Add(-2 * reserve)
	}
	g.lastReport = time.Now()
	var wg sync.WaitGroup
	for {
		var until int
		var epochEnd time.Time
		if g.iterations > 0 {
			until = min(g.workers[0].it+epochIterations, g.iterations)
		}
		if timed && g.iterations == 0 {
			epochEnd = time.Now().Add(epochTime)
		}
		if len(g.workers) == 1 {
			g.workers[0].improve(g, until, epochEnd)
		} else {
			for _, w := range g.workers {
				wg.Go(func() { w.improve(g, until, epochEnd) })
			}
			wg.Wait()
		}
		over := false
		for _, w := range g.workers {
			over = over || w.done || (g.iterations > 0 && w.it >= g.iterations)
		}
		if over {
			return
		}
		g.exchange()
		now := time.Now()
		if !g.recheck.IsZero() && now.After(g.recheck) {
			g.searchEnd, g.recheck = g.b.reserve(g.in.explainTime(g.bestWorker().best)), time.Time{}
		}
		if g.opts.Observer != nil && now.Sub(g.lastReport) >= progressEvery {
			g.report(g.bestWorker().it)
			g.lastReport = now
		}
	}
}

// bestWorker returns the searcher with the best solution, the first of
// equals.
func (g *group) bestWorker() *searcher {
	best := g.workers[0]
	for _, w := range g.workers[1:] {
		if w.bestCost < best.bestCost-1e-9 {
			best = w
		}
	}
	return best
}

// exchange gives every searcher whose best is worse than the best of all
// a copy of that one.
func (g *group) exchange() {
	if len(g.workers) == 1 {
		return
	}
	top := g.bestWorker()
	for _, w := range g.workers {
		if w == top || w.bestCost <= top.bestCost+1e-9 {
			continue
		}
		w.cur = top.best.transplant(w.cur.retries.clock)
		w.curCost = top.bestCost
		w.best, w.bestCost = w.cur.copy(), top.bestCost
		w.bestAt = w.progress
	}
}

func (g *group) report(it int) {
	if g.opts.Observer == nil {
		return
	}
	w := g.bestWorker()
	g.opts.Observer.Observe(Progress{Iteration: it, Elapsed: time.Since(g.started), BestObjective: w.bestCost,
		Assigned: len(g.in.jobs) - len(w.best.free), Unassigned: len(w.best.free)})
}

// improve runs iterations of ruin and recreate until the searcher has
// done until of them (zero: no bound) or the clock reaches epochEnd (zero:
// no bound), or the budget is spent.
func (w *searcher) improve(g *group, until int, epochEnd time.Time) {
	in := w.in
	w.ls.in, w.ls.budget = in, w.sc.budget
	timed := g.b.timed()
	var now time.Time
	for ; until == 0 || w.it < until; w.it++ {
		if w.sc.budget.searchSpent() {
			w.done = true
			return
		}
		if timed {
			now = time.Now()
			if !epochEnd.IsZero() && now.After(epochEnd) {
				return
			}
		}
		var progress float64
		if g.iterations > 0 {
			progress = float64(w.it) / float64(g.iterations)
		} else {
			progress = float64(now.Sub(g.started)) / float64(g.searchEnd.Sub(g.started))
		}
		w.progress = progress
		temp := g.t0 * math.Pow(g.tf/g.t0, min(max(progress, 0), 1))

		cand := w.cand
		w.cur.copyInto(cand)
		if !w.crossover(cand, progress) {
			w.sc.removed = cand.ruin(w.rng, w.sc.removed[:0], ruinScale(len(in.jobs), progress, w.bestAt))
		}
		todo := cand.retryable(w.sc.toInsert[:0])
		in.insertionOrder(w.rng, todo, w.absent, cand.fewFree(), w.sc)
		if cand.recreate(w.rng, todo, blinkRate, w.sc) < len(todo) {
			w.done = true // the budget ran out in the middle: cand is not whole
			return
		}
		for _, j := range cand.free {
			w.absent[j]++
		}
		c := cand.cost()
		// With every order served, the objective is the routing alone, and
		// each candidate is worth its local optimum (as in hybrid genetic
		// search, where every offspring is educated); with orders left
		// out, which insertions decide, the time goes to more iterations.
		// SWAP*, which costs more than the per-job moves, is spent on
		// candidates that beat the best after them, and on new bests.
		accept := w.curCost - temp*math.Log(w.rng.Float64())
		w.ls.starBelow, w.ls.starGated = w.bestCost, true
		if len(cand.free) == 0 && w.ls.improve(cand, w.cur, w.rng) {
			c = cand.cost()
		}
		w.ls.starGated = false
		if c < accept {
			w.cur, w.cand = cand, w.cur
			w.curCost = c
			if c < w.bestCost-1e-9 {
				// A new best is improved by local search before it is kept.
				w.ls.deep = true
				improved := w.ls.improve(w.cur, w.best, w.rng)
				w.ls.deep = false
				if improved {
					w.curCost = w.cur.cost()
				}
				w.best, w.bestCost = w.cur.copy(), w.curCost
				w.bestAt = progress
				w.pool.offer(w.cur, w.curCost)
			}
		}
		if w.it%poolEvery == poolEvery-1 {
			w.pool.offer(w.cur, w.curCost)
		}
	}
}

// transplant returns a copy of s that shares nothing with it, for another
// thread's search, whose retry clock it takes: every unassigned job is
// worth trying anywhere again, since that clock never saw s's changes.
func (s *solution) transplant(clock *uint64) *solution {
	c := s.copy()
	for v, r := range c.routes {
		c.routes[v] = r.clone(c)
	}
	c.retries.clock = clock
	clear(c.retries.lastTry)
	c.retries.changes = c.retries.changes[:0]
	return c
}
