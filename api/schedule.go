package api

import (
	"net/http"

	"github.com/dispatchd/dispatchd/model"
	"github.com/go-chi/chi/v5"
)

func (s *Server) schedule(w http.ResponseWriter, r *http.Request) {
	var day model.Date
	if d := r.URL.Query().Get("date"); d != "" {
		var err error
		if day, err = model.ParseDate(d); err != nil {
			s.fail(w, r, &model.ValidationError{Errors: []model.FieldError{{Field: "date", Message: "want YYYY-MM-DD"}}})
			return
		}
	}
	sched, err := s.svc.TechnicianSchedule(r.Context(), chi.URLParam(r, "id"), day, actor(r))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.writeJSON(w, r, http.StatusOK, sched)
}
