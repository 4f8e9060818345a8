package scenario

import (
	"fmt"
	"testing"

	"github.com/dispatchd/dispatchd/geo"
	"github.com/dispatchd/dispatchd/model"
)

// TestGenerateBusyDayTerritories checks the busy day over a metro and
// regional territories. The 300 km case once never returned: a home drawn
// on the edge fell outside the great-circle disc and near kept shrinking
// its step around it.
func TestGenerateBusyDayTerritories(t *testing.T) {
	for _, radius := range []float64{0, 20_000, 100_000, 300_000, 1_000_000} {
		t.Run(fmt.Sprintf("radius=%v", radius), func(t *testing.T) {
			opts := BusyDayOptions{Technicians: 400, Stops: 8, Seed: 1, RadiusMeters: radius}
			day, err := GenerateBusyDay(opts)
			if err != nil {
				t.Fatal(err)
			}
			if len(day.Technicians) != 400 || len(day.Routes) != 400 || len(day.Positions) != 400 {
				t.Fatalf("got %d technicians, %d routes, %d positions; want 400 of each",
					len(day.Technicians), len(day.Routes), len(day.Positions))
			}
			if len(day.Orders) == 0 {
				t.Fatal("no routed orders")
			}
			want := radius
			if want == 0 {
				want = 20_000
			}
			center := geo.Point(model.LatLng(39.7392, -104.9903))
			for _, o := range day.Orders {
				if d := geo.GreatCircleMeters(geo.Point(o.Location), center); d > want {
					t.Fatalf("order %s is %.0f m from the centre, outside the %.0f m territory", o.ID, d, want)
				}
			}
			again, err := GenerateBusyDay(opts)
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(again.Orders) != fmt.Sprint(day.Orders) {
				t.Fatal("the same seed gave a different day")
			}
			for _, o := range GenerateOrdersIn(50, 2, day.Technicians, want) {
				if d := geo.GreatCircleMeters(geo.Point(o.Location), center); d > want {
					t.Fatalf("new order %s is %.0f m from the centre, outside the %.0f m territory", o.ID, d, want)
				}
			}
		})
	}
}

// TestGenerateOrdersInDefaultsTheRadius checks that a zero radius is the
// metro's, as the zero BusyDayOptions are: it once drew forever around a
// territory of one point.
func TestGenerateOrdersInDefaultsTheRadius(t *testing.T) {
	day, err := GenerateBusyDay(BusyDayOptions{Technicians: 20, Stops: 2, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	got := GenerateOrdersIn(5, 2, day.Technicians, 0)
	want := GenerateOrders(5, 2, day.Technicians)
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("radius 0 gave\n%v\nwant the metro's\n%v", got, want)
	}
}
