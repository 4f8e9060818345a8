package report

import (
	"math"
	"slices"
	"testing"
)

func TestFormatNumber(t *testing.T) {
	for _, tc := range []struct {
		v    float64
		want string
	}{
		{0, "0"},
		{math.Copysign(0, -1), "0"},
		{7, "7"},
		{1022, "1022"},
		{37232.9, "37,232.9"},
		{1_234_567, "1,234,567"},
		{84.5, "84.5"},
		{84.04, "84"},
		{3.14159, "3.14"},
		{2.5, "2.5"},
		{0.5, "0.5"},
		{0.01234, "0.0123"},
		{-12.25, "−12.2"},
		{-3, "−3"},
	} {
		if got := formatNumber(tc.v); got != tc.want {
			t.Errorf("formatNumber(%v) = %q, want %q", tc.v, got, tc.want)
		}
	}
}

func TestRowFormat(t *testing.T) {
	for _, tc := range []struct {
		values []float64
		want   []string
	}{
		{[]float64{4.2, 10.2, 3.98}, []string{"4.2", "10.2", "4.0"}},
		{[]float64{4.2, 3.98}, []string{"4.20", "3.98"}},
		{[]float64{30, 31, math.NaN()}, []string{"30", "31", "—"}},
		{[]float64{37232.9, 39146.25}, []string{"37,233", "39,146"}},
		{[]float64{991.7, 1022.8}, []string{"992", "1023"}},
		{[]float64{0.05, 0.125}, []string{"0.050", "0.125"}},
		{[]float64{-0.04, 12}, []string{"0.0", "12.0"}},
	} {
		f := rowFormat(tc.values)
		for i, v := range tc.values {
			if got := f(v); got != tc.want[i] {
				t.Errorf("rowFormat(%v)(%v) = %q, want %q", tc.values, v, got, tc.want[i])
			}
		}
	}
}

func TestNiceTicks(t *testing.T) {
	for _, tc := range []struct {
		lo, hi float64
		whole  bool
		want   []float64
	}{
		{0, 1, false, []float64{0, 0.2, 0.4, 0.6, 0.8, 1}},
		{0, 6.7, true, []float64{0, 2, 4, 6, 8}},
		{0, 1.2, true, []float64{0, 1, 2}},
		{0, 1120, false, []float64{0, 250, 500, 750, 1000, 1250}},
		{29.4, 31.1, true, []float64{29, 30, 31, 32}},
		{59.6, 61.04, false, []float64{59.5, 60, 60.5, 61, 61.5}},
		{-3, 7, false, []float64{-4, -2, 0, 2, 4, 6, 8}},
		{5, 5, false, []float64{5, 5.2, 5.4, 5.6, 5.8, 6}},
	} {
		got, start, end := niceTicks(tc.lo, tc.hi, 5, tc.whole)
		if !slices.Equal(got, tc.want) {
			t.Errorf("niceTicks(%v, %v, whole %v) = %v, want %v", tc.lo, tc.hi, tc.whole, got, tc.want)
		}
		if start > tc.lo || end < tc.hi || start != got[0] || end != got[len(got)-1] {
			t.Errorf("niceTicks(%v, %v) spans [%v, %v] with ticks %v: it must cover the range, from its first tick to its last", tc.lo, tc.hi, start, end, got)
		}
	}
}

func TestBestIndex(t *testing.T) {
	for _, tc := range []struct {
		values []float64
		better Better
		want   []bool
	}{
		{[]float64{3, 1, 2}, Lower, []bool{false, true, false}},
		{[]float64{3, 1, 3}, Higher, []bool{true, false, true}},
		{[]float64{3, 1, 2}, Neither, []bool{false, false, false}},
		{[]float64{2, 2, 2}, Lower, []bool{false, false, false}},
		{[]float64{2}, Lower, []bool{false}},
	} {
		if got := bestIndex(tc.values, tc.better); !slices.Equal(got, tc.want) {
			t.Errorf("bestIndex(%v, %v) = %v, want %v", tc.values, tc.better, got, tc.want)
		}
	}
}

// TestFit: every point of every map lands inside the map, at least the
// padding from its edge, with north up and east right, and the scale bar
// measures what it says.
func TestFit(t *testing.T) {
	maps := []RouteMap{
		{Policy: "a", Depots: []Depot{{TechnicianID: "t", Point: Point{Lat: 39.60, Lng: -105.20}}},
			Unassigned: []MapOrder{{WorkOrderID: "n", Point: Point{Lat: 39.90, Lng: -105.00}}}},
		{Policy: "b", Unassigned: []MapOrder{{WorkOrderID: "e", Point: Point{Lat: 39.70, Lng: -104.80}}}},
	}
	p, ok := fit(maps)
	if !ok {
		t.Fatal("no projection for maps with points")
	}
	if p.W != mapW || p.H < mapMinH || p.H > mapMaxH {
		t.Errorf("map %v × %v, want %d wide and %d–%d high", p.W, p.H, mapW, mapMinH, mapMaxH)
	}
	for _, m := range maps {
		eachPoint(m, func(what string, q Point) {
			x, y := p.xy(q)
			if x < mapPad-1e-9 || y < mapPad-1e-9 || x > p.W-mapPad+1e-9 || y > p.H-mapPad+1e-9 {
				t.Errorf("%s at (%v, %v) drawn at (%.1f, %.1f), outside %v × %v less %d", what, q.Lat, q.Lng, x, y, p.W, p.H, mapPad)
			}
			if lat, lng := p.lat(y), p.lng(x); math.Abs(lat-q.Lat) > 1e-9 || math.Abs(lng-q.Lng) > 1e-9 {
				t.Errorf("%s: (%v, %v) comes back as (%v, %v)", what, q.Lat, q.Lng, lat, lng)
			}
		})
	}
	xn, yn := p.xy(Point{Lat: 39.90, Lng: -105.00})
	xe, ye := p.xy(Point{Lat: 39.70, Lng: -104.80})
	if !(yn < ye && xe > xn) {
		t.Errorf("north at y %.1f, east at x %.1f: want north above and east to the right", yn, xe)
	}
	// 0.1° of longitude at 39.75°N is about 8.55 km.
	x0, _ := p.xy(Point{Lat: 39.75, Lng: -105.1})
	x1, _ := p.xy(Point{Lat: 39.75, Lng: -105.0})
	if got := (x1 - x0) * p.metresPerUnit(); math.Abs(got-8550) > 60 {
		t.Errorf("0.1° of longitude at 39.75°N measures %.0f m on the map, want about 8,550", got)
	}
	s := scaleOf(p)
	if s.Label != "5 km" && s.Label != "2 km" && s.Label != "10 km" {
		t.Errorf("scale bar %q for a map some 34 km across", s.Label)
	}
	if _, ok := fit([]RouteMap{{Policy: "empty"}}); ok {
		t.Error("a projection for maps with no point")
	}
	// One point alone still gets an area around it.
	p, ok = fit([]RouteMap{{Policy: "one", Unassigned: []MapOrder{{WorkOrderID: "x", Point: Point{Lat: 10, Lng: 10}}}}})
	if x, y := p.xy(Point{Lat: 10, Lng: 10}); !ok || math.Abs(x-p.W/2) > 0.01 || math.Abs(y-p.H/2) > 0.01 {
		t.Errorf("a lone point drawn at (%v, %v) of %v × %v, want the middle", x, y, p.W, p.H)
	}
}

// TestTechnicianStyles: a technician keeps one colour on every map, and
// past the palette the colours repeat with a dash.
func TestTechnicianStyles(t *testing.T) {
	var routes []MapRoute
	for i := range len(techColours) + 2 {
		routes = append(routes, MapRoute{TechnicianID: string(rune('a' + i))})
	}
	styles := technicianStyles([]RouteMap{{Routes: routes[:3]}, {Routes: routes}})
	if len(styles) != len(routes) {
		t.Fatalf("%d styles for %d technicians", len(styles), len(routes))
	}
	if styles["a"][0] != techColours[0] || styles["a"][1] != "" {
		t.Errorf("the first technician is %v, want the first colour, solid", styles["a"])
	}
	last := styles[string(rune('a'+len(techColours)))]
	if last[0] != techColours[0] || last[1] == "" {
		t.Errorf("the thirteenth technician is %v, want the first colour again, dashed", last)
	}
}
