package api

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"runtime/debug"
	"strconv"
	"sync"
	"time"

	"github.com/dispatchd/dispatchd/model"
	"github.com/dispatchd/dispatchd/solver"
	"github.com/go-chi/chi/v5"
)

// planRequest is the body of POST /v1/plans: a problem and the budget to
// plan it with.
type planRequest struct {
	model.Problem
	TimeLimit  float64 `json:"time_limit_s,omitempty"`
	Iterations int     `json:"iterations,omitempty"`
	Seed       *uint64 `json:"seed,omitempty"`
}

// The statuses of a plan record.
const (
	planRunning   = "running"
	planDone      = "done"
	planFailed    = "failed"
	planCancelled = "cancelled"
)

// planProgress is how far a plan has come.
type planProgress struct {
	Elapsed       float64 `json:"elapsed_s"`
	Iterations    int     `json:"iterations"`
	BestObjective float64 `json:"best_objective"`
	Assigned      int     `json:"assigned"`
	Unassigned    int     `json:"unassigned"`
}

// planRecord is a plan as GET /v1/plans/{id} shows it: status, progress
// and, once it ends, the plan. A cancelled plan keeps the best plan found.
type planRecord struct {
	ID        string       `json:"id"`
	Status    string       `json:"status"`
	Progress  planProgress `json:"progress"`
	Created   time.Time    `json:"created"`
	Finished  *time.Time   `json:"finished,omitempty"`
	Error     string       `json:"error,omitempty"`
	Seed      uint64       `json:"seed"`
	TimeLimit float64      `json:"time_limit_s"`
	*model.Plan
}

// planManager runs plans in the background, a bounded number at a time,
// and keeps their records in the store so that every replica can show
// them; cancellations reach the replica running a plan through the store.
type planManager struct {
	s      *Server
	slots  chan struct{}
	ctx    context.Context // ends when the manager shuts down
	stop   context.CancelFunc
	mu     sync.Mutex
	runs   map[string]*planRun
	closed bool
	wg     sync.WaitGroup
}

// planRun is a plan running in this process.
type planRun struct {
	mu        sync.Mutex
	rec       planRecord
	cancel    context.CancelFunc
	done      chan struct{}
	lastSaved time.Time
}

// newPlanManager starts a plan manager listening for cancellations; its
// shutdown stops it.
func newPlanManager(s *Server) *planManager {
	ctx, stop := context.WithCancel(context.Background())
	m := &planManager{s: s, slots: make(chan struct{}, s.opts.MaxPlans), ctx: ctx, stop: stop, runs: map[string]*planRun{}}
	go m.listen()
	return m
}

// listen cancels this process's plans whose cancellation any replica
// requested; it resubscribes when the store is out of reach.
func (m *planManager) listen() {
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
			m.cancelLocal(id)
		}
	}
}

// cancelLocal cancels a plan running in this process and returns a
// snapshot of it taken from the same lookup: a second lookup could miss a
// plan that ended in between.
func (m *planManager) cancelLocal(id string) (planRecord, bool) {
	m.mu.Lock()
	run := m.runs[id]
	m.mu.Unlock()
	if run == nil {
		return planRecord{}, false
	}
	run.cancel()
	return run.snapshot(), true
}

// errBusy says every plan slot is taken.
var errBusy = errors.New("api: every plan slot is taken")

// errClosed says the service is shutting down.
var errClosed = errors.New("api: shutting down")

// start begins a plan in the background and returns its run.
func (m *planManager) start(req *planRequest, limit time.Duration, seed uint64) (*planRun, error) {
	// closed is read and wg.Add called under one hold of mu: shutdown sets
	// closed under mu before it waits, so no Add can follow its Wait, and a
	// plan let in here is one shutdown waits for, even while its first
	// record is being written.
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return nil, errClosed
	}
	m.wg.Add(1)
	m.mu.Unlock()
	select {
	case m.slots <- struct{}{}:
	default:
		m.wg.Done()
		return nil, errBusy
	}
	rec := planRecord{ID: newID(), Status: planRunning, Created: time.Now().UTC(), Seed: seed, TimeLimit: limit.Seconds()}
	ctx, cancel := context.WithCancel(m.ctx)
	run := &planRun{rec: rec, cancel: cancel, done: make(chan struct{}), lastSaved: time.Now()}
	if err := m.save(context.Background(), rec); err != nil {
		cancel()
		<-m.slots
		m.wg.Done()
		return nil, err
	}
	m.mu.Lock()
	m.runs[rec.ID] = run
	m.mu.Unlock()
	go m.run(ctx, run, req, limit, seed)
	return run, nil
}

func (m *planManager) run(ctx context.Context, run *planRun, req *planRequest, limit time.Duration, seed uint64) {
	defer m.wg.Done()
	defer close(run.done)
	// The slot is freed before done is closed: whoever waited for the plan
	// may post the next one at once and must not be told it is one too
	// many.
	defer func() { <-m.slots }()
	defer run.cancel()
	met := m.s.metrics
	met.plansRunning.Inc()
	started := time.Now()
	opts := solver.Options{TimeLimit: limit, Iterations: req.Iterations, Seed: seed,
		Observer: solver.ObserverFunc(func(p solver.Progress) { m.progress(run, p) })}
	plan, err := m.solve(ctx, &req.Problem, opts)
	took := time.Since(started)
	met.plansRunning.Dec()
	run.mu.Lock()
	now := time.Now().UTC()
	run.rec.Finished = &now
	run.rec.Progress.Elapsed = took.Seconds()
	switch {
	case err == nil:
		run.rec.Status, run.rec.Plan = planDone, &plan
	case errors.Is(err, context.Canceled) && len(plan.Routes)+len(plan.Unassigned) > 0:
		run.rec.Status, run.rec.Plan = planCancelled, &plan
	case errors.Is(err, context.Canceled):
		run.rec.Status, run.rec.Error = planCancelled, "cancelled before a first plan was built"
	default:
		run.rec.Status, run.rec.Error = planFailed, err.Error()
	}
	if run.rec.Plan != nil {
		run.rec.Progress.BestObjective = run.rec.Plan.Objective
		met.planObjective.Set(run.rec.Plan.Objective)
	}
	rec := run.rec
	run.mu.Unlock()
	met.plansFinished.WithLabelValues(rec.Status).Inc()
	met.planDuration.Observe(took.Seconds())
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
func (m *planManager) solve(ctx context.Context, p *model.Problem, opts solver.Options) (plan model.Plan, err error) {
	defer func() {
		if v := recover(); v != nil {
			m.s.log.Error("the solver panicked", "panic", v, "stack", string(debug.Stack()))
			plan, err = model.Plan{}, fmt.Errorf("api: the solver failed: %v", v)
		}
	}()
	return solver.Plan(ctx, p, opts)
}

// progressSaveEvery is how often a running plan's progress is written to
// the store, for replicas that did not start it.
const progressSaveEvery = time.Second

func (m *planManager) progress(run *planRun, p solver.Progress) {
	run.mu.Lock()
	run.rec.Progress = planProgress{Elapsed: p.Elapsed.Seconds(), Iterations: p.Iteration, BestObjective: p.BestObjective,
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
	}
}

// save stores a plan's record. A record that cannot be encoded (a number
// no JSON can hold) is stored as failed, saying so, rather than not at all:
// the record in the store would otherwise say "running" until it expired.
func (m *planManager) save(ctx context.Context, rec planRecord) error {
	data, err := json.Marshal(rec)
	if err != nil {
		m.s.log.Error("cannot encode a plan record; storing it as failed", "id", rec.ID, "err", err)
		failed := planRecord{ID: rec.ID, Status: planFailed, Created: rec.Created, Finished: rec.Finished, Seed: rec.Seed, TimeLimit: rec.TimeLimit,
			Error: "the plan could not be encoded"}
		if failed.Finished == nil {
			now := time.Now().UTC()
			failed.Finished = &now
		}
		if data, err = json.Marshal(failed); err != nil {
			return fmt.Errorf("api: encoding plan %s: %w", rec.ID, err)
		}
	}
	return m.s.store.PutPlan(ctx, rec.ID, data, m.s.opts.PlanTTL)
}

// local returns a snapshot of a plan running in this process.
func (m *planManager) local(id string) (planRecord, bool) {
	m.mu.Lock()
	run := m.runs[id]
	m.mu.Unlock()
	if run == nil {
		return planRecord{}, false
	}
	return run.snapshot(), true
}

func (run *planRun) snapshot() planRecord {
	run.mu.Lock()
	defer run.mu.Unlock()
	return run.rec
}

// shutdown stops taking plans and waits for the running ones until ctx
// ends; then it cancels them and waits for them to store what they found.
func (m *planManager) shutdown(ctx context.Context) error {
	m.mu.Lock()
	m.closed = true
	m.mu.Unlock()
	done := make(chan struct{})
	go func() { m.wg.Wait(); close(done) }()
	var err error
	select {
	case <-done:
	case <-ctx.Done():
		err = fmt.Errorf("api: cancelling the running plans: %w", ctx.Err())
		// Every plan's context derives from m.ctx: stopping it cancels
		// also a plan let in but not yet in runs, its first record still
		// being written.
		m.stop()
		<-done
	}
	m.stop()
	return err
}

func newID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func (s *Server) postPlan(w http.ResponseWriter, r *http.Request) {
	var req planRequest
	if !s.decodeBody(w, r, &req) {
		return
	}
	var errs []model.FieldError
	var ve *model.ValidationError
	if err := req.Problem.Validate(); errors.As(err, &ve) {
		errs = append(errs, ve.Errors...)
	}
	limit := s.opts.DefaultPlanTime
	switch {
	case req.TimeLimit < 0:
		errs = append(errs, model.FieldError{Field: "time_limit_s", Message: "negative"})
	case req.TimeLimit > s.opts.MaxPlanTime.Seconds():
		errs = append(errs, model.FieldError{Field: "time_limit_s", Message: fmt.Sprintf("at most %v", s.opts.MaxPlanTime.Seconds())})
	case req.TimeLimit > 0:
		limit = time.Duration(req.TimeLimit * float64(time.Second))
	}
	if req.Iterations < 0 {
		errs = append(errs, model.FieldError{Field: "iterations", Message: "negative"})
	}
	wait := false
	if v := r.URL.Query().Get("wait"); v != "" {
		var err error
		if wait, err = strconv.ParseBool(v); err != nil {
			errs = append(errs, model.FieldError{Field: "wait", Message: "want true or false"})
		}
	}
	if len(errs) > 0 {
		s.invalid(w, r, &model.ValidationError{Errors: errs})
		return
	}
	seed := uint64(1)
	if req.Seed != nil {
		seed = *req.Seed
	}
	run, err := s.plans.start(&req, limit, seed)
	switch {
	case errors.Is(err, errBusy):
		w.Header().Set("Retry-After", strconv.Itoa(max(1, int(s.opts.DefaultPlanTime.Seconds()/2))))
		writeProblem(w, r, http.StatusTooManyRequests, "too many plans", fmt.Sprintf("%d plans are running, the most this replica runs at once; retry later", s.opts.MaxPlans))
		return
	case errors.Is(err, errClosed):
		writeProblem(w, r, http.StatusServiceUnavailable, "shutting down", "this replica takes no new plans")
		return
	case err != nil:
		s.storeError(w, r, err)
		return
	}
	w.Header().Set("Location", "/v1/plans/"+run.rec.ID)
	if !wait {
		s.writeJSON(w, r, http.StatusAccepted, run.snapshot())
		return
	}
	select {
	case <-run.done:
		s.extendWrite(w)
		s.writeJSON(w, r, http.StatusOK, run.snapshot())
	case <-r.Context().Done():
		run.cancel() // nobody is waiting for it any more; observe counts 499
		s.log.InfoContext(r.Context(), "client left a plan it waited for; cancelled", "plan", run.rec.ID)
	}
}

func (s *Server) getPlan(w http.ResponseWriter, r *http.Request) {
	rec, err := s.planRecord(r)
	if err != nil {
		s.storeError(w, r, err)
		return
	}
	s.writeJSON(w, r, http.StatusOK, rec)
}

// planRecord finds a plan: running here, or in the store.
func (s *Server) planRecord(r *http.Request) (planRecord, error) {
	id := chi.URLParam(r, "id")
	if rec, ok := s.plans.local(id); ok {
		return rec, nil
	}
	data, err := s.store.GetPlan(r.Context(), id)
	if err != nil {
		return planRecord{}, err
	}
	var rec planRecord
	if err := json.Unmarshal(data, &rec); err != nil {
		return planRecord{}, fmt.Errorf("api: decoding stored plan %s: %w", id, err)
	}
	if rec.Status == planRunning && time.Since(rec.Created) > time.Duration(rec.TimeLimit*float64(time.Second))+planGrace {
		// Its replica stopped reporting before the plan ended (it died, or
		// could not store the end): the plan will never end.
		rec.Status, rec.Error = planFailed, "the replica running the plan stopped reporting before it ended"
	}
	return rec, nil
}

// planGrace is how long past its time limit a plan recorded as running
// elsewhere may still end; after it, the plan is shown as failed.
const planGrace = 2 * time.Minute

func (s *Server) deletePlan(w http.ResponseWriter, r *http.Request) {
	id := chi.URLParam(r, "id")
	if rec, ok := s.plans.cancelLocal(id); ok && rec.Status == planRunning {
		s.writeJSON(w, r, http.StatusAccepted, rec)
		return
	}
	rec, err := s.planRecord(r)
	if err != nil {
		s.storeError(w, r, err)
		return
	}
	if rec.Status != planRunning {
		writeProblem(w, r, http.StatusConflict, "plan already ended", fmt.Sprintf("plan %s is %s", id, rec.Status))
		return
	}
	if err := s.store.RequestCancel(r.Context(), id); err != nil {
		s.storeError(w, r, err)
		return
	}
	s.writeJSON(w, r, http.StatusAccepted, rec)
}
