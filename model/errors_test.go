package model_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/dispatchd/dispatchd/model"
)

func TestKindOf(t *testing.T) {
	sentinel := model.KindError(model.ErrNotFound, "store: not found")
	for _, tc := range []struct {
		name string
		err  error
		want model.ErrorKind
	}{
		{"nil", nil, ""},
		{"a kind wrapped", fmt.Errorf("doing: %w", model.ErrConflict), model.ErrConflict},
		{"a package sentinel", fmt.Errorf("reading x: %w", sentinel), model.ErrNotFound},
		{"a validation error", &model.ValidationError{Errors: []model.FieldError{{Field: "a", Message: "b"}}}, model.ErrInvalid},
		{"a refused move", &model.TransitionError{From: model.StatusComplete, To: model.StatusCancelled, Action: model.ActionStatus}, model.ErrConflict},
		{"an unknown key", fmt.Errorf("verifying: %w", model.ErrUnauthenticated), model.ErrUnauthenticated},
		{"another technician's order", fmt.Errorf("reading WO-1: %w", model.ErrForbidden), model.ErrForbidden},
		{"a deadline", fmt.Errorf("suggesting: %w", context.DeadlineExceeded), model.ErrTimedOut},
		{"a hang-up beats what failed after it", fmt.Errorf("%w: %w", model.ErrUnavailable, context.Canceled), model.ErrCanceled},
		{"a kind beats a deadline under it", fmt.Errorf("%w: %w", model.ErrUnavailable, context.DeadlineExceeded), model.ErrUnavailable},
		{"anything else", errors.New("boom"), model.ErrInternal},
	} {
		if got := model.KindOf(tc.err); got != tc.want {
			t.Errorf("%s: KindOf(%v) = %q, want %q", tc.name, tc.err, got, tc.want)
		}
	}
	if !errors.Is(fmt.Errorf("x: %w", sentinel), sentinel) || sentinel.Error() != "store: not found" {
		t.Errorf("a KindError sentinel must match itself and read its message: %v", sentinel)
	}
}
