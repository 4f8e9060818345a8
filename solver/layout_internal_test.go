package solver

import (
	"context"
	"math/rand/v2"
	"reflect"
	"slices"
	"sort"
	"testing"

	"github.com/dispatchd/dispatchd/geo"
	"github.com/dispatchd/dispatchd/model"
)

// TestPlansDoNotDependOnPlaceNumbers solves a Solomon instance (matrix
// travel) and a generated day (haversine) with the places laid out, as
// they are, and in a random order: the numbering is the table's layout
// alone, so the three plans must be the same.
func TestPlansDoNotDependOnPlaceNumbers(t *testing.T) {
	days := searchDays(t, []daySize{{120, 12}}, 1, "rc103")
	defer func(o func(int, func(a, b int32) (int64, bool)) []int32) { placeOrder = o }(placeOrder)
	orders := []struct {
		name  string
		order func(int, func(a, b int32) (int64, bool)) []int32
	}{
		{"laid out", bisectOrder},
		{"as they come", func(n int, _ func(a, b int32) (int64, bool)) []int32 {
			order := make([]int32, n)
			for i := range order {
				order[i] = int32(i)
			}
			return order
		}},
		{"shuffled", func(n int, _ func(a, b int32) (int64, bool)) []int32 {
			order := rand.New(rand.NewPCG(7, 8)).Perm(n)
			out := make([]int32, n)
			for i, o := range order {
				out[i] = int32(o)
			}
			return out
		}},
	}
	names := make([]string, 0, len(days))
	for name := range days {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		var first model.Plan
		for k, o := range orders {
			placeOrder = o.order
			plan, err := Plan(context.Background(), days[name], Options{Iterations: 1500, Seed: 5, Threads: 1})
			if err != nil {
				t.Fatalf("%s, places %s: %v", name, o.name, err)
			}
			if k == 0 {
				first = plan
				continue
			}
			if !reflect.DeepEqual(plan, first) {
				t.Errorf("%s: the plan with places %s differs from the plan with places %s", name, o.name, orders[0].name)
			}
		}
	}
}

// TestLayOutKeepsNeighboursClose lays out the places of a grid given in a
// random order and checks that a place's nearest neighbours get numbers
// near its own, which is what keeps the local search's lookups in the
// caches, and that every place keeps its legs.
func TestLayOutKeepsNeighboursClose(t *testing.T) {
	tr := geo.Haversine{SpeedKmh: 40, Detour: 1}
	const side = 40
	rng := rand.New(rand.NewPCG(1, 2))
	var grid []model.Location
	for i := range side * side {
		grid = append(grid, model.LatLng(39.6+float64(i/side)*0.005, -105+float64(i%side)*0.005))
	}
	rng.Shuffle(len(grid), func(a, b int) { grid[a], grid[b] = grid[b], grid[a] })
	l := newLocator(tr)
	old := make([]int32, len(grid))
	for i, g := range grid {
		old[i] = l.index(g)
	}
	before := neighbourSpread(t, l, tr, old)
	moved := layOut(l, legTime(l, tr))
	if moved == nil {
		t.Fatal("the places were not laid out")
	}
	if s := slices.Sorted(slices.Values(moved)); !slices.Equal(s, old) {
		t.Fatal("the new numbers are not a permutation of the old")
	}
	now := make([]int32, len(grid))
	for i, g := range grid {
		now[i] = l.index(g)
		if now[i] != moved[old[i]] {
			t.Fatalf("place %v: index %d, layOut said %d", g, now[i], moved[old[i]])
		}
	}
	after := neighbourSpread(t, l, tr, now)
	t.Logf("median distance in number to the 8 nearest places: %d as given, %d laid out (of %d)", before, after, len(grid))
	if after > len(grid)/50 || after*10 > before {
		t.Errorf("laid out, the 8 nearest places are a median %d numbers away (as given %d), want under %d and a tenth of before", after, before, len(grid)/50)
	}
}

// neighbourSpread returns the median distance in number between each
// place and its 8 nearest places.
func neighbourSpread(t *testing.T, l *locator, tr geo.Travel, idx []int32) int {
	t.Helper()
	table, err := newTravelTable(l, tr, model.DefaultWeights(), nil)
	if err != nil {
		t.Fatal(err)
	}
	var spread []int
	others := make([]int32, 0, len(idx))
	for _, a := range idx {
		others = append(others[:0], idx...)
		slices.SortFunc(others, func(x, y int32) int { return int(table.dur(a, x) - table.dur(a, y)) })
		for _, b := range others[1:9] {
			spread = append(spread, int(max(a-b, b-a)))
		}
	}
	slices.Sort(spread)
	return spread[len(spread)/2]
}
