package dispatch

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/dispatchd/dispatchd/model"
	"github.com/dispatchd/dispatchd/store"
)

// TechnicianView is a technician with their live state, when known, and,
// in the answer to a replacement, the conflicts it gives their day.
type TechnicianView struct {
	model.Technician
	Live      *store.Live      `json:"live,omitempty"`
	Conflicts []model.Conflict `json:"conflicts,omitempty"`
}

// PutTechnician creates or replaces a technician, validated, and reports
// whether it created one and every conflict the technician's day (of
// their shift) now has: a replacement is stored even when it breaks the
// day — a shorter shift, a lapsed certification are the office's to set —
// but the dispatcher must see what it breaks. A stored technician needs
// coordinates: the stored day is laid out with the service's travel
// model, which has no matrix rows.
func (s *Service) PutTechnician(ctx context.Context, t model.Technician) (created bool, conflicts []model.Conflict, err error) {
	var errs []model.FieldError
	var ve *model.ValidationError
	if err := t.Validate(); errors.As(err, &ve) {
		errs = append(errs, ve.Errors...)
	}
	if t.Start.Index != nil {
		errs = append(errs, model.FieldError{Field: "start.location_index", Message: "a stored technician needs coordinates, not a location_index"})
	}
	if t.End != nil && t.End.Index != nil {
		errs = append(errs, model.FieldError{Field: "end.location_index", Message: "a stored technician needs coordinates, not a location_index"})
	}
	if len(errs) > 0 {
		return false, nil, &model.ValidationError{Errors: errs}
	}
	created, err = s.store.PutTechnician(ctx, t)
	if err != nil {
		return false, nil, fmt.Errorf("dispatch: putting technician %s: %w", t.ID, err)
	}
	if created {
		return true, []model.Conflict{}, nil
	}
	// The replacement is made: a day that cannot be read now is logged,
	// not reported as a failed write.
	day, err := s.TechnicianSchedule(ctx, t.ID, model.Date{}, Actor{})
	if err != nil {
		s.log.WarnContext(ctx, "checking the day of a replaced technician", "technician", t.ID, "err", err)
		return false, nil, nil
	}
	return false, day.Conflicts, nil
}

// Technician returns a technician with their live state; an actor bound
// to a technician reads only their own.
func (s *Service) Technician(ctx context.Context, id string, by Actor) (TechnicianView, error) {
	if err := by.forTechnician(id); err != nil {
		return TechnicianView{}, err
	}
	t, err := s.store.GetTechnician(ctx, id)
	if err != nil {
		return TechnicianView{}, fmt.Errorf("dispatch: reading technician %s: %w", id, err)
	}
	live, err := s.store.Live(ctx, id)
	if err != nil {
		return TechnicianView{}, fmt.Errorf("dispatch: reading the live state of %s: %w", id, err)
	}
	v := TechnicianView{Technician: t}
	if l, ok := live[id]; ok {
		v.Live = &l
	}
	return v, nil
}

// TechnicianFilter selects technicians; the zero value selects all.
type TechnicianFilter struct {
	// Skill keeps technicians with the skill at any level.
	Skill string
	// Active keeps active (true) or inactive (false) technicians.
	Active *bool
	// Near keeps technicians whose last position is within RadiusMeters
	// of it (DefaultNearRadius when zero).
	Near         *model.Location
	RadiusMeters float64
}

// DefaultNearRadius is the radius of TechnicianFilter.Near when none is
// given.
const DefaultNearRadius = 5000.0

// Technicians lists the technicians a filter selects, sorted by id, each
// with their live state.
func (s *Service) Technicians(ctx context.Context, f TechnicianFilter) ([]TechnicianView, error) {
	radius := f.RadiusMeters
	if radius == 0 {
		radius = DefaultNearRadius
	}
	var errs []model.FieldError
	if p := model.NearRadiusProblem(radius); p != "" {
		errs = append(errs, model.FieldError{Field: "radius_m", Message: p})
	}
	if p := model.NameProblem(f.Skill); f.Skill != "" && p != "" {
		errs = append(errs, model.FieldError{Field: "skill", Message: p})
	}
	if len(errs) > 0 {
		return nil, &model.ValidationError{Errors: errs}
	}
	techs, err := s.store.ListTechnicians(ctx)
	if err != nil {
		return nil, fmt.Errorf("dispatch: listing technicians: %w", err)
	}
	var within map[string]bool
	var nearIDs []string
	if f.Near != nil {
		nearIDs, err = s.store.Near(ctx, *f.Near, radius)
		if err != nil {
			return nil, fmt.Errorf("dispatch: finding technicians near %v: %w", *f.Near, err)
		}
		within = map[string]bool{}
		for _, id := range nearIDs {
			within[id] = true
		}
	}
	// Near already names the only technicians that can be listed: read
	// their live state alone. Live with no ids reads everyone's, so with
	// nobody near there is nothing to read.
	live := map[string]store.Live{}
	if f.Near == nil || len(nearIDs) > 0 {
		if live, err = s.store.Live(ctx, nearIDs...); err != nil {
			return nil, fmt.Errorf("dispatch: reading live states: %w", err)
		}
	}
	out := []TechnicianView{}
	for _, t := range techs {
		switch {
		case f.Skill != "" && t.Skills[f.Skill] == 0:
		case f.Active != nil && t.IsActive() != *f.Active:
		case within != nil && !within[t.ID]:
		default:
			v := TechnicianView{Technician: t}
			if l, ok := live[t.ID]; ok {
				v.Live = &l
			}
			out = append(out, v)
		}
	}
	return out, nil
}

// DeleteTechnician removes a technician and their live state, and revokes
// the keys bound to them first: a technician made again under the same id
// later must not inherit the phone of the one deleted. A technician who
// still has open work orders is not deleted (model.ErrConflict naming
// them): those orders would drop out of every schedule and suggestion
// while still saying they are dispatched. Reassign or cancel them first.
// The delete is guarded by the revision of the technician's orders
// (store.TechnicianOrdersKey), read before the orders are: an order
// dispatched to them between the check and the delete makes the delete
// stale, and it checks again; a dispatch that read the technician before
// the delete is stale by their profile's revision. So a dispatch and a
// delete racing cannot both succeed. (Keys revoked before a delete that
// then finds a new open order stay revoked.)
func (s *Service) DeleteTechnician(ctx context.Context, id string, by Actor) error {
	for attempt := 1; ; attempt++ {
		err := s.deleteTechnician(ctx, id, by)
		if !errors.Is(err, store.ErrStale) {
			return err
		}
		if attempt == maxAttempts {
			return fmt.Errorf("dispatch: deleting technician %s: their orders still changing after %d attempts, try again: %w", id, attempt, err)
		}
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("dispatch: deleting technician %s: %w", id, err)
		}
	}
}

// deleteTechnician is one attempt of DeleteTechnician: store.ErrStale
// when the technician's orders changed since they were read.
func (s *Service) deleteTechnician(ctx context.Context, id string, by Actor) error {
	revs, err := s.store.Revisions(ctx, store.TechnicianOrdersKey(id))
	if err != nil {
		return fmt.Errorf("dispatch: deleting technician %s: reading the revision of their orders: %w", id, err)
	}
	orders, err := s.store.ListWorkOrders(ctx)
	if err != nil {
		return fmt.Errorf("dispatch: deleting technician %s: reading their orders: %w", id, err)
	}
	var open []string
	for _, w := range orders {
		if w.Status.Open() && slices.Contains(w.TechnicianIDs, id) {
			open = append(open, w.ID+" ("+string(w.Status)+")")
		}
	}
	if len(open) > 0 {
		if len(open) > 10 {
			open = append(open[:10], fmt.Sprintf("and %d more", len(open)-10))
		}
		return fmt.Errorf("dispatch: technician %s still has open work orders %s: reassign or cancel them first: %w",
			id, strings.Join(open, ", "), model.ErrConflict)
	}
	if err := s.revokeBound(ctx, id, by); err != nil {
		return err
	}
	if err := s.store.DeleteTechnician(ctx, id, store.Guard{Key: store.TechnicianOrdersKey(id), Rev: revs[0]}); err != nil {
		return fmt.Errorf("dispatch: deleting technician %s: %w", id, err)
	}
	return nil
}

// RecordPosition keeps a technician's live GPS fix (and status, unless
// empty) and reports whether it was kept: a fix older than the stored one
// is not. A fix stamped further ahead of the service's clock than
// MaxClockSkew is refused, naming "at"; a status not of
// model.LiveStatuses, naming "status". An actor bound to a technician
// posts only their own. A fix kept is published as a technician.location
// event, at most one per technician per LocationEvery.
func (s *Service) RecordPosition(ctx context.Context, p model.Position, status model.LiveStatus, by Actor) (applied bool, err error) {
	if err := by.forTechnician(p.TechnicianID); err != nil {
		return false, err
	}
	var errs []model.FieldError
	var ve *model.ValidationError
	if err := p.Validate(); errors.As(err, &ve) {
		errs = ve.Errors
	}
	if err := s.notAhead("at", p.At); err != nil {
		errs = append(errs, err.(*model.ValidationError).Errors...)
	}
	if problem := model.LiveStatusProblem(status); problem != "" {
		errs = append(errs, model.FieldError{Field: "status", Message: problem})
	}
	if len(errs) > 0 {
		return false, &model.ValidationError{Errors: errs}
	}
	applied, err = s.store.UpdatePosition(ctx, p, string(status))
	if err != nil {
		return false, fmt.Errorf("dispatch: recording the position of %s: %w", p.TechnicianID, err)
	}
	if applied {
		s.locationEvent(p, by)
	}
	return applied, nil
}

// notAhead refuses a reported time further ahead of the clock than the
// allowed skew: a device with a wrong clock.
func (s *Service) notAhead(field string, t time.Time) error {
	now := s.clock()
	if !t.After(now.Add(s.skew)) {
		return nil
	}
	return invalid(field, "%s is %v ahead of the server's clock (%s); more than %v means the device's clock is wrong",
		t.Format(time.RFC3339), t.Sub(now).Round(time.Second), now.UTC().Format(time.RFC3339), s.skew)
}
