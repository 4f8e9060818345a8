package store

import (
	"errors"
	"fmt"
	"slices"
)

// CheckIndexes reports every way the memory store's indexes (cells,
// routes) disagree with its records, for tests: an index that keeps stale
// entries still answers correctly, because readers re-check the records,
// so only a look inside catches it.
func CheckIndexes(m *Memory) error {
	m.mu.RLock()
	defer m.mu.RUnlock()
	var errs []error
	for id, l := range m.live {
		if _, ok := m.technicians.byID[id]; !ok {
			errs = append(errs, fmt.Errorf("live state of %q, who is not a technician", id))
		}
		if c, err := LiveCell(l.Position.Location()); err != nil || c != l.Cell {
			errs = append(errs, fmt.Errorf("live state of %q says cell %s, its position is in %s (%v)", id, l.Cell, c, err))
		}
		if _, ok := m.cells[l.Cell][id]; !ok {
			errs = append(errs, fmt.Errorf("%q is missing from the set of cell %s", id, l.Cell))
		}
	}
	for c, ids := range m.cells {
		if len(ids) == 0 {
			errs = append(errs, fmt.Errorf("cell %s has an empty set", c))
		}
		for id := range ids {
			if m.live[id].Cell != c {
				errs = append(errs, fmt.Errorf("cell %s holds %q, whose live cell is %q", c, id, m.live[id].Cell))
			}
		}
	}
	for k, ids := range m.routes {
		if len(ids) == 0 {
			errs = append(errs, fmt.Errorf("route %v has an empty set", k))
		}
		for id := range ids {
			w, ok := m.workOrders.byID[id]
			day, scheduled := RouteDay(w)
			if !ok || !scheduled || day != k.day || !slices.Contains(w.TechnicianIDs, k.technicianID) {
				errs = append(errs, fmt.Errorf("route %v holds %q, which does not belong there", k, id))
			}
		}
	}
	for id, w := range m.workOrders.byID {
		day, ok := RouteDay(w)
		if !ok {
			continue
		}
		for _, tech := range w.TechnicianIDs {
			if _, ok := m.routes[routeKey{tech, day}][id]; !ok {
				errs = append(errs, fmt.Errorf("order %q is missing from the route of %s on %s", id, tech, day))
			}
		}
	}
	logged := map[string]bool{}
	for hook, ids := range m.hookLogs {
		if _, ok := m.webhooks.byID[hook]; !ok {
			errs = append(errs, fmt.Errorf("the log of %q, which is no webhook", hook))
		}
		for _, id := range ids {
			logged[id] = true
			if _, ok := m.deliveries[id]; !ok {
				errs = append(errs, fmt.Errorf("the log of %q holds %q, which is no delivery", hook, id))
			}
		}
	}
	for id := range m.deliveries {
		if !logged[id] {
			errs = append(errs, fmt.Errorf("delivery %q is in no webhook's log", id))
		}
	}
	for id := range m.due {
		if _, ok := m.deliveries[id]; !ok {
			errs = append(errs, fmt.Errorf("%q is due, but no delivery", id))
		}
	}
	return errors.Join(errs...)
}
