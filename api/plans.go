package api

import (
	"context"
	"net/http"
	"strconv"

	"github.com/dispatchd/dispatchd/dispatch"
	"github.com/dispatchd/dispatchd/model"
	"github.com/go-chi/chi/v5"
)

// A plan and a compare both run in the background, and their routes
// answer alike: POST answers 202 with the record at once, or with
// ?wait=true 200 when it ends; GET reads the record from any replica;
// DELETE cancels the run, keeping what it found.

// backgroundRun is a plan or a compare running in this process, as its
// POST answers it.
type backgroundRun[R any] interface {
	Done() <-chan struct{}
	Cancel()
	Record() R
}

// answerRun answers the start of a background run: its record at once
// (202), or when it ends (200) if the caller waits. A caller that leaves
// while waiting cancels the run: nobody is waiting for it any more.
func answerRun[R any](s *Server, w http.ResponseWriter, r *http.Request, run backgroundRun[R], what, id, location string, wait bool) {
	w.Header().Set("Location", location)
	if !wait {
		s.writeJSON(w, r, http.StatusAccepted, run.Record())
		return
	}
	select {
	case <-run.Done():
		s.extendWrite(w)
		s.writeJSON(w, r, http.StatusOK, run.Record())
	case <-r.Context().Done():
		run.Cancel() // observe counts 499
		s.log.InfoContext(r.Context(), "client left a "+what+" it waited for; cancelled", what, id)
	}
}

// answerByID answers a GET or DELETE of a background run by its id: the
// record the service gives, with the status.
func answerByID[R any](s *Server, w http.ResponseWriter, r *http.Request, status int, of func(context.Context, string) (R, error)) {
	rec, err := of(r.Context(), chi.URLParam(r, "id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.writeJSON(w, r, status, rec)
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

func (s *Server) postPlan(w http.ResponseWriter, r *http.Request) {
	var req dispatch.PlanRequest
	if !s.decodeBody(w, r, &req) {
		return
	}
	wait, ok := s.waitParam(w, r)
	if !ok {
		return
	}
	run, err := s.svc.StartPlan(r.Context(), &req, actor(r))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	id := run.Record().ID
	answerRun(s, w, r, run, "plan", id, "/v1/plans/"+id, wait)
}

func (s *Server) getPlan(w http.ResponseWriter, r *http.Request) {
	answerByID(s, w, r, http.StatusOK, s.svc.Plan)
}

func (s *Server) deletePlan(w http.ResponseWriter, r *http.Request) {
	answerByID(s, w, r, http.StatusAccepted, s.svc.CancelPlan)
}
