package store

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/dispatchd/dispatchd/model"
)

// Memory is a store held in this process's memory. It is safe for
// concurrent use. Values go in and come out as deep copies, so a caller
// that changes what it got cannot change the store behind its back.
type Memory struct {
	mu          sync.RWMutex
	technicians records[model.Technician]
	workOrders  records[model.WorkOrder]
}

// NewMemory returns an empty memory store.
func NewMemory() *Memory {
	return &Memory{
		technicians: records[model.Technician]{kind: "technician", byID: map[string]model.Technician{}, clone: cloneTechnician},
		workOrders:  records[model.WorkOrder]{kind: "work order", byID: map[string]model.WorkOrder{}, clone: cloneWorkOrder},
	}
}

// records is one kind of record by id; the Memory's lock guards it.
type records[T any] struct {
	kind  string
	byID  map[string]T
	clone func(T) T
}

func (r *records[T]) put(id string, v T) error {
	if id == "" {
		return fmt.Errorf("store: putting a %s: empty id", r.kind)
	}
	r.byID[id] = r.clone(v)
	return nil
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

// PutTechnician creates or replaces a technician.
func (m *Memory) PutTechnician(_ context.Context, t model.Technician) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.technicians.put(t.ID, t)
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

// DeleteTechnician removes the technician with the id, or returns an error
// wrapping ErrNotFound.
func (m *Memory) DeleteTechnician(_ context.Context, id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.technicians.delete(id)
}

// PutWorkOrder creates or replaces a work order.
func (m *Memory) PutWorkOrder(_ context.Context, w model.WorkOrder) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.workOrders.put(w.ID, w)
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
