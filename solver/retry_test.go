package solver

import (
	"math/rand/v2"
	"testing"

	"github.com/dispatchd/dispatchd/model"
	"github.com/dispatchd/dispatchd/scenario"
)

// TestRetriesMissNothing runs ruins and recreates without blinks on an
// overloaded day, retrying left-out jobs only on the routes changed since
// they were last tried, and checks after each that no left-out job fits
// anywhere: the retries miss no insertion a full attempt would find.
// Workload balance is off, since the mean it weighs moves in between.
func TestRetriesMissNothing(t *testing.T) {
	p, err := scenario.GenerateDay(scenario.DayOptions{Orders: 300, Technicians: 12, Seed: 8})
	if err != nil {
		t.Fatal(err)
	}
	w := model.DefaultWeights()
	w.WorkloadBalance = 0
	p.Weights = &w
	in, err := compile(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	sc := &scratch{}
	s := newSolution(in)
	s.recreate(rng, s.insertable(nil), 0, sc)
	retried, skipped := 0, 0
	for it := range 200 {
		sc.removed = s.ruin(rng, sc.removed[:0], 1)
		todo := s.retryable(nil)
		retried += len(todo) - len(sc.removed)
		skipped += len(s.insertable(nil)) - len(todo)
		s.recreate(rng, todo, 0, sc)
		for _, j := range s.free {
			best := bestInsertion{v: -1, cost: in.jobs[j].missed}
			gap := blinkGap(rng, 0)
			s.tryVehicles(rng, j, in.jobs[j].vehicles, s.meanWork(), 0, &gap, &best, sc)
			if best.v >= 0 {
				t.Fatalf("iteration %d: job %d left out, but fits vehicle %d at gap %d", it, j, best.v, best.gap)
			}
		}
	}
	if len(s.free) == 0 || skipped == 0 || retried == 0 {
		t.Fatalf("%d left out, %d retries skipped, %d made: the day does not exercise retries", len(s.free), skipped, retried)
	}
}
