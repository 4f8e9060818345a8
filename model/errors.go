package model

import (
	"context"
	"errors"
)

// ErrorKind is what sort of failure an error is, whichever layer it comes
// from: the store, the solver or the dispatch workflow wrap one of the
// kinds below into what they return, so that the HTTP layer can answer
// every error with one mapping from kind to status and none of them knows
// HTTP.
type ErrorKind string

// The kinds of failure. Each is also an error: wrap it (%w) or build a
// package's own sentinel on it with KindError, and match it with
// errors.Is or read it back with KindOf.
const (
	// ErrInvalid: the request itself is wrong; *ValidationError names the
	// fields. Retrying the same request fails the same way.
	ErrInvalid ErrorKind = "invalid"
	// ErrNotFound: a record the request names does not exist.
	ErrNotFound ErrorKind = "not found"
	// ErrConflict: the request is well formed but the state forbids it
	// now: a scheduling conflict, a move the lifecycle does not allow, a
	// likely duplicate, a write that lost a race.
	ErrConflict ErrorKind = "conflict"
	// ErrUnauthenticated: the request carries no credentials, or ones
	// that name no valid key (unknown, revoked, expired).
	ErrUnauthenticated ErrorKind = "unauthenticated"
	// ErrForbidden: the caller is known but may not do this to this
	// record: a technician's key asking for another technician's order,
	// schedule or position. Retrying with the same key fails the same
	// way.
	ErrForbidden ErrorKind = "forbidden"
	// ErrUnavailable: something the request needs (the store) cannot be
	// reached; retrying later may succeed.
	ErrUnavailable ErrorKind = "unavailable"
	// ErrBusy: a limit of concurrent work is reached (every plan slot is
	// taken); retrying later may succeed.
	ErrBusy ErrorKind = "busy"
	// ErrTimedOut: the request ran out of time (its deadline passed).
	ErrTimedOut ErrorKind = "timed out"
	// ErrCanceled: the caller gave up (the client hung up).
	ErrCanceled ErrorKind = "canceled"
	// ErrInternal: anything else — a bug or a broken invariant.
	ErrInternal ErrorKind = "internal"
)

// ErrorKinds lists every kind, the order in which KindOf looks for them.
var ErrorKinds = []ErrorKind{ErrInvalid, ErrNotFound, ErrUnauthenticated, ErrForbidden, ErrConflict, ErrBusy, ErrUnavailable, ErrTimedOut, ErrCanceled, ErrInternal}

func (k ErrorKind) Error() string { return "model: " + string(k) }

// KindOf returns the kind of err: ErrCanceled when the caller gave up
// (context.Canceled anywhere in the chain, whatever else failed because of
// it), else the first kind of ErrorKinds the chain carries, else
// ErrTimedOut for context.DeadlineExceeded, else ErrInternal. It returns
// "" for nil.
func KindOf(err error) ErrorKind {
	switch {
	case err == nil:
		return ""
	case errors.Is(err, context.Canceled):
		return ErrCanceled
	}
	for _, k := range ErrorKinds {
		if errors.Is(err, k) {
			return k
		}
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return ErrTimedOut
	}
	return ErrInternal
}

// KindError returns a package's own sentinel error: it reads msg and is of
// kind k, so that callers can match the package's sentinel exactly
// (errors.Is(err, store.ErrNotFound)) and the HTTP layer by kind.
func KindError(k ErrorKind, msg string) error { return &kindError{kind: k, msg: msg} }

type kindError struct {
	kind ErrorKind
	msg  string
}

func (e *kindError) Error() string { return e.msg }
func (e *kindError) Unwrap() error { return e.kind }
