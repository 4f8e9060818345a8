package api

import (
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/dispatchd/dispatchd/model"
)

// DefaultMaxBodyBytes caps a request body when Options names no cap.
const DefaultMaxBodyBytes = 4 << 20

// decodeBody reads a JSON request body into v strictly, capped at the
// server's limit. It writes the problem itself and returns false when the
// body is too large (413), not JSON, has unknown fields or wrong types
// (400, naming every field).
func (s *Server) decodeBody(w http.ResponseWriter, r *http.Request, v any) bool {
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.opts.MaxBodyBytes))
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		writeProblem(w, r, http.StatusRequestEntityTooLarge, "request body too large",
			fmt.Sprintf("the body exceeds %d bytes", tooBig.Limit))
		return false
	case err != nil:
		writeProblem(w, r, http.StatusBadRequest, "unreadable request body", err.Error())
		return false
	}
	if err := model.Decode(data, v); err != nil {
		s.invalid(w, r, err)
		return false
	}
	return true
}

// invalid answers 400 for a *model.ValidationError, naming every field,
// and 500 for anything else.
func (s *Server) invalid(w http.ResponseWriter, r *http.Request, err error) {
	var ve *model.ValidationError
	if errors.As(err, &ve) {
		writeProblemDoc(w, Problem{Type: "urn:dispatchd:problem:invalid", Title: "invalid request",
			Status: http.StatusBadRequest, Detail: ve.Summary(), Instance: r.URL.Path, Errors: ve.Errors})
		return
	}
	s.log.ErrorContext(r.Context(), "request failed", "err", err)
	writeProblem(w, r, http.StatusInternalServerError, "internal error", "the request failed inside the service")
}
