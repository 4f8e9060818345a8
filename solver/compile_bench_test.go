package solver

import (
	"fmt"
	"testing"

	"github.com/dispatchd/dispatchd/scenario"
)

func BenchmarkCompile(b *testing.B) {
	for _, size := range []struct{ orders, techs int }{{1000, 100}, {3000, 300}, {10000, 1000}} {
		p, err := scenario.GenerateDay(scenario.DayOptions{Orders: size.orders, Technicians: size.techs, Seed: 4})
		if err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("orders=%d", size.orders), func(b *testing.B) {
			for b.Loop() {
				if _, err := compile(p, nil); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/float64(size.orders), "µs/order")
		})
	}
}
