package geo

import (
	"cmp"
	"errors"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/dispatchd/dispatchd/model"
)

// TestKDTreeMatchesBruteForce compares every query with a scan of all
// locations sorted by chord distance and position: a metro with clusters
// and repeated places, and points spread over the globe, the poles and
// both sides of the antimeridian included.
func TestKDTreeMatchesBruteForce(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	metro := func(n int) []model.Location {
		var ls []model.Location
		for len(ls) < n {
			l := randomNear(r, ferryBuilding, 20_000)
			for range 1 + r.IntN(3) { // a few orders at one address
				ls = append(ls, l)
			}
		}
		return ls
	}
	globe := func(n int) []model.Location {
		ls := []model.Location{northPole, southPole, nullIsland, antimeridianWest, antimeridianEast, london, paris}
		for len(ls) < n {
			ls = append(ls, model.LatLng(r.Float64()*180-90, r.Float64()*360-180))
		}
		return ls
	}
	tests := []struct {
		name string
		locs []model.Location
	}{
		{"empty", nil},
		{"one", []model.Location{london}},
		{"fewer than a leaf", globe(7)},
		{"all at one place", slices.Repeat([]model.Location{paris}, 50)},
		{"metro", metro(2000)},
		{"globe", globe(1000)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tree, err := NewKDTree(tt.locs)
			if err != nil {
				t.Fatal(err)
			}
			queries := append(slices.Clone(tt.locs[:min(len(tt.locs), 100)]), northPole, antimeridianEast, randomNear(r, ferryBuilding, 30_000))
			for _, q := range queries {
				for _, k := range []int{0, 1, 5, 64, len(tt.locs) + 3} {
					got := tree.Nearest(q, k, nil)
					if want := bruteNearest(tt.locs, q, k); !slices.Equal(got, want) {
						t.Fatalf("Nearest(%v, %d) = %v, want %v", q, k, got, want)
					}
				}
			}
		})
	}
}

func bruteNearest(locs []model.Location, q model.Location, k int) []int {
	x := unitVector(q)
	all := make([]found, len(locs))
	for i, l := range locs {
		y := unitVector(l)
		var d2 float64
		for a := range 3 {
			d2 += (x[a] - y[a]) * (x[a] - y[a])
		}
		all[i] = found{d2, i}
	}
	slices.SortFunc(all, func(a, b found) int {
		return cmp.Or(cmp.Compare(a.d2, b.d2), cmp.Compare(a.idx, b.idx))
	})
	var out []int
	for _, f := range all[:min(max(k, 0), len(all))] {
		out = append(out, f.idx)
	}
	return out
}

// TestKDTreeOrdersByGreatCircle checks that chord order is great-circle
// order, to within a micrometre of float rounding.
func TestKDTreeOrdersByGreatCircle(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	var locs []model.Location
	for range 3000 {
		locs = append(locs, randomNear(r, london, 50_000))
	}
	tree, err := NewKDTree(locs)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range locs[:50] {
		prev := 0.0
		for _, i := range tree.Nearest(q, 200, nil) {
			d := GreatCircleMeters(Point(q), Point(locs[i]))
			if d < prev-1e-6 {
				t.Fatalf("from %v: %v at %.9f m comes after one at %.9f m", q, locs[i], d, prev)
			}
			prev = max(prev, d)
		}
	}
}

func TestKDTreeNeedsCoordinates(t *testing.T) {
	_, err := NewKDTree([]model.Location{london, model.MatrixLocation(2)})
	if !errors.Is(err, ErrUnknownLocation) {
		t.Fatalf("err = %v, want ErrUnknownLocation", err)
	}
}

func BenchmarkKDTreeNearest(b *testing.B) {
	r := rand.New(rand.NewPCG(7, 8))
	locs := make([]model.Location, 11_000)
	for i := range locs {
		locs[i] = randomNear(r, ferryBuilding, 20_000)
	}
	b.Run("build", func(b *testing.B) {
		for b.Loop() {
			if _, err := NewKDTree(locs); err != nil {
				b.Fatal(err)
			}
		}
	})
	tree, _ := NewKDTree(locs)
	b.Run("nearest-65", func(b *testing.B) {
		var dst []int
		i := 0
		for b.Loop() {
			dst = tree.Nearest(locs[i%len(locs)], 65, dst[:0])
			i++
		}
	})
}
