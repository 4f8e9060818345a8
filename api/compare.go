package api

import (
	"net/http"

	"github.com/dispatchd/dispatchd/dispatch"
)

// A compare runs as a plan does (plans.go: answerRun, answerByID). POST
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

func (s *Server) startCompare(w http.ResponseWriter, r *http.Request, req *dispatch.CompareRequest, wait bool) {
	run, err := s.svc.StartCompare(r.Context(), req, actor(r))
	s.answerCompare(w, r, run, err, wait)
}

// answerCompare answers the start of a compare as a plan's is answered.
func (s *Server) answerCompare(w http.ResponseWriter, r *http.Request, run *dispatch.CompareRun, err error, wait bool) {
	if err != nil {
		s.fail(w, r, err)
		return
	}
	id := run.Record().ID
	answerRun(s, w, r, run, "compare", id, "/v1/policies/compare/"+id, wait)
}

func (s *Server) getCompare(w http.ResponseWriter, r *http.Request) {
	answerByID(s, w, r, http.StatusOK, s.svc.Comparison)
}

func (s *Server) deleteCompare(w http.ResponseWriter, r *http.Request) {
	answerByID(s, w, r, http.StatusAccepted, s.svc.CancelCompare)
}
