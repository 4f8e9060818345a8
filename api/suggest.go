package api

import (
	"errors"
	"net/http"
	"time"

	"github.com/dispatchd/dispatchd/dispatch"
	"github.com/dispatchd/dispatchd/model"
	"github.com/dispatchd/dispatchd/solver"
)

// suggestRequest is the body of POST /v1/suggest: one work order and the
// day it must fit into — the body's (technicians and the rest), or the
// stored day when technicians are left out, and then only the work order,
// now, weights and limits.
type suggestRequest struct {
	WorkOrder   *model.WorkOrder   `json:"work_order"`
	Technicians []model.Technician `json:"technicians"`
	// WorkOrders are the orders the routes' stops name.
	WorkOrders []model.WorkOrder `json:"work_orders,omitempty"`
	Routes     []model.Route     `json:"routes,omitempty"`
	Positions  []model.Position  `json:"positions,omitempty"`
	Now        *time.Time        `json:"now,omitempty"`
	Weights    *model.Weights    `json:"weights,omitempty"`
	// Policy names a stored policy to price by instead of the active one.
	Policy      string        `json:"policy,omitempty"`
	Travel      *model.Travel `json:"travel,omitempty"`
	Limit       int           `json:"limit,omitempty"`
	MaxRejected int           `json:"max_rejected,omitempty"`
}

// slotsBody is the answer of POST /v1/slots.
type slotsBody struct {
	Slots []model.Slot `json:"slots"`
}

// slotsRequest is the body of POST /v1/slots.
type slotsRequest struct {
	suggestRequest
	SlotLength model.Seconds `json:"slot_length_s,omitempty"`
	Days       int           `json:"days,omitempty"`
}

// choice is what the request says about its policy.
func (req *suggestRequest) choice() dispatch.PolicyChoice {
	return dispatch.PolicyChoice{Weights: req.Weights, Name: req.Policy}
}

// day checks the request's own fields and builds the solver's day.
func (req *suggestRequest) day() (solver.Day, []model.FieldError) {
	var errs []model.FieldError
	if req.WorkOrder == nil {
		errs = append(errs, model.FieldError{Field: "work_order", Message: "missing"})
	}
	if req.Limit < 0 {
		errs = append(errs, model.FieldError{Field: "limit", Message: "negative"})
	}
	d := solver.Day{Technicians: req.Technicians, Orders: req.WorkOrders, Routes: req.Routes,
		Positions: req.Positions, Travel: req.Travel}
	if req.Now != nil {
		d.Now = *req.Now
	}
	return d, errs
}

func (s *Server) suggest(w http.ResponseWriter, r *http.Request) {
	var req suggestRequest
	if !s.decodeBody(w, r, &req) {
		return
	}
	st, ok := s.state(w, r, &req)
	if !ok {
		return
	}
	began := time.Now()
	out, err := solver.Suggest(r.Context(), st, *req.WorkOrder, solver.SuggestOptions{Limit: req.Limit, MaxRejected: req.MaxRejected})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.metrics.suggested(began, out)
	s.writeJSON(w, r, http.StatusOK, out)
}

func (s *Server) slots(w http.ResponseWriter, r *http.Request) {
	var req slotsRequest
	if !s.decodeBody(w, r, &req) {
		return
	}
	if req.Days < 0 || req.SlotLength < 0 {
		s.fail(w, r, &model.ValidationError{Errors: []model.FieldError{{Field: "days", Message: "want a positive number of days and a positive slot_length_s"}}})
		return
	}
	st, ok := s.state(w, r, &req.suggestRequest)
	if !ok {
		return
	}
	out, err := solver.Slots(r.Context(), st, *req.WorkOrder, solver.SlotOptions{Length: req.SlotLength.Duration(), Days: req.Days, Limit: req.Limit})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.writeJSON(w, r, http.StatusOK, slotsBody{out})
}

// state validates a suggestion request and compiles its day: the one in
// the body, or the stored one when the body names no technicians. A
// suggestion on the stored day takes everything of the day from the
// store; a body that brings routes, positions, their orders or a travel
// model as well is refused, each named, rather than half used.
func (s *Server) state(w http.ResponseWriter, r *http.Request, req *suggestRequest) (*solver.State, bool) {
	day, errs := req.day()
	if day.Now.IsZero() {
		day.Now = s.opts.Clock() // a body without now asks about this instant
	}
	var err error
	if req.Technicians == nil {
		for _, f := range []struct {
			name  string
			given bool
		}{{"work_orders", req.WorkOrders != nil}, {"routes", req.Routes != nil}, {"positions", req.Positions != nil}, {"travel", req.Travel != nil}} {
			if f.given {
				errs = append(errs, model.FieldError{Field: f.name, Message: "given only with technicians: without them the suggestion is on the stored day, " +
					"whose routes, positions and travel model are the store's"})
			}
		}
		if len(errs) > 0 {
			s.fail(w, r, &model.ValidationError{Errors: errs})
			return nil, false
		}
		// The stored day, priced by the request's policy (resolved with
		// the day's revisions, in one read).
		day, err = s.svc.StoredDay(r.Context(), day.Now, req.choice())
	} else {
		var policy model.Policy
		if policy, err = s.svc.ResolvePolicy(r.Context(), req.choice()); err == nil {
			day.Policy = &policy
		}
	}
	var ve *model.ValidationError
	if errors.As(err, &ve) {
		s.fail(w, r, &model.ValidationError{Errors: append(errs, ve.Errors...)})
		return nil, false
	} else if err != nil {
		s.fail(w, r, err)
		return nil, false
	}
	st, err := solver.NewState(day)
	if errors.As(err, &ve) {
		errs = append(errs, ve.Errors...)
	} else if err != nil {
		s.fail(w, r, err)
		return nil, false
	}
	if len(errs) > 0 {
		s.fail(w, r, &model.ValidationError{Errors: errs})
		return nil, false
	}
	return st, true
}
