package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"strconv"

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

// writeProblemDoc answers a problem document. It always encodes: its
// fields are strings, numbers and field errors.
func writeProblemDoc(w http.ResponseWriter, p Problem) {
	data, _ := json.Marshal(p)
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Length", strconv.Itoa(len(data)+1))
	w.WriteHeader(p.Status)
	_, _ = w.Write(append(data, '\n'))
}

// StatusClientClosedRequest is the status recorded for a request whose
// client went away before the answer, as nginx records it.
const StatusClientClosedRequest = 499

// storeError answers a failed store call: 404 for a missing record (naming
// the path's id), 503 when the store is unreachable or has lost its state,
// 500 otherwise, and 499 when the client hung up, whatever the store said.
// The store's own words, which name hosts and internals, go to the log
// only.
func (s *Server) storeError(w http.ResponseWriter, r *http.Request, err error) {
	ctx := r.Context()
	if errors.Is(err, store.ErrNotFound) {
		// A store that lost its state answers every read with "not found":
		// tell that apart from a record that never was.
		pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.opts.ReadyTimeout)
		if perr := s.store.Ping(pctx); errors.Is(perr, store.ErrStateLost) {
			err = perr
		}
		cancel()
	}
	switch {
	case errors.Is(ctx.Err(), context.Canceled):
		// The client hung up mid-request: nobody reads the answer, and the
		// store is not to blame. 499 (as nginx logs it) keeps it out of
		// the 5xx a dashboard alerts on.
		s.log.InfoContext(ctx, "client went away", "err", err)
		writeProblem(w, r, StatusClientClosedRequest, "client closed request", "the client went away before the answer")
	case errors.Is(err, store.ErrStateLost):
		s.log.ErrorContext(ctx, "the store lost its state", "err", err)
		w.Header().Set("Retry-After", "60")
		writeProblem(w, r, http.StatusServiceUnavailable, "store state lost",
			"the state store no longer holds the state this replica started with (technicians, work orders, positions, plans): "+
				"it restarted without persistence or evicted keys; restore it, or restart the replicas to accept the loss")
	case errors.Is(err, store.ErrNotFound):
		id := chi.URLParam(r, "id")
		writeProblem(w, r, http.StatusNotFound, "not found", "nothing has the id "+quoted(id, "given")+" at "+r.URL.Path,
			model.FieldError{Field: "id", Message: "no record with id " + quoted(id, "\"\"")})
	case errors.Is(err, store.ErrUnavailable), errors.Is(err, context.DeadlineExceeded):
		s.log.ErrorContext(ctx, "store unavailable", "err", err)
		w.Header().Set("Retry-After", "1")
		writeProblem(w, r, http.StatusServiceUnavailable, "store unavailable", "the state store cannot be reached; retry shortly")
	default:
		s.log.ErrorContext(ctx, "store error", "err", err)
		writeProblem(w, r, http.StatusInternalServerError, "internal error", "the request failed inside the service")
	}
}

// readFailed answers a body that could not be read: 408 when it did not
// arrive in time (a trickle), 499 when the client went away mid-body.
func (s *Server) readFailed(w http.ResponseWriter, r *http.Request, err error) {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		s.log.InfoContext(r.Context(), "request body too slow", "err", err)
		w.Header().Set("Connection", "close")
		writeProblem(w, r, http.StatusRequestTimeout, "request timeout", "the body did not arrive in time")
		return
	}
	s.log.InfoContext(r.Context(), "client went away", "err", err)
	writeProblem(w, r, StatusClientClosedRequest, "client closed request", "the client went away before the body arrived")
}

// writeJSON answers v as JSON with the status, encoding it before the
// status line goes out: a value that cannot be encoded is a 500 problem,
// never a status with an empty body.
func (s *Server) writeJSON(w http.ResponseWriter, r *http.Request, status int, v any) {
	var buf bytes.Buffer
	if err := json.NewEncoder(&buf).Encode(v); err != nil {
		s.log.ErrorContext(r.Context(), "encoding the answer", "err", err)
		writeProblem(w, r, http.StatusInternalServerError, "internal error", "the answer could not be encoded")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}
