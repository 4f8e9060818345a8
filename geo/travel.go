package geo

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/dispatchd/dispatchd/model"
)

// Leg is the travel between two locations.
type Leg struct {
	Duration time.Duration
	Meters   float64
}

// Travel answers how long and how far it is from one location to another.
// Implementations are safe for concurrent use.
type Travel interface {
	// Leg returns the travel from one location to another. It returns an
	// error wrapping ErrUnknownLocation if the model cannot place either.
	Leg(from, to model.Location) (Leg, error)
}

// ErrUnknownLocation is returned (wrapped) when a travel model cannot place
// a location: no coordinates for Haversine, no row for Matrix.
var ErrUnknownLocation = errors.New("geo: unknown location")

// Defaults of the haversine travel model: city driving averages about
// 35 km/h door to door, and roads run about 1.3 times the great circle.
const (
	DefaultSpeedKmh = 35
	DefaultDetour   = 1.3
)

// Haversine estimates travel from coordinates: the great-circle distance
// times Detour, driven at SpeedKmh. Durations are rounded to whole seconds.
// Zero fields take DefaultSpeedKmh and DefaultDetour.
type Haversine struct {
	SpeedKmh float64
	Detour   float64
}

// Leg returns the estimated travel between two locations with coordinates.
func (h Haversine) Leg(from, to model.Location) (Leg, error) {
	if !from.HasCoordinates() || !to.HasCoordinates() {
		return Leg{}, fmt.Errorf("haversine travel from %v to %v: %w: no coordinates", from, to, ErrUnknownLocation)
	}
	m := GreatCircleMeters(Point(from), Point(to)) * h.detour()
	return Leg{Duration: h.duration(m), Meters: m}, nil
}

// LegPrepared returns the same leg as Leg, between prepared locations.
func (h Haversine) LegPrepared(from, to Prepared) Leg {
	m := from.MetersTo(to) * h.detour()
	return Leg{Duration: h.duration(m), Meters: m}
}

// Seconds returns the travel time, in seconds and unrounded, over a
// great-circle distance: a lower bound for callers that reason about
// distance without places.
func (h Haversine) Seconds(greatCircleMeters float64) float64 {
	return greatCircleMeters * h.detour() / h.Speed()
}

// Speed returns the speed in metres per second.
func (h Haversine) Speed() float64 {
	if h.SpeedKmh > 0 {
		return h.SpeedKmh / 3.6
	}
	return DefaultSpeedKmh / 3.6
}

func (h Haversine) detour() float64 {
	if h.Detour > 0 {
		return h.Detour
	}
	return DefaultDetour
}

func (h Haversine) duration(meters float64) time.Duration {
	return time.Duration(math.Round(meters/h.Speed())) * time.Second
}

// Matrix looks travel up in a table the caller gives, as a routing engine's
// duration and distance matrices: a location is found by its matrix index,
// or, lacking one, by coordinates equal to one of the matrix's locations.
type Matrix struct {
	durations [][]float64
	distances [][]float64
	byCoords  map[[2]float64]int
}

// NewMatrix builds a matrix travel model from a validated travel spec.
func NewMatrix(spec *model.Travel) (*Matrix, error) {
	if !spec.IsMatrix() || len(spec.Durations) == 0 {
		return nil, errors.New("geo: building a matrix: travel.durations_s is missing")
	}
	n := spec.Size()
	for _, rows := range [][][]float64{spec.Durations, spec.Distances} {
		if rows == nil {
			continue
		}
		if len(rows) != n {
			return nil, fmt.Errorf("geo: building a matrix: %d rows for %d locations", len(rows), n)
		}
		for i, r := range rows {
			if len(r) != n {
				return nil, fmt.Errorf("geo: building a matrix: row %d has %d columns for %d locations", i, len(r), n)
			}
		}
	}
	m := &Matrix{durations: spec.Durations, distances: spec.Distances, byCoords: map[[2]float64]int{}}
	for i, l := range spec.Locations {
		if !l.HasCoordinates() {
			continue
		}
		if _, dup := m.byCoords[[2]float64{l.Lat, l.Lng}]; !dup {
			m.byCoords[[2]float64{l.Lat, l.Lng}] = i
		}
	}
	return m, nil
}

// Size returns the number of locations in the matrix.
func (m *Matrix) Size() int { return len(m.durations) }

// Index returns the matrix row of a location.
func (m *Matrix) Index(l model.Location) (int, error) {
	if i, ok := l.MatrixIndex(); ok {
		if i < 0 || i >= len(m.durations) {
			return 0, fmt.Errorf("%w: location_index %d out of range [0, %d)", ErrUnknownLocation, i, len(m.durations))
		}
		return i, nil
	}
	if i, ok := m.byCoords[[2]float64{l.Lat, l.Lng}]; ok && l.HasCoordinates() {
		return i, nil
	}
	return 0, fmt.Errorf("%w: %v has no location_index and is not among the matrix's locations", ErrUnknownLocation, l)
}

// Leg returns the matrix entry from one location to another. Distances are
// zero when the caller gave no distance matrix.
func (m *Matrix) Leg(from, to model.Location) (Leg, error) {
	i, err := m.Index(from)
	if err != nil {
		return Leg{}, fmt.Errorf("matrix travel from %v: %w", from, err)
	}
	j, err := m.Index(to)
	if err != nil {
		return Leg{}, fmt.Errorf("matrix travel to %v: %w", to, err)
	}
	return m.LegByIndex(i, j), nil
}

// LegByIndex returns the entry between two matrix rows, which must be in
// range.
func (m *Matrix) LegByIndex(i, j int) Leg {
	leg := Leg{Duration: time.Duration(math.Round(m.durations[i][j] * float64(time.Second)))}
	if m.distances != nil {
		leg.Meters = m.distances[i][j]
	}
	return leg
}

// New returns the travel model a problem's travel spec asks for: a Matrix if
// it gives durations, else Haversine with its speed and detour (nil means
// Haversine with the defaults).
func New(spec *model.Travel) (Travel, error) {
	if spec.IsMatrix() {
		return NewMatrix(spec)
	}
	if spec == nil {
		return Haversine{}, nil
	}
	return Haversine{SpeedKmh: spec.SpeedKmh, Detour: spec.Detour}, nil
}
