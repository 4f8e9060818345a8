package api

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/dispatchd/dispatchd/model"
	"github.com/go-chi/chi/v5"
)

// policyBody is a policy as a request gives it: weights left out are the
// defaults (model.Weights decodes on top of them), and so is a body
// without weights; the name may be left out where the path names it.
type policyBody struct {
	Name        string         `json:"name,omitempty"`
	Description string         `json:"description,omitempty"`
	Weights     *model.Weights `json:"weights,omitempty"`
	ScoreScale  float64        `json:"score_scale,omitempty"`
}

// policy is the policy the body gives.
func (b *policyBody) policy() model.Policy {
	p := model.Policy{Name: b.Name, Description: b.Description, Weights: model.DefaultWeights(), ScoreScale: b.ScoreScale}
	if b.Weights != nil {
		p.Weights = *b.Weights
	}
	return p
}

// policyView is a policy as the API answers it: the policy, and whether it
// is the active one.
type policyView struct {
	model.Policy
	Active bool `json:"active"`
}

// policyHistoryBody is the answer of GET /v1/policies/history.
type policyHistoryBody struct {
	Changes []model.PolicyChange `json:"changes"`
}

// DecodePolicies reads policies as a policy file of serve --policy holds
// them — one policy object or a list of them, each as PUT
// /v1/policies/{name} takes it but with its name — strictly, as
// DecodeJSON does, and validates them. A single policy that names itself
// nothing is named name (serve: the file's name, as dispatchd compare
// names it), so that one file serves both. Field paths name the policy of
// a list by its index ("[1].weights.travel_time").
func DecodePolicies(data []byte, limits model.Limits, name string) ([]model.Policy, error) {
	var bodies []policyBody
	list := len(bytes.TrimLeft(data, " \t\r\n")) > 0 && bytes.TrimLeft(data, " \t\r\n")[0] == '['
	if list {
		if err := DecodeJSON(data, &bodies, limits); err != nil {
			return nil, err
		}
		if len(bodies) == 0 {
			return nil, &model.ValidationError{Errors: []model.FieldError{{Message: "an empty list: want one policy or a list of them"}}}
		}
	} else {
		var b policyBody
		if err := DecodeJSON(data, &b, limits); err != nil {
			return nil, err
		}
		if b.Name == "" {
			b.Name = name
		}
		bodies = []policyBody{b}
	}
	out := make([]model.Policy, len(bodies))
	var errs []model.FieldError
	for i := range bodies {
		out[i] = bodies[i].policy()
		var ve *model.ValidationError
		if err := out[i].Validate(); errors.As(err, &ve) {
			for _, fe := range ve.Errors {
				if list {
					fe.Field = fmt.Sprintf("[%d].%s", i, fe.Field)
				}
				errs = append(errs, fe)
			}
		}
	}
	if len(errs) > 0 {
		return nil, &model.ValidationError{Errors: errs}
	}
	return out, nil
}

func (s *Server) listPolicies(w http.ResponseWriter, r *http.Request) {
	book, err := s.svc.Policies(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.writeJSON(w, r, http.StatusOK, book)
}

func (s *Server) getPolicy(w http.ResponseWriter, r *http.Request) {
	book, err := s.svc.Policies(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	name := chi.URLParam(r, "name")
	for _, p := range book.Policies {
		if p.Name == name {
			s.writeJSON(w, r, http.StatusOK, policyView{p, p.Name == book.Active})
			return
		}
	}
	s.fail(w, r, fmt.Errorf("api: no policy is named %s: %w", model.Quote(name), model.ErrNotFound))
}

func (s *Server) putPolicy(w http.ResponseWriter, r *http.Request) {
	var body policyBody
	if !s.decodeBody(w, r, &body) {
		return
	}
	p, created, err := s.svc.PutPolicy(r.Context(), chi.URLParam(r, "name"), body.policy(), actor(r))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	active, err := s.svc.ActivePolicy(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
		w.Header().Set("Location", "/v1/policies/"+p.Name)
	}
	s.writeJSON(w, r, status, policyView{p, active.Name == p.Name})
}

func (s *Server) deletePolicy(w http.ResponseWriter, r *http.Request) {
	if err := s.svc.DeletePolicy(r.Context(), chi.URLParam(r, "name"), actor(r)); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) activatePolicy(w http.ResponseWriter, r *http.Request) {
	p, err := s.svc.ActivatePolicy(r.Context(), chi.URLParam(r, "name"), actor(r))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.writeJSON(w, r, http.StatusOK, policyView{p, true})
}

func (s *Server) policyHistory(w http.ResponseWriter, r *http.Request) {
	limit := 0
	if l := r.URL.Query().Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 {
			s.fail(w, r, &model.ValidationError{Errors: []model.FieldError{{Field: "limit", Message: "want a positive number of changes"}}})
			return
		}
		limit = n
	}
	h, err := s.svc.PolicyHistory(r.Context(), limit)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.writeJSON(w, r, http.StatusOK, policyHistoryBody{h})
}

func (s *Server) getWeights(w http.ResponseWriter, r *http.Request) {
	p, err := s.svc.ActivePolicy(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.writeJSON(w, r, http.StatusOK, policyView{p, true})
}

func (s *Server) putWeights(w http.ResponseWriter, r *http.Request) {
	var weights model.Weights
	if !s.decodeBody(w, r, &weights) {
		return
	}
	p, err := s.svc.PutActiveWeights(r.Context(), weights, actor(r))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.writeJSON(w, r, http.StatusOK, policyView{p, true})
}
