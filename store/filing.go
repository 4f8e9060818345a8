package store

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/dispatchd/dispatchd/geo"
	"github.com/dispatchd/dispatchd/model"
)

// maxNearRings bounds how many rings of cells Near reads one by one: k
// rings are 3k(k+1)+1 cells, about 11,000 at k = 60, which at
// LiveResolution cover a radius of 100–130 km. A wider circle holds most
// of a deployment's technicians anyway, and reading every position is
// then cheaper than naming that many cells.
const maxNearRings = 60

// LiveCell returns the H3 cell, at LiveResolution and in H3's hexadecimal
// form, that a live position at loc is filed under. Both stores use it, so
// that they file positions alike.
func LiveCell(loc model.Location) (string, error) {
	if err := checkCoordinates(loc); err != nil {
		return "", err
	}
	c, err := geo.Cell(loc, LiveResolution)
	if err != nil {
		return "", err
	}
	return c.String(), nil
}

// NearCells returns the cells (as LiveCell names them) that can hold a
// position within meters (great-circle) of loc, so that a store reads only
// those; the caller still filters the positions it finds by exact
// distance. When the circle is so wide that reading every position is
// cheaper, NearCells returns all = true and no cells. A negative or NaN
// radius, or a location without valid coordinates, is an error.
func NearCells(loc model.Location, meters float64) (cells []string, all bool, err error) {
	if math.IsNaN(meters) || meters < 0 {
		return nil, false, fmt.Errorf("store: finding technicians within %v m: want a non-negative radius", meters)
	}
	if err := checkCoordinates(loc); err != nil {
		return nil, false, err
	}
	origin, err := geo.Cell(loc, LiveResolution)
	if err != nil {
		return nil, false, err
	}
	if math.IsInf(meters, 1) {
		return nil, true, nil
	}
	k := geo.RingsCovering(origin, meters)
	if k > maxNearRings {
		return nil, true, nil
	}
	for _, ring := range geo.Rings(origin, k) {
		for _, c := range ring {
			cells = append(cells, c.String())
		}
	}
	return cells, false, nil
}

// checkCoordinates refuses a location H3 cannot place: no coordinates, or
// coordinates out of range (which H3 would silently wrap).
func checkCoordinates(loc model.Location) error {
	switch {
	case !loc.HasCoordinates():
		return fmt.Errorf("store: placing %v: no coordinates", loc)
	case math.IsNaN(loc.Lat) || loc.Lat < -90 || loc.Lat > 90:
		return fmt.Errorf("store: placing %v: latitude out of range [-90, 90]", loc)
	case math.IsNaN(loc.Lng) || loc.Lng < -180 || loc.Lng > 180:
		return fmt.Errorf("store: placing %v: longitude out of range [-180, 180]", loc)
	}
	return nil
}

// LiveTime is the instant a store keeps for a position's time: the same
// instant cut to whole milliseconds (Redis keeps Unix milliseconds), in
// UTC. Two positions whose times differ by less than a millisecond are
// therefore the same age in every store.
func LiveTime(t time.Time) time.Time { return time.UnixMilli(t.UnixMilli()).UTC() }

// RouteDay returns the day under which an order is filed in technicians'
// routes: the civil date of its scheduled start in the start's own zone,
// and false when the order has no scheduled start.
func RouteDay(w model.WorkOrder) (model.Date, bool) {
	if w.ScheduledStart == nil {
		return model.Date{}, false
	}
	return model.DateOf(*w.ScheduledStart), true
}

// ValidatePosition checks a position before a store files it: it names a
// technician, its coordinates are in range and its time is set.
func ValidatePosition(p model.Position) error {
	if p.TechnicianID == "" {
		return fmt.Errorf("store: updating a position: empty technician id")
	}
	if err := p.Validate(); err != nil {
		return fmt.Errorf("store: updating the position of %q: %w", p.TechnicianID, err)
	}
	return nil
}

// SortRoute sorts a technician's orders as Route returns them: by
// scheduled start (orders without one last), then id.
func SortRoute(orders []model.WorkOrder) {
	slices.SortFunc(orders, func(a, b model.WorkOrder) int {
		switch {
		case a.ScheduledStart == nil && b.ScheduledStart != nil:
			return 1
		case a.ScheduledStart != nil && b.ScheduledStart == nil:
			return -1
		case a.ScheduledStart != nil:
			if c := a.ScheduledStart.Compare(*b.ScheduledStart); c != 0 {
				return c
			}
		}
		return cmp.Compare(a.ID, b.ID)
	})
}

// PlanTTL checks a plan's id and expiry before a store keeps it, and
// returns the expiry to use: DefaultPlanTTL for 0.
func PlanTTL(id string, ttl time.Duration) (time.Duration, error) {
	switch {
	case id == "":
		return 0, fmt.Errorf("store: putting a plan: empty id")
	case ttl < 0:
		return 0, fmt.Errorf("store: putting plan %q: negative ttl %v", id, ttl)
	case ttl == 0:
		return DefaultPlanTTL, nil
	}
	// Redis keeps expiries in whole milliseconds, and 0 would mean never.
	return max(ttl, time.Millisecond), nil
}
