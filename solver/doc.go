// Package solver is dispatchd's optimiser: the hard-constraint checks that
// say why a technician cannot take a work order, the scorer with its
// per-criterion breakdown, route timing with constant-time insertion
// checks, Suggest (rank technicians for one order) and Plan (assign and
// route a whole dispatch window under a time or iteration budget, seeded).
//
// It depends on model and geo only: it takes a model.Problem and returns a
// model.Plan, and never sees JSON, HTTP or Redis. The algorithms arrive
// with the batch-planning and suggestion issues; this comment will say
// which were chosen and why.
package solver
