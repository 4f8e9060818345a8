package store

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/dispatchd/dispatchd/model"
)

// Memory is a store held in this process's memory. It is safe for
// concurrent use. Values go in and come out as deep copies, so a caller
// that changes what it got cannot change the store behind its back.
type Memory struct {
	mu          sync.RWMutex
	technicians records[model.Technician]
	workOrders  records[model.WorkOrder]

	// live is each technician's last position; cells files their ids
	// under the position's cell (LiveCell), as Redis's per-cell sets do.
	live  map[string]Live
	cells map[string]map[string]struct{}
	// routes files work order ids by technician and day (RouteDay).
	routes map[routeKey]map[string]struct{}
	plans  map[string]plan
	// keys holds API key records by id (opaque; see auth).
	keys map[string][]byte
	// subscribers receive cancel requests; they have locks of their own.
	subscribers map[*subscriber]struct{}

	// revs holds the revision of every key written (commit.go); sites
	// and days file order ids by site and by route day; history holds
	// each order's entries; seqs are the counters of NextID.
	revs    map[string]int64
	sites   map[string]map[string]struct{}
	days    map[model.Date]map[string]struct{}
	history map[string][]model.HistoryEntry
	seqs    map[string]int64

	// log is the event log (memory_events.go); webhooks and deliveries
	// those of memory_webhooks.go.
	log        eventLog
	webhooks   records[model.Webhook]
	deliveries map[string]*model.Delivery
	hookLogs   map[string][]string
	due        map[string]time.Time

	// policies is the policy book (memory_policies.go).
	policies policyBook
}

// MemoryOptions configure a memory store. The zero value takes the
// defaults documented on each field.
type MemoryOptions struct {
	// EventRetention is how many events the log keeps; zero means
	// DefaultEventRetention.
	EventRetention int
}

// NewMemory returns an empty memory store with the default options.
func NewMemory() *Memory { return NewMemoryWith(MemoryOptions{}) }

// NewMemoryWith returns an empty memory store.
func NewMemoryWith(opts MemoryOptions) *Memory {
	return &Memory{
		technicians: records[model.Technician]{kind: "technician", byID: map[string]model.Technician{}, clone: cloneTechnician},
		workOrders:  records[model.WorkOrder]{kind: "work order", byID: map[string]model.WorkOrder{}, clone: cloneWorkOrder},
		live:        map[string]Live{},
		cells:       map[string]map[string]struct{}{},
		routes:      map[routeKey]map[string]struct{}{},
		plans:       map[string]plan{},
		keys:        map[string][]byte{},
		subscribers: map[*subscriber]struct{}{},
		revs:        map[string]int64{},
		sites:       map[string]map[string]struct{}{},
		days:        map[model.Date]map[string]struct{}{},
		history:     map[string][]model.HistoryEntry{},
		seqs:        map[string]int64{},
		log:         newEventLog(opts.EventRetention),
		webhooks:    records[model.Webhook]{kind: "webhook", byID: map[string]model.Webhook{}, clone: cloneWebhook},
		deliveries:  map[string]*model.Delivery{},
		hookLogs:    map[string][]string{},
		due:         map[string]time.Time{},
		policies:    policyBook{byName: map[string]model.Policy{}},
	}
}

// records is one kind of record by id; the Memory's lock guards it.
type records[T any] struct {
	kind  string
	byID  map[string]T
	clone func(T) T
}

// put stores v under id and reports whether it is new.
func (r *records[T]) put(id string, v T) (created bool, err error) {
	if id == "" {
		return false, fmt.Errorf("store: putting a %s: empty id", r.kind)
	}
	_, had := r.byID[id]
	r.byID[id] = r.clone(v)
	return !had, nil
}

func (r *records[T]) get(id string) (T, error) {
	v, ok := r.byID[id]
	if !ok {
		var zero T
		return zero, fmt.Errorf("getting %s %q: %w", r.kind, id, ErrNotFound)
	}
	return r.clone(v), nil
}

// list returns every record, sorted by id.
func (r *records[T]) list() []T {
	ids := make([]string, 0, len(r.byID))
	for id := range r.byID {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	out := make([]T, len(ids))
	for i, id := range ids {
		out[i] = r.clone(r.byID[id])
	}
	return out
}

func (r *records[T]) delete(id string) error {
	if _, ok := r.byID[id]; !ok {
		return fmt.Errorf("deleting %s %q: %w", r.kind, id, ErrNotFound)
	}
	delete(r.byID, id)
	return nil
}

// Ping always succeeds: memory is always reachable.
func (m *Memory) Ping(context.Context) error { return nil }

// PutTechnician creates or replaces a technician and reports whether it
// created one.
func (m *Memory) PutTechnician(_ context.Context, t model.Technician) (created bool, err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	created, err = m.technicians.put(t.ID, t)
	if err == nil {
		m.revs[TechnicianKey(t.ID)]++
		m.revs[TechniciansKey]++
	}
	return created, err
}

// GetTechnician returns the technician with the id, or an error wrapping
// ErrNotFound.
func (m *Memory) GetTechnician(_ context.Context, id string) (model.Technician, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.technicians.get(id)
}

// ListTechnicians returns every technician, sorted by id.
func (m *Memory) ListTechnicians(context.Context) ([]model.Technician, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.technicians.list(), nil
}

// DeleteTechnician removes the technician with the id, with their live
// state, if every guard still holds (else a *StaleError, ErrStale, and
// nothing deleted); or returns an error wrapping ErrNotFound.
func (m *Memory) DeleteTechnician(_ context.Context, id string, guards ...Guard) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, g := range guards {
		if got := m.revs[g.Key]; got != g.Rev {
			return &StaleError{Key: g.Key, Want: g.Rev, Got: got}
		}
	}
	if err := m.technicians.delete(id); err != nil {
		return err
	}
	m.revs[TechnicianKey(id)]++
	m.revs[TechniciansKey]++
	if l, ok := m.live[id]; ok {
		removeFrom(m.cells, l.Cell, id)
		delete(m.live, id)
	}
	return nil
}

// PutWorkOrder creates or replaces a work order, and moves it in the
// technicians' routes: it leaves the routes the previous version was in
// and joins those of its technicians on its scheduled start's day.
func (m *Memory) PutWorkOrder(ctx context.Context, w model.WorkOrder) error {
	return m.Commit(ctx, Change{Orders: []model.WorkOrder{w}})
}

// DeleteWorkOrder removes the work order with the id from the store and
// from its technicians' routes, raising the revisions a Commit that
// deletes it raises (the order's among them, so that a commit guarded on
// the order as read before cannot write it back); or returns an error
// wrapping ErrNotFound.
func (m *Memory) DeleteWorkOrder(_ context.Context, id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.workOrders.byID[id]; !ok {
		return fmt.Errorf("deleting work order %q: %w", id, ErrNotFound)
	}
	m.remove(id)
	m.revs[OrderKey(id)]++
	return nil
}

// Route returns the work orders of a technician's day: those whose
// TechnicianIDs include the technician and whose scheduled start falls on
// day in the start's own zone, sorted by scheduled start, then id. A
// technician without orders that day has an empty route.
func (m *Memory) Route(_ context.Context, technicianID string, day model.Date) ([]model.WorkOrder, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	ids := m.routes[routeKey{technicianID, day}]
	out := make([]model.WorkOrder, 0, len(ids))
	for id := range ids {
		out = append(out, cloneWorkOrder(m.workOrders.byID[id]))
	}
	SortRoute(out)
	return out, nil
}

// routeKey names one technician's day.
type routeKey struct {
	technicianID string
	day          model.Date
}

// addTo adds id to the set under key, creating the set.
func addTo[K comparable](sets map[K]map[string]struct{}, key K, id string) {
	set, ok := sets[key]
	if !ok {
		set = map[string]struct{}{}
		sets[key] = set
	}
	set[id] = struct{}{}
}

// removeFrom removes id from the set under key, and drops the set when it
// empties, as Redis drops an empty set.
func removeFrom[K comparable](sets map[K]map[string]struct{}, key K, id string) {
	set := sets[key]
	delete(set, id)
	if len(set) == 0 {
		delete(sets, key)
	}
}

// GetWorkOrder returns the work order with the id, or an error wrapping
// ErrNotFound.
func (m *Memory) GetWorkOrder(_ context.Context, id string) (model.WorkOrder, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.workOrders.get(id)
}

// ListWorkOrders returns every work order, sorted by id.
func (m *Memory) ListWorkOrders(context.Context) ([]model.WorkOrder, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.workOrders.list(), nil
}
