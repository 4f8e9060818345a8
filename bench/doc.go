// Package bench makes and measures problems: a generator of realistic
// field-service days, readers of the public VRPTW benchmark formats, and the
// runner that reports a solver's gap to the best-known results, its time and
// its memory.
package bench
