package model

import (
	"encoding/json"
	"fmt"
)

// Location is a place: WGS84 coordinates, an index into the caller's
// explicit travel matrix, or both. Coordinates are (latitude, longitude) in
// degrees; note that orb points are (longitude, latitude) — package geo is
// the one place that converts.
//
// A location that carries a matrix index and coordinates of exactly (0, 0)
// is taken to have no coordinates: that spot in the Gulf of Guinea is where
// decoders leave omitted fields, not where technicians work.
type Location struct {
	Lat   float64 `json:"lat"`
	Lng   float64 `json:"lng"`
	Index *int    `json:"location_index,omitempty"`
}

// LatLng returns a location at the given latitude and longitude (degrees).
func LatLng(lat, lng float64) Location { return Location{Lat: lat, Lng: lng} }

// MatrixLocation returns a location known only by its row in a travel matrix.
func MatrixLocation(index int) Location { return Location{Index: &index} }

// HasCoordinates reports whether the location carries latitude and longitude.
func (l Location) HasCoordinates() bool {
	return l.Index == nil || l.Lat != 0 || l.Lng != 0
}

// IsZero reports whether the location says nothing at all.
func (l Location) IsZero() bool { return l.Index == nil && l.Lat == 0 && l.Lng == 0 }

// MatrixIndex returns the location's row in the travel matrix, if it has one.
func (l Location) MatrixIndex() (int, bool) {
	if l.Index == nil {
		return 0, false
	}
	return *l.Index, true
}

// String formats the location as "lat,lng", "#index" or both.
func (l Location) String() string {
	switch {
	case l.Index != nil && !l.HasCoordinates():
		return fmt.Sprintf("#%d", *l.Index)
	case l.Index != nil:
		return fmt.Sprintf("%.6f,%.6f#%d", l.Lat, l.Lng, *l.Index)
	}
	return fmt.Sprintf("%.6f,%.6f", l.Lat, l.Lng)
}

// MarshalJSON omits the coordinates of a location known only by its matrix
// index, so that such a location encodes as {"location_index":3}.
func (l Location) MarshalJSON() ([]byte, error) {
	if !l.HasCoordinates() {
		return json.Marshal(struct {
			Index int `json:"location_index"`
		}{*l.Index})
	}
	type plain Location
	return json.Marshal(plain(l))
}

// check reports a missing location, a negative index and coordinates out
// of range.
func (l Location) check(v *checker) {
	if l.IsZero() {
		v.add("", "missing: give lat and lng, or location_index")
		return
	}
	if l.Index != nil && *l.Index < 0 {
		v.add("location_index", "negative")
	}
	if l.HasCoordinates() {
		checkCoordinates(v, l.Lat, l.Lng)
	}
}
