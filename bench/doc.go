// Package bench makes and measures problems: a generator of realistic
// field-service days, readers of the public VRPTW benchmark formats, the
// runner that reports a solver's gap to the best-known results, its time and
// its memory, and two checkers that judge a plan without trusting it:
// CheckSolomon by the DIMACS VRPTW rules, CheckPlan by dispatchd's own.
package bench
