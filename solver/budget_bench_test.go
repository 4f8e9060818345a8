package solver_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/dispatchd/dispatchd/solver"
)

// The days the time-limit benchmarks plan: generated, one technician for
// ten orders, as `dispatchd gen --orders N --technicians N/10 --seed 4`.
var budgetDays = []struct {
	orders int
	limit  time.Duration
}{{1000, 2 * time.Second}, {10_000, 10 * time.Second}}

// BenchmarkPlanOvershoot plans generated days with a time limit and
// reports how far past it Plan returns (negative: before it), which the
// limit's promise bounds by max(1% of the limit, 100 ms), and the
// improvement iterations per second:
//
//	go test ./solver -run '^$' -bench PlanOvershoot -count 5 | benchstat -
func BenchmarkPlanOvershoot(b *testing.B) {
	for _, d := range budgetDays {
		b.Run(fmt.Sprintf("orders=%d/limit=%v", d.orders, d.limit), func(b *testing.B) {
			p := generatedDay(b, d.orders, d.orders/10, 4)
			var past, rate float64
			for b.Loop() {
				var last solver.Progress
				var built time.Duration
				opts := solver.Options{TimeLimit: d.limit, Seed: 1, Observer: solver.ObserverFunc(func(pr solver.Progress) {
					if pr.Iteration == 0 {
						built = pr.Elapsed
					}
					last = pr
				})}
				start := time.Now()
				if _, err := solver.Plan(context.Background(), p, opts); err != nil {
					b.Fatal(err)
				}
				past += float64(time.Since(start)-d.limit) / float64(time.Millisecond)
				rate += float64(last.Iteration) / (last.Elapsed - built).Seconds()
			}
			b.ReportMetric(past/float64(b.N), "ms-past-limit")
			b.ReportMetric(rate/float64(b.N), "iterations/s")
		})
	}
}

// BenchmarkPlanCancel cancels plans of generated days while they compile
// and build (10 ms in) and while they improve (one second after the first
// plan is built), and reports how long Plan takes to return after the
// cancel, which the promise bounds by 100 ms:
//
//	go test ./solver -run '^$' -bench PlanCancel -count 5 | benchstat -
func BenchmarkPlanCancel(b *testing.B) {
	for _, d := range budgetDays {
		p := generatedDay(b, d.orders, d.orders/10, 4)
		for _, phase := range []string{"building", "improving"} {
			b.Run(fmt.Sprintf("orders=%d/%s", d.orders, phase), func(b *testing.B) {
				var after float64
				for b.Loop() {
					ctx, cancel := context.WithCancel(context.Background())
					cancelled := make(chan time.Time, 1)
					stop := func() { cancelled <- time.Now(); cancel() }
					opts := solver.Options{Seed: 1}
					if phase == "building" {
						time.AfterFunc(10*time.Millisecond, stop)
					} else {
						opts.Observer = solver.ObserverFunc(func(pr solver.Progress) {
							if pr.Iteration == 0 {
								time.AfterFunc(time.Second, stop)
							}
						})
					}
					_, err := solver.Plan(ctx, p, opts)
					returned := time.Now()
					if err == nil {
						b.Fatal("the plan ended before it was cancelled")
					}
					after += float64(returned.Sub(<-cancelled)) / float64(time.Millisecond)
				}
				b.ReportMetric(after/float64(b.N), "ms-after-cancel")
			})
		}
	}
}
