package dispatch

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"runtime/debug"
	"sync"
	"time"

	"github.com/dispatchd/dispatchd/model"
	"github.com/dispatchd/dispatchd/solver"
	"github.com/dispatchd/dispatchd/store"
)

// PlanRequest is a problem, or a stored day, and the budget to plan it
// with.
type PlanRequest struct {
	// Problem is planned as given, unless Date names a stored day: then
	// only its weights count.
	model.Problem
	// Date plans the stored day: every created order wanted that day on
	// the technicians working it, around what they already have
	// (storedProblem). OrderIDs and TechnicianIDs plan a subset (a
	// region, a trade).
	Date          *model.Date `json:"date,omitempty"`
	OrderIDs      []string    `json:"order_ids,omitempty"`
	TechnicianIDs []string    `json:"technician_ids,omitempty"`
	// TimeLimit is in seconds; zero means the runner's default.
	TimeLimit  float64 `json:"time_limit_s,omitempty"`
	Iterations int     `json:"iterations,omitempty"`
	// Seed makes the plan reproducible with an iteration budget; nil
	// means 1.
	Seed *uint64 `json:"seed,omitempty"`
	// Policy names a stored policy to plan by instead of the active one;
	// a request with weights of its own names none.
	Policy string `json:"policy,omitempty"`
}

// The statuses of a plan record.
const (
	PlanRunning   = "running"
	PlanDone      = "done"
	PlanFailed    = "failed"
	PlanCancelled = "cancelled"
)

// PlanProgress is how far a plan has come.
type PlanProgress struct {
	Elapsed       float64 `json:"elapsed_s"`
	Iterations    int     `json:"iterations"`
	BestObjective float64 `json:"best_objective"`
	Assigned      int     `json:"assigned"`
	Unassigned    int     `json:"unassigned"`
}

// PlanRecord is a plan as every replica shows it: status, progress and,
// once it ends, the plan. A cancelled plan keeps the best plan found.
type PlanRecord struct {
	ID        string       `json:"id"`
	Status    string       `json:"status"`
	Progress  PlanProgress `json:"progress"`
	Created   time.Time    `json:"created"`
	Finished  *time.Time   `json:"finished,omitempty"`
	Error     string       `json:"error,omitempty"`
	Seed      uint64       `json:"seed"`
	TimeLimit float64      `json:"time_limit_s"`
	// Policy is the stored policy the plan was priced by; empty when its
	// request gave weights of its own.
	Policy string `json:"policy,omitempty"`
	// Basis is what a plan of the stored day was made from; a plan of a
	// problem given in its request has none, and cannot be applied.
	Basis *PlanBasis `json:"basis,omitempty"`
	// Applied says when the plan was applied, by whom, and what it
	// dispatched.
	Applied *Application `json:"applied,omitempty"`
	*model.Plan
}

// PlanOptions configure the plan runner. Zero values take the defaults
// documented on each field.
type PlanOptions struct {
	// MaxRunning bounds the plans this process runs at once; a plan beyond
	// it is refused with ErrBusy. Zero means DefaultMaxRunning.
	MaxRunning int
	// PerKey bounds the plans one key runs at once on this process; a plan
	// beyond it is refused with ErrKeyBusy, so that one dispatcher cannot
	// take every slot. Zero means DefaultPlansPerKey.
	PerKey int
	// DefaultTime is a plan's time limit when its request names none;
	// zero means 30 s. MaxTime caps what a request may ask; zero means
	// 10 min.
	DefaultTime time.Duration
	MaxTime     time.Duration
	// TTL is how long finished plans are kept; zero means
	// store.DefaultPlanTTL.
	TTL time.Duration
	// Observer hears of plans starting and ending (for metrics); nil
	// hears nothing.
	Observer PlanObserver
	// Threads is how many threads each plan searches on
	// (solver.Options.Threads); zero means one, so that MaxRunning plans
	// keep as many cores busy as MaxRunning says.
	Threads int
}

// PlanObserver hears of the plans a runner runs, so that the service's
// edge can count them without this package knowing metrics.
type PlanObserver interface {
	PlanStarted()
	// PlanEnded reports a plan's final status, how long it ran, and the
	// objective of the plan it kept (if it kept one).
	PlanEnded(status string, took time.Duration, objective float64, kept bool)
	// PlanApplied reports a plan applied: in part or whole, and how many
	// orders it dispatched and left.
	PlanApplied(partial bool, applied, skipped int)
}

// ErrBusy says every plan slot of this process is taken; retry later.
var ErrBusy = model.KindError(model.ErrBusy, "dispatch: every plan slot is taken")

// DefaultMaxRunning is how many plans a process runs at once when
// PlanOptions names no bound: one per core but one, and at least one. A
// plan keeps a core busy for its whole time limit, and Go gives a
// goroutine that waits for a core no priority over one that computes: with
// a plan on every core, requests wait for the scheduler to preempt a plan.
// Two 600-s plans on this project's 2 cores cut location pings over Redis
// from 11,809 to 1,073 per second (p99 9.1 -> 84 ms); with the core left
// free, one plan leaves them 5,863 (p99 32 ms) on a box that also runs
// Redis and the load (README, "Plans and pings").
func DefaultMaxRunning() int { return max(1, runtime.GOMAXPROCS(0)-1) }

// ErrKeyBusy says the key that asks for a plan already runs as many as
// one key may (PlanOptions.PerKey); retry when one ends.
var ErrKeyBusy = model.KindError(model.ErrBusy, "dispatch: this key runs as many plans as one key may")

// DefaultPlansPerKey is how many plans one key runs at once when
// PlanOptions names no bound.
const DefaultPlansPerKey = 1

// ErrClosed says the service is shutting down and takes no new plans.
var ErrClosed = model.KindError(model.ErrUnavailable, "dispatch: shutting down")

// planRunner runs plans in the background, a bounded number at a time,
// and keeps their records in the store so that every replica can show
// them; cancellations reach the replica running a plan through the store.
type planRunner struct {
	s     *Service
	opts  PlanOptions
	slots chan struct{}
	ctx   context.Context // ends when the runner shuts down
	stop  context.CancelFunc
	mu    sync.Mutex
	runs  map[string]*PlanRun
	// compares are the compares running here, which share the slots.
	compares map[string]*CompareRun
	perKey   map[string]int // plans let in, by the key id that asked
	closed   bool
	wg       sync.WaitGroup
}

// PlanRun is a plan running in this process.
type PlanRun struct {
	mu        sync.Mutex
	rec       PlanRecord
	cancel    context.CancelFunc
	done      chan struct{}
	lastSaved time.Time
}

// Done is closed when the plan has ended and its record is final.
func (run *PlanRun) Done() <-chan struct{} { return run.done }

// Cancel stops the plan; it keeps the best plan found so far.
func (run *PlanRun) Cancel() { run.cancel() }

// Record returns a snapshot of the plan's record.
func (run *PlanRun) Record() PlanRecord {
	run.mu.Lock()
	defer run.mu.Unlock()
	return run.rec
}

// newPlanRunner starts a plan runner listening for cancellations; its
// shutdown stops it.
func newPlanRunner(s *Service, opts PlanOptions) *planRunner {
	if opts.MaxRunning <= 0 {
		opts.MaxRunning = DefaultMaxRunning()
	}
	if opts.PerKey <= 0 {
		opts.PerKey = DefaultPlansPerKey
	}
	if opts.Threads <= 0 {
		opts.Threads = 1
	}
	if opts.DefaultTime == 0 {
		opts.DefaultTime = 30 * time.Second
	}
	if opts.MaxTime == 0 {
		opts.MaxTime = 10 * time.Minute
	}
	if opts.TTL == 0 {
		opts.TTL = store.DefaultPlanTTL
	}
	ctx, stop := context.WithCancel(context.Background())
	m := &planRunner{s: s, opts: opts, slots: make(chan struct{}, opts.MaxRunning), ctx: ctx, stop: stop,
		runs: map[string]*PlanRun{}, compares: map[string]*CompareRun{}, perKey: map[string]int{}}
	go m.listen()
	return m
}

// PlanLimits returns how many plans this process runs at once, how many
// of them one key may run, and a plan's default time limit: what a caller
// refused with ErrBusy may be told about when to retry.
func (s *Service) PlanLimits() (running, perKey int, defaultTime time.Duration) {
	return s.plans.opts.MaxRunning, s.plans.opts.PerKey, s.plans.opts.DefaultTime
}

// listen cancels this process's plans whose cancellation any replica
// requested; it resubscribes when the store is out of reach.
func (m *planRunner) listen() {
	for m.ctx.Err() == nil {
		ch, err := m.s.store.CancelRequests(m.ctx)
		if err != nil {
			m.s.log.Warn("cannot hear plan cancellations; retrying", "err", err)
			select {
			case <-m.ctx.Done():
				return
			case <-time.After(time.Second):
			}
			continue
		}
		for id := range ch {
			if isCompareID(id) {
				m.cancelLocalCompare(id)
			} else {
				m.cancelLocal(id)
			}
		}
	}
}

// cancelLocal cancels a plan running in this process and returns a
// snapshot of it taken from the same lookup: a second lookup could miss a
// plan that ended in between.
func (m *planRunner) cancelLocal(id string) (PlanRecord, bool) {
	m.mu.Lock()
	run := m.runs[id]
	m.mu.Unlock()
	if run == nil {
		return PlanRecord{}, false
	}
	run.cancel()
	return run.Record(), true
}

// StartPlan validates a plan request and begins planning it in the
// background for the actor. It returns ErrKeyBusy when the actor's key
// runs as many plans as one key may, ErrBusy when every plan slot is
// taken, and ErrClosed during shutdown.
func (s *Service) StartPlan(ctx context.Context, req *PlanRequest, by Actor) (*PlanRun, error) {
	m := s.plans
	var errs []model.FieldError
	var basis *PlanBasis
	// Without weights of its own a plan is priced by a stored policy,
	// the active one unless it names another; its record says which.
	policy, err := s.ResolvePolicy(ctx, PolicyChoice{Weights: req.Weights, Name: req.Policy})
	if err != nil {
		return nil, err
	}
	if req.Weights == nil {
		req.Weights, req.Policy = &policy.Weights, policy.Name
	}
	if req.Date != nil {
		var err error
		if basis, err = s.planStoredDay(ctx, req); err != nil {
			return nil, err
		}
	} else {
		for _, f := range []struct {
			name string
			n    int
		}{{"order_ids", len(req.OrderIDs)}, {"technician_ids", len(req.TechnicianIDs)}} {
			if f.n > 0 {
				errs = append(errs, model.FieldError{Field: f.name, Message: "only with date: a subset of the stored day"})
			}
		}
	}
	var ve *model.ValidationError
	if err := req.Problem.Validate(); errors.As(err, &ve) {
		errs = append(errs, ve.Errors...)
	}
	limit := m.opts.DefaultTime
	switch {
	case req.TimeLimit < 0:
		errs = append(errs, model.FieldError{Field: "time_limit_s", Message: "negative"})
	case req.TimeLimit > m.opts.MaxTime.Seconds():
		errs = append(errs, model.FieldError{Field: "time_limit_s", Message: fmt.Sprintf("at most %v", m.opts.MaxTime.Seconds())})
	case req.TimeLimit > 0:
		limit = time.Duration(req.TimeLimit * float64(time.Second))
	}
	if req.Iterations < 0 {
		errs = append(errs, model.FieldError{Field: "iterations", Message: "negative"})
	}
	if len(errs) > 0 {
		return nil, &model.ValidationError{Errors: errs}
	}
	seed := uint64(1)
	if req.Seed != nil {
		seed = *req.Seed
	}
	return m.start(ctx, req, limit, seed, by.KeyID, basis)
}

// planStoredDay replaces a request's problem by the stored day it names.
func (s *Service) planStoredDay(ctx context.Context, req *PlanRequest) (*PlanBasis, error) {
	var errs []model.FieldError
	if len(req.Technicians) > 0 || len(req.WorkOrders) > 0 {
		errs = append(errs, model.FieldError{Field: "date", Message: "give either date (the stored day) or technicians and work_orders, not both"})
	}
	if req.Travel != nil {
		errs = append(errs, model.FieldError{Field: "travel", Message: "the stored day uses the service's travel model"})
	}
	if len(errs) > 0 {
		return nil, &model.ValidationError{Errors: errs}
	}
	p, basis, err := s.storedProblem(ctx, dayRequest{date: *req.Date, orders: req.OrderIDs, tech: req.TechnicianIDs, weights: req.Weights})
	if err != nil {
		return nil, err
	}
	if err := p.Validate(); err != nil {
		// The store holds only what was validated on the way in: a day it
		// cannot plan is the service's fault, not the caller's.
		return nil, fmt.Errorf("dispatch: the stored day %s is not a valid problem: %v: %w", req.Date, err, model.ErrInternal)
	}
	req.Problem = p
	return &basis, nil
}

// start begins a plan in the background and returns its run.
func (m *planRunner) start(ctx context.Context, req *PlanRequest, limit time.Duration, seed uint64, key string, basis *PlanBasis) (*PlanRun, error) {
	if err := m.admit(key); err != nil {
		return nil, err
	}
	rec := PlanRecord{ID: newPlanID(), Status: PlanRunning, Created: m.now(), Seed: seed, TimeLimit: limit.Seconds(), Basis: basis, Policy: req.Policy}
	pctx, cancel := context.WithCancel(m.ctx)
	run := &PlanRun{rec: rec, cancel: cancel, done: make(chan struct{}), lastSaved: time.Now()}
	if err := m.save(ctx, rec); err != nil {
		cancel()
		m.abandon(key)
		return nil, fmt.Errorf("dispatch: starting a plan: %w", err)
	}
	m.mu.Lock()
	m.runs[rec.ID] = run
	m.mu.Unlock()
	go m.run(pctx, run, req, limit, seed, key)
	return run, nil
}

// admit lets a plan or a compare of a key in, under the runner's bounds:
// not during shutdown (ErrClosed), at most PerKey of one key
// (ErrKeyBusy), and only onto a free slot (ErrBusy). Once it is let in,
// the run holds a slot, one of its key's count and one of the runner's
// wait group: it gives the first two back with freer, the last with
// wg.Done — or all three with abandon if it never starts.
//
// closed is read and wg.Add called under one hold of mu: shutdown sets
// closed under mu before it waits, so no Add can follow its Wait, and a
// run let in here is one shutdown waits for, even while its first record
// is being written. The key's count is taken under the same hold, so that
// two requests of one key cannot both pass it.
func (m *planRunner) admit(key string) error {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return ErrClosed
	}
	if m.perKey[key] >= m.opts.PerKey {
		m.mu.Unlock()
		return ErrKeyBusy
	}
	m.perKey[key]++
	m.wg.Add(1)
	m.mu.Unlock()
	select {
	case m.slots <- struct{}{}:
		return nil
	default:
		m.release(key)
		m.wg.Done()
		return ErrBusy
	}
}

// abandon gives back all that admit took, for a run that never started.
func (m *planRunner) abandon(key string) {
	<-m.slots
	m.release(key)
	m.wg.Done()
}

// freer returns the function that gives back a running run's slot and
// its key's count, once however often it is called. A run frees them as
// soon as its solving ends, before its record says it ended: whoever sees
// it ended (waiting for it, or reading its record) may post the next one
// at once and must not be told it is one too many. Storing the record is
// I/O, not a slot's worth of CPU.
func (m *planRunner) freer(key string) func() {
	return sync.OnceFunc(func() {
		<-m.slots
		m.release(key)
	})
}

// now is the time of the runner's records, by the service's clock.
func (m *planRunner) now() time.Time { return m.s.clock().UTC() }

// release gives back the count admit took for a key's run.
func (m *planRunner) release(key string) {
	m.mu.Lock()
	if m.perKey[key]--; m.perKey[key] <= 0 {
		delete(m.perKey, key)
	}
	m.mu.Unlock()
}

func (m *planRunner) run(ctx context.Context, run *PlanRun, req *PlanRequest, limit time.Duration, seed uint64, key string) {
	defer m.wg.Done()
	defer close(run.done)
	free := m.freer(key)
	defer free()
	defer run.cancel()
	if o := m.opts.Observer; o != nil {
		o.PlanStarted()
	}
	started := time.Now()
	opts := solver.Options{TimeLimit: limit, Iterations: req.Iterations, Seed: seed, Threads: m.opts.Threads,
		Observer: solver.ObserverFunc(func(p solver.Progress) { m.progress(run, p) })}
	plan, err := m.solve(ctx, &req.Problem, opts)
	took := time.Since(started)
	free()
	run.mu.Lock()
	now := m.now()
	run.rec.Finished = &now
	run.rec.Progress.Elapsed = took.Seconds()
	switch {
	case err == nil:
		run.rec.Status, run.rec.Plan = PlanDone, &plan
	case errors.Is(err, context.Canceled) && len(plan.Routes)+len(plan.Unassigned) > 0:
		run.rec.Status, run.rec.Plan = PlanCancelled, &plan
	case errors.Is(err, context.Canceled):
		run.rec.Status, run.rec.Error = PlanCancelled, "cancelled before a first plan was built"
	default:
		run.rec.Status, run.rec.Error = PlanFailed, err.Error()
	}
	if run.rec.Plan != nil {
		run.rec.Progress.BestObjective = run.rec.Plan.Objective
	}
	rec := run.rec
	run.mu.Unlock()
	if o := m.opts.Observer; o != nil {
		objective := 0.0
		if rec.Plan != nil {
			objective = rec.Plan.Objective
		}
		o.PlanEnded(rec.Status, took, objective, rec.Plan != nil)
	}
	defer m.s.planEvent(model.EventPlanDone, rec) // once the record that says so is stored
	// The record must outlive this process: try a few times if the store
	// is away for a moment.
	for attempt := range 5 {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err = m.save(sctx, rec)
		cancel()
		if err == nil {
			break
		}
		m.s.log.Error("cannot store a finished plan", "id", rec.ID, "attempt", attempt+1, "err", err)
		time.Sleep(time.Duration(attempt+1) * 200 * time.Millisecond)
	}
	m.mu.Lock()
	delete(m.runs, rec.ID)
	m.mu.Unlock()
}

// solve runs the solver, turning a panic — a broken invariant — into a
// failed plan: one bad problem must not take every replica's requests
// down with the process.
func (m *planRunner) solve(ctx context.Context, p *model.Problem, opts solver.Options) (plan model.Plan, err error) {
	defer func() {
		if v := recover(); v != nil {
			m.s.log.Error("the solver panicked", "panic", v, "stack", string(debug.Stack()))
			plan, err = model.Plan{}, fmt.Errorf("dispatch: the solver failed: %v", v)
		}
	}()
	return solver.Plan(ctx, p, opts)
}

// progressSaveEvery is how often a running plan's progress is written to
// the store, for replicas that did not start it.
const progressSaveEvery = time.Second

func (m *planRunner) progress(run *PlanRun, p solver.Progress) {
	run.mu.Lock()
	run.rec.Progress = PlanProgress{Elapsed: p.Elapsed.Seconds(), Iterations: p.Iteration, BestObjective: p.BestObjective,
		Assigned: p.Assigned, Unassigned: p.Unassigned}
	save := time.Since(run.lastSaved) >= progressSaveEvery
	if save {
		run.lastSaved = time.Now()
	}
	rec := run.rec
	run.mu.Unlock()
	if save {
		// Best effort and brief: a store that is slow must not stall the
		// search.
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		_ = m.save(ctx, rec)
		cancel()
		m.s.planEvent(model.EventPlanProgress, rec)
	}
}

// save stores a plan's record. A record that cannot be encoded (a number
// no JSON can hold) is stored as failed, saying so, rather than not at all:
// the record in the store would otherwise say "running" until it expired.
func (m *planRunner) save(ctx context.Context, rec PlanRecord) error {
	data, err := json.Marshal(rec)
	if err != nil {
		m.s.log.Error("cannot encode a plan record; storing it as failed", "id", rec.ID, "err", err)
		failed := PlanRecord{ID: rec.ID, Status: PlanFailed, Created: rec.Created, Finished: rec.Finished, Seed: rec.Seed,
			TimeLimit: rec.TimeLimit, Policy: rec.Policy, Error: "the plan could not be encoded"}
		if failed.Finished == nil {
			now := m.now()
			failed.Finished = &now
		}
		if data, err = json.Marshal(failed); err != nil {
			return fmt.Errorf("dispatch: encoding plan %s: %w", rec.ID, err)
		}
	}
	return m.s.store.PutPlan(ctx, rec.ID, data, m.opts.TTL)
}

// Plan returns a plan's record: running in this process, or as the store
// has it.
func (s *Service) Plan(ctx context.Context, id string) (PlanRecord, error) {
	if isCompareID(id) {
		// A compare's record, kept beside the plans': not a plan.
		return PlanRecord{}, fmt.Errorf("dispatch: plan %s: it is a compare (GET /v1/policies/compare/%s): %w", id, id, model.ErrNotFound)
	}
	m := s.plans
	m.mu.Lock()
	run := m.runs[id]
	m.mu.Unlock()
	if run != nil {
		return run.Record(), nil
	}
	rec, err := readRun[PlanRecord](ctx, s, "plan", id)
	if err != nil {
		return PlanRecord{}, err
	}
	if s.abandoned(rec.Status, rec.Created, time.Duration(rec.TimeLimit*float64(time.Second))) {
		rec.Status, rec.Error = PlanFailed, abandonedError("plan")
	}
	return rec, nil
}

// readRun reads the stored record of a plan or compare (kind) that no
// run of this replica holds.
func readRun[R any](ctx context.Context, s *Service, kind, id string) (R, error) {
	var rec R
	data, err := s.store.GetPlan(ctx, id)
	if err != nil {
		return rec, fmt.Errorf("dispatch: reading %s %s: %w", kind, id, err)
	}
	if err := json.Unmarshal(data, &rec); err != nil {
		return rec, fmt.Errorf("dispatch: decoding stored %s %s: %w", kind, id, err)
	}
	return rec, nil
}

// abandoned reports whether a run recorded as running, by another replica,
// is past its time limit (limit) by more than PlanGrace: its replica
// stopped reporting before the run ended (it died, or could not store the
// end), and the run will never end.
func (s *Service) abandoned(status string, created time.Time, limit time.Duration) bool {
	return status == PlanRunning && s.clock().Sub(created) > limit+PlanGrace
}

// abandonedError is the error of an abandoned plan or compare (kind).
func abandonedError(kind string) string {
	return "the replica running the " + kind + " stopped reporting before it ended"
}

// PlanGrace is how long past its time limit a plan recorded as running
// elsewhere may still end; after it, the plan is shown as failed.
const PlanGrace = 2 * time.Minute

// CancelPlan asks a running plan to stop, on whichever replica runs it,
// and returns its record as it stands. A plan that already ended is a
// conflict.
func (s *Service) CancelPlan(ctx context.Context, id string) (PlanRecord, error) {
	return cancelRun(ctx, s, "plan", id, s.plans.cancelLocal, s.Plan, func(r PlanRecord) string { return r.Status })
}

// cancelRun is the one rule of cancelling a background run (a plan or a
// compare): cancel it here if this replica runs it, else ask the replica
// that does through the store; a run that already ended is a conflict.
func cancelRun[R any](ctx context.Context, s *Service, what, id string, local func(string) (R, bool),
	read func(context.Context, string) (R, error), status func(R) string) (R, error) {
	if rec, ok := local(id); ok && status(rec) == PlanRunning {
		return rec, nil
	}
	var zero R
	rec, err := read(ctx, id)
	if err != nil {
		return zero, err
	}
	if st := status(rec); st != PlanRunning {
		return rec, fmt.Errorf("dispatch: %s %s is %s, not running: %w", what, id, st, model.ErrConflict)
	}
	if err := s.store.RequestCancel(ctx, id); err != nil {
		return zero, fmt.Errorf("dispatch: cancelling %s %s: %w", what, id, err)
	}
	return rec, nil
}

// shutdown stops taking plans and waits for the running ones until ctx
// ends; then it cancels them and waits for them to store what they found.
func (m *planRunner) shutdown(ctx context.Context) error {
	m.mu.Lock()
	m.closed = true
	m.mu.Unlock()
	done := make(chan struct{})
	go func() { m.wg.Wait(); close(done) }()
	var err error
	select {
	case <-done:
	case <-ctx.Done():
		err = fmt.Errorf("dispatch: cancelling the running plans: %w", ctx.Err())
		// Every plan's context derives from m.ctx: stopping it cancels
		// also a plan let in but not yet in runs, its first record still
		// being written.
		m.stop()
		<-done
	}
	m.stop()
	return err
}

func newPlanID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
