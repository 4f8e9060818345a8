package dispatch

import (
	"fmt"
	"slices"

	"github.com/dispatchd/dispatchd/auth"
	"github.com/dispatchd/dispatchd/model"
)

// Actor is who makes a request: the API key it came with, never a name a
// request body gives. Every history entry records its name and key id.
//
// An actor bound to a technician (a technician's key) acts for that
// technician alone: it reads their schedule and the orders assigned to
// them, posts their position, and moves their orders through the field
// statuses (FieldStatuses); anything of another technician's is
// model.ErrForbidden. This is checked here, on the records themselves,
// and not where a route is matched: the route table says which roles may
// call a route, and only the records say whose they are.
type Actor struct {
	// KeyID and Name are the key's.
	KeyID string
	Name  string
	// Technician, when set, is the one technician the actor acts for.
	Technician string
}

// ActorOf is the actor a key makes.
func ActorOf(k auth.Key) Actor {
	return Actor{KeyID: k.ID, Name: k.Name, Technician: k.TechnicianID}
}

// FieldStatuses are the moves a technician makes on their own orders:
// cancelling, dispatching and reassigning are the desk's.
var FieldStatuses = []model.Status{model.StatusAcknowledged, model.StatusEnRoute, model.StatusOnSite, model.StatusComplete}

// bound reports whether the actor acts for one technician only.
func (a Actor) bound() bool { return a.Technician != "" }

// forTechnician refuses a bound actor another technician's records.
func (a Actor) forTechnician(id string) error {
	if !a.bound() || id == a.Technician {
		return nil
	}
	return fmt.Errorf("dispatch: the key %q acts for technician %s only, not %s: %w", a.Name, a.Technician, id, model.ErrForbidden)
}

// forOrder refuses a bound actor an order not assigned to its technician.
func (a Actor) forOrder(w *model.WorkOrder) error {
	if !a.bound() || slices.Contains(w.TechnicianIDs, a.Technician) {
		return nil
	}
	return fmt.Errorf("dispatch: the key %q acts for technician %s only; work order %s is not assigned to them: %w",
		a.Name, a.Technician, w.ID, model.ErrForbidden)
}
