package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"

	"github.com/dispatchd/dispatchd/auth"
	"github.com/dispatchd/dispatchd/dispatch"
	"github.com/dispatchd/dispatchd/model"
	"github.com/dispatchd/dispatchd/store"
	"github.com/go-chi/chi/v5"
)

// Problem is an RFC 9457 problem document; Errors names each offending
// field. A conflict carries what it conflicts with: the scheduling
// conflicts of an assignment, the likely duplicates of an intake, or the
// order's status and the moves it allows.
type Problem struct {
	Type       string             `json:"type"`
	Title      string             `json:"title"`
	Status     int                `json:"status"`
	Detail     string             `json:"detail,omitempty"`
	Instance   string             `json:"instance,omitempty"`
	Errors     []model.FieldError `json:"errors,omitempty"`
	Conflicts  []model.Conflict   `json:"conflicts,omitempty"`
	Duplicates []string           `json:"duplicates,omitempty"`
	// CurrentStatus and Allowed describe a move the lifecycle refused.
	CurrentStatus model.Status   `json:"current_status,omitempty"`
	Allowed       []model.Status `json:"allowed,omitempty"`
	// Roles are the roles that may call a route the caller's key may not.
	Roles []string `json:"roles,omitempty"`
	// Changes are what changed since a plan was made, Skipped the orders
	// a partial application could not apply.
	Changes []dispatch.PlanChange   `json:"changes,omitempty"`
	Skipped []dispatch.SkippedOrder `json:"skipped,omitempty"`
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

// fail answers an error by its kind (model.KindOf) — the one place where
// errors become statuses: 400 naming every field, 404 naming the id, 409
// with what the request conflicts with, 429 and 503 with Retry-After, 499
// when the client hung up (whatever failed after it), 500 otherwise. The
// words of stores and solvers, which name hosts and internals, go to the
// log only.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
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
	kind := model.KindOf(err)
	if errors.Is(ctx.Err(), context.Canceled) {
		kind = model.ErrCanceled
	}
	switch kind {
	case model.ErrCanceled:
		// The client hung up mid-request: nobody reads the answer, and
		// nothing behind it is to blame. 499 (as nginx logs it) keeps it
		// out of the 5xx a dashboard alerts on.
		s.log.InfoContext(ctx, "client went away", "err", err)
		writeProblem(w, r, StatusClientClosedRequest, "client closed request", "the client went away before the answer")
	case model.ErrInvalid:
		var ve *model.ValidationError
		if !errors.As(err, &ve) {
			ve = &model.ValidationError{Errors: []model.FieldError{{Message: "invalid request"}}}
		}
		writeProblemDoc(w, Problem{Type: "urn:dispatchd:problem:invalid", Title: "invalid request",
			Status: http.StatusBadRequest, Detail: ve.Summary(), Instance: r.URL.Path, Errors: ve.Errors})
	case model.ErrUnauthenticated:
		w.Header().Set("WWW-Authenticate", challenge(err))
		detail := "send Authorization: Bearer <token> with an API key of this service"
		switch {
		case errors.Is(err, auth.ErrExpired):
			detail = "the key has expired"
		case !errors.Is(err, auth.ErrMissing):
			detail = "the token is no key of this service: never was, or was revoked"
		}
		writeProblemDoc(w, Problem{Type: "urn:dispatchd:problem:unauthenticated", Title: "unauthenticated",
			Status: http.StatusUnauthorized, Detail: detail, Instance: r.URL.Path})
	case model.ErrForbidden:
		writeProblemDoc(w, Problem{Type: "urn:dispatchd:problem:forbidden", Title: "forbidden", Status: http.StatusForbidden,
			Detail: strings.TrimSuffix(strings.TrimPrefix(err.Error(), "dispatch: "), ": "+model.ErrForbidden.Error()), Instance: r.URL.Path})
	case model.ErrNotFound:
		if name := chi.URLParam(r, "name"); name != "" {
			writeProblem(w, r, http.StatusNotFound, "not found", "no policy is named "+quoted(name, "given")+" at "+r.URL.Path,
				model.FieldError{Field: "name", Message: "no policy named " + quoted(name, "\"\"")})
			break
		}
		id := chi.URLParam(r, "id")
		writeProblem(w, r, http.StatusNotFound, "not found", "nothing has the id "+quoted(id, "given")+" at "+r.URL.Path,
			model.FieldError{Field: "id", Message: "no record with id " + quoted(id, "\"\"")})
	case model.ErrConflict:
		writeProblemDoc(w, conflictProblem(r, err))
	case model.ErrBusy:
		running, perKey, wait := s.svc.PlanLimits()
		w.Header().Set("Retry-After", strconv.Itoa(max(1, int(wait.Seconds()/2))))
		detail := fmt.Sprintf("%d plans are running, the most this replica runs at once; retry later", running)
		if errors.Is(err, dispatch.ErrKeyBusy) {
			detail = fmt.Sprintf("this key runs %d plan(s), the most one key runs at once on a replica; retry when one ends, or cancel it", perKey)
		}
		writeProblem(w, r, http.StatusTooManyRequests, "too many plans", detail)
	case model.ErrUnavailable, model.ErrTimedOut:
		switch {
		case errors.Is(err, store.ErrStateLost):
			s.log.ErrorContext(ctx, "the store lost its state", "err", err)
			w.Header().Set("Retry-After", "60")
			writeProblem(w, r, http.StatusServiceUnavailable, "store state lost",
				"the state store no longer holds the state this replica started with (technicians, work orders, positions, plans): "+
					"it restarted without persistence or evicted keys; restore it, or restart the replicas to accept the loss")
		case errors.Is(err, dispatch.ErrClosed):
			writeProblem(w, r, http.StatusServiceUnavailable, "shutting down", "this replica takes no new plans")
		case kind == model.ErrTimedOut:
			s.log.WarnContext(ctx, "request timed out", "err", err)
			w.Header().Set("Retry-After", "1")
			writeProblem(w, r, http.StatusServiceUnavailable, "timed out", "the request ran out of time; retry shortly")
		default:
			s.log.ErrorContext(ctx, "store unavailable", "err", err)
			w.Header().Set("Retry-After", "1")
			writeProblem(w, r, http.StatusServiceUnavailable, "store unavailable", "the state store cannot be reached; retry shortly")
		}
	default:
		s.log.ErrorContext(ctx, "request failed", "err", err)
		writeProblem(w, r, http.StatusInternalServerError, "internal error", "the request failed inside the service")
	}
}

// conflictProblem is the 409 of a conflict, with what it conflicts with.
func conflictProblem(r *http.Request, err error) Problem {
	p := Problem{Type: "urn:dispatchd:problem:conflict", Title: "conflict", Status: http.StatusConflict, Instance: r.URL.Path}
	var ce *dispatch.ConflictError
	var de *dispatch.DuplicateError
	var te *model.TransitionError
	var xe *dispatch.ExistsError
	var pe *dispatch.StalePlanError
	switch {
	case errors.As(err, &pe):
		p.Type, p.Title = "urn:dispatchd:problem:stale-plan", "plan no longer fits"
		p.Changes, p.Skipped = pe.Changes, pe.Skipped
		p.Detail = strings.TrimPrefix(pe.Error(), "dispatch: ")
	case errors.As(err, &ce):
		p.Type, p.Title = "urn:dispatchd:problem:scheduling-conflict", "scheduling conflict"
		p.Detail = fmt.Sprintf("%d conflict(s) with the technicians' days; send override: true to dispatch anyway", len(ce.Conflicts))
		p.Conflicts = ce.Conflicts
	case errors.As(err, &de):
		p.Type, p.Title = "urn:dispatchd:problem:duplicate", "likely duplicate"
		p.Duplicates = make([]string, len(de.Existing))
		for i, w := range de.Existing {
			p.Duplicates[i] = w.ID
		}
		p.Detail = "an open order for the same site and equipment (or job type) at an overlapping time exists: " +
			strings.Join(p.Duplicates, ", ") + "; send allow_duplicate: true to create or change it anyway"
	case errors.As(err, &te):
		p.Type, p.Title = "urn:dispatchd:problem:lifecycle", "not allowed in this status"
		p.CurrentStatus, p.Allowed = te.From, te.Allowed
		p.Detail = strings.TrimPrefix(te.Error(), "model: ")
	case errors.As(err, &xe):
		p.Title, p.Detail = "already exists", "a work order with the id "+xe.ID+" already exists"
	case errors.Is(err, store.ErrStale):
		p.Title, p.Detail = "changed meanwhile", "what the request depends on kept changing; try again"
	default:
		p.Detail = strings.TrimSuffix(strings.TrimPrefix(err.Error(), "dispatch: "), ": "+model.ErrConflict.Error())
	}
	return p
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
