package solver_test

import (
	"testing"

	"github.com/dispatchd/dispatchd/model"
	"github.com/dispatchd/dispatchd/scenario"
	"github.com/dispatchd/dispatchd/solver"
)

func generatedDay(t testing.TB, orders, techs int, seed uint64) *model.Problem {
	t.Helper()
	p, err := scenario.GenerateDay(scenario.DayOptions{Orders: orders, Technicians: techs, Seed: seed})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// generatedBusyDay is a generated day in progress, as Suggest and Slots
// take it.
func generatedBusyDay(tb testing.TB, opts scenario.BusyDayOptions) solver.Day {
	tb.Helper()
	d, err := scenario.GenerateBusyDay(opts)
	if err != nil {
		tb.Fatal(err)
	}
	return solver.Day{Now: d.Now, Technicians: d.Technicians, Orders: d.Orders, Routes: d.Routes, Positions: d.Positions, Travel: d.Travel}
}
