// Package check is the independent judge of plans: Plan checks a plan
// against its problem by dispatchd's rules (skills, certifications, tools,
// shifts, breaks, windows, capacity, max_jobs, pinned stops; every order
// either served or explained) and recomputes its numbers; Solomon checks a
// plan for a Solomon instance by the DIMACS 2021 VRPTW rules.
//
// It shares no code with package solver on purpose: a checker that reused
// the solver's schedule code would agree with the solver's mistakes. Tests
// and benchmarks pass every plan they make through it.
package check
