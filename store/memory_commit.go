package store

import (
	"context"
	"fmt"
	"slices"

	"github.com/dispatchd/dispatchd/model"
)

// Revisions returns the revision of each key (0 for a key never written),
// in the keys' order. Read them before the records a decision depends on,
// and guard the commit with them.
func (m *Memory) Revisions(_ context.Context, keys ...string) ([]int64, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	out := make([]int64, len(keys))
	for i, k := range keys {
		out[i] = m.revs[k]
	}
	return out, nil
}

// Commit makes a change atomically: if every guard holds it writes the
// orders (moving them in routes and sites), deletes those to delete,
// appends the history, writes the policy book, raises the keys to raise
// and appends the events,
// raising the revisions each write touches; if any guard fails it writes
// nothing and returns a *StaleError (ErrStale).
func (m *Memory) Commit(_ context.Context, c Change) error {
	if err := CheckChange(c); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, g := range c.Guards {
		if got := m.revs[g.Key]; got != g.Rev {
			return &StaleError{Key: g.Key, Want: g.Rev, Got: got}
		}
	}
	// The events are encoded before the first write: a change whose
	// events cannot be kept is not made.
	if err := m.log.append(c.Events); err != nil {
		return err
	}
	for _, w := range c.Orders {
		m.remove(w.ID)
		_, _ = m.workOrders.put(w.ID, w) // CheckChange saw the id
		if day, ok := RouteDay(w); ok {
			for _, tech := range w.TechnicianIDs {
				addTo(m.routes, routeKey{tech, day}, w.ID)
				addTo(m.days, day, w.ID)
				m.revs[RouteKey(tech, day)]++
				m.revs[DayKey(day)]++
			}
		}
		if w.SiteID != "" {
			addTo(m.sites, w.SiteID, w.ID)
			m.revs[SiteKey(w.SiteID)]++
		}
		for _, tech := range w.TechnicianIDs {
			m.revs[TechnicianOrdersKey(tech)]++
		}
		m.revs[OrderKey(w.ID)]++
	}
	for _, id := range c.Delete {
		m.remove(id)
		m.revs[OrderKey(id)]++
	}
	for _, h := range c.History {
		m.history[h.WorkOrderID] = append(m.history[h.WorkOrderID], cloneHistory(h))
	}
	if WritesPolicies(c) {
		m.policies.write(c)
		m.revs[PoliciesKey]++
	}
	for _, k := range c.Raise {
		m.revs[k]++
	}
	return nil
}

// remove takes the stored order with the id, if any, out of the store, its
// routes and its site, raising the revisions of what it leaves.
func (m *Memory) remove(id string) {
	old, ok := m.workOrders.byID[id]
	if !ok {
		return
	}
	delete(m.workOrders.byID, id)
	if day, ok := RouteDay(old); ok {
		for _, tech := range old.TechnicianIDs {
			removeFrom(m.routes, routeKey{tech, day}, id)
			removeFrom(m.days, day, id)
			m.revs[RouteKey(tech, day)]++
			m.revs[DayKey(day)]++
		}
	}
	if old.SiteID != "" {
		removeFrom(m.sites, old.SiteID, id)
		m.revs[SiteKey(old.SiteID)]++
	}
	for _, tech := range old.TechnicianIDs {
		m.revs[TechnicianOrdersKey(tech)]++
	}
}

// History returns a work order's history, oldest first, numbered from 1;
// an order without history (or unknown) has none.
func (m *Memory) History(_ context.Context, id string) ([]model.HistoryEntry, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	hs := m.history[id]
	out := make([]model.HistoryEntry, len(hs))
	for i, h := range hs {
		out[i] = cloneHistory(h)
		out[i].Seq = i + 1
	}
	return out, nil
}

// OrdersAtSite returns the work orders at a site, sorted by id.
func (m *Memory) OrdersAtSite(_ context.Context, siteID string) ([]model.WorkOrder, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.ordersIn(m.sites[siteID]), nil
}

// DayOrders returns the work orders filed under any technician's route of
// the day (see RouteDay), sorted by id.
func (m *Memory) DayOrders(_ context.Context, day model.Date) ([]model.WorkOrder, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.ordersIn(m.days[day]), nil
}

// ordersIn returns copies of the orders whose ids are in the set, sorted
// by id.
func (m *Memory) ordersIn(set map[string]struct{}) []model.WorkOrder {
	ids := make([]string, 0, len(set))
	for id := range set {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	out := make([]model.WorkOrder, len(ids))
	for i, id := range ids {
		out[i] = cloneWorkOrder(m.workOrders.byID[id])
	}
	return out
}

// NextID returns the next number of a named sequence, from 1: ids that no
// two callers share, whichever replica they run on.
func (m *Memory) NextID(_ context.Context, sequence string) (int64, error) {
	if sequence == "" {
		return 0, fmt.Errorf("store: next id: empty sequence name")
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.seqs[sequence]++
	return m.seqs[sequence], nil
}
