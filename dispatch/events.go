package dispatch

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/dispatchd/dispatchd/model"
	"github.com/dispatchd/dispatchd/store"
)

// Every change of a work order publishes one event per history entry it
// writes, in the commit that writes them (store.Change.Events): the event
// log holds exactly the changes made, in the order the store made them,
// whichever replica made them. Events carry what the technicians
// concerned are told (notifications); webhooks deliver those
// (webhooks.go), live subscribers read them all (Subscribe).

// EventObserver hears of the events this process publishes and of the
// live subscribers it drops, so that the service's edge can count them.
type EventObserver interface {
	EventPublished(t model.EventType)
	SubscriberDropped(reason string)
}

// eventType is the event a history entry publishes.
func eventType(h *model.HistoryEntry) model.EventType {
	switch h.Action {
	case model.HistoryCreated:
		return model.EventWorkOrderCreated
	case model.HistoryDispatched:
		return model.EventWorkOrderDispatched
	case model.HistoryReassigned:
		return model.EventWorkOrderReassigned
	case model.HistoryStatus:
		if h.To == model.StatusCancelled {
			return model.EventWorkOrderCancelled
		}
		return model.EventWorkOrderStatus
	}
	return model.EventWorkOrderUpdated // updated, retimed
}

// eventsOf returns the events of a change: one per history entry, with
// the technicians it concerns and what they are told (or one per entry of
// the policy book's history), then the events the change already
// carries. No change writes both an order's history and the book's.
func (s *Service) eventsOf(ctx context.Context, c store.Change) []model.Event {
	if len(c.PolicyLog) > 0 {
		return append(policyEvents(c), c.Events...)
	}
	if len(c.History) == 0 {
		return c.Events
	}
	orders := make(map[string]*model.WorkOrder, len(c.Orders))
	for i := range c.Orders {
		orders[c.Orders[i].ID] = &c.Orders[i]
	}
	names := s.namer(ctx)
	out := make([]model.Event, 0, len(c.History)+len(c.Events))
	for i := range c.History {
		h := c.History[i]
		w := orders[h.WorkOrderID]
		if w == nil {
			w = &model.WorkOrder{ID: h.WorkOrderID}
		}
		out = append(out, eventOf(h, w, names))
	}
	return append(out, c.Events...)
}

// eventOf is the event of one history entry of order w (as the change
// leaves it).
func eventOf(h model.HistoryEntry, w *model.WorkOrder, names func(string) string) model.Event {
	e := model.Event{Type: eventType(&h), At: h.At, WorkOrderID: h.WorkOrderID, Actor: h.By, ActorKey: h.ByKey, Change: &h}
	for _, ids := range [][]string{h.FromTechnicians, h.ToTechnicians, w.TechnicianIDs} {
		for _, id := range ids {
			if !slices.Contains(e.TechnicianIDs, id) {
				e.TechnicianIDs = append(e.TechnicianIDs, id)
			}
		}
	}
	if h.Action == model.HistoryDispatched && h.Cause != "" {
		e.PlanID = h.Cause // a dispatch has a cause only when a plan made it
	}
	e.Notifications = notices(&h, w, names)
	return e
}

// notices says what each technician concerned by a change is told: an
// order dispatched to them, reassigned to or away from them, moved or
// changed or cancelled while theirs. Their own moves along the lifecycle
// tell them nothing.
func notices(h *model.HistoryEntry, w *model.WorkOrder, names func(string) string) []model.Notification {
	var out []model.Notification
	tell := func(tech, format string, args ...any) {
		out = append(out, model.Notification{TechnicianID: tech, Message: fmt.Sprintf(format, args...)})
	}
	id := h.WorkOrderID
	switch h.Action {
	case model.HistoryDispatched:
		for _, t := range h.ToTechnicians {
			tell(t, "Work order %s assigned to %s for %s", id, names(t), when(h.ToStart))
		}
	case model.HistoryReassigned:
		// A technician who keeps the order is told what changed of it:
		// its start, and what was promised (the arrival window).
		var kept []string
		if h.FromStart != nil && h.ToStart != nil && !h.FromStart.Equal(*h.ToStart) {
			kept = append(kept, "moved to "+when(h.ToStart))
		}
		if len(h.Changes) > 0 {
			kept = append(kept, "changed: "+strings.Join(changedFields(h.Changes), ", "))
		}
		for _, t := range h.FromTechnicians {
			if !slices.Contains(h.ToTechnicians, t) {
				tell(t, "Work order %s reassigned to %s", id, nameList(h.ToTechnicians, names))
			} else if len(kept) > 0 {
				tell(t, "Work order %s %s", id, strings.Join(kept, "; "))
			}
		}
		for _, t := range h.ToTechnicians {
			if !slices.Contains(h.FromTechnicians, t) {
				tell(t, "Work order %s assigned from %s to %s for %s", id, nameList(h.FromTechnicians, names), names(t), when(h.ToStart))
			}
		}
	case model.HistoryRetimed:
		for _, t := range w.TechnicianIDs {
			tell(t, "Work order %s moved to %s: %s", id, when(h.ToStart), h.Reason)
		}
	case model.HistoryUpdated:
		if assigned(w) {
			for _, t := range w.TechnicianIDs {
				tell(t, "Work order %s changed: %s", id, strings.Join(changedFields(h.Changes), ", "))
			}
		}
	case model.HistoryStatus:
		if h.To == model.StatusCancelled {
			for _, t := range w.TechnicianIDs {
				if h.Reason != "" {
					tell(t, "Work order %s cancelled: %s", id, h.Reason)
				} else {
					tell(t, "Work order %s cancelled", id)
				}
			}
		}
	}
	return out
}

// changedFields names the fields of a change, in its order.
func changedFields(changes []model.FieldChange) []string {
	out := make([]string, len(changes))
	for i, c := range changes {
		out[i] = c.Field
	}
	return out
}

// assigned reports whether an order is in a technician's hands: dispatched
// and not yet complete or cancelled.
func assigned(w *model.WorkOrder) bool {
	switch w.Status {
	case model.StatusDispatched, model.StatusAcknowledged, model.StatusEnRoute, model.StatusOnSite:
		return len(w.TechnicianIDs) > 0
	}
	return false
}

// when reads a start as a technician does: its clock time and day, in its
// own zone.
func when(t *time.Time) string {
	if t == nil {
		return "an unset time"
	}
	return t.Format("15:04 on Mon 2 Jan 2006")
}

func nameList(ids []string, names func(string) string) string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = names(id)
	}
	if len(out) == 0 {
		return "nobody"
	}
	return strings.Join(out, " and ")
}

// namer returns a lookup of technicians' names as notifications write
// them, "Ana Ruiz (T1)", reading each technician once; one that cannot be
// read is named by id.
func (s *Service) namer(ctx context.Context) func(string) string {
	seen := map[string]string{}
	return func(id string) string {
		if n, ok := seen[id]; ok {
			return n
		}
		n := id
		if t, err := s.store.GetTechnician(ctx, id); err == nil && t.Name != "" {
			n = t.Name + " (" + id + ")"
		}
		seen[id] = n
		return n
	}
}

// published counts the events of a change made.
func (s *Service) published(events []model.Event) {
	if s.events == nil {
		return
	}
	for _, e := range events {
		s.events.EventPublished(e.Type)
	}
}

// publish appends events that are no part of a commit, best effort and
// within a time limit: a position or a plan's progress is kept whether or
// not its event is, and a store that is slow must not stall the caller
// (a ping, the search of a plan) for long.
func (s *Service) publish(within time.Duration, events ...model.Event) {
	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	if err := s.store.PublishEvents(ctx, events...); err != nil {
		s.log.Warn("cannot publish events", "type", events[0].Type, "err", err)
		return
	}
	s.published(events)
}

// DefaultLocationEvery is how often at most a technician's position is
// published, per replica, when Options names no interval: a live board
// moves smoothly, and a fleet of phones pinging every second does not
// flood the log.
const DefaultLocationEvery = 5 * time.Second

// throttle remembers when each technician's position was last published.
type throttle struct {
	mu    sync.Mutex
	every time.Duration
	last  map[string]time.Time
}

// due reports whether a technician's position may be published at now,
// and if so counts it as published.
func (t *throttle) due(id string, now time.Time) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if last, ok := t.last[id]; ok && now.Sub(last) < t.every {
		return false
	}
	t.last[id] = now
	return true
}

// locationEvent publishes a kept position, unless its technician's was
// published less than the throttle's interval ago.
func (s *Service) locationEvent(p model.Position, by Actor) {
	if !s.locations.due(p.TechnicianID, s.clock()) {
		return
	}
	s.publish(time.Second, model.Event{Type: model.EventTechnicianLocation, At: p.At, TechnicianIDs: []string{p.TechnicianID}, Actor: by.Name, ActorKey: by.KeyID, Position: &p})
}

// planEvent publishes a plan's progress (from the search's own goroutine:
// briefly) or end.
func (s *Service) planEvent(t model.EventType, rec PlanRecord) {
	within := 2 * time.Second
	if t == model.EventPlanProgress {
		within = 200 * time.Millisecond
	}
	news := &model.PlanNews{Status: rec.Status, Iterations: rec.Progress.Iterations, BestObjective: rec.Progress.BestObjective,
		Assigned: rec.Progress.Assigned, Unassigned: rec.Progress.Unassigned}
	if rec.Plan != nil {
		news.Assigned, news.Unassigned = rec.Plan.KPIs.Assigned, rec.Plan.KPIs.Unassigned
	}
	s.publish(within, model.Event{Type: t, At: s.now(), PlanID: rec.ID, Plan: news})
}
