// Package geo says where things are and how long it takes to get there.
//
// It is the one place where coordinates change order: model.Location and
// h3.LatLng are (latitude, longitude), orb.Point is (longitude, latitude).
// Point, LocationOf, ToLatLng and FromLatLng convert between them; nothing
// else in dispatchd builds an orb.Point or an h3.LatLng by hand.
//
// Travel answers the duration and distance of a leg between two locations,
// either estimated from coordinates (Haversine: great-circle distance × a
// detour factor at a constant speed) or looked up in a matrix the caller
// gives (Matrix, like a routing engine's table). Cell, Rings and
// RingsCovering place locations in H3 cells and walk outward ring by ring,
// so that the stores' per-cell sets and the solver's pruned search find
// what is near without scanning everything.
//
// RouteLines is the one rule by which a plan becomes geometry (start,
// job stops, end; breaks are no place), and PlanFeatures its GeoJSON: the
// API's /v1/plans/{id}/geojson and the report's maps both draw from it.
package geo
