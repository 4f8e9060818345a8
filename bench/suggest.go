package bench

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"slices"
	"time"

	"github.com/dispatchd/dispatchd/scenario"
	"github.com/dispatchd/dispatchd/solver"
)

// SuggestOptions configure a latency run of solver.Suggest.
type SuggestOptions struct {
	Technicians int
	Stops       int
	Requests    int
	Seed        uint64
	// Pruned uses the H3 search (solver.SuggestOptions.Pruned).
	Pruned bool
	// RadiusMeters is the territory's radius; zero means the 20 km metro.
	RadiusMeters float64
}

// SuggestReport holds the latency of in-process suggestions.
type SuggestReport struct {
	Technicians, Stops, Requests int
	Pruned                       bool
	Build                        time.Duration // NewState
	Latency
	AllocsPerCall  float64
	BytesPerCall   float64
	WithCandidates int     // requests that found a candidate
	ConsideredMean float64 // technicians evaluated per request
}

// RunSuggest builds a busy day of Technicians with Stops jobs each,
// compiles it once, and times Requests suggestions of generated orders one
// after the other.
func RunSuggest(ctx context.Context, opts SuggestOptions) (SuggestReport, error) {
	if opts.Requests < 1 {
		return SuggestReport{}, fmt.Errorf("bench: want at least one request")
	}
	day, err := scenario.GenerateBusyDay(scenario.BusyDayOptions{Technicians: opts.Technicians, Stops: opts.Stops, Seed: opts.Seed, RadiusMeters: opts.RadiusMeters})
	if err != nil {
		return SuggestReport{}, err
	}
	rep := SuggestReport{Technicians: opts.Technicians, Stops: opts.Stops, Requests: opts.Requests, Pruned: opts.Pruned}
	start := time.Now()
	st, err := solver.NewState(solver.Day{Now: day.Now, Technicians: day.Technicians, Orders: day.Orders,
		Routes: day.Routes, Positions: day.Positions, Travel: day.Travel})
	if err != nil {
		return SuggestReport{}, fmt.Errorf("bench: compiling the day: %w", err)
	}
	rep.Build = time.Since(start)
	orders := scenario.GenerateOrdersIn(opts.Requests, opts.Seed+1, day.Technicians, opts.RadiusMeters)
	lat := make([]time.Duration, 0, len(orders))
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	considered := 0
	for _, o := range orders {
		if err := ctx.Err(); err != nil {
			return SuggestReport{}, err
		}
		t := time.Now()
		s, err := solver.Suggest(ctx, st, o, solver.SuggestOptions{Pruned: opts.Pruned})
		lat = append(lat, time.Since(t))
		if err != nil {
			return SuggestReport{}, fmt.Errorf("bench: suggesting %s: %w", o.ID, err)
		}
		considered += s.Considered
		if len(s.Candidates) > 0 {
			rep.WithCandidates++
		}
	}
	runtime.ReadMemStats(&after)
	rep.Latency = latencyOf(lat)
	n := len(lat)
	rep.AllocsPerCall = float64(after.Mallocs-before.Mallocs) / float64(n)
	rep.BytesPerCall = float64(after.TotalAlloc-before.TotalAlloc) / float64(n)
	rep.ConsideredMean = float64(considered) / float64(n)
	return rep, nil
}

// Write prints the report.
func (r SuggestReport) Write(w io.Writer) {
	search := "every technician evaluated"
	if r.Pruned {
		search = "H3 search"
	}
	fmt.Fprintf(w, "suggest: %d technicians × %d stops, %d requests, %s (state compiled in %v)\n", r.Technicians, r.Stops, r.Requests, search, r.Build.Round(time.Millisecond))
	fmt.Fprintf(w, "latency  p50 %v  p90 %v  p99 %v  max %v  mean %v\n", us(r.P50), us(r.P90), us(r.P99), us(r.Max), us(r.Mean))
	fmt.Fprintf(w, "per call %.0f allocations, %.1f KB; technicians considered %.0f of %d; requests with candidates %d of %d\n",
		r.AllocsPerCall, r.BytesPerCall/1024, r.ConsideredMean, r.Technicians, r.WithCandidates, r.Requests)
}

// Latency summarises the latencies of a run.
type Latency struct {
	P50, P90, P99, Max, Mean time.Duration
}

// latencyOf sorts lat, which must not be empty, and returns its summary.
func latencyOf(lat []time.Duration) Latency {
	slices.Sort(lat)
	var sum time.Duration
	for _, d := range lat {
		sum += d
	}
	n := len(lat)
	return Latency{P50: lat[n/2], P90: lat[n*9/10], P99: lat[min(n-1, n*99/100)], Max: lat[n-1], Mean: sum / time.Duration(n)}
}

func us(d time.Duration) string { return d.Round(time.Microsecond).String() }
