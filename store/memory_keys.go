package store

import (
	"context"
	"fmt"
	"slices"
)

// CreateKey stores an API key record under a new id; an id already taken
// is ErrExists.
func (m *Memory) CreateKey(_ context.Context, id string, record []byte) error {
	if id == "" {
		return fmt.Errorf("store: creating a key: empty id")
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, taken := m.keys[id]; taken {
		return fmt.Errorf("store: creating key %q: %w", id, ErrExists)
	}
	m.keys[id] = slices.Clone(record)
	return nil
}

// GetKey returns a copy of the key record of id, or ErrNotFound.
func (m *Memory) GetKey(_ context.Context, id string) ([]byte, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	rec, ok := m.keys[id]
	if !ok {
		return nil, fmt.Errorf("store: getting key %q: %w", id, ErrNotFound)
	}
	return slices.Clone(rec), nil
}

// ListKeys returns copies of every key record, by id.
func (m *Memory) ListKeys(context.Context) ([][]byte, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	ids := make([]string, 0, len(m.keys))
	for id := range m.keys {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	out := make([][]byte, len(ids))
	for i, id := range ids {
		out[i] = slices.Clone(m.keys[id])
	}
	return out, nil
}

// DeleteKey removes the key record of id, or returns ErrNotFound.
func (m *Memory) DeleteKey(_ context.Context, id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.keys[id]; !ok {
		return fmt.Errorf("store: deleting key %q: %w", id, ErrNotFound)
	}
	delete(m.keys, id)
	return nil
}
