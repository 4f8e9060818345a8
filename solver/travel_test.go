package solver

import (
	"math"
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
