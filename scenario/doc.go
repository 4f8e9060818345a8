// Package scenario makes and reads the problems dispatchd is tried on: a
// generator of realistic field-service days (GenerateDay, and
// GenerateBusyDay for a day in progress with routes and live positions)
// and readers of the public VRPTW benchmark formats (Solomon instances and
// their best-known results).
//
// Generated days are deterministic: the same options give the same bytes.
// The package depends on model and geo only, so that the service's demo
// day, the checker's tests and the benchmarks share one source of days
// without depending on the solver.
package scenario
