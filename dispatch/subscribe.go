package dispatch

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/dispatchd/dispatchd/model"
)

// Live subscribers of one process share one reader of the event log: it
// waits for the next events (XREAD BLOCK with Redis, so that an event
// committed on any replica reaches it at once) and offers each to every
// subscriber that wants it, without ever waiting for one. A subscriber's
// buffer is bounded: one that falls behind by more is dropped, and told,
// so that a slow reader never holds up the others or the writers. A
// subscriber that resumes after an event id reads what it missed from
// the log itself, then joins the live events after the reader's place,
// so that it sees every event once, in the log's order.

// DefaultSubscriberBuffer is how many events a live subscriber may fall
// behind before it is dropped, when its options name no other.
const DefaultSubscriberBuffer = 1024

// SubscribeOptions choose a live subscriber's events.
type SubscribeOptions struct {
	// After resumes after this event id (a Last-Event-ID); empty starts
	// with the next event.
	After string
	// Types keep events of these types; none keeps all.
	Types []model.EventType
	// TechnicianID keeps events that concern the technician.
	TechnicianID string
	// Buffer bounds how far the subscriber may fall behind; zero means
	// DefaultSubscriberBuffer.
	Buffer int
}

// Subscription is a live subscriber's stream of events.
type Subscription struct {
	opts   SubscribeOptions
	events chan model.Event
	// live receives the reader's events; dropped says why it was closed.
	live    chan model.Event
	dropped string
	cancel  context.CancelFunc
}

// Events delivers the subscriber's events in the log's order: first what
// it missed (after a stream.missed event when some of that is no longer
// kept), then each new one. It closes when the subscription ends; a
// subscriber dropped for falling behind gets a stream.dropped event
// first.
func (sub *Subscription) Events() <-chan model.Event { return sub.events }

// Close ends the subscription: the subscriber is off the process's count
// when it returns; its events close soon after.
func (sub *Subscription) Close() { sub.cancel() }

// wants reports whether the subscriber asked for the event.
func (sub *Subscription) wants(e *model.Event) bool {
	if len(sub.opts.Types) > 0 && !slices.Contains(sub.opts.Types, e.Type) {
		return false
	}
	return sub.opts.TechnicianID == "" || e.Concerns(sub.opts.TechnicianID)
}

// hub is the process's reader of the event log and its subscribers.
type hub struct {
	s       *Service
	mu      sync.Mutex
	subs    map[*Subscription]struct{}
	started bool
	// pos is the id of the last event offered to the subscribers.
	pos string
}

// Subscribers returns how many live subscribers this process has.
func (s *Service) Subscribers() int {
	s.hub.mu.Lock()
	defer s.hub.mu.Unlock()
	return len(s.hub.subs)
}

// Subscribe starts a live subscription; it ends when ctx does, on Close,
// or at Shutdown, which waits for it to end. After Shutdown it is
// ErrClosed. An After that is no event id, or a type or technician id that
// cannot be, is invalid, naming the field. An actor bound to a technician
// hears only of what concerns that technician.
func (s *Service) Subscribe(ctx context.Context, opts SubscribeOptions, by Actor) (*Subscription, error) {
	if by.bound() {
		if err := by.forTechnician(opts.TechnicianID); opts.TechnicianID != "" && err != nil {
			return nil, err
		}
		opts.TechnicianID = by.Technician
	}
	var errs []model.FieldError
	if opts.After != "" {
		if _, _, err := model.ParseEventID(opts.After); err != nil {
			errs = append(errs, model.FieldError{Field: "Last-Event-ID", Message: err.Error()})
		}
	}
	for i, t := range opts.Types {
		if p := model.EventTypeProblem(t); p != "" {
			errs = append(errs, model.FieldError{Field: fmt.Sprintf("types[%d]", i), Message: p})
		}
	}
	if p := model.IDProblem(opts.TechnicianID); opts.TechnicianID != "" && p != "" {
		errs = append(errs, model.FieldError{Field: "technician_id", Message: p})
	}
	if opts.Buffer <= 0 {
		opts.Buffer = DefaultSubscriberBuffer
	}
	if len(errs) > 0 {
		return nil, &model.ValidationError{Errors: errs}
	}
	h := &s.hub
	if err := h.start(ctx); err != nil {
		return nil, err
	}
	if s.bg.Err() != nil {
		return nil, ErrClosed
	}
	// The subscription ends with its caller's context or the service.
	sctx, cancel := context.WithCancel(ctx)
	stop := context.AfterFunc(s.bg, cancel)
	sub := &Subscription{opts: opts, events: make(chan model.Event), live: make(chan model.Event, opts.Buffer)}
	sub.cancel = func() {
		stop()
		cancel()
		h.leave(sub)
	}
	h.mu.Lock()
	h.subs[sub] = struct{}{}
	joined := h.pos
	h.mu.Unlock()
	s.wg.Go(func() {
		defer sub.cancel()
		sub.run(sctx, s, joined)
	})
	return sub, nil
}

// start starts the process's reader at the end of the log, once.
func (h *hub) start(ctx context.Context) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.started {
		return nil
	}
	if h.s.bg.Err() != nil {
		return ErrClosed
	}
	pos, err := h.s.store.LastEventID(ctx)
	if err != nil {
		return fmt.Errorf("dispatch: finding the end of the event log: %w", err)
	}
	h.pos, h.started, h.subs = pos, true, map[*Subscription]struct{}{}
	h.s.wg.Go(func() { h.read(pos) })
	return nil
}

// leave forgets a subscriber that ended or was closed.
func (h *hub) leave(sub *Subscription) {
	h.mu.Lock()
	delete(h.subs, sub)
	h.mu.Unlock()
}

// readBlock is how long one read of the log waits for events.
const readBlock = time.Second

// read offers every event after pos to the subscribers, until the
// service shuts down. A store out of reach is read again a second later,
// from where it was: nothing is lost while the log keeps it.
func (h *hub) read(pos string) {
	ctx := h.s.bg
	failing := false
	for ctx.Err() == nil {
		b, err := h.s.store.ReadEvents(ctx, pos, 1000, readBlock)
		if err != nil {
			if ctx.Err() == nil && !failing {
				h.s.log.Warn("cannot read the event log; live subscribers wait", "err", err)
			}
			failing = true
			sleep(ctx, time.Second)
			continue
		}
		if failing {
			h.s.log.Info("reading the event log again", "after", pos)
			failing = false
		}
		h.mu.Lock()
		if b.Missed {
			// This reader fell behind the log's retention (a store out of
			// reach for long): everyone missed the same.
			notice := h.s.streamNotice(model.EventStreamMissed, "events after "+pos+" are no longer kept; resync from the API", pos)
			for sub := range h.subs {
				h.offer(sub, notice)
			}
		}
		for i := range b.Events {
			e := b.Events[i]
			for sub := range h.subs {
				if sub.wants(&e) {
					h.offer(sub, e)
				}
			}
			pos = e.ID
		}
		h.pos = pos
		h.mu.Unlock()
	}
}

// offer gives a subscriber an event without waiting; a subscriber whose
// buffer is full is dropped. The caller holds the lock.
func (h *hub) offer(sub *Subscription, e model.Event) {
	select {
	case sub.live <- e:
	default:
		sub.dropped = fmt.Sprintf("more than %d events behind", cap(sub.live))
		close(sub.live)
		delete(h.subs, sub)
		if h.s.events != nil {
			h.s.events.SubscriberDropped("slow")
		}
	}
}

// streamNotice is a notice of the stream itself, stamped by the service's
// clock as every other event is, so that a reader orders it among them.
func (s *Service) streamNotice(t model.EventType, message, after string) model.Event {
	return model.Event{Type: t, At: s.now().UTC(), Stream: &model.StreamNotice{Message: message, After: after}}
}

// run delivers a subscriber's events: what it missed after its After id,
// up to joined (the reader's place when it joined), from the log; then
// the live ones after it.
func (sub *Subscription) run(ctx context.Context, s *Service, joined string) {
	defer close(sub.events)
	send := func(e model.Event) bool {
		select {
		case sub.events <- e:
			return true
		case <-ctx.Done():
			return false
		}
	}
	last := sub.opts.After
	if last != "" {
		first := true
	catchUp:
		for model.CompareEventIDs(last, joined) < 0 {
			b, err := s.store.ReadEvents(ctx, last, 500, 0)
			if err != nil {
				if !errors.Is(err, context.Canceled) {
					send(s.streamNotice(model.EventStreamDropped, "the event log cannot be read; reconnect with the last id received", last))
				}
				return
			}
			if first && b.Missed {
				n := s.streamNotice(model.EventStreamMissed, "events after "+last+" are no longer kept; resync from the API, then go on from here", last)
				if len(b.Events) > 0 {
					n.Stream.Resumed = b.Events[0].ID
				}
				if !send(n) {
					return
				}
			}
			first = false
			if len(b.Events) == 0 {
				break
			}
			for _, e := range b.Events {
				if model.CompareEventIDs(e.ID, joined) > 0 {
					break catchUp
				}
				last = e.ID
				if sub.wants(&e) && !send(e) {
					return
				}
			}
		}
	}
	for {
		select {
		case e, ok := <-sub.live:
			if !ok {
				send(s.streamNotice(model.EventStreamDropped, "the subscriber fell "+sub.dropped+"; reconnect with the last id received to resume", last))
				return
			}
			if e.ID != "" {
				if model.CompareEventIDs(e.ID, last) <= 0 {
					continue // read from the log while catching up
				}
				last = e.ID
			}
			if !send(e) {
				return
			}
		case <-ctx.Done():
			return
		}
	}
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
