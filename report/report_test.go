package report_test

import (
	"bytes"
	"flag"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/dispatchd/dispatchd/model"
	"github.com/dispatchd/dispatchd/report"
)

var update = flag.Bool("update", false, "rewrite golden files")

// fixture is a small comparison with every part of the page: three
// policies, figures, the objective matrix, a sweep, maps and unassigned
// orders.
func fixture() report.Comparison {
	pt := func(lat, lng float64) *report.Point { return &report.Point{Lat: lat, Lng: lng} }
	order := func(id string, lat, lng float64) report.MapOrder {
		return report.MapOrder{WorkOrderID: id, Point: report.Point{Lat: lat, Lng: lng}}
	}
	depots := []report.Depot{
		{TechnicianID: "ana", Point: report.Point{Lat: 39.74, Lng: -104.99}},
		{TechnicianID: "ben", Point: report.Point{Lat: 39.68, Lng: -105.03}},
		{TechnicianID: "cai", Point: report.Point{Lat: 39.77, Lng: -104.92}},
	}
	return report.Comparison{
		Title:    "Policies on 2026-11-23",
		Subtitle: "6 orders, 3 technicians · seed 1 · 200 iterations",
		Policies: []report.PolicyColumn{
			{Name: "default", Description: "dispatchd's defaults"},
			{Name: "short-drives", Description: "an hour of driving costs four", Changes: []string{"travel_time 4 (default 1)"}},
			{Name: "balanced", Description: "spread the work <evenly> & fairly"},
		},
		KPIs: []report.KPIRow{
			{Name: "Assigned", Unit: "orders", Better: report.Higher, Values: []float64{5, 5, 6}},
			{Name: "Travel time", Unit: "min", Better: report.Lower, Values: []float64{84.5, 61.2, 97}},
			{Name: "Utilisation", Unit: "%", Better: report.Higher, Values: []float64{41.3, 39.8, 48.2}},
			{Name: "Technicians used", Unit: "technicians", Values: []float64{2, 2, 3}},
		},
		Objectives: [][]float64{
			{1084.5, 1261.2, 1190},
			{1098, 1244.8, 1210.5},
			{1097, 1388, 1097},
		},
		Sweeps: []report.Sweep{{
			Weight: "travel_time", Policy: "default", Values: []float64{0.5, 1, 2, 4},
			KPIs: []report.KPIRow{
				{Name: "Travel time", Unit: "min", Better: report.Lower, Values: []float64{97, 84.5, 70.1, 61.2}},
				{Name: "Unassigned", Unit: "orders", Better: report.Lower, Values: []float64{1, 1, 1, 2}},
			},
		}},
		Maps: []report.RouteMap{
			{Policy: "default", Depots: depots,
				Routes: []report.MapRoute{
					{TechnicianID: "ana", Start: pt(39.74, -104.99), End: pt(39.74, -104.99),
						Stops: []report.MapOrder{order("rtu-repair", 39.75, -104.98), order("panel", 39.71, -105.00)}},
					{TechnicianID: "ben", Start: pt(39.68, -105.03), End: pt(39.68, -105.03),
						Stops: []report.MapOrder{order("leak", 39.69, -105.02), order("boiler", 39.66, -105.05), order("vent", 39.70, -105.06)}},
				},
				Unassigned: []report.MapOrder{order("roof", 39.79, -104.90)}},
			{Policy: "short-drives", Depots: depots,
				Routes: []report.MapRoute{
					{TechnicianID: "ana", Start: pt(39.74, -104.99), End: pt(39.74, -104.99),
						Stops: []report.MapOrder{order("rtu-repair", 39.75, -104.98), order("panel", 39.71, -105.00), order("leak", 39.69, -105.02)}},
					{TechnicianID: "ben", Start: pt(39.68, -105.03), End: pt(39.68, -105.03),
						Stops: []report.MapOrder{order("boiler", 39.66, -105.05), order("vent", 39.70, -105.06)}},
				},
				Unassigned: []report.MapOrder{order("roof", 39.79, -104.90)}},
			{Policy: "balanced", Depots: depots,
				Routes: []report.MapRoute{
					{TechnicianID: "ana", Start: pt(39.74, -104.99), End: pt(39.74, -104.99),
						Stops: []report.MapOrder{order("rtu-repair", 39.75, -104.98), order("panel", 39.71, -105.00)}},
					{TechnicianID: "ben", Start: pt(39.68, -105.03), End: pt(39.68, -105.03),
						Stops: []report.MapOrder{order("leak", 39.69, -105.02), order("boiler", 39.66, -105.05)}},
					{TechnicianID: "cai", Start: pt(39.77, -104.92), End: pt(39.77, -104.92),
						Stops: []report.MapOrder{order("roof", 39.79, -104.90), order("vent", 39.70, -105.06)}},
				}},
		},
		Unassigned: []report.UnassignedOrder{
			{Policy: "default", WorkOrderID: "roof", Priority: "low", Reasons: []string{"only cai has roofing ≥ 2", "cai: shift ends before the window opens"}},
			{Policy: "short-drives", WorkOrderID: "roof", Priority: "low", Reasons: []string{"only cai has roofing ≥ 2"}},
		},
	}
}

func TestWriteGolden(t *testing.T) {
	var buf bytes.Buffer
	if err := report.Write(&buf, fixture()); err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "comparison.golden.html")
	if *update {
		if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("reading the golden page (go test ./report -update writes it): %v", err)
	}
	if !bytes.Equal(buf.Bytes(), want) {
		t.Errorf("the page differs from %s (go test ./report -update rewrites it, then read the diff)", golden)
	}
}

// TestWriteShape checks what the page holds, part by part, on the
// fixture: the counts the browser test checks on a real comparison.
func TestWriteShape(t *testing.T) {
	var buf bytes.Buffer
	c := fixture()
	if err := report.Write(&buf, c); err != nil {
		t.Fatal(err)
	}
	page := buf.String()
	stops := 0
	for _, m := range c.Maps {
		for _, r := range m.Routes {
			stops += len(r.Stops)
		}
	}
	for _, tc := range []struct {
		what string
		want int
	}{
		{`<svg class="kpi-chart"`, len(c.KPIs)},
		{`<rect class="bar `, len(c.KPIs) * len(c.Policies)},
		{`<svg class="sweep-chart"`, len(c.Sweeps[0].KPIs)},
		{`<path class="sweep-line"`, len(c.Sweeps[0].KPIs)},
		{`<circle class="sweep-point"`, len(c.Sweeps[0].KPIs) * len(c.Sweeps[0].Values)},
		{`<svg class="route-map"`, len(c.Maps)},
		{`<path class="route"`, 2 + 2 + 3},
		{`<circle class="stop"`, stops},
		{`<rect class="depot"`, 3 * len(c.Maps)},
		{`<path class="unassigned"`, 2},
		{`<table id="kpi-table"`, 1},
		{`<table id="objective-matrix"`, 1},
		{`<table id="unassigned-table"`, 1},
		{`<script`, 0},
		{`http://`, 0},
		{`https://`, 0},
		{`url(`, 0},
	} {
		if got := strings.Count(page, tc.what); got != tc.want {
			t.Errorf("%d × %s, want %d", got, tc.what, tc.want)
		}
	}
	if !strings.Contains(page, "spread the work &lt;evenly&gt; &amp; fairly") {
		t.Error("a policy's description is not escaped")
	}
}

func TestWriteEscapes(t *testing.T) {
	c := fixture()
	evil := `"><script>alert(1)</script>`
	c.Policies[0].Name = evil
	c.Maps[0].Policy = evil
	c.KPIs[0].Name = evil
	c.Unassigned[0].Reasons = []string{evil}
	c.Maps[0].Routes[0].TechnicianID = evil
	var buf bytes.Buffer
	if err := report.Write(&buf, c); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), "<script") {
		t.Error("a name from the comparison reached the page as markup")
	}
}

func TestWriteRefuses(t *testing.T) {
	for _, tc := range []struct {
		name   string
		break_ func(c *report.Comparison)
		want   string
	}{
		{"no policies", func(c *report.Comparison) { c.Policies = nil }, "no policies"},
		{"a policy without a name", func(c *report.Comparison) { c.Policies[1].Name = "" }, "policies[1]: no name"},
		{"a KPI short of values", func(c *report.Comparison) { c.KPIs[1].Values = c.KPIs[1].Values[:2] }, "kpis[1] (Travel time): 2 values for 3 policies"},
		{"an infinity", func(c *report.Comparison) { c.KPIs[0].Values[2] = math.Inf(-1) }, "kpis[0] (Assigned).values[2]: -Inf is not a number a chart can draw"},
		{"an unknown direction", func(c *report.Comparison) { c.KPIs[0].Better = 7 }, "better is 7"},
		{"a ragged matrix", func(c *report.Comparison) { c.Objectives[2] = c.Objectives[2][:1] }, "objectives[2]: 1 columns for 3 policies"},
		{"a matrix short of rows", func(c *report.Comparison) { c.Objectives = c.Objectives[:2] }, "objectives: 2 rows for 3 policies"},
		{"an infinite objective", func(c *report.Comparison) { c.Objectives[0][1] = math.Inf(1) }, "objectives[0][1]: +Inf"},
		{"a sweep of one value", func(c *report.Comparison) {
			c.Sweeps[0].Values = c.Sweeps[0].Values[:1]
			c.Sweeps[0].KPIs = nil
		}, "sweeps[0]: 1 values; a sweep needs two or more"},
		{"a sweep out of order", func(c *report.Comparison) { c.Sweeps[0].Values[2] = 0.7 }, "sweeps[0].values[2]: 0.7 does not increase"},
		{"a sweep KPI short of values", func(c *report.Comparison) { c.Sweeps[0].KPIs[1].Values = []float64{1} }, "sweeps[0].kpis[1] (Unassigned): 1 values for 4 swept values"},
		{"a point off the map", func(c *report.Comparison) { c.Maps[1].Unassigned[0].Lat = 91 }, "maps[1]: roof at (91, -104.9) cannot be drawn"},
		{"a map of no policy", func(c *report.Comparison) { c.Maps[2].Policy = "" }, "maps[2]: no policy"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := fixture()
			tc.break_(&c)
			var buf bytes.Buffer
			err := report.Write(&buf, c)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Write: %v, want an error saying %q", err, tc.want)
			}
			if buf.Len() != 0 {
				t.Errorf("wrote %d bytes of a comparison it refused", buf.Len())
			}
		})
	}
}

// TestWriteMissing: a policy whose plan never ran (a cancelled compare)
// has no values; the page shows dashes, draws no bar or point for it, and
// never calls it best.
func TestWriteMissing(t *testing.T) {
	c := fixture()
	nan := math.NaN()
	c.KPIs[1].Values[1] = nan // short-drives had the least travel
	c.Objectives[1] = []float64{nan, nan, nan}
	c.Sweeps[0].KPIs[0].Values[2] = nan
	var buf bytes.Buffer
	if err := report.Write(&buf, c); err != nil {
		t.Fatal(err)
	}
	page := buf.String()
	for _, tc := range []struct {
		what string
		want int
	}{
		{`<rect class="bar `, len(c.KPIs)*len(c.Policies) - 1},
		{`<text class="value missing"`, 1},
		{`<circle class="sweep-point"`, len(c.Sweeps[0].KPIs)*len(c.Sweeps[0].Values) - 1},
		{`<td>—</td>`, 1},
		{`<td class="">—</td>`, 2},
		{`<td class=" own">—</td>`, 1},
	} {
		if got := strings.Count(page, tc.what); got != tc.want {
			t.Errorf("%d × %s, want %d", got, tc.what, tc.want)
		}
	}
	// Travel: default 84.5 is now the least of those there are.
	if !strings.Contains(page, `<td class="best">84.5<span class="sr"> (best)</span></td>`) {
		t.Error("the best of the values there are is not marked")
	}
	lines := regexp.MustCompile(`<path class="sweep-line" d="([^"]*)"`).FindAllStringSubmatch(page, -1)
	if len(lines) != 2 || strings.Count(lines[0][1], "M") != 2 || strings.Count(lines[1][1], "M") != 1 {
		t.Errorf("sweep lines %q: want the first to break at its missing point, the second whole", lines)
	}
}

// TestWriteWithoutMaps: plans on a travel matrix have no map, and the
// page says so; a comparison with only policies and figures still renders.
func TestWriteWithoutMaps(t *testing.T) {
	c := fixture()
	c.Maps, c.Sweeps, c.Objectives, c.Unassigned = nil, nil, nil, nil
	var buf bytes.Buffer
	if err := report.Write(&buf, c); err != nil {
		t.Fatal(err)
	}
	page := buf.String()
	for _, want := range []string{"there is no map to draw", "Every policy's plan serves every order", `<svg class="kpi-chart"`} {
		if !strings.Contains(page, want) {
			t.Errorf("the page does not say %q", want)
		}
	}
	for _, not := range []string{`<svg class="route-map"`, `id="objective-matrix"`, `id="sweeps"`} {
		if strings.Contains(page, not) {
			t.Errorf("the page has %s, with nothing to put there", not)
		}
	}
}

func TestFromPlans(t *testing.T) {
	at := func(lat, lng float64) *model.Location { l := model.LatLng(lat, lng); return &l }
	p := &model.Problem{
		Technicians: []model.Technician{
			{ID: "ana", Start: model.LatLng(39.74, -104.99)},
			{ID: "ben", Start: model.LatLng(39.68, -105.03)},
		},
		WorkOrders: []model.WorkOrder{
			{ID: "leak", Location: model.LatLng(39.69, -105.02)},
			{ID: "panel", Location: model.LatLng(39.71, -105.00), Priority: model.PriorityHigh},
		},
	}
	plans := []model.Plan{
		{Routes: []model.Route{{TechnicianID: "ana", StartLocation: at(39.74, -104.99), EndLocation: at(39.74, -104.99),
			Stops: []model.Stop{{WorkOrderID: "leak", Location: at(39.69, -105.02)}, {Type: model.StopBreak, Location: at(39.69, -105.02)}}}},
			Unassigned: []model.Unassigned{{WorkOrderID: "panel", Reasons: []string{"no active technician has electrical ≥ 2"}}},
			KPIs:       model.KPIs{Assigned: 1, Unassigned: 1, Travel: 1200, Distance: 15_250},
			Measures:   model.Measures{Unassigned: 1, UnassignedRank: 2, TravelTime: 20, Distance: 15.25}},
		{Routes: []model.Route{{TechnicianID: "ben", StartLocation: at(39.68, -105.03),
			Stops: []model.Stop{{WorkOrderID: "leak", Location: at(39.69, -105.02)}, {WorkOrderID: "panel", Location: at(39.71, -105.00)}}}},
			KPIs:     model.KPIs{Assigned: 2, Travel: 3000, Distance: 40_000},
			Measures: model.Measures{TravelTime: 50, Distance: 40}},
	}
	a := model.DefaultPolicy()
	b := model.Policy{Name: "short-drives", Weights: model.DefaultWeights()}
	b.Weights.TravelTime = 4
	c, err := report.FromPlans("t", []model.Policy{a, b}, plans, p)
	if err != nil {
		t.Fatal(err)
	}
	for i, plan := range plans {
		for j, pol := range []model.Policy{a, b} {
			if got, want := c.Objectives[i][j], pol.Weights.Price(plan.Measures).Total(); got != want {
				t.Errorf("objective of plan %d under %s: %v, want %v", i, pol.Name, got, want)
			}
		}
	}
	if got := c.KPIs[2]; got.Name != "Travel time" || got.Values[0] != 20 || got.Values[1] != 50 {
		t.Errorf("travel row %+v, want 20 and 50 min", got)
	}
	if n := len(c.Maps); n != 2 {
		t.Fatalf("%d maps, want 2", n)
	}
	m := c.Maps[0]
	if len(m.Routes) != 1 || len(m.Routes[0].Stops) != 1 || m.Routes[0].End == nil || len(m.Depots) != 2 || len(m.Unassigned) != 1 {
		t.Errorf("map of the first plan %+v: want one route of one stop (not the break), both depots, the unassigned order", m)
	}
	if m := c.Maps[1]; m.Routes[0].End != nil {
		t.Errorf("a route without an end location drawn back to %v", m.Routes[0].End)
	}
	if len(c.Policies[0].Changes) != 0 || len(c.Policies[1].Changes) != 1 || c.Policies[1].Changes[0] != "travel_time 4 (default 1)" {
		t.Errorf("changes %q and %q, want none and travel_time's", c.Policies[0].Changes, c.Policies[1].Changes)
	}
	if len(c.Unassigned) != 1 || c.Unassigned[0].Priority != "high" || c.Unassigned[0].Policy != "default" {
		t.Errorf("unassigned %+v, want panel (high) under default", c.Unassigned)
	}

	// Without the problem: the routes' starts are the depots, and the
	// unassigned orders are listed but not drawn.
	m, err = report.MapOf("default", plans[0], nil)
	if err != nil || len(m.Routes) != 1 || len(m.Depots) != 1 || m.Depots[0].TechnicianID != "ana" || len(m.Unassigned) != 0 {
		t.Errorf("map without the problem %+v (%v): want ana's route and depot, no unassigned crosses", m, err)
	}
	if u := report.UnassignedOf("default", plans[0], nil); len(u) != 1 || u[0].Priority != "" {
		t.Errorf("unassigned without the problem %+v: want panel, priority unknown", u)
	}

	// A plan on a travel matrix: no maps, and still a report.
	m1 := model.MatrixLocation(1)
	plans[1].Routes[0].Stops[1].Location = &m1
	c, err = report.FromPlans("t", []model.Policy{a, b}, plans, p)
	if err != nil {
		t.Fatal(err)
	}
	if c.Maps != nil {
		t.Errorf("%d maps of plans one of which has no coordinates", len(c.Maps))
	}
	if _, err := report.FromPlans("t", []model.Policy{a}, plans, p); err == nil {
		t.Error("one policy for two plans accepted")
	}
}

func TestWeightChanges(t *testing.T) {
	w := model.DefaultWeights()
	w.TravelTime, w.Lateness = 4, 10
	for _, tc := range []struct {
		policy model.Policy
		want   []string
	}{
		{model.DefaultPolicy(), nil},
		{model.Policy{Name: "unset scale", Weights: model.DefaultWeights()}, nil},
		{model.Policy{Name: "short", Weights: w, ScoreScale: 120}, []string{"lateness 10 (default 50)", "travel_time 4 (default 1)", "score_scale 120 (default 240)"}},
	} {
		if got := report.WeightChanges(tc.policy); !slices.Equal(got, tc.want) {
			t.Errorf("%s: %q, want %q", tc.policy.Name, got, tc.want)
		}
	}
}

func TestKPIRowVaries(t *testing.T) {
	nan := math.NaN()
	for _, c := range []struct {
		name   string
		values []float64
		want   bool
	}{
		{"none", nil, false},
		{"one", []float64{3}, false},
		{"equal", []float64{2, 2, 2}, false},
		{"equal but a missing one", []float64{2, nan, 2}, false},
		{"all missing", []float64{nan, nan}, false},
		{"differ", []float64{2, 2, 2.5}, true},
		{"differ after a missing one", []float64{nan, 1, 0}, true},
	} {
		if got := (report.KPIRow{Name: c.name, Values: c.values}).Varies(); got != c.want {
			t.Errorf("%s %v: Varies() = %v, want %v", c.name, c.values, got, c.want)
		}
	}
}
