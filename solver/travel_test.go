package solver

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/dispatchd/dispatchd/geo"
	"github.com/dispatchd/dispatchd/model"
)

// TestLazyTravelBeyondTheHorizon checks a leg longer than the int32
// milliseconds a table holds (700 km at 1 km/h, 29 days): the dense table
// refuses it, and the lazy one, which cannot, answers the longest leg it
// holds rather than a free one.
func TestLazyTravelBeyondTheHorizon(t *testing.T) {
	tr := geo.Haversine{SpeedKmh: 1, Detour: 1}
	loc := newLocator(tr)
	a := loc.index(model.LatLng(39.7, -105))
	b := loc.index(model.LatLng(39.7+700/111.2, -105))
	lazy := newLazyTravelTable(loc, tr, model.DefaultWeights())
	if d := lazy.dur(a, b); d != math.MaxInt32 {
		t.Errorf("lazy dur = %d ms, want the longest held, %d", d, math.MaxInt32)
	}
	if d, c := lazy.arc(a, b); d != math.MaxInt32 || c != lazy.cost(a, b) || c <= 0 {
		t.Errorf("lazy arc = %d ms, cost %v; want %d ms and cost %v > 0", d, c, math.MaxInt32, lazy.cost(a, b))
	}
	if _, err := newTravelTable(loc, tr, model.DefaultWeights(), nil); err == nil {
		t.Error("the dense table took a leg it cannot hold")
	}
}

// TestHaversineTablesAgree checks what the dense table's single pass
// and insertion scans rely on: haversine legs are the same both ways to
// the bit, and the dense table (filled once for both directions) answers
// as the lazy one computes.
func TestHaversineTablesAgree(t *testing.T) {
	tr := geo.Haversine{SpeedKmh: 31, Detour: 1.4}
	loc := newLocator(tr)
	r := rand.New(rand.NewPCG(2, 3))
	for range 300 {
		loc.index(model.LatLng(39.5+r.Float64(), -105.5+r.Float64()))
	}
	w := model.DefaultWeights()
	w.Distance = 0.7
	lazy := newLazyTravelTable(loc, tr, w)
	dense, err := newTravelTable(loc, tr, w, nil)
	if err != nil {
		t.Fatal(err)
	}
	if dense.durs == nil || !dense.symmetric || !lazy.symmetric {
		t.Fatalf("dense table built %v; symmetric: dense %v, lazy %v", dense.durs != nil, dense.symmetric, lazy.symmetric)
	}
	for a := range int32(loc.size()) {
		for b := range int32(loc.size()) {
			d, c, _ := lazy.compute(a, b)
			back, backCost, _ := lazy.compute(b, a)
			if d != back || c != backCost {
				t.Fatalf("%d→%d: %d ms, cost %v; back %d ms, cost %v", a, b, d, c, back, backCost)
			}
			if dd, dc := dense.arc(a, b); dd != int64(d) || dc != c {
				t.Fatalf("%d→%d: dense %d ms, cost %v; lazy %d ms, cost %v", a, b, dd, dc, d, c)
			}
		}
	}
}
