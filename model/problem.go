package model

import (
	"fmt"
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
		v.enterIndex("technicians", i)
		t.check(&v)
		index(&v, techIndex, t.ID, "technicians", i)
		v.leave()
	}
	orderIndex := make(map[string]int, len(p.WorkOrders))
	for i := range p.WorkOrders {
		w := &p.WorkOrders[i]
		v.enterIndex("work_orders", i)
		w.check(&v)
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
					if IDProblem(id) == "" {
						v.add(fmt.Sprintf("%s[%d]", ref.field, j), "unknown technician "+Quote(id))
					}
				}
			}
		}
		index(&v, orderIndex, w.ID, "work_orders", i)
		v.leave()
	}
	if p.Weights != nil {
		v.enter("weights")
		p.Weights.check(&v)
		v.leave()
	}
	p.checkTravel(&v)
	return v.err()
}

// index records that element i of list has id, or reports the id as a
// duplicate of the element that had it first. A missing id is the
// element's own check's to report.
func index(v *checker, seen map[string]int, id, list string, i int) {
	switch j, dup := seen[id]; {
	case id == "":
	case dup:
		v.add("id", fmt.Sprintf("duplicate id %s (also %s[%d])", Quote(id), list, j))
	default:
		seen[id] = i
	}
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
			v.add("travel.model", fmt.Sprintf("unknown model %s: want haversine or matrix", Quote(t.Model)))
		}
		if t.Model == TravelHaversine && len(t.Durations) > 0 {
			v.add("travel.model", "haversine, but durations_s is given")
		}
		// Zero takes geo's default.
		if t.SpeedKmh != 0 && !(t.SpeedKmh >= MinSpeedKmh && t.SpeedKmh <= MaxSpeedKmh) {
			v.add("travel.speed_kmh", fmt.Sprintf("must be positive: from %d to %d km/h", MinSpeedKmh, MaxSpeedKmh))
		}
		switch {
		case t.Detour != 0 && t.Detour < 1:
			v.add("travel.detour", "below 1: roads are never shorter than the great circle")
		case t.Detour != 0:
			checkRange(v, "travel.detour", t.Detour, 1, MaxDetour)
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
	// check reports a location the travel model cannot place, as field
	// name of the checker's current place.
	check := func(l Location, name string) {
		if l.IsZero() {
			return // reported as missing by the owner's own check
		}
		i, indexed := l.MatrixIndex()
		switch {
		case !matrix && indexed:
			v.add(name+".location_index", "given, but travel has no matrix (durations_s)")
		case !matrix && !l.HasCoordinates():
			v.add(name, "no coordinates, and travel has no matrix")
		case matrix && indexed && i >= n:
			v.add(name+".location_index", fmt.Sprintf("%d out of range: the matrix has %d locations", i, n))
		case matrix && !indexed && !coords[[2]float64{l.Lat, l.Lng}]:
			v.add(name, "no location_index, and the coordinates are not in travel.locations")
		}
	}
	for i := range p.Technicians {
		tech := &p.Technicians[i]
		v.enterIndex("technicians", i)
		check(tech.Start, "start")
		if tech.End != nil {
			check(*tech.End, "end")
		}
		v.leave()
	}
	for i := range p.WorkOrders {
		v.enterIndex("work_orders", i)
		check(p.WorkOrders[i].Location, "location")
		v.leave()
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
			v.enter("travel")
			v.enterIndex("locations", i)
			l.check(v)
			v.leave()
			v.leave()
		}
	}
	for _, m := range []struct {
		field string
		rows  [][]float64
		most  float64
	}{{"durations_s", t.Durations, float64(MaxDuration)}, {"distances_m", t.Distances, MaxDistance}} {
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
				if !(x >= 0 && x <= m.most) {
					v.add(fmt.Sprintf("%s[%d][%d]", path, i, j), fmt.Sprintf("must be a non-negative number up to %v", m.most))
				}
			}
		}
	}
}
