package store

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// plan is a stored plan record and when it expires.
type plan struct {
	record  []byte
	expires time.Time
}

// PutPlan stores a plan record, opaque to the store, under id for ttl (0
// means DefaultPlanTTL), replacing any record and expiry already there.
func (m *Memory) PutPlan(_ context.Context, id string, record []byte, ttl time.Duration) error {
	ttl, err := PlanTTL(id, ttl)
	if err != nil {
		return err
	}
	now := time.Now()
	m.mu.Lock()
	defer m.mu.Unlock()
	// Expired plans go when a plan comes, so the map holds about as many
	// plans as live within a TTL.
	for pid, p := range m.plans {
		if !p.expires.After(now) {
			delete(m.plans, pid)
		}
	}
	m.plans[id] = plan{record: append([]byte{}, record...), expires: now.Add(ttl)}
	return nil
}

// GetPlan returns a copy of the plan record stored under id, or an error
// wrapping ErrNotFound when there is none or it has expired.
func (m *Memory) GetPlan(_ context.Context, id string) ([]byte, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	p, ok := m.plans[id]
	if !ok || !p.expires.After(time.Now()) {
		return nil, fmt.Errorf("store: getting plan %q: %w", id, ErrNotFound)
	}
	return append([]byte{}, p.record...), nil
}

// RequestCancel asks whoever runs plan id to stop: every channel that
// CancelRequests has returned, and not yet closed, receives id. It never
// waits for a slow receiver.
func (m *Memory) RequestCancel(_ context.Context, id string) error {
	if id == "" {
		return fmt.Errorf("store: requesting a plan's cancellation: empty id")
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	for s := range m.subscribers {
		s.push(id)
	}
	return nil
}

// CancelRequests returns a channel of the ids of plans whose cancellation
// was requested from now on, in the order requested; it closes when ctx
// ends. The memory store hears only its own requests: it is one process.
func (m *Memory) CancelRequests(ctx context.Context) (<-chan string, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("store: subscribing to cancel requests: %w", err)
	}
	s := &subscriber{wake: make(chan struct{}, 1)}
	m.mu.Lock()
	m.subscribers[s] = struct{}{}
	m.mu.Unlock()
	out := make(chan string)
	go func() {
		defer close(out)
		defer func() {
			m.mu.Lock()
			delete(m.subscribers, s)
			m.mu.Unlock()
		}()
		for {
			select {
			case <-ctx.Done():
				return
			case <-s.wake:
			}
			for _, id := range s.take() {
				select {
				case out <- id:
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	return out, nil
}

// subscriber queues cancel requests for one CancelRequests channel, so
// that RequestCancel never blocks on a receiver that reads slowly.
type subscriber struct {
	mu    sync.Mutex
	queue []string
	wake  chan struct{} // holds a token while the queue may be non-empty
}

func (s *subscriber) push(id string) {
	s.mu.Lock()
	s.queue = append(s.queue, id)
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

func (s *subscriber) take() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	q := s.queue
	s.queue = nil
	return q
}
