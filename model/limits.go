package model

import (
	"fmt"
	"math"
)

// Limits bound how many things one document may hold: a request or a file
// with more is refused before it is decoded, so that a small body cannot
// become a large heap (a 3.9 MB body of a million `{}` work orders decodes
// to half a gigabyte). The zero value of a field means its default
// (DefaultLimits); the service takes them from flags.
type Limits struct {
	// Technicians, WorkOrders, Positions and Routes bound the lists of a
	// problem or a suggestion's day.
	Technicians int
	WorkOrders  int
	Positions   int
	Routes      int
	// StopsPerRoute bounds one route's stops, Stops all routes' together.
	StopsPerRoute int
	Stops         int
	// TimeWindows bounds one order's windows, Breaks one technician's
	// breaks.
	TimeWindows int
	Breaks      int
	// Skills bounds the skills of one technician or order.
	Skills int
	// Names bounds every other list of names or ids: certifications,
	// tools, required certifications and tools, preferred, excluded and
	// dispatched technicians.
	Names int
	// Dimensions bounds a capacity or a demand.
	Dimensions int
	// Locations bounds a travel matrix: its locations, rows and columns.
	Locations int
}

// DefaultLimits are the limits of a service or a command that names none:
// well above a real dispatch day (a metro's thousands of orders and
// technicians) and far below what would strain memory.
func DefaultLimits() Limits {
	return Limits{
		Technicians:   10_000,
		WorkOrders:    10_000,
		Positions:     100_000,
		Routes:        10_000,
		StopsPerRoute: 500,
		Stops:         20_000,
		TimeWindows:   8,
		Breaks:        8,
		Skills:        64,
		Names:         64,
		Dimensions:    16,
		Locations:     20_000,
	}
}

// WithDefaults returns l with every zero or negative field set to its
// default.
func (l Limits) WithDefaults() Limits {
	d := DefaultLimits()
	for _, f := range []struct{ v, def *int }{
		{&l.Technicians, &d.Technicians}, {&l.WorkOrders, &d.WorkOrders}, {&l.Positions, &d.Positions},
		{&l.Routes, &d.Routes}, {&l.StopsPerRoute, &d.StopsPerRoute}, {&l.Stops, &d.Stops},
		{&l.TimeWindows, &d.TimeWindows}, {&l.Breaks, &d.Breaks}, {&l.Skills, &d.Skills},
		{&l.Names, &d.Names}, {&l.Dimensions, &d.Dimensions}, {&l.Locations, &d.Locations},
	} {
		if *f.v <= 0 {
			*f.v = *f.def
		}
	}
	return l
}

// ListBound is what Limits allow one list of a document to hold, found by
// the name of the field that holds it.
type ListBound struct {
	// What the elements are, for an error ("work orders").
	What string
	// Max bounds the elements of one list; Total those of every list of
	// this name in the document together, 0 meaning Max.
	Max, Total int
}

// Bound returns the bound of the lists held by fields of the given name,
// and of the members of the skills objects; the rows of a matrix are
// named with "[]" after the matrix's name ("durations_s[]"). Every list
// has a bound: a name the domain does not know (which decoding refuses
// anyway) gets the largest.
func (l Limits) Bound(name string) ListBound {
	l = l.WithDefaults()
	switch name {
	case "technicians":
		return ListBound{What: "technicians", Max: l.Technicians}
	case "work_orders":
		return ListBound{What: "work orders", Max: l.WorkOrders}
	case "positions":
		return ListBound{What: "positions", Max: l.Positions}
	case "routes":
		return ListBound{What: "routes", Max: l.Routes}
	case "stops":
		return ListBound{What: "stops", Max: l.StopsPerRoute, Total: l.Stops}
	case "time_windows":
		return ListBound{What: "time windows", Max: l.TimeWindows}
	case "breaks":
		return ListBound{What: "breaks", Max: l.Breaks}
	case "skills", "required_skills":
		return ListBound{What: "skills", Max: l.Skills}
	case "certifications", "tools", "required_certifications", "required_tools",
		"preferred_technicians", "excluded_technicians", "technician_ids":
		return ListBound{What: "names", Max: l.Names}
	case "demand", "capacity":
		return ListBound{What: "dimensions", Max: l.Dimensions}
	case "locations", "durations_s", "distances_m", "durations_s[]", "distances_m[]":
		return ListBound{What: "locations", Max: l.Locations}
	}
	return ListBound{What: "elements", Max: max(l.Technicians, l.WorkOrders, l.Positions, l.Stops, l.Locations)}
}

// The ranges of the domain's numbers. Each is far beyond any real value
// and small enough that sums over a whole day stay finite and exact
// enough: a number outside its range is a mistake (or an attack), and
// taking it would poison every score it enters.
const (
	// MaxWeight bounds each weight of a policy: 10,000 orders × the
	// largest unassigned cost (MaxWeight × (1 + 3 × MaxWeight)) is about
	// 3e16, far from overflow.
	MaxWeight = 1e6
	// MaxDuration bounds every duration of the domain (a job, a break,
	// overtime, a matrix entry): a week, in seconds.
	MaxDuration Seconds = 7 * 24 * 60 * 60
	// MinSpeedKmh and MaxSpeedKmh bound the haversine model's speed: a
	// walk to a motorway.
	MinSpeedKmh = 1
	MaxSpeedKmh = 200
	// MaxDetour bounds the ratio of road to great-circle distance.
	MaxDetour = 5
	// MaxDistance bounds a matrix distance, metres: twice round the earth.
	MaxDistance = 8e7
	// MaxAmount bounds a capacity or demand dimension.
	MaxAmount = 1e9
	// MaxCostPerHour bounds a technician's cost per hour.
	MaxCostPerHour = 1e6
	// MaxCrew bounds the technicians one order needs, and MaxJobs a
	// technician's max_jobs.
	MaxCrew = 100
	MaxJobs = 1000
	// MaxNearRadius bounds a "near here" search, metres: about ten
	// thousand H3 cells of the live index.
	MaxNearRadius = 100_000
)

// checkSeconds reports a duration outside [0, MaxDuration].
func checkSeconds(v *checker, field string, s Seconds) {
	switch {
	case s < 0:
		v.add(field, "negative")
	case s > MaxDuration:
		v.add(field, fmt.Sprintf("%d s is more than a week (%d s)", s, MaxDuration))
	}
}

// checkRange reports a number that is not finite or is outside [lo, hi].
func checkRange(v *checker, field string, x, lo, hi float64) {
	switch {
	case math.IsNaN(x) || math.IsInf(x, 0):
		v.add(field, "not a finite number")
	case x < lo && lo == 0:
		v.add(field, "negative")
	case x < lo || x > hi:
		v.add(field, fmt.Sprintf("%v out of range [%v, %v]", x, lo, hi))
	}
}

// NearRadiusProblem says what is wrong with the radius of a "near here"
// search, in metres, or returns "".
func NearRadiusProblem(radius float64) string {
	if !(radius > 0) || radius > MaxNearRadius {
		return fmt.Sprintf("want a positive number of metres, at most %d", MaxNearRadius)
	}
	return ""
}
