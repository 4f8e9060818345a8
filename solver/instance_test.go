package solver

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/dispatchd/dispatchd/model"
	"github.com/dispatchd/dispatchd/scenario"
)

// TestNeighboursMatchAFullSort checks the neighbour lists against sorting
// every other job by travel time and index, on generated days (travel
// from coordinates: the k-d tree), a day of many orders at few addresses
// (ties in the rounding) and Solomon instances (a matrix).
func TestNeighboursMatchAFullSort(t *testing.T) {
	var problems []*model.Problem
	var names []string
	for _, size := range []struct{ orders, techs int }{{3, 1}, {70, 5}, {1500, 50}} {
		p, err := scenario.GenerateDay(scenario.DayOptions{Orders: size.orders, Technicians: size.techs, Seed: 9})
		if err != nil {
			t.Fatal(err)
		}
		problems, names = append(problems, p), append(names, fmt.Sprintf("generated %d", size.orders))
	}
	crowded, err := scenario.GenerateDay(scenario.DayOptions{Orders: 600, Technicians: 10, Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	for i := range crowded.WorkOrders {
		crowded.WorkOrders[i].Location = crowded.WorkOrders[i%37].Location
	}
	problems, names = append(problems, crowded), append(names, "600 orders at 37 places")
	// Orders on a circle, within a few centimetres of 1 km from its centre:
	// the same travel time in whole seconds, in an order by distance that
	// is not the order by index.
	ring, err := scenario.GenerateDay(scenario.DayOptions{Orders: 300, Technicians: 5, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	centre := ring.WorkOrders[0].Location
	for i := 1; i < len(ring.WorkOrders); i++ {
		bearing := float64(i*7919%360) * math.Pi / 180
		metres := 1000 + float64(i%13)/100
		ring.WorkOrders[i].Location = model.LatLng(centre.Lat+metres*math.Cos(bearing)/111_195,
			centre.Lng+metres*math.Sin(bearing)/(111_195*math.Cos(centre.Lat*math.Pi/180)))
	}
	problems, names = append(problems, ring), append(names, "300 orders on a circle")
	for _, name := range []string{"c101", "r201"} {
		s, err := scenario.ReadSolomonFile("../testdata/solomon/" + name + ".txt")
		if err != nil {
			t.Fatal(err)
		}
		problems, names = append(problems, s.Problem()), append(names, name)
	}
	problems, names = append(problems, tiedMatrix(400)), append(names, "matrix of 400 with ties")
	for i, p := range problems {
		t.Run(names[i], func(t *testing.T) {
			if err := p.Validate(); err != nil {
				t.Fatal(err)
			}
			in, err := compile(p)
			if err != nil {
				t.Fatal(err)
			}
			for j := range in.jobs {
				if got, want := in.neighbours[j], sortedNeighbours(in, j); !slices.Equal(got, want) {
					t.Fatalf("neighbours of job %d:\n got %v\nwant %v", j, got, want)
				}
			}
		})
	}
}

func sortedNeighbours(in *instance, j int) []int32 {
	var all []int32
	for o := range in.jobs {
		if o != j {
			all = append(all, int32(o))
		}
	}
	dur := func(o int32) int64 { return in.tt.dur(in.jobs[j].loc, in.jobs[o].loc) }
	slices.SortFunc(all, func(a, b int32) int { return cmp.Or(cmp.Compare(dur(a), dur(b)), cmp.Compare(a, b)) })
	return all[:min(neighbourCount, len(all))]
}

// tiedMatrix is a problem of n orders on an asymmetric matrix whose
// durations take few values, so that most neighbours tie.
func tiedMatrix(n int) *model.Problem {
	tr := &model.Travel{Model: model.TravelMatrix, Durations: make([][]float64, n+1)}
	for a := range n + 1 {
		tr.Durations[a] = make([]float64, n+1)
		for b := range n + 1 {
			if a != b {
				tr.Durations[a][b] = float64(60 * ((a*7 + b*13) % 11))
			}
		}
	}
	p := &model.Problem{Travel: tr}
	day := scenario.SolomonEpoch
	p.Technicians = []model.Technician{{ID: "T", Start: model.MatrixLocation(0), Shift: model.Shift{Start: day, End: day.Add(8 * 3600e9)}}}
	for i := 1; i <= n; i++ {
		p.WorkOrders = append(p.WorkOrders, model.WorkOrder{ID: fmt.Sprint(i), Location: model.MatrixLocation(i), Duration: 600})
	}
	return p
}
