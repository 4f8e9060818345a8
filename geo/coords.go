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
	const rad = math.Pi / 180
	lat1, lat2 := a.Lat()*rad, b.Lat()*rad
	dLat, dLng := lat2-lat1, (b.Lon()-a.Lon())*rad
	s1, s2 := math.Sin(dLat/2), math.Sin(dLng/2)
	h := s1*s1 + math.Cos(lat1)*math.Cos(lat2)*s2*s2
	return 2 * EarthRadiusMeters * math.Asin(math.Sqrt(min(h, 1)))
}
