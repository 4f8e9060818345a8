package solver_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/dispatchd/dispatchd/scenario"
	"github.com/dispatchd/dispatchd/solver"
)

// BenchmarkSuggest suggests technicians for generated orders against busy
// days of 100, 1,000 and 10,000 technicians with 8 stops each:
//
//	go test ./solver -run '^$' -bench Suggest -benchmem
func BenchmarkSuggest(b *testing.B) {
	for _, n := range []int{100, 1000, 10_000} {
		b.Run(fmt.Sprintf("technicians=%d", n), func(b *testing.B) {
			day := generatedBusyDay(b, scenario.BusyDayOptions{Technicians: n, Stops: 8, Seed: 1})
			st, err := solver.NewState(day)
			if err != nil {
				b.Fatal(err)
			}
			orders := scenario.GenerateOrders(512, 2, day.Technicians)
			ctx := context.Background()
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if _, err := solver.Suggest(ctx, st, orders[i%len(orders)], solver.SuggestOptions{}); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}

// BenchmarkSuggestOneShot compiles a busy day of 200 technicians and asks
// it one suggestion, as the service does for every request: by default
// (every technician evaluated) and with the H3 index built for the one
// query, which a single query does not earn back.
func BenchmarkSuggestOneShot(b *testing.B) {
	day := generatedBusyDay(b, scenario.BusyDayOptions{Technicians: 200, Stops: 8, Seed: 1})
	orders := scenario.GenerateOrders(64, 2, day.Technicians)
	for _, tt := range []struct {
		name string
		opts solver.SuggestOptions
	}{{"default", solver.SuggestOptions{}}, {"pruned", solver.SuggestOptions{Pruned: true}}} {
		b.Run(tt.name, func(b *testing.B) {
			ctx := context.Background()
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				st, err := solver.NewState(day)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := solver.Suggest(ctx, st, orders[i%len(orders)], tt.opts); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}
