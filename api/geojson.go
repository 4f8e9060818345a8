package api

import (
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/dispatchd/dispatchd/geo"
	"github.com/dispatchd/dispatchd/model"
	"github.com/go-chi/chi/v5"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
)

func (s *Server) planGeoJSON(w http.ResponseWriter, r *http.Request) {
	rec, err := s.svc.Plan(r.Context(), chi.URLParam(r, "id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if rec.Plan == nil {
		writeProblem(w, r, http.StatusConflict, "no plan yet", fmt.Sprintf("plan %s is %s and has no routes to draw", rec.ID, rec.Status))
		return
	}
	fc, err := planFeatures(rec.Plan)
	if err != nil {
		writeProblem(w, r, http.StatusConflict, "no coordinates", err.Error())
		return
	}
	data, err := json.Marshal(fc)
	if err != nil {
		s.fail(w, r, fmt.Errorf("api: encoding the routes of plan %s: %w", rec.ID, err))
		return
	}
	w.Header().Set("Content-Type", "application/geo+json")
	_, _ = w.Write(data)
}

// planFeatures draws a plan: a line per route from its start through its
// stops to its end, and a point per job stop.
func planFeatures(p *model.Plan) (*geojson.FeatureCollection, error) {
	fc := geojson.NewFeatureCollection()
	point := func(l *model.Location, what string) (orb.Point, error) {
		if l == nil || !l.HasCoordinates() {
			return orb.Point{}, fmt.Errorf("%s has no coordinates: a plan on a travel matrix cannot be drawn", what)
		}
		return geo.Point(*l), nil
	}
	for _, rt := range p.Routes {
		var line orb.LineString
		if rt.StartLocation != nil {
			pt, err := point(rt.StartLocation, rt.TechnicianID+"'s start")
			if err != nil {
				return nil, err
			}
			line = append(line, pt)
		}
		seq := 0
		for _, st := range rt.Stops {
			if st.IsBreak() {
				continue
			}
			seq++
			pt, err := point(st.Location, st.WorkOrderID)
			if err != nil {
				return nil, err
			}
			line = append(line, pt)
			f := geojson.NewFeature(pt)
			f.Properties = geojson.Properties{
				"kind": "stop", "work_order_id": st.WorkOrderID, "technician_id": rt.TechnicianID, "sequence": seq,
				"arrival": st.Arrival, "start": st.Start, "end": st.End, "travel_s": st.Travel, "distance_m": st.Distance,
			}
			fc.Append(f)
		}
		if rt.EndLocation != nil {
			pt, err := point(rt.EndLocation, rt.TechnicianID+"'s end")
			if err != nil {
				return nil, err
			}
			line = append(line, pt)
		}
		f := geojson.NewFeature(line)
		f.Properties = geojson.Properties{
			"kind": "route", "technician_id": rt.TechnicianID, "stops": seq,
			"start": rt.Start, "end": rt.End, "travel_s": rt.Travel, "distance_m": rt.Distance,
		}
		fc.Append(f)
	}
	return fc, nil
}
