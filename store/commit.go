package store

import (
	"fmt"
	"strings"

	"github.com/dispatchd/dispatchd/model"
)

// Revisions make read-check-write atomic without holding locks across a
// check. Every write to a record, and every change to a technician's day,
// raises a revision that the store keeps per key (a key never written has
// revision 0). The dispatch workflow reads the revisions of what its
// decision depends on before it reads the records, decides (a conflict
// check, a lifecycle move), and commits its writes guarded by those
// revisions: if any moved, nothing is written and the commit reports
// ErrStale, and the caller reads again and decides again. Two dispatchers
// racing for one technician's hour thus cannot both win, whichever
// replicas they talk to.
//
// A commit that writes an order raises the revisions of the order
// (OrderKey), of every route it leaves or joins (RouteKey) and of their
// days (DayKey), of the sites it leaves or joins (SiteKey), and of the
// orders of every technician its old or new version names
// (TechnicianOrdersKey). Writing or deleting a technician raises
// TechnicianKey and TechniciansKey.
// Any write to the policy book raises PoliciesKey.
// Positions raise nothing: a live position changes where a technician is,
// not what they are booked for.

// OrderKey is the revision key of a work order.
func OrderKey(id string) string { return "wo:" + id }

// TechnicianKey is the revision key of a technician's profile.
func TechnicianKey(id string) string { return "tech:" + id }

// TechnicianOrdersKey is the revision key of the orders naming a
// technician, whatever their day or status: any order naming them written,
// moved away or deleted raises it, so that deleting a technician can guard
// on their having no open orders (DeleteTechnician's guards) — and a
// dispatch to them racing the delete makes the delete stale.
func TechnicianOrdersKey(id string) string { return "techorders:" + id }

// TechniciansKey is the revision key of the set of technicians: any
// technician's profile written or deleted raises it.
const TechniciansKey = "techs"

// RouteKey is the revision key of a technician's day: the orders filed
// under it (RouteDay) and their times.
func RouteKey(technicianID string, day model.Date) string {
	return "route:" + technicianID + ":" + day.String()
}

// DayKey is the revision key of a whole day: any route of the day raises
// it, so that a cache of the day knows when to throw itself away.
func DayKey(day model.Date) string { return "day:" + day.String() }

// SiteKey is the revision key of a site: an order at the site written,
// moved or deleted raises it, so that duplicate detection can guard on it.
func SiteKey(siteID string) string { return "site:" + siteID }

// PoliciesKey is the revision key of the policy book: any policy put or
// deleted, and any activation, raises it. A replica that keeps the book
// in memory reads this one revision to know its copy is current.
const PoliciesKey = "policies"

// Guard is a revision a commit expects a key still to have.
type Guard struct {
	Key string
	Rev int64
}

// Change is a set of writes that take effect together or not at all.
type Change struct {
	// Guards must all still hold for the change to be made.
	Guards []Guard
	// Orders are created or replaced, and filed in their technicians'
	// routes as PutWorkOrder files them.
	Orders []model.WorkOrder
	// Delete lists ids of orders to remove.
	Delete []string
	// History is appended to the histories of the orders it names (Seq is
	// set by the store on reading).
	History []model.HistoryEntry
	// Policies are created or replaced in the policy book, by name;
	// DeletePolicies names policies to remove; Activate, when not empty,
	// names the policy to make active (the store does not check that the
	// book holds it: the caller guards on PoliciesKey and decides).
	// PolicyLog is appended to the book's history (Seq is set by the
	// store on reading). Any of them raises PoliciesKey.
	Policies       []model.Policy
	DeletePolicies []string
	Activate       string
	PolicyLog      []model.PolicyChange
	// Raise lists keys whose revisions the change raises besides those
	// its writes raise: a mark that something happened once (a plan
	// applied, PlanKey), which a later change guards on.
	Raise []string
	// Events are appended to the event log, in order, if and only if the
	// change is made: a reader of the log sees every change, in the order
	// the store made them, and none that was not made.
	Events []model.Event
}

// ErrStale is returned (wrapped) by a commit whose guard no longer holds:
// something it depends on changed since it was read. It is of kind
// model.ErrConflict, but a caller normally reads again and retries.
var ErrStale = model.KindError(model.ErrConflict, "store: changed since read")

// StaleError says which guard failed.
type StaleError struct {
	Key       string
	Want, Got int64
}

func (e *StaleError) Error() string {
	return fmt.Sprintf("store: %s is at revision %d, not %d: changed since read", e.Key, e.Got, e.Want)
}

// Unwrap makes errors.Is(err, ErrStale) true, and the error of kind
// model.ErrConflict.
func (e *StaleError) Unwrap() error { return ErrStale }

// CheckChange refuses a change a store must not make: an order without an
// id or written twice, an order both written and deleted, a bad guard, a
// history entry that names no order.
func CheckChange(c Change) error {
	written := map[string]bool{}
	for _, w := range c.Orders {
		if w.ID == "" {
			return fmt.Errorf("store: committing a change: an order without an id")
		}
		if written[w.ID] {
			return fmt.Errorf("store: committing a change: order %s written twice", w.ID)
		}
		written[w.ID] = true
	}
	for _, id := range c.Delete {
		if written[id] {
			return fmt.Errorf("store: committing a change: order %s both written and deleted", id)
		}
	}
	for _, g := range c.Guards {
		if g.Key == "" || strings.ContainsAny(g.Key, "\x00") || g.Rev < 0 {
			return fmt.Errorf("store: committing a change: bad guard %q at %d", g.Key, g.Rev)
		}
	}
	for _, h := range c.History {
		if h.WorkOrderID == "" {
			return fmt.Errorf("store: committing a change: a history entry without a work order")
		}
	}
	put := map[string]bool{}
	for _, p := range c.Policies {
		if p.Name == "" {
			return fmt.Errorf("store: committing a change: a policy without a name")
		}
		if put[p.Name] {
			return fmt.Errorf("store: committing a change: policy %s written twice", p.Name)
		}
		put[p.Name] = true
	}
	for _, name := range c.DeletePolicies {
		if name == "" || put[name] {
			return fmt.Errorf("store: committing a change: policy %q both written and deleted, or unnamed", name)
		}
	}
	for _, h := range c.PolicyLog {
		if h.Name == "" {
			return fmt.Errorf("store: committing a change: a policy history entry without a policy name")
		}
	}
	for _, k := range c.Raise {
		if k == "" || strings.ContainsAny(k, "\x00") {
			return fmt.Errorf("store: committing a change: bad key to raise %q", k)
		}
	}
	for _, e := range c.Events {
		if !e.Type.Known() {
			return fmt.Errorf("store: committing a change: an event of unknown type %q", e.Type)
		}
	}
	return nil
}

// WritesPolicies reports whether a change writes the policy book, and so
// raises PoliciesKey.
func WritesPolicies(c Change) bool {
	return len(c.Policies) > 0 || len(c.DeletePolicies) > 0 || c.Activate != "" || len(c.PolicyLog) > 0
}
