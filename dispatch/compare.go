package dispatch

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/dispatchd/dispatchd/model"
	"github.com/dispatchd/dispatchd/solver"
)

// Comparing policies answers an operator's question before they switch:
// what would each policy do with this day? Every policy plans the same
// problem with the same seed and budget, so that what differs between the
// plans is the policy's doing (and, under a time limit, the machine's
// noise); each plan is then measured the same way (CompareKPIs) and
// priced under every policy, which says what each policy thinks of the
// others' plans. A sweep is a compare whose policies are one base policy
// with one weight set to each of a list of values: the trade-off curve of
// that weight.

// MaxComparePlans bounds the plans of one compare, policies and sweep
// points together: each is a plan's worth of CPU, and a table of more
// columns than this no one reads.
const MaxComparePlans = 16

// Sweep varies one weight of a base policy over values.
type Sweep struct {
	// Base is the policy whose other weights every point keeps.
	Base model.Policy
	// Weight is the JSON name of the weight varied (model.WeightNames).
	Weight string
	// Values are the weight's values, one plan each, in the order given.
	Values []float64
}

// point names the policy of a sweep at value x: "travel_time=0.5".
func (sw *Sweep) point(x float64) string {
	return sw.Weight + "=" + strconv.FormatFloat(x, 'g', -1, 64)
}

// policies returns the sweep's points as policies.
func (sw *Sweep) policies() []model.Policy {
	out := make([]model.Policy, len(sw.Values))
	for i, x := range sw.Values {
		p := sw.Base
		p.Name = sw.point(x)
		p.Description = fmt.Sprintf("%s with %s = %g", sw.Base.Name, sw.Weight, x)
		p.Weights.SetWeight(sw.Weight, x)
		out[i] = p
	}
	return out
}

// check reports what is wrong with the sweep, field paths under prefix.
func (sw *Sweep) check(prefix string) []model.FieldError {
	var errs []model.FieldError
	if _, ok := sw.Base.Weights.Weight(sw.Weight); !ok {
		errs = append(errs, model.FieldError{Field: prefix + "weight",
			Message: fmt.Sprintf("unknown weight %s: want one of %v", model.Quote(sw.Weight), model.WeightNames())})
	}
	if len(sw.Values) < 2 {
		errs = append(errs, model.FieldError{Field: prefix + "values", Message: "want at least two values to sweep over"})
	}
	for i, x := range sw.Values {
		field := fmt.Sprintf("%svalues[%d]", prefix, i)
		w := sw.Base.Weights
		w.SetWeight(sw.Weight, x)
		var ve *model.ValidationError
		switch err := w.Validate(); {
		case slices.Contains(sw.Values[:i], x):
			errs = append(errs, model.FieldError{Field: field, Message: fmt.Sprintf("%g is given twice", x)})
		case errors.As(err, &ve):
			errs = append(errs, model.FieldError{Field: field, Message: ve.Errors[0].Message})
		}
	}
	return errs
}

// CompareOptions bound and observe one compare run.
type CompareOptions struct {
	// TimeLimit bounds each plan (not the whole compare); zero means none
	// of its own. Iterations bounds each plan's improvement iterations:
	// with it and no time limit, a compare is reproducible. With neither,
	// each plan takes solver.DefaultIterations.
	TimeLimit  time.Duration
	Iterations int
	// Seed seeds every plan alike.
	Seed uint64
	// Workers is how many plans run at once; zero means one.
	Workers int
	// Observer, if not nil, is told of the progress of the plans, from
	// their goroutines, one call at a time.
	Observer func(CompareProgress)
}

// The statuses of one policy's plan in a compare.
const (
	ComparePending = "pending"
	CompareRunning = "running"
	CompareDone    = "done"
	// CompareCancelled keeps the best plan found before the cancel, or
	// none if the plan had not been built.
	CompareCancelled = "cancelled"
	CompareFailed    = "failed"
)

// CompareProgress is how far a compare has come.
type CompareProgress struct {
	// Done counts the plans that ended, of Total.
	Done  int `json:"done"`
	Total int `json:"total"`
	// Plans are the plans' own progress, in the compare's order.
	Plans []PolicyProgress `json:"plans"`
}

// PolicyProgress is how far one policy's plan has come.
type PolicyProgress struct {
	Policy string `json:"policy"`
	Status string `json:"status"`
	PlanProgress
}

// slots lends a compare the right to run more than one plan at once: take
// returns a release function and true if a further plan may run now.
type slots func() (release func(), ok bool)

// counted lends up to n-1 further slots (the compare holds one of its
// own).
func counted(n int) slots {
	sem := make(chan struct{}, max(n-1, 0))
	return func() (func(), bool) {
		select {
		case sem <- struct{}{}:
			return func() { <-sem }, true
		default:
			return nil, false
		}
	}
}

// Compare plans p once under every policy, and once for every point of
// the sweep if there is one, with the same seed and budget, up to
// opts.Workers plans at a time, and measures and prices the plans. The
// problem's own weights are ignored. Policies are validated (names
// unique, at least two plans in all); the problem is validated once.
//
// When ctx is cancelled the plans running keep the best plan they found,
// the ones not started are left pending, and Compare returns the partial
// comparison with ctx's error. It fails outright, returning no
// comparison, only for invalid input (a *model.ValidationError) or when
// the problem cannot be planned at all (pinned stops that cannot be kept:
// solver.ErrInfeasible).
func Compare(ctx context.Context, p *model.Problem, policies []model.Policy, sweep *Sweep, opts CompareOptions) (*Comparison, error) {
	all, err := comparePolicies(policies, sweep)
	if err != nil {
		return nil, err
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	return runCompare(ctx, p, all, sweep, opts, counted(max(opts.Workers, 1)), nil)
}

// comparePolicies checks the policies and sweep of a compare and returns
// every policy it plans: the policies, then the sweep's points.
func comparePolicies(policies []model.Policy, sweep *Sweep) ([]model.Policy, error) {
	var errs []model.FieldError
	for i, pol := range policies {
		var ve *model.ValidationError
		if err := pol.Validate(); errors.As(err, &ve) {
			for _, fe := range ve.Errors {
				fe.Field = joinField(fmt.Sprintf("policies[%d]", i), fe.Field)
				errs = append(errs, fe)
			}
		}
		if slices.ContainsFunc(policies[:i], func(q model.Policy) bool { return q.Name == pol.Name }) {
			errs = append(errs, model.FieldError{Field: fmt.Sprintf("policies[%d].name", i), Message: fmt.Sprintf("policy %s is named twice", model.Quote(pol.Name))})
		}
	}
	all := slices.Clone(policies)
	if sweep != nil {
		var ve *model.ValidationError
		if err := sweep.Base.Validate(); errors.As(err, &ve) {
			for _, fe := range ve.Errors {
				errs = append(errs, model.FieldError{Field: joinField("sweep.policy", fe.Field), Message: fe.Message})
			}
		}
		errs = append(errs, sweep.check("sweep.")...)
		all = append(all, sweep.policies()...)
	}
	switch {
	case len(errs) > 0:
	case len(all) < 2:
		errs = append(errs, model.FieldError{Field: "policies", Message: "want at least two policies to compare (or a sweep)"})
	case len(all) > MaxComparePlans:
		errs = append(errs, model.FieldError{Field: "policies", Message: fmt.Sprintf("%d plans (policies and sweep values): at most %d", len(all), MaxComparePlans)})
	}
	if len(errs) > 0 {
		return nil, &model.ValidationError{Errors: errs}
	}
	return all, nil
}

// joinField puts a field path under a prefix.
func joinField(prefix, field string) string {
	if field == "" {
		return prefix
	}
	return prefix + "." + field
}

// compareRun is the state of one compare while its plans run.
type compareRun struct {
	mu       sync.Mutex
	progress CompareProgress
	observe  func(CompareProgress)
}

func (cr *compareRun) set(i int, status string, pp *solver.Progress) {
	cr.mu.Lock()
	defer cr.mu.Unlock()
	pl := &cr.progress.Plans[i]
	if status != "" {
		if pl.Status != status && (status == CompareDone || status == CompareCancelled || status == CompareFailed) {
			cr.progress.Done++
		}
		pl.Status = status
	}
	if pp != nil {
		pl.PlanProgress = PlanProgress{Elapsed: pp.Elapsed.Seconds(), Iterations: pp.Iteration, BestObjective: pp.BestObjective,
			Assigned: pp.Assigned, Unassigned: pp.Unassigned}
	}
	if cr.observe != nil {
		snap := cr.progress
		snap.Plans = slices.Clone(snap.Plans)
		cr.observe(snap)
	}
}

// runCompare plans p under every policy: one plan on the caller's
// goroutine's slot, and as many more at once as more slots lets it take
// when it starts. solve, when not nil, replaces solver.Plan (the plan
// runner's, which survives a panic).
func runCompare(ctx context.Context, p *model.Problem, policies []model.Policy, sweep *Sweep, opts CompareOptions, more slots,
	solve func(context.Context, *model.Problem, solver.Options) (model.Plan, error)) (*Comparison, error) {
	if solve == nil {
		solve = solver.Plan
	}
	n := len(policies)
	cr := &compareRun{observe: opts.Observer, progress: CompareProgress{Total: n, Plans: make([]PolicyProgress, n)}}
	for i, pol := range policies {
		cr.progress.Plans[i] = PolicyProgress{Policy: pol.Name, Status: ComparePending}
	}
	outcomes := make([]*PolicyOutcome, n)
	errs := make([]error, n)
	// A failure that every policy would meet alike (pinned stops that
	// cannot be kept) stops the plans not yet started.
	fctx, failed := context.WithCancelCause(ctx)
	defer failed(nil)
	next := make(chan int, n)
	for i := range n {
		next <- i
	}
	close(next)
	work := func() {
		for i := range next {
			if fctx.Err() != nil {
				continue
			}
			cr.set(i, CompareRunning, nil)
			q := *p
			w := policies[i].Weights
			q.Weights = &w
			// One thread per plan: the plans of a comparison already run
			// side by side, as many as it is given cores.
			sopts := solver.Options{TimeLimit: opts.TimeLimit, Iterations: opts.Iterations, Seed: opts.Seed, Threads: 1,
				Observer: solver.ObserverFunc(func(pp solver.Progress) { cr.set(i, "", &pp) })}
			started := time.Now()
			plan, err := solve(fctx, &q, sopts)
			took := time.Since(started)
			kept := len(plan.Routes)+len(plan.Unassigned) > 0
			status := CompareDone
			switch {
			case err == nil:
			case errors.Is(err, context.Canceled):
				// The caller's cancel, or another policy's failure.
				status = CompareCancelled
			default:
				status, kept = CompareFailed, false
				errs[i] = err
				failed(err)
			}
			o := &PolicyOutcome{Policy: policies[i], Status: status, Elapsed: took.Seconds()}
			if kept {
				o.Plan = &plan
			}
			outcomes[i] = o
			cr.set(i, status, nil)
		}
	}
	var wg sync.WaitGroup
	for extra := 1; extra < n; extra++ {
		release, ok := more()
		if !ok {
			break
		}
		wg.Go(func() {
			defer release()
			work()
		})
	}
	work()
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("dispatch: comparing policies: planning under %s: %w", policies[i].Name, err)
		}
	}
	for i, o := range outcomes {
		if o == nil {
			outcomes[i] = &PolicyOutcome{Policy: policies[i], Status: ComparePending}
		}
		outcomes[i].Iterations = cr.progress.Plans[i].Iterations
	}
	c := newComparison(p, outcomes, sweep)
	if err := ctx.Err(); err != nil {
		return c, err
	}
	return c, nil
}

// safeSolve runs the solver, turning a panic (a broken invariant) into an
// error, so that one bad problem fails its compare, not the process.
func safeSolve(log func(msg string, args ...any)) func(context.Context, *model.Problem, solver.Options) (model.Plan, error) {
	return func(ctx context.Context, p *model.Problem, opts solver.Options) (plan model.Plan, err error) {
		defer func() {
			if v := recover(); v != nil {
				log("the solver panicked", "panic", v, "stack", string(debug.Stack()))
				plan, err = model.Plan{}, fmt.Errorf("dispatch: the solver failed: %v", v)
			}
		}()
		return solver.Plan(ctx, p, opts)
	}
}
