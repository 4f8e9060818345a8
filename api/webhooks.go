package api

import (
	"net/http"
	"strconv"

	"github.com/dispatchd/dispatchd/dispatch"
	"github.com/go-chi/chi/v5"
)

// webhookList is the answer of GET /v1/webhooks.
type webhookList struct {
	Webhooks []dispatch.WebhookView `json:"webhooks"`
}

func (s *Server) createWebhook(w http.ResponseWriter, r *http.Request) {
	var req dispatch.WebhookRequest
	if !s.decodeBody(w, r, &req) {
		return
	}
	h, err := s.svc.RegisterWebhook(r.Context(), req, actor(r))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Location", "/v1/webhooks/"+h.ID)
	s.writeJSON(w, r, http.StatusCreated, h)
}

func (s *Server) listWebhooks(w http.ResponseWriter, r *http.Request) {
	hooks, err := s.svc.Webhooks(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.writeJSON(w, r, http.StatusOK, webhookList{hooks})
}

func (s *Server) getWebhook(w http.ResponseWriter, r *http.Request) {
	h, err := s.svc.Webhook(r.Context(), chi.URLParam(r, "id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.writeJSON(w, r, http.StatusOK, h)
}

func (s *Server) deleteWebhook(w http.ResponseWriter, r *http.Request) {
	if err := s.svc.DeleteWebhook(r.Context(), chi.URLParam(r, "id")); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) deliveries(w http.ResponseWriter, r *http.Request) {
	limit := 0
	if l := r.URL.Query().Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 {
			n = -1 // refused by the service, with the range
		}
		limit = n
	}
	log, err := s.svc.Deliveries(r.Context(), chi.URLParam(r, "id"), limit)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.writeJSON(w, r, http.StatusOK, log)
}

func (s *Server) notify(w http.ResponseWriter, r *http.Request) {
	res, err := s.svc.Notify(r.Context(), chi.URLParam(r, "id"), actor(r))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.writeJSON(w, r, http.StatusOK, res)
}

func (s *Server) applyPlan(w http.ResponseWriter, r *http.Request) {
	var req dispatch.ApplyRequest
	if !s.optionalBody(w, r, &req) {
		return
	}
	res, err := s.svc.ApplyPlan(r.Context(), chi.URLParam(r, "id"), req, actor(r))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.writeJSON(w, r, http.StatusOK, res)
}

// optionalBody decodes a body like decodeBody, and takes none at all (no
// Content-Type, nothing sent) as the zero value: a route whose body is
// only options can be called with a bare POST.
func (s *Server) optionalBody(w http.ResponseWriter, r *http.Request, v any) bool {
	if r.ContentLength == 0 && r.Header.Get("Content-Type") == "" {
		return true
	}
	return s.decodeBody(w, r, v)
}
