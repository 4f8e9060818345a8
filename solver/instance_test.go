package solver

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"testing"
	"time"

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
			in, err := compile(p, nil)
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

// TestQualifyTablesAgreeWithQualify checks the compiled tables against
// Qualify and the objective's pair terms, order by order and technician
// by technician, and the classes against grouping technicians by their
// whole rows: on a generated day with preferences, exclusions, crews,
// plan changes and pinned orders (one pinned to a technician who does not
// qualify).
func TestQualifyTablesAgreeWithQualify(t *testing.T) {
	p, err := scenario.GenerateDay(scenario.DayOptions{Orders: 400, Technicians: 40, Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	// Every other technician is a copy of the one before, at the same
	// place: classes of two, unless an order names one of them.
	for i := 1; i < len(p.Technicians); i += 2 {
		twin := p.Technicians[i-1]
		twin.ID = p.Technicians[i].ID
		p.Technicians[i] = twin
	}
	for i := range p.WorkOrders {
		w := &p.WorkOrders[i]
		if w.Crew() > 1 {
			continue
		}
		switch i % 10 {
		case 1:
			w.TechnicianIDs = []string{p.Technicians[i%len(p.Technicians)].ID}
		case 2:
			w.Status, w.Pinned = model.StatusDispatched, true
			w.TechnicianIDs = []string{p.Technicians[i%len(p.Technicians)].ID}
			w.RequiredSkills = model.Skills{"no-one-has-this": 1}
			w.TimeWindows = nil
			start := p.Technicians[i%len(p.Technicians)].Shift.Start.Add(time.Duration(i) * time.Minute)
			w.ScheduledStart = &start
		}
	}
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	in, err := compile(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	nj := len(in.jobs)
	wt := in.w
	for j, jb := range in.jobs {
		w := &p.WorkOrders[jb.idx]
		var want []int32
		for v := range in.vehicles {
			tc := &p.Technicians[in.vehicles[v].idx]
			ok := w.Crew() == 1 && fitsCapacity(w.Demand, tc.Capacity)
			if w.IsFixed() {
				ok = ok && tc.ID == w.TechnicianIDs[0]
			} else {
				ok = ok && len(Qualify(tc, w)) == 0
			}
			if in.ok[v*nj+j] != ok {
				t.Fatalf("order %s, technician %s: ok %v, want %v", w.ID, tc.ID, in.ok[v*nj+j], ok)
			}
			if !ok {
				continue
			}
			want = append(want, int32(v))
			cost := wt.SkillSurplus * float64(SkillSurplus(tc, w))
			if len(w.PreferredTechnicians) > 0 && !w.Prefers(tc.ID) {
				cost += wt.PreferredTechnician
			}
			if len(w.TechnicianIDs) > 0 && !slices.Contains(w.TechnicianIDs, tc.ID) {
				cost += wt.PlanChange
			}
			if got := in.pair[v*nj+j]; got != cost {
				t.Fatalf("order %s, technician %s: pair cost %v, want %v", w.ID, tc.ID, got, cost)
			}
		}
		if !slices.Equal(jb.vehicles, want) {
			t.Fatalf("order %s: vehicles %v, want %v", w.ID, jb.vehicles, want)
		}
	}
	classes := map[string]int32{}
	twins := 0
	for v, ve := range in.vehicles {
		key := fmt.Sprint(ve.startLoc, ve.endLoc, ve.shiftStart, ve.shiftEnd, ve.latestEnd, ve.maxJobs,
			ve.breaks, ve.capacity, in.ok[v*nj:(v+1)*nj], in.pair[v*nj:(v+1)*nj])
		c, seen := classes[key]
		if !seen {
			c = int32(len(classes))
			classes[key] = c
		} else {
			twins++
		}
		if ve.class != c {
			t.Fatalf("technician %d: class %d, want %d", v, ve.class, c)
		}
	}
	if twins == 0 {
		t.Fatal("no two technicians share a class: the test checks little")
	}
}
