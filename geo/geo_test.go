package geo

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/dispatchd/dispatchd/model"
	"github.com/paulmach/orb"
	"github.com/uber/h3-go/v4"
)

var (
	ferryBuilding    = model.LatLng(37.7955, -122.3937)
	oaklandCityHall  = model.LatLng(37.8053, -122.2727)
	london           = model.LatLng(51.5074, -0.1278)
	paris            = model.LatLng(48.8566, 2.3522)
	northPole        = model.LatLng(90, 0)
	southPole        = model.LatLng(-90, 0)
	nullIsland       = model.LatLng(0, 0)
	antimeridianWest = model.LatLng(0, 179.9)
	antimeridianEast = model.LatLng(0, -179.9)
)

func TestGreatCircleMeters(t *testing.T) {
	tests := []struct {
		name string
		a, b model.Location
		want float64 // metres
		tol  float64
	}{
		// Measured on a map the two are 10.7 km apart across the Bay.
		{"Ferry Building to Oakland City Hall", ferryBuilding, oaklandCityHall, 10_687, 10},
		{"London to Paris", london, paris, 343_556, 100},
		{"same point", paris, paris, 0, 0},
		{"pole to pole", northPole, southPole, math.Pi * EarthRadiusMeters, 1e-6},
		{"quarter meridian", nullIsland, northPole, math.Pi / 2 * EarthRadiusMeters, 1e-6},
		{"across the antimeridian", antimeridianWest, antimeridianEast, 0.2 * math.Pi / 180 * EarthRadiusMeters, 1e-3},
	}
	for _, tt := range tests {
		got := GreatCircleMeters(Point(tt.a), Point(tt.b))
		if math.Abs(got-tt.want) > tt.tol {
			t.Errorf("%s: %.1f m, want %.1f ± %.1f", tt.name, got, tt.want, tt.tol)
		}
		if back := GreatCircleMeters(Point(tt.b), Point(tt.a)); back != got {
			t.Errorf("%s: not symmetric: %v and %v", tt.name, got, back)
		}
	}
}

func TestCoordinateOrder(t *testing.T) {
	l := model.LatLng(37.77, -122.41)
	p := Point(l)
	if p[0] != -122.41 || p[1] != 37.77 || p.Lon() != -122.41 || p.Lat() != 37.77 {
		t.Errorf("Point(%v) = %v, want [lng, lat]", l, p)
	}
	if back := LocationOf(p); back != l {
		t.Errorf("LocationOf(Point(l)) = %v, want %v", back, l)
	}
	ll := ToLatLng(l)
	if ll.Lat != 37.77 || ll.Lng != -122.41 {
		t.Errorf("ToLatLng(%v) = %+v", l, ll)
	}
	if back := FromLatLng(ll); back != l {
		t.Errorf("FromLatLng(ToLatLng(l)) = %v, want %v", back, l)
	}
	if LocationOf(orb.Point{2.3522, 48.8566}) != paris {
		t.Error("LocationOf read orb's point as (lat, lng)")
	}
}

func TestHaversineLeg(t *testing.T) {
	tests := []struct {
		name      string
		h         Haversine
		wantM     float64
		wantSpeed float64 // km/h
	}{
		{"defaults", Haversine{}, 10_687 * 1.3, 35},
		{"configured", Haversine{SpeedKmh: 50, Detour: 1.5}, 10_687 * 1.5, 50},
		{"straight", Haversine{SpeedKmh: 35, Detour: 1}, 10_687, 35},
	}
	for _, tt := range tests {
		leg, err := tt.h.Leg(ferryBuilding, oaklandCityHall)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if math.Abs(leg.Meters-tt.wantM) > 15 {
			t.Errorf("%s: %.0f m, want %.0f", tt.name, leg.Meters, tt.wantM)
		}
		want := time.Duration(math.Round(leg.Meters/(tt.wantSpeed/3.6))) * time.Second
		if leg.Duration != want {
			t.Errorf("%s: %v, want %v", tt.name, leg.Duration, want)
		}
	}
	if _, err := (Haversine{}).Leg(model.MatrixLocation(1), paris); !errors.Is(err, ErrUnknownLocation) {
		t.Errorf("leg from a matrix-only location: err = %v, want ErrUnknownLocation", err)
	}
}

func matrixSpec() *model.Travel {
	return &model.Travel{
		Locations: []model.Location{model.LatLng(1, 1), model.LatLng(2, 2), model.MatrixLocation(2)},
		Durations: [][]float64{{0, 18.6, 30}, {18.6, 0, 12.3}, {30, 12.3, 0}},
		Distances: [][]float64{{0, 1860, 3000}, {1860, 0, 1230}, {3000, 1230, 0}},
	}
}

func TestMatrixLeg(t *testing.T) {
	m, err := NewMatrix(matrixSpec())
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		from, to model.Location
		want     Leg
	}{
		{"by index", model.MatrixLocation(0), model.MatrixLocation(1), Leg{18600 * time.Millisecond, 1860}},
		{"by coordinates", model.LatLng(2, 2), model.MatrixLocation(2), Leg{12300 * time.Millisecond, 1230}},
		{"index wins over coordinates", model.Location{Lat: 1, Lng: 1, Index: ptr(2)}, model.MatrixLocation(0), Leg{30 * time.Second, 3000}},
		{"to itself", model.MatrixLocation(1), model.MatrixLocation(1), Leg{}},
	}
	for _, tt := range tests {
		got, err := m.Leg(tt.from, tt.to)
		if err != nil || got != tt.want {
			t.Errorf("%s: Leg = %+v, %v; want %+v", tt.name, got, err, tt.want)
		}
	}
	for _, bad := range []model.Location{model.MatrixLocation(3), model.LatLng(5, 5)} {
		if _, err := m.Leg(bad, model.MatrixLocation(0)); !errors.Is(err, ErrUnknownLocation) {
			t.Errorf("Leg from %v: err = %v, want ErrUnknownLocation", bad, err)
		}
	}
	spec := matrixSpec()
	spec.Durations[1] = spec.Durations[1][:2]
	if _, err := NewMatrix(spec); err == nil {
		t.Error("NewMatrix accepted a ragged matrix")
	}
}

func TestNew(t *testing.T) {
	tests := []struct {
		spec *model.Travel
		want Travel
	}{
		{nil, Haversine{}},
		{&model.Travel{SpeedKmh: 40, Detour: 1.2}, Haversine{SpeedKmh: 40, Detour: 1.2}},
		{&model.Travel{Model: model.TravelHaversine}, Haversine{}},
	}
	for _, tt := range tests {
		got, err := New(tt.spec)
		if err != nil || got != tt.want {
			t.Errorf("New(%+v) = %v, %v; want %v", tt.spec, got, err, tt.want)
		}
	}
	if tr, err := New(matrixSpec()); err != nil {
		t.Errorf("New(matrix) error %v", err)
	} else if _, ok := tr.(*Matrix); !ok {
		t.Errorf("New(matrix) = %T, want *Matrix", tr)
	}
}

func TestCell(t *testing.T) {
	// The example of the H3 documentation.
	c, err := Cell(model.LatLng(37.775938728915946, -122.41795063018799), 9)
	if err != nil || c.String() != "8928308280fffff" {
		t.Errorf("Cell = %v, %v; want 8928308280fffff", c, err)
	}
	if _, err := Cell(model.MatrixLocation(0), 9); !errors.Is(err, ErrUnknownLocation) {
		t.Errorf("Cell of a matrix-only location: err = %v", err)
	}
	if _, err := Cell(paris, 16); err == nil {
		t.Error("Cell accepted resolution 16")
	}
}

func TestRings(t *testing.T) {
	c, _ := Cell(paris, 8)
	rings := Rings(c, 3)
	if len(rings) != 4 || len(rings[0]) != 1 || rings[0][0] != c {
		t.Fatalf("Rings(c, 3) = %v", rings)
	}
	for k := 1; k <= 3; k++ {
		if len(rings[k]) != 6*k {
			t.Errorf("ring %d has %d cells, want %d", k, len(rings[k]), 6*k)
		}
		for _, cell := range rings[k] {
			if d := c.GridDistance(cell); d != k {
				t.Errorf("ring %d holds a cell %d steps away", k, d)
			}
		}
	}
}

// randomNear returns a location up to radius metres from center.
func randomNear(r *rand.Rand, center model.Location, radius float64) model.Location {
	d := radius * math.Sqrt(r.Float64())
	bearing := 2 * math.Pi * r.Float64()
	dLat := d * math.Cos(bearing) / EarthRadiusMeters * 180 / math.Pi
	dLng := d * math.Sin(bearing) / (EarthRadiusMeters * math.Cos(center.Lat*math.Pi/180)) * 180 / math.Pi
	return model.LatLng(center.Lat+dLat, center.Lng+dLng)
}

// TestRingsCoveringMatchesBruteForce checks the promise the stores' and
// the solver's radius searches rest on: every point within the radius of
// a location lies in a cell of the rings RingsCovering counts, at several
// resolutions and latitudes.
func TestRingsCoveringMatchesBruteForce(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, center := range []model.Location{ferryBuilding, model.LatLng(64.1466, -21.9426), model.LatLng(-33.8688, 151.2093)} {
		for _, res := range []int{6, 7, 8, 9} {
			for range 20 {
				q := randomNear(r, center, 20_000)
				radius := 500 + r.Float64()*15_000
				origin, err := Cell(q, res)
				if err != nil {
					t.Fatal(err)
				}
				covered := map[h3.Cell]bool{}
				for _, ring := range Rings(origin, RingsCovering(origin, radius)) {
					for _, c := range ring {
						covered[c] = true
					}
				}
				for range 500 {
					l := randomNear(r, center, 30_000)
					if GreatCircleMeters(Point(q), Point(l)) > radius {
						continue
					}
					if c, _ := Cell(l, res); !covered[c] {
						t.Fatalf("res %d: %v is within %.0f m of %v but its cell is outside the %d rings",
							res, l, radius, q, RingsCovering(origin, radius))
					}
				}
			}
		}
	}
}

func TestRingsDropPentagonGaps(t *testing.T) {
	pentagon := h3.Cell(0x8009fffffffffff) // base cell 4
	if !pentagon.IsPentagon() {
		t.Fatalf("%v is not a pentagon", pentagon)
	}
	// The case Rings exists for: h3 leaves zero cells where a disk crosses
	// a pentagon's missing neighbour.
	if raw := h3.GridDiskDistances(pentagon, 2); !slices.ContainsFunc(raw, func(r []h3.Cell) bool { return slices.Contains(r, 0) }) {
		t.Fatal("h3 left no gap around a pentagon; this test no longer checks Rings")
	}
	for _, ring := range Rings(pentagon, 2) {
		if slices.Contains(ring, 0) {
			t.Fatalf("ring holds the zero cell: %v", ring)
		}
	}
}

func ptr[T any](v T) *T { return &v }

// plainHaversine is the textbook formula, written independently of the
// package's prepared form.
func plainHaversine(a, b model.Location) float64 {
	rad := math.Pi / 180
	dLat, dLng := (b.Lat-a.Lat)*rad, (b.Lng-a.Lng)*rad
	h := math.Pow(math.Sin(dLat/2), 2) + math.Cos(a.Lat*rad)*math.Cos(b.Lat*rad)*math.Pow(math.Sin(dLng/2), 2)
	return 2 * EarthRadiusMeters * math.Atan2(math.Sqrt(h), math.Sqrt(1-h))
}

func TestPreparedMatchesGreatCircle(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	h := Haversine{SpeedKmh: 40, Detour: 1.25}
	for range 2000 {
		a := model.LatLng(r.Float64()*170-85, r.Float64()*360-180)
		b := randomNear(r, a, 50_000)
		if got, want := Prepare(a).MetersTo(Prepare(b)), plainHaversine(a, b); math.Abs(got-want) > 1e-9*want+1e-9 {
			t.Fatalf("%v to %v: prepared %v, plain haversine %v", a, b, got, want)
		}
		leg, _ := h.Leg(a, b)
		if got := h.LegPrepared(Prepare(a), Prepare(b)); got != leg {
			t.Fatalf("LegPrepared %v, Leg %v", got, leg)
		}
		if s := h.Seconds(GreatCircleMeters(Point(a), Point(b))); math.Abs(s-leg.Duration.Seconds()) > 0.5 {
			t.Fatalf("Seconds %v, leg %v", s, leg.Duration)
		}
	}
}
