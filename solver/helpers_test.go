package solver_test

import (
	"testing"

	"github.com/dispatchd/dispatchd/bench"
	"github.com/dispatchd/dispatchd/model"
)

func generatedDay(t *testing.T, orders, techs int, seed uint64) *model.Problem {
	t.Helper()
	p, err := bench.GenerateDay(bench.DayOptions{Orders: orders, Technicians: techs, Seed: seed})
	if err != nil {
		t.Fatal(err)
	}
	return p
}
