package store

import (
	"cmp"
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
	technicians map[string]model.Technician
	workOrders  map[string]model.WorkOrder
}

// NewMemory returns an empty memory store.
func NewMemory() *Memory {
	return &Memory{technicians: map[string]model.Technician{}, workOrders: map[string]model.WorkOrder{}}
}

// Ping always succeeds: memory is always reachable.
func (m *Memory) Ping(context.Context) error { return nil }

// PutTechnician creates or replaces a technician.
func (m *Memory) PutTechnician(_ context.Context, t model.Technician) error {
	if t.ID == "" {
		return fmt.Errorf("store: putting a technician: empty id")
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.technicians[t.ID] = cloneTechnician(t)
	return nil
}

// GetTechnician returns the technician with the id, or an error wrapping
// ErrNotFound.
func (m *Memory) GetTechnician(_ context.Context, id string) (model.Technician, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	t, ok := m.technicians[id]
	if !ok {
		return model.Technician{}, fmt.Errorf("getting technician %q: %w", id, ErrNotFound)
	}
	return cloneTechnician(t), nil
}

// ListTechnicians returns every technician, sorted by id.
func (m *Memory) ListTechnicians(context.Context) ([]model.Technician, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	out := make([]model.Technician, 0, len(m.technicians))
	for _, t := range m.technicians {
		out = append(out, cloneTechnician(t))
	}
	slices.SortFunc(out, func(a, b model.Technician) int { return cmp.Compare(a.ID, b.ID) })
	return out, nil
}

// DeleteTechnician removes the technician with the id, or returns an error
// wrapping ErrNotFound.
func (m *Memory) DeleteTechnician(_ context.Context, id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.technicians[id]; !ok {
		return fmt.Errorf("deleting technician %q: %w", id, ErrNotFound)
	}
	delete(m.technicians, id)
	return nil
}

// PutWorkOrder creates or replaces a work order.
func (m *Memory) PutWorkOrder(_ context.Context, w model.WorkOrder) error {
	if w.ID == "" {
		return fmt.Errorf("store: putting a work order: empty id")
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.workOrders[w.ID] = cloneWorkOrder(w)
	return nil
}

// GetWorkOrder returns the work order with the id, or an error wrapping
// ErrNotFound.
func (m *Memory) GetWorkOrder(_ context.Context, id string) (model.WorkOrder, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	w, ok := m.workOrders[id]
	if !ok {
		return model.WorkOrder{}, fmt.Errorf("getting work order %q: %w", id, ErrNotFound)
	}
	return cloneWorkOrder(w), nil
}

// ListWorkOrders returns every work order, sorted by id.
func (m *Memory) ListWorkOrders(context.Context) ([]model.WorkOrder, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	out := make([]model.WorkOrder, 0, len(m.workOrders))
	for _, w := range m.workOrders {
		out = append(out, cloneWorkOrder(w))
	}
	slices.SortFunc(out, func(a, b model.WorkOrder) int { return cmp.Compare(a.ID, b.ID) })
	return out, nil
}
