package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/dispatchd/dispatchd/dispatch"
	"github.com/dispatchd/dispatchd/model"
	"github.com/dispatchd/dispatchd/solver"
	"github.com/go-chi/chi/v5"
)

// patchBody documents PATCH /v1/workorders/{id}: any of dispatch.Patchable
// as a JSON merge patch, plus why, and allow_duplicate to change an order
// into a likely duplicate anyway (as at intake).
type patchBody struct {
	model.WorkOrder
	Reason         string `json:"reason,omitempty"`
	AllowDuplicate bool   `json:"allow_duplicate,omitempty"`
}

// historyBody is the answer of GET /v1/workorders/{id}/history.
type historyBody struct {
	WorkOrderID string               `json:"work_order_id"`
	History     []model.HistoryEntry `json:"history"`
}

func (s *Server) createWorkOrder(w http.ResponseWriter, r *http.Request) {
	var in dispatch.Intake
	if !s.decodeBody(w, r, &in) {
		return
	}
	wo, err := s.svc.CreateWorkOrder(r.Context(), in, actor(r))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Location", "/v1/workorders/"+wo.ID)
	s.writeJSON(w, r, http.StatusCreated, wo)
}

func (s *Server) listWorkOrders(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var errs []model.FieldError
	f := dispatch.OrderFilter{TechnicianID: q.Get("technician_id"), SiteID: q.Get("site_id"), After: q.Get("cursor")}
	for _, st := range strings.Split(q.Get("status"), ",") {
		if st = strings.TrimSpace(st); st != "" {
			f.Statuses = append(f.Statuses, model.Status(st))
		}
	}
	for _, p := range []struct{ field, value string }{{"technician_id", f.TechnicianID}, {"site_id", f.SiteID}, {"cursor", f.After}} {
		if problem := model.IDProblem(p.value); p.value != "" && problem != "" {
			errs = append(errs, model.FieldError{Field: p.field, Message: problem})
		}
	}
	if d := q.Get("date"); d != "" {
		var err error
		if f.Date, err = model.ParseDate(d); err != nil {
			errs = append(errs, model.FieldError{Field: "date", Message: "want YYYY-MM-DD"})
		}
	}
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 {
			n = -1 // refused below, with the range
		}
		f.Limit = n
	}
	if len(errs) > 0 {
		s.fail(w, r, &model.ValidationError{Errors: errs})
		return
	}
	page, err := s.svc.WorkOrders(r.Context(), f, actor(r))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.writeJSON(w, r, http.StatusOK, page)
}

func (s *Server) getWorkOrder(w http.ResponseWriter, r *http.Request) {
	wo, err := s.svc.WorkOrder(r.Context(), chi.URLParam(r, "id"), actor(r))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.writeJSON(w, r, http.StatusOK, wo)
}

func (s *Server) patchWorkOrder(w http.ResponseWriter, r *http.Request) {
	var raw map[string]json.RawMessage
	if !s.decodeBody(w, r, &raw) {
		return
	}
	u := dispatch.Update{Patch: raw}
	var errs []model.FieldError
	if _, ok := raw["by"]; ok {
		errs = append(errs, model.FieldError{Field: "by", Message: byRefused})
	}
	if v, ok := raw["reason"]; ok {
		delete(raw, "reason")
		if err := json.Unmarshal(v, &u.Reason); err != nil {
			errs = append(errs, model.FieldError{Field: "reason", Message: "want a string"})
		}
	}
	if v, ok := raw["allow_duplicate"]; ok {
		delete(raw, "allow_duplicate")
		if err := json.Unmarshal(v, &u.AllowDuplicate); err != nil {
			errs = append(errs, model.FieldError{Field: "allow_duplicate", Message: "want true or false"})
		}
	}
	if len(errs) > 0 {
		s.fail(w, r, &model.ValidationError{Errors: errs})
		return
	}
	res, err := s.svc.UpdateWorkOrder(r.Context(), chi.URLParam(r, "id"), u, actor(r))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.writeJSON(w, r, http.StatusOK, res)
}

func (s *Server) dispatchWorkOrder(w http.ResponseWriter, r *http.Request) {
	var req dispatch.DispatchRequest
	if !s.decodeBody(w, r, &req) {
		return
	}
	wo, err := s.svc.Dispatch(r.Context(), chi.URLParam(r, "id"), req, actor(r))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.writeJSON(w, r, http.StatusOK, wo)
}

func (s *Server) reassignWorkOrder(w http.ResponseWriter, r *http.Request) {
	var req dispatch.ReassignRequest
	if !s.decodeBody(w, r, &req) {
		return
	}
	wo, err := s.svc.Reassign(r.Context(), chi.URLParam(r, "id"), req, actor(r))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.writeJSON(w, r, http.StatusOK, wo)
}

func (s *Server) setStatus(w http.ResponseWriter, r *http.Request) {
	var req dispatch.StatusUpdate
	if !s.decodeBody(w, r, &req) {
		return
	}
	wo, err := s.svc.SetStatus(r.Context(), chi.URLParam(r, "id"), req, actor(r))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.writeJSON(w, r, http.StatusOK, wo)
}

func (s *Server) history(w http.ResponseWriter, r *http.Request) {
	id := chi.URLParam(r, "id")
	h, err := s.svc.History(r.Context(), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.writeJSON(w, r, http.StatusOK, historyBody{WorkOrderID: id, History: h})
}

// defaultSuggestions is how many candidates a stored order's suggestions
// list when the request names no limit.
const defaultSuggestions = 5

func (s *Server) suggestions(w http.ResponseWriter, r *http.Request) {
	limit := defaultSuggestions
	if l := r.URL.Query().Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > s.opts.Limits.Technicians {
			s.fail(w, r, &model.ValidationError{Errors: []model.FieldError{{Field: "limit",
				Message: fmt.Sprintf("want 1 to %d", s.opts.Limits.Technicians)}}})
			return
		}
		limit = n
	}
	began := time.Now()
	choice := dispatch.PolicyChoice{Name: r.URL.Query().Get("policy")}
	out, err := s.svc.Suggestions(r.Context(), chi.URLParam(r, "id"), choice, solver.SuggestOptions{Limit: limit})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.metrics.suggested(began, out)
	s.writeJSON(w, r, http.StatusOK, out)
}
