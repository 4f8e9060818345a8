package auth

import (
	"slices"
	"strings"
)

// Role is what a key is for: the job of whoever holds it.
type Role string

// The roles a key may have.
const (
	// Viewer reads everything but keys: a wallboard, a report.
	Viewer Role = "viewer"
	// Dispatcher runs the day: work orders, dispatch, reassignment,
	// suggestions, slots and plans.
	Dispatcher Role = "dispatcher"
	// Technician is one technician's device, bound to their id: their own
	// schedule, position and assigned orders, and nobody else's.
	Technician Role = "technician"
	// Operator tunes the scheduling policy and weights, and reads.
	Operator Role = "operator"
	// Admin does everything, keys and technicians included.
	Admin Role = "admin"
)

// Roles lists every role, from the least to the most it may do.
var Roles = []Role{Viewer, Technician, Operator, Dispatcher, Admin}

// Known reports whether r is one of Roles.
func (r Role) Known() bool { return slices.Contains(Roles, r) }

// Permission is one kind of action a route performs; a role grants some.
// Every route of the API names the permissions that let a caller in, and
// nothing else decides who may call it.
type Permission string

// The permissions.
const (
	// Anyone needs no key: health, readiness, the API's own description
	// (and metrics, unless the service is told to guard them).
	Anyone Permission = "anyone"
	// Read is reading the dispatch state: technicians, work orders and
	// their history, schedules, plans.
	Read Permission = "read"
	// Dispatch is changing work orders and planning: intake, updates,
	// dispatch, reassignment, status, suggestions, slots, plans.
	Dispatch Permission = "dispatch"
	// Field is what a technician's device does for its own technician:
	// read their schedule and assigned orders, post their position, move
	// their orders along. The dispatch layer holds a key bound to a
	// technician to that technician's records.
	Field Permission = "field"
	// Policy is changing the scheduling policy and its weights.
	Policy Permission = "policy"
	// Manage is managing keys and technicians.
	Manage Permission = "manage"
)

// grants is what each role may do.
var grants = map[Role][]Permission{
	Viewer:     {Read},
	Technician: {Field},
	Operator:   {Read, Policy},
	Dispatcher: {Read, Dispatch},
	Admin:      {Read, Dispatch, Field, Policy, Manage},
}

// Permissions lists what a role may do; Anyone is implied.
func (r Role) Permissions() []Permission { return slices.Clone(grants[r]) }

// Can reports whether the role may do what needs p.
func (r Role) Can(p Permission) bool { return p == Anyone || slices.Contains(grants[r], p) }

// CanAny reports whether the role may do what needs any of ps.
func (r Role) CanAny(ps []Permission) bool {
	for _, p := range ps {
		if r.Can(p) {
			return true
		}
	}
	return false
}

// RolesFor lists the roles that have any of ps, in the order of Roles:
// whom a refusal names as allowed.
func RolesFor(ps []Permission) []Role {
	var out []Role
	for _, r := range Roles {
		if r.CanAny(ps) {
			out = append(out, r)
		}
	}
	return out
}

// Spell lists roles as "a, b or c", for a person to read.
func Spell(roles []Role) string {
	names := make([]string, len(roles))
	for i, r := range roles {
		names[i] = string(r)
	}
	switch len(names) {
	case 0:
		return "no role"
	case 1:
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}
