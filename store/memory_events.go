package store

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/dispatchd/dispatchd/model"
)

// eventLog is the memory store's event log; the Memory's lock guards it.
type eventLog struct {
	max int
	// kept holds the newest events, encoded as the Redis store keeps
	// them, so that both hand back the same values; dropped is the id of
	// the newest event no longer kept.
	kept    []keptEvent
	dropped string
	lastMS  int64
	seq     int64
	// wake is closed and replaced on every append, to wake blocked reads.
	wake   chan struct{}
	groups map[string]*eventGroup
}

type keptEvent struct {
	id   string
	data []byte
}

// eventGroup is a consumer group: where it has read to, and what it
// handed out and was not yet told is done.
type eventGroup struct {
	last    string
	pending map[string]pendingEvent
}

type pendingEvent struct {
	consumer string
	at       time.Time
}

func newEventLog(retention int) eventLog {
	if retention <= 0 {
		retention = DefaultEventRetention
	}
	return eventLog{max: retention, wake: make(chan struct{}), groups: map[string]*eventGroup{}}
}

// append gives events their ids and keeps them, dropping the oldest
// beyond the retention. The caller holds the Memory's lock.
func (l *eventLog) append(events []model.Event) error {
	encoded := make([][]byte, len(events))
	for i, e := range events {
		if !e.Type.Known() {
			return fmt.Errorf("store: appending an event of unknown type %q", e.Type)
		}
		data, err := EncodeEvent(e)
		if err != nil {
			return err
		}
		encoded[i] = data
	}
	for _, data := range encoded {
		ms := time.Now().UnixMilli()
		if ms <= l.lastMS {
			ms, l.seq = l.lastMS, l.seq+1
		} else {
			l.seq = 0
		}
		l.lastMS = ms
		l.kept = append(l.kept, keptEvent{id: strconv.FormatInt(ms, 10) + "-" + strconv.FormatInt(l.seq, 10), data: data})
	}
	if over := len(l.kept) - l.max; over > 0 {
		l.dropped = l.kept[over-1].id
		l.kept = slices.Delete(l.kept, 0, over)
	}
	if len(encoded) > 0 {
		close(l.wake)
		l.wake = make(chan struct{})
	}
	return nil
}

// after returns up to limit events after the id, and whether some after
// it were dropped.
func (l *eventLog) after(after string, limit int) (EventBatch, error) {
	b := EventBatch{Events: []model.Event{}, Missed: model.CompareEventIDs(after, l.dropped) < 0}
	i, _ := slices.BinarySearchFunc(l.kept, after, func(k keptEvent, id string) int { return model.CompareEventIDs(k.id, id) })
	if i < len(l.kept) && l.kept[i].id == after {
		i++
	}
	for ; i < len(l.kept) && len(b.Events) < limit; i++ {
		e, err := DecodeEvent(l.kept[i].id, l.kept[i].data)
		if err != nil {
			return EventBatch{}, err
		}
		b.Events = append(b.Events, e)
	}
	return b, nil
}

// PublishEvents appends events that are no part of a commit (positions,
// plans) to the event log.
func (m *Memory) PublishEvents(_ context.Context, events ...model.Event) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.log.append(events)
}

// ReadEvents returns up to limit events after the id after ("" reads from
// the oldest kept), oldest first. With none there yet, it waits up to
// block for the first to come.
func (m *Memory) ReadEvents(ctx context.Context, after string, limit int, block time.Duration) (EventBatch, error) {
	if err := CheckEventRead(after, limit); err != nil {
		return EventBatch{}, err
	}
	var b EventBatch
	err := m.waitEvents(ctx, block, "reading events", func() (bool, error) {
		var err error
		m.mu.RLock()
		defer m.mu.RUnlock()
		b, err = m.log.after(after, limit)
		return len(b.Events) > 0, err
	})
	return b, err
}

// waitEvents runs try, and again each time events are appended, until it
// finds something (or fails), block passes or ctx ends. try takes the
// lock it needs.
func (m *Memory) waitEvents(ctx context.Context, block time.Duration, doing string, try func() (bool, error)) error {
	var timeout <-chan time.Time
	for {
		m.mu.RLock()
		wake := m.log.wake
		m.mu.RUnlock()
		found, err := try()
		if err != nil || found || block <= 0 {
			return err
		}
		if timeout == nil {
			t := time.NewTimer(block)
			defer t.Stop()
			timeout = t.C
		}
		select {
		case <-wake:
		case <-timeout:
			return nil
		case <-ctx.Done():
			return fmt.Errorf("store: %s: %w", doing, ctx.Err())
		}
	}
}

// LastEventID returns the id of the newest event, or "" when there is
// none: where a reader starts that wants only what comes next.
func (m *Memory) LastEventID(context.Context) (string, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if n := len(m.log.kept); n > 0 {
		return m.log.kept[n-1].id, nil
	}
	return m.log.dropped, nil
}

// ClaimEvents hands consumer of group up to limit events: first those
// another consumer claimed more than idle ago and did not acknowledge,
// then new ones. A group is made at its first claim, reading from the
// oldest event kept. With nothing to hand out, it waits up to block.
func (m *Memory) ClaimEvents(ctx context.Context, group, consumer string, limit int, block, idle time.Duration) ([]model.Event, error) {
	if group == "" || consumer == "" || limit < 1 {
		return nil, fmt.Errorf("store: claiming events: want a group, a consumer and a limit of at least 1")
	}
	var out []model.Event
	err := m.waitEvents(ctx, block, "claiming events", func() (bool, error) {
		var err error
		m.mu.Lock()
		defer m.mu.Unlock()
		out, err = m.claim(group, consumer, limit, idle)
		return len(out) > 0, err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// claim is ClaimEvents without the wait; the caller holds the lock.
func (m *Memory) claim(group, consumer string, limit int, idle time.Duration) ([]model.Event, error) {
	g := m.log.groups[group]
	if g == nil {
		g = &eventGroup{pending: map[string]pendingEvent{}}
		m.log.groups[group] = g
	}
	now := time.Now()
	out := []model.Event{}
	var stale []string
	for id, p := range g.pending {
		if now.Sub(p.at) >= idle {
			stale = append(stale, id)
		}
	}
	slices.SortFunc(stale, model.CompareEventIDs)
	for _, id := range stale {
		if len(out) == limit {
			break
		}
		i, found := slices.BinarySearchFunc(m.log.kept, id, func(k keptEvent, id string) int { return model.CompareEventIDs(k.id, id) })
		if !found {
			delete(g.pending, id) // dropped from the log: nothing to hand out
			continue
		}
		e, err := DecodeEvent(id, m.log.kept[i].data)
		if err != nil {
			return nil, err
		}
		g.pending[id] = pendingEvent{consumer: consumer, at: now}
		out = append(out, e)
	}
	if len(out) == limit {
		return out, nil
	}
	b, err := m.log.after(g.last, limit-len(out))
	if err != nil {
		return nil, err
	}
	for _, e := range b.Events {
		g.pending[e.ID] = pendingEvent{consumer: consumer, at: now}
		g.last = e.ID
	}
	return append(out, b.Events...), nil
}

// AckEvents tells a group that its consumers are done with the events:
// they are handed out no more.
func (m *Memory) AckEvents(_ context.Context, group string, ids ...string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if g := m.log.groups[group]; g != nil {
		for _, id := range ids {
			delete(g.pending, id)
		}
	}
	return nil
}
