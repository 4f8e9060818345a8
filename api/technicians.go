package api

import (
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/dispatchd/dispatchd/dispatch"
	"github.com/dispatchd/dispatchd/model"
	"github.com/go-chi/chi/v5"
)

// technicianList is the answer of GET /v1/technicians.
type technicianList struct {
	Technicians []dispatch.TechnicianView `json:"technicians"`
}

// locationBody is a live GPS fix as a technician's device posts it.
type locationBody struct {
	Lat    float64          `json:"lat"`
	Lng    float64          `json:"lng"`
	At     time.Time        `json:"at"`
	Status model.LiveStatus `json:"status,omitempty"`
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
	if t.ID != id {
		s.fail(w, r, &model.ValidationError{Errors: []model.FieldError{{Field: "id", Message: fmt.Sprintf("%q does not match the path's %q", t.ID, id)}}})
		return
	}
	created, conflicts, err := s.svc.PutTechnician(r.Context(), t)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	s.writeJSON(w, r, status, dispatch.TechnicianView{Technician: t, Conflicts: conflicts})
}

func (s *Server) getTechnician(w http.ResponseWriter, r *http.Request) {
	v, err := s.svc.Technician(r.Context(), chi.URLParam(r, "id"), actor(r))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.writeJSON(w, r, http.StatusOK, v)
}

func (s *Server) deleteTechnician(w http.ResponseWriter, r *http.Request) {
	if err := s.svc.DeleteTechnician(r.Context(), chi.URLParam(r, "id"), actor(r)); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) listTechnicians(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var errs []model.FieldError
	f := dispatch.TechnicianFilter{Skill: q.Get("skill")}
	if a := q.Get("active"); a != "" {
		b, err := strconv.ParseBool(a)
		if err != nil {
			errs = append(errs, model.FieldError{Field: "active", Message: "want true or false"})
		}
		f.Active = &b
	}
	if n := q.Get("near"); n != "" {
		lat, lng, ok := parseLatLng(n)
		if !ok {
			errs = append(errs, model.FieldError{Field: "near", Message: "want lat,lng in degrees, like 39.74,-104.99"})
		}
		f.Near = &model.Location{Lat: lat, Lng: lng}
	}
	if rs := q.Get("radius_m"); rs != "" {
		v, err := strconv.ParseFloat(rs, 64)
		if err != nil {
			v = math.NaN() // refused by the model's range
		}
		f.RadiusMeters = v
	}
	if len(errs) > 0 {
		s.fail(w, r, &model.ValidationError{Errors: errs})
		return
	}
	techs, err := s.svc.Technicians(r.Context(), f)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.writeJSON(w, r, http.StatusOK, technicianList{techs})
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
	applied, err := s.svc.RecordPosition(r.Context(), p, body.Status, actor(r))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	res := locationResult{TechnicianID: id, Applied: applied}
	if !applied {
		res.Detail = "a position at the same time or later is already stored"
	}
	s.writeJSON(w, r, http.StatusOK, res)
}
