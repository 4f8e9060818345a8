package api

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/dispatchd/dispatchd/model"
	"github.com/dispatchd/dispatchd/store"
	"github.com/go-chi/chi/v5"
)

// Problem is an RFC 9457 problem document; Errors names each offending
// field.
type Problem struct {
	Type     string             `json:"type"`
	Title    string             `json:"title"`
	Status   int                `json:"status"`
	Detail   string             `json:"detail,omitempty"`
	Instance string             `json:"instance,omitempty"`
	Errors   []model.FieldError `json:"errors,omitempty"`
}

// problemType is the type URI of a problem with no more specific type.
const problemType = "about:blank"

func writeProblem(w http.ResponseWriter, r *http.Request, status int, title, detail string, errs ...model.FieldError) {
	writeProblemDoc(w, Problem{Type: problemType, Title: title, Status: status, Detail: detail, Instance: r.URL.Path, Errors: errs})
}

func writeProblemDoc(w http.ResponseWriter, p Problem) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p)
}

// StatusClientClosedRequest is the status recorded for a request whose
// client went away before the answer, as nginx records it.
const StatusClientClosedRequest = 499

// storeError answers a failed store call: 404 for a missing record (naming
// the path's id), 503 when the store is unreachable, 500 otherwise, and
// 499 when the client hung up, whatever the store said.
func (s *Server) storeError(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(r.Context().Err(), context.Canceled):
		// The client hung up mid-request: nobody reads the answer, and the
		// store is not to blame. 499 (as nginx logs it) keeps it out of
		// the 5xx a dashboard alerts on.
		s.log.InfoContext(r.Context(), "client went away", "err", err)
		writeProblem(w, r, StatusClientClosedRequest, "client closed request", "the client went away before the answer")
	case errors.Is(err, store.ErrNotFound):
		writeProblem(w, r, http.StatusNotFound, "not found", err.Error(),
			model.FieldError{Field: "id", Message: "no record with id " + chi.URLParam(r, "id")})
	case errors.Is(err, store.ErrUnavailable):
		s.log.ErrorContext(r.Context(), "store unavailable", "err", err)
		w.Header().Set("Retry-After", "1")
		writeProblem(w, r, http.StatusServiceUnavailable, "store unavailable", "the state store cannot be reached; retry shortly")
	default:
		s.log.ErrorContext(r.Context(), "store error", "err", err)
		writeProblem(w, r, http.StatusInternalServerError, "internal error", "the request failed inside the service")
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
