package store

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/dispatchd/dispatchd/geo"
	"github.com/dispatchd/dispatchd/model"
)

// UpdatePosition records technician p.TechnicianID's live position, and
// status unless status is empty (which keeps the previous one). A position
// not newer than the stored one (compared in whole milliseconds, see
// LiveTime) changes nothing and returns applied = false: GPS fixes arrive
// out of order, and the newest must win. It returns an error wrapping
// ErrNotFound for an unknown technician, and an error wrapping the
// position's *model.ValidationError for an invalid one.
func (m *Memory) UpdatePosition(_ context.Context, p model.Position, status string) (applied bool, err error) {
	if err := ValidatePosition(p); err != nil {
		return false, err
	}
	cell, err := LiveCell(p.Location())
	if err != nil {
		return false, fmt.Errorf("store: updating the position of %q: %w", p.TechnicianID, err)
	}
	p.At = LiveTime(p.At)
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.technicians.byID[p.TechnicianID]; !ok {
		return false, fmt.Errorf("store: updating the position of technician %q: %w", p.TechnicianID, ErrNotFound)
	}
	prev, known := m.live[p.TechnicianID]
	if known && !p.At.After(prev.Position.At) {
		return false, nil
	}
	if known && prev.Cell != cell {
		removeFrom(m.cells, prev.Cell, p.TechnicianID)
	}
	if status == "" {
		status = prev.Status
	}
	m.live[p.TechnicianID] = Live{TechnicianID: p.TechnicianID, Position: p, Cell: cell, Status: status}
	addTo(m.cells, cell, p.TechnicianID)
	return true, nil
}

// Live returns the live state of the technicians with the given ids, or
// of every technician with a known position when no id is given.
// Technicians without a position (or unknown ones) are absent from the
// map. Positions' times are in UTC, to the millisecond.
func (m *Memory) Live(_ context.Context, ids ...string) (map[string]Live, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	out := map[string]Live{}
	if len(ids) == 0 {
		for id, l := range m.live {
			out[id] = l
		}
		return out, nil
	}
	for _, id := range ids {
		if l, ok := m.live[id]; ok {
			out[id] = l
		}
	}
	return out, nil
}

// Near returns the ids, sorted, of the technicians whose last position is
// within meters (great-circle) of loc. It reads only the cells NearCells
// names, then measures each position found there.
func (m *Memory) Near(_ context.Context, loc model.Location, meters float64) ([]string, error) {
	cells, all, err := NearCells(loc, meters)
	if err != nil {
		return nil, err
	}
	// The origin's trigonometry, once: MetersTo then measures exactly as
	// GreatCircleMeters does.
	from := geo.Prepare(loc)
	ids := []string{}
	within := func(id string) {
		if l, ok := m.live[id]; ok && from.MetersTo(geo.Prepare(l.Position.Location())) <= meters {
			ids = append(ids, id)
		}
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	if all {
		for id := range m.live {
			within(id)
		}
	}
	for _, c := range cells {
		for id := range m.cells[c] {
			within(id)
		}
	}
	slices.Sort(ids)
	return ids, nil
}

// Stats counts the technicians, work orders, unexpired plans and known
// positions in the store.
func (m *Memory) Stats(context.Context) (Stats, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	plans := 0
	now := time.Now()
	for _, p := range m.plans {
		if p.expires.After(now) {
			plans++
		}
	}
	return Stats{
		Technicians: len(m.technicians.byID),
		WorkOrders:  len(m.workOrders.byID),
		Plans:       plans,
		Positions:   len(m.live),
	}, nil
}
