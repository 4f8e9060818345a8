package solver_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/dispatchd/dispatchd/scenario"
	"github.com/dispatchd/dispatchd/solver"
)

// BenchmarkSlots offers two-hour windows for generated orders against a
// busy day of 200 technicians with 8 stops each, today only and over
// three days, where the later days are empty:
//
//	go test ./solver -run '^$' -bench Slots -benchmem
func BenchmarkSlots(b *testing.B) {
	day := generatedBusyDay(b, scenario.BusyDayOptions{Technicians: 200, Stops: 8, Seed: 1})
	st, err := solver.NewState(day)
	if err != nil {
		b.Fatal(err)
	}
	orders := scenario.GenerateOrders(64, 2, day.Technicians)
	for _, days := range []int{1, 3} {
		b.Run(fmt.Sprintf("days=%d", days), func(b *testing.B) {
			ctx := context.Background()
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				// Without its own windows the order can take any window
				// of the grid.
				o := orders[i%len(orders)]
				o.TimeWindows = nil
				if _, err := solver.Slots(ctx, st, o, solver.SlotOptions{Days: days}); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}
