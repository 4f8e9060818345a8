package model

import (
	"fmt"
	"math"
)

// Travel says how travel times and distances are found: from coordinates
// (Model "haversine": great-circle distance × Detour at SpeedKmh; zeros take
// package geo's defaults), or from an explicit matrix given by the caller,
// as a routing engine's table, in which every location refers to a row by
// its location_index (or, lacking one, by equal coordinates in Locations).
type Travel struct {
	Model    string  `json:"model,omitempty"`
	SpeedKmh float64 `json:"speed_kmh,omitempty"`
	Detour   float64 `json:"detour,omitempty"`

	Locations []Location  `json:"locations,omitempty"`
	Durations [][]float64 `json:"durations_s,omitempty"`
	Distances [][]float64 `json:"distances_m,omitempty"`
}

// The travel models.
const (
	TravelHaversine = "haversine"
	TravelMatrix    = "matrix"
)

// IsMatrix reports whether travel comes from an explicit matrix.
func (t *Travel) IsMatrix() bool {
	return t != nil && (t.Model == TravelMatrix || len(t.Durations) > 0)
}

// Size returns the number of locations the matrix covers.
func (t *Travel) Size() int {
	if len(t.Locations) > 0 {
		return len(t.Locations)
	}
	return len(t.Durations)
}

// Problem is everything a planner needs for one dispatch window. Orders
// that are complete or cancelled are history: a plan neither routes them
// nor lists them as unassigned, and they cost nothing.
type Problem struct {
	Technicians []Technician `json:"technicians"`
	WorkOrders  []WorkOrder  `json:"work_orders"`
	// Weights is the scheduling policy; nil means DefaultWeights.
	Weights *Weights `json:"weights,omitempty"`
	// Travel is the travel model; nil means haversine with geo's defaults.
	Travel *Travel `json:"travel,omitempty"`
}

// Policy returns the problem's weights, or DefaultWeights if it has none.
func (p *Problem) Policy() Weights {
	if p.Weights != nil {
		return *p.Weights
	}
	return DefaultWeights()
}

// Validate reports every problem in p at once, as a *ValidationError whose
// field paths are those of the JSON document.
func (p *Problem) Validate() error {
	var v checker
	techIndex := make(map[string]int, len(p.Technicians))
	for i := range p.Technicians {
		t := &p.Technicians[i]
		path := fmt.Sprintf("technicians[%d]", i)
		t.check(&v, path)
		if t.ID == "" {
			continue
		}
		if j, dup := techIndex[t.ID]; dup {
			v.add(path+".id", fmt.Sprintf("duplicate id %q (also technicians[%d])", t.ID, j))
			continue
		}
		techIndex[t.ID] = i
	}
	orderIndex := make(map[string]int, len(p.WorkOrders))
	for i := range p.WorkOrders {
		w := &p.WorkOrders[i]
		path := fmt.Sprintf("work_orders[%d]", i)
		w.check(&v, path)
		for _, ref := range []struct {
			field string
			ids   []string
		}{
			{"preferred_technicians", w.PreferredTechnicians},
			{"excluded_technicians", w.ExcludedTechnicians},
			{"technician_ids", w.TechnicianIDs},
		} {
			for j, id := range ref.ids {
				if _, ok := techIndex[id]; !ok {
					v.add(fmt.Sprintf("%s.%s[%d]", path, ref.field, j), fmt.Sprintf("unknown technician %q", id))
				}
			}
		}
		if w.ID == "" {
			continue
		}
		if j, dup := orderIndex[w.ID]; dup {
			v.add(path+".id", fmt.Sprintf("duplicate id %q (also work_orders[%d])", w.ID, j))
			continue
		}
		orderIndex[w.ID] = i
	}
	if p.Weights != nil {
		p.Weights.check(&v, "weights")
	}
	p.checkTravel(&v)
	return v.err()
}

// checkTravel checks the travel model and that every location can be found
// in it.
func (p *Problem) checkTravel(v *checker) {
	t := p.Travel
	matrix := t.IsMatrix()
	if t != nil {
		switch t.Model {
		case "", TravelHaversine, TravelMatrix:
		default:
			v.add("travel.model", fmt.Sprintf("unknown model %q: want haversine or matrix", t.Model))
		}
		if t.Model == TravelHaversine && len(t.Durations) > 0 {
			v.add("travel.model", "haversine, but durations_s is given")
		}
		if math.IsNaN(t.SpeedKmh) || t.SpeedKmh < 0 {
			v.add("travel.speed_kmh", "must be positive")
		}
		if math.IsNaN(t.Detour) || (t.Detour != 0 && t.Detour < 1) {
			v.add("travel.detour", "below 1: roads are never shorter than the great circle")
		}
		if matrix {
			checkMatrix(v, t)
		} else {
			if len(t.Distances) > 0 {
				v.add("travel.distances_m", "given without durations_s")
			}
			if len(t.Locations) > 0 {
				v.add("travel.locations", "given without durations_s")
			}
		}
	}
	n := 0
	coords := map[[2]float64]bool{}
	if matrix {
		n = t.Size()
		for _, l := range t.Locations {
			if l.HasCoordinates() {
				coords[[2]float64{l.Lat, l.Lng}] = true
			}
		}
	}
	check := func(l Location, path string) {
		if l.IsZero() {
			return // reported as missing by the owner's own check
		}
		i, indexed := l.MatrixIndex()
		switch {
		case !matrix && indexed:
			v.add(path+".location_index", "given, but travel has no matrix (durations_s)")
		case !matrix && !l.HasCoordinates():
			v.add(path, "no coordinates, and travel has no matrix")
		case matrix && indexed && i >= n:
			v.add(path+".location_index", fmt.Sprintf("%d out of range: the matrix has %d locations", i, n))
		case matrix && !indexed && !coords[[2]float64{l.Lat, l.Lng}]:
			v.add(path, "no location_index, and the coordinates are not in travel.locations")
		}
	}
	for i := range p.Technicians {
		tech := &p.Technicians[i]
		check(tech.Start, fmt.Sprintf("technicians[%d].start", i))
		if tech.End != nil {
			check(*tech.End, fmt.Sprintf("technicians[%d].end", i))
		}
	}
	for i := range p.WorkOrders {
		check(p.WorkOrders[i].Location, fmt.Sprintf("work_orders[%d].location", i))
	}
}

func checkMatrix(v *checker, t *Travel) {
	n := t.Size()
	if len(t.Durations) == 0 {
		v.add("travel.durations_s", "missing: the matrix model needs it")
		return
	}
	for i, l := range t.Locations {
		if l.HasCoordinates() {
			l.check(v, fmt.Sprintf("travel.locations[%d]", i))
		}
	}
	for _, m := range []struct {
		field string
		rows  [][]float64
	}{{"durations_s", t.Durations}, {"distances_m", t.Distances}} {
		if m.rows == nil {
			continue
		}
		path := "travel." + m.field
		if len(m.rows) != n {
			v.add(path, fmt.Sprintf("%d rows for %d locations", len(m.rows), n))
		}
		for i, row := range m.rows {
			if len(row) != n {
				v.add(fmt.Sprintf("%s[%d]", path, i), fmt.Sprintf("%d columns for %d locations", len(row), n))
			}
			for j, x := range row {
				if x < 0 || math.IsNaN(x) || math.IsInf(x, 0) {
					v.add(fmt.Sprintf("%s[%d][%d]", path, i, j), "must be a non-negative number")
				}
			}
		}
	}
}
