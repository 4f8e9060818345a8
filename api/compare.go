package api

import (
	"net/http"
	"strconv"

	"github.com/dispatchd/dispatchd/dispatch"
	"github.com/dispatchd/dispatchd/model"
	"github.com/go-chi/chi/v5"
)

// A compare runs as a plan does: POST answers 202 with the record at
// once, or with ?wait=true 200 when it ends; GET reads it from any
// replica; DELETE cancels it, keeping what its plans found. POST
// /v1/weights/compare, the simple form of API.md, always waits.

func (s *Server) postCompare(w http.ResponseWriter, r *http.Request) {
	var req dispatch.CompareRequest
	if !s.decodeBody(w, r, &req) {
		return
	}
	wait, ok := s.waitParam(w, r)
	if !ok {
		return
	}
	s.startCompare(w, r, &req, wait)
}

func (s *Server) postWeightsCompare(w http.ResponseWriter, r *http.Request) {
	var req dispatch.WeightsCompareRequest
	if !s.decodeBody(w, r, &req) {
		return
	}
	run, err := s.svc.StartWeightsCompare(r.Context(), &req, actor(r))
	s.answerCompare(w, r, run, err, true)
}

// waitParam reads ?wait, refusing anything but a boolean.
func (s *Server) waitParam(w http.ResponseWriter, r *http.Request) (bool, bool) {
	v := r.URL.Query().Get("wait")
	if v == "" {
		return false, true
	}
	wait, err := strconv.ParseBool(v)
	if err != nil {
		s.fail(w, r, &model.ValidationError{Errors: []model.FieldError{{Field: "wait", Message: "want true or false"}}})
		return false, false
	}
	return wait, true
}

func (s *Server) startCompare(w http.ResponseWriter, r *http.Request, req *dispatch.CompareRequest, wait bool) {
	run, err := s.svc.StartCompare(r.Context(), req, actor(r))
	s.answerCompare(w, r, run, err, wait)
}

// answerCompare answers the start of a compare: its record at once, or
// when it ends.
func (s *Server) answerCompare(w http.ResponseWriter, r *http.Request, run *dispatch.CompareRun, err error, wait bool) {
	if err != nil {
		s.fail(w, r, err)
		return
	}
	rec := run.Record()
	w.Header().Set("Location", "/v1/policies/compare/"+rec.ID)
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
		s.log.InfoContext(r.Context(), "client left a compare it waited for; cancelled", "compare", rec.ID)
	}
}

func (s *Server) getCompare(w http.ResponseWriter, r *http.Request) {
	rec, err := s.svc.Comparison(r.Context(), chi.URLParam(r, "id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.writeJSON(w, r, http.StatusOK, rec)
}

func (s *Server) deleteCompare(w http.ResponseWriter, r *http.Request) {
	rec, err := s.svc.CancelCompare(r.Context(), chi.URLParam(r, "id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.writeJSON(w, r, http.StatusAccepted, rec)
}
