package geo_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/dispatchd/dispatchd/geo"
	"github.com/dispatchd/dispatchd/model"
)

// update rewrites the golden files instead of comparing with them.
var update = flag.Bool("update", false, "rewrite testdata/*.geojson")

// The golden GeoJSON was written by api's planFeatures before the rule
// moved here: the API's output stays byte for byte what it was.

// fixturePlan is a plan of two routes: one from a depot through two jobs
// and a break back to the depot, one with a start but no end.
func fixturePlan() *model.Plan {
	at := func(h, m int) time.Time { return time.Date(2026, 11, 23, h, m, 0, 0, time.UTC) }
	loc := func(lat, lng float64) *model.Location { l := model.LatLng(lat, lng); return &l }
	return &model.Plan{Routes: []model.Route{
		{TechnicianID: "T1", Start: at(8, 0), End: at(12, 30), Travel: 1800, Distance: 21000,
			StartLocation: loc(52.37, 4.89), EndLocation: loc(52.37, 4.89),
			Stops: []model.Stop{
				{WorkOrderID: "W1", Arrival: at(8, 10), Start: at(8, 30), End: at(9, 30), Travel: 600, Distance: 7000, Location: loc(52.36, 4.90)},
				{Type: model.StopBreak, Start: at(9, 30), End: at(10, 0)},
				{WorkOrderID: "W2", Arrival: at(10, 10), Start: at(10, 10), End: at(12, 0), Travel: 600, Distance: 6500.5, Location: loc(52.38, 4.91)},
			}},
		{TechnicianID: "T2", Start: at(9, 0), End: at(10, 0), Travel: 300, Distance: 4000,
			StartLocation: loc(52.35, 4.85),
			Stops: []model.Stop{
				{WorkOrderID: "W3", Arrival: at(9, 5), Start: at(9, 5), End: at(10, 0), Travel: 300, Distance: 4000, Location: loc(52.34, 4.86)},
			}},
	}}
}

func TestPlanFeaturesGolden(t *testing.T) {
	fc, err := geo.PlanFeatures(fixturePlan())
	if err != nil {
		t.Fatal(err)
	}
	got, err := json.Marshal(fc)
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	const golden = "testdata/plan.geojson"
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("the plan's GeoJSON differs from %s:\n got %s\nwant %s", golden, got, want)
	}
}

func TestRouteLinesRefuseAPlanWithoutCoordinates(t *testing.T) {
	p := fixturePlan()
	p.Routes[1].Stops[0].Location = nil
	for name, draw := range map[string]func(*model.Plan) error{
		"RouteLines":   func(p *model.Plan) error { _, err := geo.RouteLines(p); return err },
		"PlanFeatures": func(p *model.Plan) error { _, err := geo.PlanFeatures(p); return err },
	} {
		if err := draw(p); err == nil || !strings.Contains(err.Error(), "W3 has no coordinates") {
			t.Errorf("%s of a stop without coordinates: %v, want W3 named", name, err)
		}
	}
}
