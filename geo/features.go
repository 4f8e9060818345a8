package geo

import (
	"fmt"

	"github.com/dispatchd/dispatchd/model"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
)

// RouteLine is one technician's route as drawn: from Start (when the
// plan says where the day begins) through the job stops, in order, to End
// (when it says where it ends). Breaks are not places and are left out.
// It is the one rule by which a plan becomes geometry, so that the API's
// GeoJSON and the report's maps draw the same lines.
type RouteLine struct {
	Route      *model.Route
	Start, End *orb.Point
	Stops      []StopPoint
}

// StopPoint is a job stop of a route line and where it is.
type StopPoint struct {
	Stop *model.Stop
	// Sequence counts the route's job stops from 1, breaks not counted.
	Sequence int
	orb.Point
}

// Line is the route line's points: start, stops, end.
func (r RouteLine) Line() orb.LineString {
	var line orb.LineString
	if r.Start != nil {
		line = append(line, *r.Start)
	}
	for _, s := range r.Stops {
		line = append(line, s.Point)
	}
	if r.End != nil {
		line = append(line, *r.End)
	}
	return line
}

// RouteLines returns a plan's routes as lines. It fails for a plan
// without coordinates (one planned on a travel matrix), naming the first
// place it cannot draw.
func RouteLines(p *model.Plan) ([]RouteLine, error) {
	point := func(l *model.Location, what string) (*orb.Point, error) {
		if l == nil || !l.HasCoordinates() {
			return nil, fmt.Errorf("%s has no coordinates: a plan on a travel matrix cannot be drawn", what)
		}
		pt := Point(*l)
		return &pt, nil
	}
	out := make([]RouteLine, 0, len(p.Routes))
	for i := range p.Routes {
		rt := &p.Routes[i]
		r := RouteLine{Route: rt}
		var err error
		if rt.StartLocation != nil {
			if r.Start, err = point(rt.StartLocation, rt.TechnicianID+"'s start"); err != nil {
				return nil, err
			}
		}
		for j := range rt.Stops {
			st := &rt.Stops[j]
			if st.IsBreak() {
				continue
			}
			pt, err := point(st.Location, st.WorkOrderID)
			if err != nil {
				return nil, err
			}
			r.Stops = append(r.Stops, StopPoint{Stop: st, Sequence: len(r.Stops) + 1, Point: *pt})
		}
		if rt.EndLocation != nil {
			if r.End, err = point(rt.EndLocation, rt.TechnicianID+"'s end"); err != nil {
				return nil, err
			}
		}
		out = append(out, r)
	}
	return out, nil
}

// PlanFeatures draws a plan as GeoJSON: per route, a point per job stop
// (kind "stop", with its order, technician, sequence and times) and then
// a line from its start through its stops to its end (kind "route"). It
// fails as RouteLines does.
func PlanFeatures(p *model.Plan) (*geojson.FeatureCollection, error) {
	lines, err := RouteLines(p)
	if err != nil {
		return nil, err
	}
	fc := geojson.NewFeatureCollection()
	for _, r := range lines {
		rt := r.Route
		for _, s := range r.Stops {
			st := s.Stop
			f := geojson.NewFeature(s.Point)
			f.Properties = geojson.Properties{
				"kind": "stop", "work_order_id": st.WorkOrderID, "technician_id": rt.TechnicianID, "sequence": s.Sequence,
				"arrival": st.Arrival, "start": st.Start, "end": st.End, "travel_s": st.Travel, "distance_m": st.Distance,
			}
			fc.Append(f)
		}
		f := geojson.NewFeature(r.Line())
		f.Properties = geojson.Properties{
			"kind": "route", "technician_id": rt.TechnicianID, "stops": len(r.Stops),
			"start": rt.Start, "end": rt.End, "travel_s": rt.Travel, "distance_m": rt.Distance,
		}
		fc.Append(f)
	}
	return fc, nil
}
