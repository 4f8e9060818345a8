package api

import (
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/dispatchd/dispatchd/geo"
	"github.com/go-chi/chi/v5"
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
	fc, err := geo.PlanFeatures(rec.Plan)
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
