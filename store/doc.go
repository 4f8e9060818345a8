// Package store keeps the state that outlives a request: technicians, work
// orders and, in later issues, live locations, routes, history and plans.
//
// Memory is the embedded default: one process, no dependencies, lost on
// exit. Package store/redisstore keeps the same state in Redis so that
// several replicas share it; both pass the conformance suite in
// store/storetest. The errors below are how both say what went wrong.
package store

import "errors"

// ErrNotFound is returned (wrapped) when the named record does not exist.
var ErrNotFound = errors.New("store: not found")

// ErrUnavailable is returned (wrapped) when the backing service cannot be
// reached; retrying later may succeed.
var ErrUnavailable = errors.New("store: unavailable")
