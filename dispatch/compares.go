package dispatch

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/dispatchd/dispatchd/model"
)

// A compare run through the service runs in the background like a plan,
// on the same plan slots: it needs one free slot to start (else ErrBusy),
// counts as one plan of its key, and runs its policies' plans one after
// another on that slot and, alongside, on every other slot free when it
// starts — so that compares and plans together never run more plans at
// once than the runner's bound. Its record is kept in the store beside
// the plans', so that every replica shows it and a cancel reaches it
// wherever it runs.

// PolicyRef is a policy in a compare request: a stored policy by name
// (weights left out), or a policy given whole.
type PolicyRef struct {
	Name        string         `json:"name"`
	Description string         `json:"description,omitempty"`
	Weights     *model.Weights `json:"weights,omitempty"`
	ScoreScale  float64        `json:"score_scale,omitempty"`
}

// SweepRequest asks a compare to vary one weight.
type SweepRequest struct {
	// Policy is the base policy; nil means the active one.
	Policy *PolicyRef `json:"policy,omitempty"`
	// Weight is the weight's name; Values its values, two or more.
	Weight string    `json:"weight"`
	Values []float64 `json:"values"`
}

// CompareRequest is a compare: policies, a sweep or both, on a problem or
// the stored day, with one budget for every plan.
type CompareRequest struct {
	Policies []PolicyRef   `json:"policies,omitempty"`
	Sweep    *SweepRequest `json:"sweep,omitempty"`
	// Problem is planned as given (its weights ignored); Date plans the
	// stored day as POST /v1/plans does, OrderIDs and TechnicianIDs a part
	// of it. One of Problem and Date.
	Problem       *model.Problem `json:"problem,omitempty"`
	Date          *model.Date    `json:"date,omitempty"`
	OrderIDs      []string       `json:"order_ids,omitempty"`
	TechnicianIDs []string       `json:"technician_ids,omitempty"`
	// TimeLimit bounds each plan, in seconds; zero means
	// DefaultCompareTime. The plans together may take at most the
	// runner's MaxTime of CPU.
	TimeLimit float64 `json:"time_limit_s,omitempty"`
	// Iterations bounds each plan's improvement iterations: with it, the
	// compare is reproducible as long as no time limit cuts a plan short.
	Iterations int `json:"iterations,omitempty"`
	// Seed seeds every plan alike; nil means 1.
	Seed *uint64 `json:"seed,omitempty"`
}

// WeightsCompareRequest is the simple form of a compare (POST
// /v1/weights/compare): weights by policy name. The policies are planned
// in the order of their names.
type WeightsCompareRequest struct {
	Policies   map[string]model.Weights `json:"policies"`
	Problem    *model.Problem           `json:"problem,omitempty"`
	Date       *model.Date              `json:"date,omitempty"`
	TimeLimit  float64                  `json:"time_limit_s,omitempty"`
	Iterations int                      `json:"iterations,omitempty"`
	Seed       *uint64                  `json:"seed,omitempty"`
}

// Request returns the compare the simple form asks for.
func (r *WeightsCompareRequest) Request() *CompareRequest {
	names := make([]string, 0, len(r.Policies))
	for name := range r.Policies {
		names = append(names, name)
	}
	slices.Sort(names)
	req := &CompareRequest{Problem: r.Problem, Date: r.Date, TimeLimit: r.TimeLimit, Iterations: r.Iterations, Seed: r.Seed}
	for _, name := range names {
		w := r.Policies[name]
		req.Policies = append(req.Policies, PolicyRef{Name: name, Weights: &w})
	}
	return req
}

// StartWeightsCompare starts the compare of the simple form, as
// StartCompare does; the fields of its refusals are named as in the
// simple form ("policies.B.lateness", not "policies[1].weights.lateness").
func (s *Service) StartWeightsCompare(ctx context.Context, r *WeightsCompareRequest, by Actor) (*CompareRun, error) {
	req := r.Request()
	run, err := s.StartCompare(ctx, req, by)
	var ve *model.ValidationError
	if errors.As(err, &ve) {
		out := &model.ValidationError{}
		for _, fe := range ve.Errors {
			for i, ref := range req.Policies {
				prefix := fmt.Sprintf("policies[%d]", i)
				switch {
				case fe.Field == prefix+".name":
					fe.Field = "policies." + ref.Name
				case strings.HasPrefix(fe.Field, prefix+".weights"):
					fe.Field = "policies." + ref.Name + strings.TrimPrefix(fe.Field, prefix+".weights")
				case strings.HasPrefix(fe.Field, prefix):
					fe.Field = "policies." + ref.Name + strings.TrimPrefix(fe.Field, prefix)
				}
			}
			out.Errors = append(out.Errors, fe)
		}
		return nil, out
	}
	return run, err
}

// DefaultCompareTime is each plan's time limit in a compare whose request
// names none: enough for a day of a few hundred orders to settle, short
// enough that four policies on one slot answer within a minute.
const DefaultCompareTime = 10 * time.Second

// CompareRecord is a compare as every replica shows it: status, progress
// and, once it ends, the comparison. A cancelled compare keeps what its
// plans had found.
type CompareRecord struct {
	ID         string          `json:"id"`
	Status     string          `json:"status"`
	Progress   CompareProgress `json:"progress"`
	Created    time.Time       `json:"created"`
	Finished   *time.Time      `json:"finished,omitempty"`
	Error      string          `json:"error,omitempty"`
	Seed       uint64          `json:"seed"`
	TimeLimit  float64         `json:"time_limit_s"`
	Iterations int             `json:"iterations,omitempty"`
	// Basis is the stored day compared, when it was one.
	Basis *PlanBasis `json:"basis,omitempty"`
	*Comparison
}

// CompareRun is a compare running in this process.
type CompareRun struct {
	mu        sync.Mutex
	rec       CompareRecord
	cancel    context.CancelFunc
	done      chan struct{}
	lastSaved time.Time
	// saving orders the stores of the record: once final is set, no
	// progress may overwrite the final record.
	saving sync.Mutex
	final  bool
}

// Done is closed when the compare has ended and its record is final.
func (run *CompareRun) Done() <-chan struct{} { return run.done }

// Cancel stops the compare; its plans keep the best they found.
func (run *CompareRun) Cancel() { run.cancel() }

// Record returns a snapshot of the compare's record.
func (run *CompareRun) Record() CompareRecord {
	run.mu.Lock()
	defer run.mu.Unlock()
	return run.rec
}

// compareIDPrefix marks compare ids, which share the store's plan
// records: a plan id never has it.
const compareIDPrefix = "cmp-"

// isCompareID reports whether id names a compare.
func isCompareID(id string) bool { return strings.HasPrefix(id, compareIDPrefix) }

// resolvePolicy returns the policy a reference names, or the field error
// of a name that names none.
func (s *Service) resolvePolicy(ctx context.Context, ref PolicyRef, field string) (model.Policy, *model.FieldError, error) {
	if ref.Weights != nil {
		return model.Policy{Name: ref.Name, Description: ref.Description, Weights: *ref.Weights, ScoreScale: ref.ScoreScale}, nil, nil
	}
	if ref.Description != "" || ref.ScoreScale != 0 {
		return model.Policy{}, &model.FieldError{Field: field + ".weights", Message: "missing: give a stored policy by its name alone, or a policy with its weights"}, nil
	}
	pol, ok, err := s.namedPolicy(ctx, ref.Name)
	switch {
	case err != nil:
		return model.Policy{}, nil, err
	case !ok:
		return model.Policy{}, &model.FieldError{Field: field + ".name", Message: fmt.Sprintf("no policy is named %s", model.Quote(ref.Name))}, nil
	}
	return pol, nil, nil
}

// namedPolicy returns the policy of a name in the policy book (the
// built-in default among them), and whether there is one.
func (s *Service) namedPolicy(ctx context.Context, name string) (model.Policy, bool, error) {
	p, err := s.Policy(ctx, name)
	switch {
	case errors.Is(err, model.ErrNotFound):
		return model.Policy{}, false, nil
	case err != nil:
		return model.Policy{}, false, err
	}
	return p, true, nil
}

// activePolicy is the policy in force: the base of a sweep that names
// none.
func (s *Service) activePolicy(ctx context.Context) (model.Policy, error) { return s.ActivePolicy(ctx) }

// StartCompare validates a compare request and begins it in the
// background for the actor. It returns a *model.ValidationError naming
// every bad field, ErrKeyBusy when the actor's key runs as many plans as
// one key may, ErrBusy when every plan slot is taken, and ErrClosed
// during shutdown.
func (s *Service) StartCompare(ctx context.Context, req *CompareRequest, by Actor) (*CompareRun, error) {
	m := s.plans
	var errs []model.FieldError
	var policies []model.Policy
	for i, ref := range req.Policies {
		pol, fe, err := s.resolvePolicy(ctx, ref, fmt.Sprintf("policies[%d]", i))
		switch {
		case err != nil:
			return nil, err
		case fe != nil:
			errs = append(errs, *fe)
		default:
			policies = append(policies, pol)
		}
	}
	var sweep *Sweep
	if sr := req.Sweep; sr != nil {
		var base model.Policy
		var err error
		if sr.Policy != nil {
			var fe *model.FieldError
			base, fe, err = s.resolvePolicy(ctx, *sr.Policy, "sweep.policy")
			if fe != nil {
				errs = append(errs, *fe)
			}
		} else {
			base, err = s.activePolicy(ctx)
		}
		if err != nil {
			return nil, err
		}
		sweep = &Sweep{Base: base, Weight: sr.Weight, Values: sr.Values}
	}
	var all []model.Policy
	if len(errs) == 0 {
		var err error
		var ve *model.ValidationError
		if all, err = comparePolicies(policies, sweep); errors.As(err, &ve) {
			errs = append(errs, ve.Errors...)
		}
	}
	limit := DefaultCompareTime
	plans := max(len(all), 1)
	switch {
	case req.TimeLimit < 0 || math.IsNaN(req.TimeLimit):
		errs = append(errs, model.FieldError{Field: "time_limit_s", Message: "want a positive number of seconds"})
	case req.TimeLimit*float64(plans) > m.opts.MaxTime.Seconds():
		errs = append(errs, model.FieldError{Field: "time_limit_s", Message: fmt.Sprintf("at most %g s for each of %d plans: a compare may take %g s of planning in all",
			math.Floor(m.opts.MaxTime.Seconds()/float64(plans)*10)/10, plans, m.opts.MaxTime.Seconds())})
	case req.TimeLimit > 0:
		limit = time.Duration(req.TimeLimit * float64(time.Second))
	}
	if req.TimeLimit == 0 && limit*time.Duration(plans) > m.opts.MaxTime {
		limit = m.opts.MaxTime / time.Duration(plans)
	}
	if req.Iterations < 0 {
		errs = append(errs, model.FieldError{Field: "iterations", Message: "negative"})
	}
	var p *model.Problem
	var basis *PlanBasis
	switch {
	case req.Date != nil && req.Problem != nil:
		errs = append(errs, model.FieldError{Field: "date", Message: "give either date (the stored day) or problem, not both"})
	case req.Date == nil && req.Problem == nil:
		errs = append(errs, model.FieldError{Field: "problem", Message: "missing: give a problem, or date for the stored day"})
	case req.Problem != nil:
		for _, f := range []struct {
			name string
			n    int
		}{{"order_ids", len(req.OrderIDs)}, {"technician_ids", len(req.TechnicianIDs)}} {
			if f.n > 0 {
				errs = append(errs, model.FieldError{Field: f.name, Message: "only with date: a subset of the stored day"})
			}
		}
		var ve *model.ValidationError
		if err := req.Problem.Validate(); errors.As(err, &ve) {
			for _, fe := range ve.Errors {
				errs = append(errs, model.FieldError{Field: joinField("problem", fe.Field), Message: fe.Message})
			}
		}
		p = req.Problem
	}
	if len(errs) > 0 {
		return nil, &model.ValidationError{Errors: errs}
	}
	if req.Date != nil {
		pr := &PlanRequest{Date: req.Date, OrderIDs: req.OrderIDs, TechnicianIDs: req.TechnicianIDs}
		var err error
		if basis, err = s.planStoredDay(ctx, pr); err != nil {
			return nil, err
		}
		p = &pr.Problem
	}
	seed := uint64(1)
	if req.Seed != nil {
		seed = *req.Seed
	}
	rec := CompareRecord{Status: PlanRunning, Seed: seed, TimeLimit: limit.Seconds(), Iterations: req.Iterations, Basis: basis,
		Progress: CompareProgress{Total: len(all)}}
	return m.startCompare(ctx, rec, p, all, sweep, by.KeyID)
}

// startCompare begins a compare in the background and returns its run,
// under the same admission as a plan (start).
func (m *planRunner) startCompare(ctx context.Context, rec CompareRecord, p *model.Problem, policies []model.Policy, sweep *Sweep, key string) (*CompareRun, error) {
	if err := m.admit(key); err != nil {
		return nil, err
	}
	rec.ID, rec.Created = compareIDPrefix+newPlanID(), m.now()
	for _, pol := range policies {
		rec.Progress.Plans = append(rec.Progress.Plans, PolicyProgress{Policy: pol.Name, Status: ComparePending})
	}
	cctx, cancel := context.WithCancel(m.ctx)
	run := &CompareRun{rec: rec, cancel: cancel, done: make(chan struct{}), lastSaved: time.Now()}
	if err := m.saveCompare(ctx, rec); err != nil {
		cancel()
		m.abandon(key)
		return nil, fmt.Errorf("dispatch: starting a compare: %w", err)
	}
	m.mu.Lock()
	m.compares[rec.ID] = run
	m.mu.Unlock()
	go m.runCompare(cctx, run, p, policies, sweep, key)
	return run, nil
}

// more lends a compare the plan slots free at the moment it asks.
func (m *planRunner) more() (func(), bool) {
	select {
	case m.slots <- struct{}{}:
		return func() { <-m.slots }, true
	default:
		return nil, false
	}
}

func (m *planRunner) runCompare(ctx context.Context, run *CompareRun, p *model.Problem, policies []model.Policy, sweep *Sweep, key string) {
	defer m.wg.Done()
	defer close(run.done)
	free := m.freer(key)
	defer free()
	defer run.cancel()
	rec := run.Record()
	opts := CompareOptions{TimeLimit: time.Duration(rec.TimeLimit * float64(time.Second)), Iterations: rec.Iterations, Seed: rec.Seed,
		Observer: func(cp CompareProgress) { m.compareProgress(run, cp) }}
	c, err := runCompare(ctx, p, policies, sweep, opts, m.more, safeSolve(m.s.log.Error))
	free()
	run.mu.Lock()
	now := m.now()
	run.rec.Finished = &now
	switch {
	case err == nil:
		run.rec.Status = PlanDone
	case errors.Is(err, context.Canceled):
		run.rec.Status = PlanCancelled
	default:
		run.rec.Status, run.rec.Error = PlanFailed, err.Error()
	}
	run.rec.Comparison = c
	rec = run.rec
	run.mu.Unlock()
	run.saving.Lock()
	run.final = true
	run.saving.Unlock()
	for attempt := range 5 {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err = m.saveCompare(sctx, rec)
		cancel()
		if err == nil {
			break
		}
		m.s.log.Error("cannot store a finished compare", "id", rec.ID, "attempt", attempt+1, "err", err)
		time.Sleep(time.Duration(attempt+1) * 200 * time.Millisecond)
	}
	m.mu.Lock()
	delete(m.compares, rec.ID)
	m.mu.Unlock()
}

// compareProgress records a compare's progress, and stores it at most
// every progressSaveEvery for the replicas that did not start it.
func (m *planRunner) compareProgress(run *CompareRun, cp CompareProgress) {
	run.mu.Lock()
	run.rec.Progress = cp
	save := time.Since(run.lastSaved) >= progressSaveEvery
	if save {
		run.lastSaved = time.Now()
	}
	rec := run.rec
	run.mu.Unlock()
	if save {
		// Off the plan's goroutine: a slow store must not stall a search.
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
			defer cancel()
			run.saving.Lock()
			defer run.saving.Unlock()
			if !run.final {
				_ = m.saveCompare(ctx, rec)
			}
		}()
	}
}

// saveCompare stores a compare's record beside the plans'.
func (m *planRunner) saveCompare(ctx context.Context, rec CompareRecord) error {
	data, err := json.Marshal(rec)
	if err != nil {
		m.s.log.Error("cannot encode a compare record; storing it as failed", "id", rec.ID, "err", err)
		failed := CompareRecord{ID: rec.ID, Status: PlanFailed, Created: rec.Created, Finished: rec.Finished, Seed: rec.Seed,
			TimeLimit: rec.TimeLimit, Error: "the comparison could not be encoded"}
		if data, err = json.Marshal(failed); err != nil {
			return fmt.Errorf("dispatch: encoding compare %s: %w", rec.ID, err)
		}
	}
	return m.s.store.PutPlan(ctx, rec.ID, data, m.opts.TTL)
}

// Comparison returns a compare's record: running in this process, or as the
// store has it.
func (s *Service) Comparison(ctx context.Context, id string) (CompareRecord, error) {
	if !isCompareID(id) {
		return CompareRecord{}, fmt.Errorf("dispatch: compare %s: no compare id has this form: %w", id, model.ErrNotFound)
	}
	m := s.plans
	m.mu.Lock()
	run := m.compares[id]
	m.mu.Unlock()
	if run != nil {
		return run.Record(), nil
	}
	rec, err := readRun[CompareRecord](ctx, s, "compare", id)
	if err != nil {
		return CompareRecord{}, err
	}
	// A compare runs its plans one after the other, each with the limit.
	if s.abandoned(rec.Status, rec.Created, time.Duration(rec.TimeLimit*float64(time.Second)*float64(max(rec.Progress.Total, 1)))) {
		rec.Status, rec.Error = PlanFailed, abandonedError("compare")
	}
	return rec, nil
}

// CancelCompare asks a running compare to stop, on whichever replica runs
// it, and returns its record as it stands. A compare that already ended
// is a conflict.
func (s *Service) CancelCompare(ctx context.Context, id string) (CompareRecord, error) {
	return cancelRun(ctx, s, "compare", id, s.plans.cancelLocalCompare, s.Comparison, func(r CompareRecord) string { return r.Status })
}

// cancelLocalCompare cancels a compare running in this process and
// returns a snapshot of it from the same lookup.
func (m *planRunner) cancelLocalCompare(id string) (CompareRecord, bool) {
	m.mu.Lock()
	run := m.compares[id]
	m.mu.Unlock()
	if run == nil {
		return CompareRecord{}, false
	}
	run.cancel()
	return run.Record(), true
}
