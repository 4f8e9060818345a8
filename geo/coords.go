package geo

import (
	"math"

	"github.com/dispatchd/dispatchd/model"
	"github.com/paulmach/orb"
	"github.com/uber/h3-go/v4"
)

// EarthRadiusMeters is the mean radius of the Earth (IUGG), the radius for
// which great-circle distances err least on average.
const EarthRadiusMeters = 6371008.8

// Point converts a location to an orb.Point, which is (longitude, latitude).
func Point(l model.Location) orb.Point { return orb.Point{l.Lng, l.Lat} }

// LocationOf converts an orb.Point (longitude, latitude) to a location.
func LocationOf(p orb.Point) model.Location { return model.LatLng(p.Lat(), p.Lon()) }

// ToLatLng converts a location to an h3.LatLng (latitude, longitude).
func ToLatLng(l model.Location) h3.LatLng { return h3.NewLatLng(l.Lat, l.Lng) }

// FromLatLng converts an h3.LatLng (latitude, longitude) to a location.
func FromLatLng(ll h3.LatLng) model.Location { return model.LatLng(ll.Lat, ll.Lng) }

// GreatCircleMeters returns the great-circle (haversine) distance between two
// points (longitude, latitude) on a sphere of EarthRadiusMeters.
func GreatCircleMeters(a, b orb.Point) float64 {
	return Prepare(LocationOf(a)).MetersTo(Prepare(LocationOf(b)))
}

// Prepared is a location with the trigonometry of the haversine formula
// done once, for code that measures from one place to many. Its distances
// equal GreatCircleMeters' to the last bit.
type Prepared struct {
	lat, lng float64 // radians
	cosLat   float64
}

// Prepare readies a location (latitude, longitude in degrees) for
// MetersTo.
func Prepare(l model.Location) Prepared {
	const rad = math.Pi / 180
	lat := l.Lat * rad
	return Prepared{lat: lat, lng: l.Lng * rad, cosLat: math.Cos(lat)}
}

// MetersTo returns the great-circle distance from a to b.
func (a Prepared) MetersTo(b Prepared) float64 {
	s1, s2 := math.Sin((b.lat-a.lat)/2), math.Sin((b.lng-a.lng)/2)
	h := s1*s1 + a.cosLat*b.cosLat*s2*s2
	return 2 * EarthRadiusMeters * math.Asin(math.Sqrt(min(h, 1)))
}
