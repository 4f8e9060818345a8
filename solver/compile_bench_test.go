package solver

import (
	"fmt"
	"testing"

	"github.com/dispatchd/dispatchd/scenario"
)

// BenchmarkCompile compiles generated days of 1,000, 3,000 and 10,000
// orders (one technician for ten, as `dispatchd gen --seed 4`) and
// reports the time per order, which stays about flat: the neighbour
// lists, qualifications and classes grow near-linearly. The 3,000-order
// day (3,300 places) also fills the dense travel table, the one quadratic
// part, by design; beyond 4,096 places legs are computed when asked.
//
//	go test ./solver -run '^$' -bench Compile -count 5 | benchstat -
func BenchmarkCompile(b *testing.B) {
	for _, size := range []struct{ orders, techs int }{{1000, 100}, {3000, 300}, {10000, 1000}} {
		p, err := scenario.GenerateDay(scenario.DayOptions{Orders: size.orders, Technicians: size.techs, Seed: 4})
		if err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("orders=%d", size.orders), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := compile(p, nil); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/float64(size.orders), "µs/order")
		})
	}
}
