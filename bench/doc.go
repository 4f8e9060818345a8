// Package bench measures dispatchd: the runner that plans a benchmark set
// and reports each plan's gap to the best-known result, its time and its
// feasibility (judged by package check, never by the solver), the latency
// of suggestions in process, and HTTP load against a running service.
//
// The inputs it measures on come from package scenario; nothing but tests
// and the dispatchd bench command imports it.
package bench
