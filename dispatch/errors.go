package dispatch

import (
	"fmt"
	"strings"

	"github.com/dispatchd/dispatchd/model"
)

// ConflictError says that an assignment breaks scheduling rules: each
// conflict is listed, and a dispatcher may override them.
type ConflictError struct {
	WorkOrderID string
	Conflicts   []model.Conflict
}

func (e *ConflictError) Error() string {
	texts := make([]string, len(e.Conflicts))
	for i, c := range e.Conflicts {
		texts[i] = c.String()
	}
	return fmt.Sprintf("dispatch: %s conflicts (%d): %s; override to dispatch anyway", e.WorkOrderID, len(e.Conflicts), strings.Join(texts, "; "))
}

// Unwrap makes the error of kind model.ErrConflict.
func (e *ConflictError) Unwrap() error { return model.ErrConflict }

// DuplicateError says that a new order looks like open orders already
// taken in: same site, same equipment (or job type), overlapping window or
// day. Creating it (or changing an order into it) anyway takes
// allow_duplicate.
type DuplicateError struct {
	Existing []model.WorkOrder
}

func (e *DuplicateError) Error() string {
	return fmt.Sprintf("dispatch: a likely duplicate of %s; allow_duplicate to create or change it anyway", strings.Join(ids(e.Existing), ", "))
}

// Unwrap makes the error of kind model.ErrConflict.
func (e *DuplicateError) Unwrap() error { return model.ErrConflict }

// ExistsError says that an order with the id already exists.
type ExistsError struct{ ID string }

func (e *ExistsError) Error() string {
	return fmt.Sprintf("dispatch: work order %s already exists", e.ID)
}

// Unwrap makes the error of kind model.ErrConflict.
func (e *ExistsError) Unwrap() error { return model.ErrConflict }

func ids(orders []model.WorkOrder) []string {
	out := make([]string, len(orders))
	for i, w := range orders {
		out[i] = w.ID
	}
	return out
}
