package solver

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestRuinScale checks how ruins grow with the share of the budget spent
// since the last new best, and their bound by the size of the day.
func TestRuinScale(t *testing.T) {
	for _, c := range []struct {
		jobs                   int
		progress, bestAt, want float64
	}{
		{100, 0, 0, 1},       // a new best: plain SISR ruins
		{100, 0.5, 0.5, 1},   // the same
		{100, 0.3, 0.2, 1.5}, // half of ruinGrowOver without a new best
		{100, 0.6, 0.2, 3},   // twice ruinGrowOver: the most
		{1000, 1, 0, 3},      // never more
		{100, 0.2, 0.3, 1},   // a best taken from another search after progress was read
		{40, 1, 0, 1.2},      // a small day: at most 0.3 of its jobs
		{20, 1, 0, 1},        // never below plain ruins
	} {
		if got := ruinScale(c.jobs, c.progress, c.bestAt); math.Abs(got-c.want) > 1e-9 {
			t.Errorf("ruinScale(%d, %v, %v) = %v, want %v", c.jobs, c.progress, c.bestAt, got, c.want)
		}
	}
}

// TestRuinRemovesInProportionToScale checks that a grown ruin removes
// about as many times more jobs as its scale says, on a full plan of a
// Solomon instance, so that a search without a new best does reach
// farther.
func TestRuinRemovesInProportionToScale(t *testing.T) {
	in, err := compile(searchDays(t, nil, 0, "rc102")["solomon/rc102"], nil)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	base := firstPlan(t, in, rng, 0)
	if len(base.free) > 0 {
		t.Fatalf("%d jobs left out of the first plan", len(base.free))
	}
	mean := func(scale float64) float64 {
		removed := 0
		for range 2000 {
			s := base.copy()
			removed += len(s.ruin(rng, nil, scale))
		}
		return float64(removed) / 2000
	}
	one, three := mean(1), mean(3)
	t.Logf("jobs removed on average: %.1f at scale 1, %.1f at scale 3", one, three)
	if one < 0.7*avgRemoved || one > 1.3*avgRemoved {
		t.Errorf("plain ruins remove %.1f jobs on average, want about %d", one, avgRemoved)
	}
	if r := three / one; r < 2.2 || r > 3.5 {
		t.Errorf("ruins at scale 3 remove %.1f jobs, %.2f times the %.1f at scale 1, want about 3", three, r, one)
	}
}
