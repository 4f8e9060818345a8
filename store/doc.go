// Package store keeps the state that outlives a request: technicians, work
// orders and each technician's day (their route), technicians' live
// positions and status, and plan records.
//
// Memory is the embedded default: one process, no dependencies, lost on
// exit. Package store/redisstore keeps the same state in Redis so that
// several replicas share it; both pass the conformance suite in
// store/storetest. The errors below are how both say what went wrong.
//
// Both stores behave alike where it matters to callers:
//
//   - A live position is filed under its H3 cell (LiveCell, resolution
//     LiveResolution), so that Near reads a few sets of ids rather than
//     every position (NearCells), then measures exact great-circle
//     distances. Positions keep their time to the millisecond, in UTC
//     (LiveTime), and an older or equally old position never replaces a
//     newer one.
//   - A work order with technicians and a scheduled start is filed in each
//     technician's route for the day of the start in the start's own zone
//     (RouteDay); putting or deleting the order moves it, so Route is a
//     lookup, sorted by start, then id (SortRoute).
//   - Plans are opaque bytes that expire (DefaultPlanTTL unless the writer
//     names a TTL). A plan's cancellation is requested through the store so
//     that the replica running it hears of it, whichever replica was asked.
//   - API keys are opaque records by id (package auth writes them, with
//     the hash of their token and never the token), created only if the
//     id is free, deleted to revoke.
//   - Every change can carry events, appended to a bounded event log if and
//     only if the change is made (events.go): readers on every replica see
//     one order, resume after an id, and are told what they missed;
//     consumer groups hand each event to one consumer.
//   - Webhooks and their deliveries: a delivery is kept until its receiver
//     has it, claimed by one claimer at a time under a lease, so that a
//     claimer that dies leaves it to the next.
//   - Lists and ids come back sorted; nothing a caller gets shares memory
//     with the store.
package store

import "github.com/dispatchd/dispatchd/model"

// ErrNotFound is returned (wrapped) when the named record does not exist.
// It is of kind model.ErrNotFound.
var ErrNotFound = model.KindError(model.ErrNotFound, "store: not found")

// ErrExists is returned (wrapped) when a record to create already exists.
// It is of kind model.ErrConflict.
var ErrExists = model.KindError(model.ErrConflict, "store: already exists")

// ErrUnavailable is returned (wrapped) when the backing service cannot be
// reached; retrying later may succeed. It is of kind model.ErrUnavailable.
var ErrUnavailable = model.KindError(model.ErrUnavailable, "store: unavailable")

// ErrStateLost is returned (wrapped) by Ping when the backing service no
// longer holds the state it held when the store was opened — a Redis
// restarted without persistence, or one that evicted keys — so that the
// loss is reported rather than served as empty lists and 404s. It lasts
// until the process is restarted, which adopts the state as it is then.
// It is of kind model.ErrUnavailable.
var ErrStateLost = model.KindError(model.ErrUnavailable, "store: state lost")
