package api

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/dispatchd/dispatchd/dispatch"
	"github.com/dispatchd/dispatchd/model"
	"github.com/dispatchd/dispatchd/store"
)

// TestFailMapsEveryKind answers one error of each kind through a real
// listener with the one mapper, fail, and checks the status: the kinds are
// the only thing the HTTP layer looks at.
func TestFailMapsEveryKind(t *testing.T) {
	s, err := New(Options{Store: store.NewMemory(), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Shutdown(context.Background()) })
	for _, tc := range []struct {
		name   string
		err    error
		status int
		retry  bool
	}{
		{"invalid", &model.ValidationError{Errors: []model.FieldError{{Field: "x", Message: "bad"}}}, 400, false},
		{"not found", fmt.Errorf("reading: %w", store.ErrNotFound), 404, false},
		{"scheduling conflict", &dispatch.ConflictError{WorkOrderID: "W", Conflicts: []model.Conflict{{Kind: model.ConflictOverlap}}}, 409, false},
		{"lifecycle", &model.TransitionError{From: model.StatusComplete, To: model.StatusEnRoute}, 409, false},
		{"busy", dispatch.ErrBusy, 429, true},
		{"store unavailable", fmt.Errorf("x: %w", store.ErrUnavailable), 503, true},
		{"state lost", fmt.Errorf("x: %w", store.ErrStateLost), 503, true},
		{"a suggestion past its deadline", fmt.Errorf("solver: suggesting: %w", context.DeadlineExceeded), 503, true},
		{"the client hung up", fmt.Errorf("solver: suggesting: %w", context.Canceled), StatusClientClosedRequest, false},
		{"shutting down", dispatch.ErrClosed, 503, false},
		{"a bug", errors.New("index out of range"), 500, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { s.fail(w, r, tc.err) }))
			defer ts.Close()
			resp, err := http.Get(ts.URL)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tc.status || resp.Header.Get("Content-Type") != "application/problem+json" {
				t.Errorf("%v: %d %s %s, want %d problem+json", tc.err, resp.StatusCode, resp.Header.Get("Content-Type"), body, tc.status)
			}
			if got := resp.Header.Get("Retry-After") != ""; got != tc.retry {
				t.Errorf("Retry-After present = %v, want %v", got, tc.retry)
			}
		})
	}
}
