package api

import (
	"net/http"
	"strconv"

	"github.com/dispatchd/dispatchd/dispatch"
	"github.com/dispatchd/dispatchd/model"
	"github.com/go-chi/chi/v5"
)

func (s *Server) postPlan(w http.ResponseWriter, r *http.Request) {
	var req dispatch.PlanRequest
	if !s.decodeBody(w, r, &req) {
		return
	}
	wait := false
	if v := r.URL.Query().Get("wait"); v != "" {
		var err error
		if wait, err = strconv.ParseBool(v); err != nil {
			s.fail(w, r, &model.ValidationError{Errors: []model.FieldError{{Field: "wait", Message: "want true or false"}}})
			return
		}
	}
	run, err := s.svc.StartPlan(r.Context(), &req, actor(r))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	rec := run.Record()
	w.Header().Set("Location", "/v1/plans/"+rec.ID)
	if !wait {
		s.writeJSON(w, r, http.StatusAccepted, rec)
		return
	}
	select {
	case <-run.Done():
		s.extendWrite(w)
		s.writeJSON(w, r, http.StatusOK, run.Record())
	case <-r.Context().Done():
		run.Cancel() // nobody is waiting for it any more; observe counts 499
		s.log.InfoContext(r.Context(), "client left a plan it waited for; cancelled", "plan", rec.ID)
	}
}

func (s *Server) getPlan(w http.ResponseWriter, r *http.Request) {
	rec, err := s.svc.Plan(r.Context(), chi.URLParam(r, "id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.writeJSON(w, r, http.StatusOK, rec)
}

func (s *Server) deletePlan(w http.ResponseWriter, r *http.Request) {
	rec, err := s.svc.CancelPlan(r.Context(), chi.URLParam(r, "id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.writeJSON(w, r, http.StatusAccepted, rec)
}
