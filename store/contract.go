package store

import (
	"time"

	"github.com/dispatchd/dispatchd/model"
)

// Live is a technician's live state: their last position and status.
// A zero Position.At means no position is known. Stores keep Position.At
// to the millisecond and hand it back in UTC (LiveTime): compare it with
// time.Time.Equal.
type Live struct {
	TechnicianID string         `json:"technician_id"`
	Position     model.Position `json:"position"`
	// Cell is the H3 cell (resolution LiveResolution) of the position.
	Cell string `json:"cell,omitempty"`
	// Status is what the technician reported with the position, if
	// anything ("available", "en_route", "on_site", …).
	Status string `json:"status,omitempty"`
}

// LiveResolution is the H3 resolution of the cells live positions are
// filed under: cells about 2 km across, so that "near here" is a union of
// a few dozen small sets.
const LiveResolution = 7

// Stats counts what a store holds. Plans counts plans that have not
// expired; a store shared by replicas may count by its writers' clocks
// (see redisstore.Store.Stats).
type Stats struct {
	Technicians int `json:"technicians"`
	WorkOrders  int `json:"work_orders"`
	Plans       int `json:"plans"`
	Positions   int `json:"positions"`
}

// DefaultPlanTTL is how long a plan record lives when its writer names no
// expiry.
const DefaultPlanTTL = 24 * time.Hour
