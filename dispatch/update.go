package dispatch

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"

	"github.com/dispatchd/dispatchd/model"
	"github.com/dispatchd/dispatchd/store"
)

// Patchable lists the work-order fields an update may change, by their
// JSON names. The others belong to a step of the workflow: the id never
// changes; technicians and start to dispatch and reassign; status, actual
// times and outcome to status updates; created_at and updated_at to the
// service.
var Patchable = []string{
	"customer_id", "customer_name", "site_id", "equipment_id", "job_type", "priority", "location", "address",
	"duration_s", "required_skills", "required_certifications", "required_tools", "technicians_needed",
	"time_windows", "sla_deadline", "preferred_technicians", "excluded_technicians", "demand", "notes",
	"access_instructions", "arrival_window", "dispatch_notes", "pinned",
}

// owners says which step of the workflow sets a field that is not
// patchable.
var owners = map[string]string{
	"id":              "the id of a work order never changes",
	"status":          "set by POST /v1/workorders/{id}/status",
	"technician_ids":  "set by dispatch or reassign",
	"scheduled_start": "set by dispatch or reassign",
	"en_route_at":     "stamped by the en_route status",
	"on_site_at":      "stamped by the on_site status",
	"completed_at":    "stamped by the complete status",
	"outcome":         "given with the complete status",
	"created_at":      "set by the service",
	"updated_at":      "set by the service",
}

// Update is a change of an order's fields: a JSON merge patch (RFC 7396)
// of the order — a field given replaces the stored one, null clears it,
// and objects (skills, a location) merge field by field.
type Update struct {
	Patch  map[string]json.RawMessage
	Reason string
	// AllowDuplicate changes the order even though, at its new site,
	// equipment or job type, it looks like an open one (as an intake's
	// allow_duplicate); the history records the duplicates.
	AllowDuplicate bool
}

// UpdateResult is an updated order and, when it is dispatched, every
// conflict the change gives its day (reported, not refused: a customer who
// moves their window is not a dispatcher's mistake, but the dispatcher
// must see what it breaks). Later stops the change pushes within their
// windows move, each with a retimed history entry, as after a dispatch.
type UpdateResult struct {
	WorkOrder model.WorkOrder  `json:"work_order"`
	Conflicts []model.Conflict `json:"conflicts"`
}

// UpdateWorkOrder changes fields of an order that is not complete or
// cancelled. Fields outside Patchable are refused, each naming the step
// that sets it, and so is a name inside a value that is not the field's
// exact name; the result is validated like an intake. A change of the
// site, equipment or job type is checked for duplicates as an intake is
// (a *DuplicateError unless the update allows it), guarded by the site's
// revision. The history records every field changed, from and to. An
// update that changes nothing records nothing.
func (s *Service) UpdateWorkOrder(ctx context.Context, id string, u Update, by Actor) (UpdateResult, error) {
	var errs []model.FieldError
	keys := make([]string, 0, len(u.Patch))
	for k := range u.Patch {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		switch owner, owned := owners[k]; {
		case owned:
			errs = append(errs, model.FieldError{Field: k, Message: "cannot be changed here: " + owner})
		case !slices.Contains(Patchable, k):
			errs = append(errs, model.FieldError{Field: k, Message: "unknown field"})
		}
	}
	if len(keys) == 0 {
		errs = append(errs, model.FieldError{Message: "nothing to change: give the fields to change"})
	}
	errs = append(errs, exactNames(u.Patch)...)
	if len(errs) > 0 {
		return UpdateResult{}, &model.ValidationError{Errors: errs}
	}
	var out UpdateResult
	err := s.retry(ctx, "updating "+id, func() (store.Change, error) {
		rev, w, err := s.readOrder(ctx, id)
		if err != nil {
			return store.Change{}, err
		}
		if !w.Status.Open() {
			return store.Change{}, fmt.Errorf("dispatch: work order %s is %s: only open orders change: %w", id, w.Status, model.ErrConflict)
		}
		next, changes, err := merge(w, u.Patch)
		if err != nil {
			return store.Change{}, err
		}
		out = UpdateResult{WorkOrder: w, Conflicts: []model.Conflict{}}
		if len(changes) == 0 {
			return store.Change{}, errUnchanged
		}
		now := s.now()
		next.UpdatedAt = &now
		if errs := validateOrder(&next); len(errs) > 0 {
			return store.Change{}, &model.ValidationError{Errors: blamePatch(errs, &next, changes)}
		}
		c := store.Change{Guards: []store.Guard{{Key: store.OrderKey(id), Rev: rev}}, Orders: []model.WorkOrder{next}}
		entry := model.HistoryEntry{WorkOrderID: id, Action: model.HistoryUpdated, At: now, By: by.Name, ByKey: by.KeyID, Reason: u.Reason, Changes: changes}
		guard, dups, err := s.updateDuplicates(ctx, next, changes)
		if err != nil {
			return store.Change{}, err
		}
		if guard != nil {
			c.Guards = append(c.Guards, *guard)
		}
		if len(dups) > 0 {
			if !u.AllowDuplicate {
				return store.Change{}, &DuplicateError{Existing: dups}
			}
			entry.DuplicateOf = ids(dups)
			if entry.Reason == "" {
				entry.Reason = "allowed as a duplicate"
			}
		}
		if len(next.TechnicianIDs) > 0 && next.ScheduledStart != nil {
			days, verdict, err := s.checkOnDays(ctx, &next)
			if err != nil {
				return store.Change{}, err
			}
			out.Conflicts = verdict.Conflicts
			entry.Conflicts = verdict.Conflicts
			c.Guards = append(c.Guards, days.guards...)
			// A longer or later order pushes the stops after it, within
			// their windows, as a dispatch does.
			moved := days.retime(verdict.Moves, id, now, by)
			c.Orders = append(c.Orders, moved.orders...)
			c.History = append(c.History, moved.history...)
		}
		c.History = append([]model.HistoryEntry{entry}, c.History...)
		out.WorkOrder = next
		return c, nil
	})
	if errors.Is(err, errUnchanged) {
		return out, nil
	}
	if err != nil {
		return UpdateResult{}, err
	}
	return out, nil
}

// blamePatch names the patched field in the errors an update's patch
// causes on fields a patch cannot send: the order's validation says its
// technician_ids do not match technicians_needed, or that a pinned order
// needs technician_ids and a scheduled_start, but the client sent
// technicians_needed or pinned, and must be told about that.
func blamePatch(errs []model.FieldError, next *model.WorkOrder, changes []model.FieldChange) []model.FieldError {
	changed := func(field string) bool {
		return slices.ContainsFunc(changes, func(c model.FieldChange) bool { return c.Field == field })
	}
	var out []model.FieldError
	pinned := false
	for _, fe := range errs {
		switch {
		case fe.Field == "technician_ids" && changed("technicians_needed") && len(next.TechnicianIDs) > 0 && len(next.TechnicianIDs) != next.Crew():
			fe = model.FieldError{Field: "technicians_needed", Message: fmt.Sprintf("%d, but the order is dispatched to %d technician(s) (%s): the crew of a dispatched order cannot change by an update",
				next.Crew(), len(next.TechnicianIDs), strings.Join(next.TechnicianIDs, ", "))}
		case changed("pinned") && next.Pinned && ((fe.Field == "technician_ids" && len(next.TechnicianIDs) == 0) || (fe.Field == "scheduled_start" && next.ScheduledStart == nil)):
			if pinned {
				continue
			}
			pinned = true
			fe = model.FieldError{Field: "pinned", Message: "an order without technicians and a start cannot be pinned: dispatch it first"}
		}
		out = append(out, fe)
	}
	return out
}

// updateDuplicates looks for duplicates of an updated order when the
// update changes what makes one (its site, equipment or job type), as an
// intake does: the likely duplicates at its site, and the guard on the
// site's revision (read before its orders) that its commit must carry, so
// that two racing changes into one duplicate cannot both pass. An update
// of other fields checks nothing (nil guard): an order allowed as a
// duplicate is not refused again for a new note.
func (s *Service) updateDuplicates(ctx context.Context, next model.WorkOrder, changes []model.FieldChange) (*store.Guard, []model.WorkOrder, error) {
	if next.SiteID == "" || !slices.ContainsFunc(changes, func(c model.FieldChange) bool {
		return c.Field == "site_id" || c.Field == "equipment_id" || c.Field == "job_type"
	}) {
		return nil, nil, nil
	}
	key := store.SiteKey(next.SiteID)
	revs, err := s.store.Revisions(ctx, key)
	if err != nil {
		return nil, nil, fmt.Errorf("dispatch: looking for duplicates of %s: %w", next.ID, err)
	}
	at, err := s.store.OrdersAtSite(ctx, next.SiteID)
	if err != nil {
		return nil, nil, fmt.Errorf("dispatch: looking for duplicates of %s: %w", next.ID, err)
	}
	return &store.Guard{Key: key, Rev: revs[0]}, duplicates(next, at), nil
}

// exactNames names every field inside the patch's patchable values that
// the order does not have by that exact name ("location.Lat", a
// misspelling) or whose value is of the wrong type: the merged order is
// decoded as a trusted document would be, which matches names ignoring
// case, and would otherwise drop such a field without a word.
func exactNames(patch map[string]json.RawMessage) []model.FieldError {
	doc := make(map[string]json.RawMessage, len(patch))
	for k, v := range patch {
		if slices.Contains(Patchable, k) {
			doc[k] = v
		}
	}
	data, err := json.Marshal(doc)
	if err != nil {
		return []model.FieldError{{Message: "the patch is not JSON: " + err.Error()}}
	}
	if ve := model.FieldErrors(data, reflect.TypeFor[model.WorkOrder]()); ve != nil {
		return ve.Errors
	}
	return nil
}

// errUnchanged says an update changes nothing: there is nothing to write.
var errUnchanged = errors.New("dispatch: nothing changes")

// merge applies a merge patch to an order and lists the top-level fields
// whose values changed.
func merge(w model.WorkOrder, patch map[string]json.RawMessage) (model.WorkOrder, []model.FieldChange, error) {
	data, err := json.Marshal(w)
	if err != nil {
		return model.WorkOrder{}, nil, fmt.Errorf("dispatch: encoding work order %s: %w", w.ID, err)
	}
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(data, &doc); err != nil {
		return model.WorkOrder{}, nil, fmt.Errorf("dispatch: decoding work order %s: %w", w.ID, err)
	}
	before := make(map[string]json.RawMessage, len(doc))
	for k, v := range doc {
		before[k] = v
	}
	for k, v := range patch {
		merged, err := mergeValue(doc[k], v)
		if err != nil {
			return model.WorkOrder{}, nil, &model.ValidationError{Errors: []model.FieldError{{Field: k, Message: err.Error()}}}
		}
		if merged == nil {
			delete(doc, k)
		} else {
			doc[k] = merged
		}
	}
	data, err = json.Marshal(doc)
	if err != nil {
		return model.WorkOrder{}, nil, fmt.Errorf("dispatch: encoding the updated order %s: %w", w.ID, err)
	}
	var next model.WorkOrder
	if err := model.Decode(data, &next); err != nil {
		return model.WorkOrder{}, nil, err
	}
	// Compare what the updated order encodes to, so that a value written
	// differently (a time in another zone, 2 for 2.0) is no change.
	data, err = json.Marshal(next)
	if err != nil {
		return model.WorkOrder{}, nil, fmt.Errorf("dispatch: encoding the updated order %s: %w", w.ID, err)
	}
	var after map[string]json.RawMessage
	if err := json.Unmarshal(data, &after); err != nil {
		return model.WorkOrder{}, nil, fmt.Errorf("dispatch: decoding the updated order %s: %w", w.ID, err)
	}
	var changes []model.FieldChange
	for _, k := range Patchable {
		if !bytes.Equal(before[k], after[k]) {
			changes = append(changes, model.FieldChange{Field: k, From: jsonOrNull(before[k]), To: jsonOrNull(after[k])})
		}
	}
	return next, changes, nil
}

// mergeValue merges a patch value into a document value (RFC 7396): null
// removes (nil), an object merges into an object member by member,
// anything else replaces.
func mergeValue(doc, patch json.RawMessage) (json.RawMessage, error) {
	if bytes.Equal(bytes.TrimSpace(patch), []byte("null")) {
		return nil, nil
	}
	var p map[string]json.RawMessage
	if json.Unmarshal(patch, &p) != nil {
		return patch, nil // not an object: it replaces
	}
	var d map[string]json.RawMessage
	if json.Unmarshal(doc, &d) != nil || d == nil {
		d = map[string]json.RawMessage{}
	}
	for k, v := range p {
		merged, err := mergeValue(d[k], v)
		if err != nil {
			return nil, err
		}
		if merged == nil {
			delete(d, k)
		} else {
			d[k] = merged
		}
	}
	out, err := json.Marshal(d)
	if err != nil {
		return nil, fmt.Errorf("merging: %w", err)
	}
	return out, nil
}

func jsonOrNull(v json.RawMessage) json.RawMessage {
	if v == nil {
		return json.RawMessage("null")
	}
	return v
}
