package api

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/dispatchd/dispatchd/model"
	"github.com/dispatchd/dispatchd/store"
	"github.com/go-chi/chi/v5"
)

// technicianView is a technician as the API shows one: the profile and,
// when known, their live state.
type technicianView struct {
	model.Technician
	Live *store.Live `json:"live,omitempty"`
}

// technicianList is the answer of GET /v1/technicians.
type technicianList struct {
	Technicians []technicianView `json:"technicians"`
}

// locationBody is a live GPS fix as a technician's device posts it.
type locationBody struct {
	Lat    float64   `json:"lat"`
	Lng    float64   `json:"lng"`
	At     time.Time `json:"at"`
	Status string    `json:"status,omitempty"`
}

// locationResult says whether a fix was kept: an older one is not.
type locationResult struct {
	TechnicianID string `json:"technician_id"`
	Applied      bool   `json:"applied"`
	Detail       string `json:"detail,omitempty"`
}

func (s *Server) putTechnician(w http.ResponseWriter, r *http.Request) {
	id := chi.URLParam(r, "id")
	var t model.Technician
	if !s.decodeBody(w, r, &t) {
		return
	}
	if t.ID == "" {
		t.ID = id
	}
	var errs []model.FieldError
	if t.ID != id {
		errs = append(errs, model.FieldError{Field: "id", Message: fmt.Sprintf("%q does not match the path's %q", t.ID, id)})
	}
	var ve *model.ValidationError
	if err := t.Validate(); errors.As(err, &ve) {
		errs = append(errs, ve.Errors...)
	}
	if t.Start.Index != nil || (t.End != nil && t.End.Index != nil) {
		errs = append(errs, model.FieldError{Field: "start", Message: "a stored technician needs coordinates, not a location_index"})
	}
	if len(errs) > 0 {
		s.invalid(w, r, &model.ValidationError{Errors: errs})
		return
	}
	created, err := s.store.PutTechnician(r.Context(), t)
	if err != nil {
		s.storeError(w, r, err)
		return
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	s.writeJSON(w, r, status, technicianView{Technician: t})
}

func (s *Server) getTechnician(w http.ResponseWriter, r *http.Request) {
	id := chi.URLParam(r, "id")
	t, err := s.store.GetTechnician(r.Context(), id)
	if err != nil {
		s.storeError(w, r, err)
		return
	}
	live, err := s.store.Live(r.Context(), id)
	if err != nil {
		s.storeError(w, r, err)
		return
	}
	v := technicianView{Technician: t}
	if l, ok := live[id]; ok {
		v.Live = &l
	}
	s.writeJSON(w, r, http.StatusOK, v)
}

func (s *Server) deleteTechnician(w http.ResponseWriter, r *http.Request) {
	if err := s.store.DeleteTechnician(r.Context(), chi.URLParam(r, "id")); err != nil {
		s.storeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// defaultNearRadius is the radius of ?near= when none is given.
const defaultNearRadius = 5000.0

func (s *Server) listTechnicians(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var errs []model.FieldError
	var active *bool
	if a := q.Get("active"); a != "" {
		b, err := strconv.ParseBool(a)
		if err != nil {
			errs = append(errs, model.FieldError{Field: "active", Message: "want true or false"})
		}
		active = &b
	}
	var near *model.Location
	radius := defaultNearRadius
	if n := q.Get("near"); n != "" {
		lat, lng, ok := parseLatLng(n)
		if !ok {
			errs = append(errs, model.FieldError{Field: "near", Message: "want lat,lng in degrees, like 39.74,-104.99"})
		}
		near = &model.Location{Lat: lat, Lng: lng}
	}
	if rs := q.Get("radius_m"); rs != "" {
		v, err := strconv.ParseFloat(rs, 64)
		if err != nil {
			v = math.NaN() // refused below, by the model's range
		}
		radius = v
	}
	if p := model.NearRadiusProblem(radius); p != "" {
		errs = append(errs, model.FieldError{Field: "radius_m", Message: p})
	}
	skill := q.Get("skill")
	if p := model.NameProblem(skill); skill != "" && p != "" {
		errs = append(errs, model.FieldError{Field: "skill", Message: p})
	}
	if len(errs) > 0 {
		s.invalid(w, r, &model.ValidationError{Errors: errs})
		return
	}
	ctx := r.Context()
	techs, err := s.store.ListTechnicians(ctx)
	if err != nil {
		s.storeError(w, r, err)
		return
	}
	var within map[string]bool
	var nearIDs []string
	if near != nil {
		nearIDs, err = s.store.Near(ctx, *near, radius)
		if err != nil {
			s.storeError(w, r, err)
			return
		}
		within = map[string]bool{}
		for _, id := range nearIDs {
			within[id] = true
		}
	}
	// Near already names the only technicians that can be listed: read
	// their live state alone. Live with no ids reads everyone's, so with
	// nobody near there is nothing to read.
	live := map[string]store.Live{}
	if near == nil || len(nearIDs) > 0 {
		live, err = s.store.Live(ctx, nearIDs...)
		if err != nil {
			s.storeError(w, r, err)
			return
		}
	}
	out := technicianList{Technicians: []technicianView{}}
	for _, t := range techs {
		switch {
		case skill != "" && t.Skills[skill] == 0:
		case active != nil && t.IsActive() != *active:
		case within != nil && !within[t.ID]:
		default:
			v := technicianView{Technician: t}
			if l, ok := live[t.ID]; ok {
				v.Live = &l
			}
			out.Technicians = append(out.Technicians, v)
		}
	}
	s.writeJSON(w, r, http.StatusOK, out)
}

// parseLatLng reads "lat,lng" in degrees, in range.
func parseLatLng(s string) (float64, float64, bool) {
	a, b, ok := strings.Cut(s, ",")
	if !ok {
		return 0, 0, false
	}
	lat, err1 := strconv.ParseFloat(strings.TrimSpace(a), 64)
	lng, err2 := strconv.ParseFloat(strings.TrimSpace(b), 64)
	// Written so that NaN, which ParseFloat accepts, is out of range.
	if err1 != nil || err2 != nil || !(lat >= -90 && lat <= 90) || !(lng >= -180 && lng <= 180) {
		return 0, 0, false
	}
	return lat, lng, true
}

func (s *Server) postLocation(w http.ResponseWriter, r *http.Request) {
	id := chi.URLParam(r, "id")
	var body locationBody
	if !s.decodeBody(w, r, &body) {
		return
	}
	p := model.Position{TechnicianID: id, Lat: body.Lat, Lng: body.Lng, At: body.At}
	var errs []model.FieldError
	var ve *model.ValidationError
	if err := p.Validate(); errors.As(err, &ve) {
		errs = ve.Errors
	}
	if now := s.opts.Clock(); p.At.After(now.Add(s.opts.MaxClockSkew)) {
		errs = append(errs, model.FieldError{Field: "at", Message: fmt.Sprintf("%s is %v ahead of the server's clock (%s); more than %v means the device's clock is wrong",
			p.At.Format(time.RFC3339), p.At.Sub(now).Round(time.Second), now.UTC().Format(time.RFC3339), s.opts.MaxClockSkew)})
	}
	if len(errs) > 0 {
		s.invalid(w, r, &model.ValidationError{Errors: errs})
		return
	}
	applied, err := s.store.UpdatePosition(r.Context(), p, body.Status)
	if err != nil {
		s.storeError(w, r, err)
		return
	}
	res := locationResult{TechnicianID: id, Applied: applied}
	if !applied {
		res.Detail = "a position at the same time or later is already stored"
	}
	s.writeJSON(w, r, http.StatusOK, res)
}
