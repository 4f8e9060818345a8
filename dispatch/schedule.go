package dispatch

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/dispatchd/dispatchd/model"
	"github.com/dispatchd/dispatchd/solver"
	"github.com/dispatchd/dispatchd/store"
)

// Schedule is a technician's day as the store has it, laid out in time by
// the scheduling kernel: every stop with its travel, planned and actual
// times and status, the breaks where they are taken, and every conflict
// of the day flagged.
type Schedule struct {
	TechnicianID string            `json:"technician_id"`
	Date         model.Date        `json:"date"`
	Shift        model.Shift       `json:"shift"`
	Stops        []ScheduleStop    `json:"stops"`
	WorkOrders   []model.WorkOrder `json:"work_orders"`
	Conflicts    []model.Conflict  `json:"conflicts"`
	Live         *store.Live       `json:"live,omitempty"`
}

// ScheduleStop is one stop of the day: an order where the day lays it out
// (at its actual times once the field reported them), or a break where the
// technician takes it. PlannedStart is the order's scheduled start;
// EnRouteAt, OnSiteAt and CompletedAt what the field reported.
type ScheduleStop struct {
	model.Stop
	Status       model.Status `json:"status,omitempty"`
	PlannedStart *time.Time   `json:"planned_start,omitempty"`
	EnRouteAt    *time.Time   `json:"en_route_at,omitempty"`
	OnSiteAt     *time.Time   `json:"on_site_at,omitempty"`
	CompletedAt  *time.Time   `json:"completed_at,omitempty"`
}

// TechnicianSchedule lays out a technician's day: date, or when zero the
// day of their shift. Cancelled orders are left out; a crew order stands
// in the day under its own id. An actor bound to a technician reads only
// their own.
func (s *Service) TechnicianSchedule(ctx context.Context, id string, date model.Date, by Actor) (Schedule, error) {
	if err := by.forTechnician(id); err != nil {
		return Schedule{}, err
	}
	t, err := s.store.GetTechnician(ctx, id)
	if err != nil {
		return Schedule{}, fmt.Errorf("dispatch: reading technician %s: %w", id, err)
	}
	if date.IsZero() {
		date = model.DateOf(t.Shift.Start)
	}
	orders, err := s.store.Route(ctx, id, date)
	if err != nil {
		return Schedule{}, fmt.Errorf("dispatch: reading the route of %s on %s: %w", id, date, err)
	}
	live, err := s.store.Live(ctx, id)
	if err != nil {
		return Schedule{}, fmt.Errorf("dispatch: reading the live state of %s: %w", id, err)
	}
	out := Schedule{TechnicianID: id, Date: date, Shift: t.Shift, Stops: []ScheduleStop{}, WorkOrders: []model.WorkOrder{},
		Conflicts: []model.Conflict{}}
	if l, ok := live[id]; ok {
		out.Live = &l
	}
	route := model.Route{TechnicianID: id}
	var day []model.WorkOrder
	byID := map[string]model.WorkOrder{}
	for _, w := range orders {
		if w.Status == model.StatusCancelled || w.ScheduledStart == nil {
			continue
		}
		if w.Status.Open() {
			out.WorkOrders = append(out.WorkOrders, w)
		}
		o := onRoute(w, id)
		// The day is laid out for this technician alone: references to
		// the others (a preference for or an exclusion of someone else)
		// say nothing about it and would not validate.
		o.PreferredTechnicians = onlyTechnician(o.PreferredTechnicians, id)
		o.ExcludedTechnicians = onlyTechnician(o.ExcludedTechnicians, id)
		byID[o.ID] = w
		day = append(day, o)
		route.Stops = append(route.Stops, stopOf(&o))
	}
	laid, err := solver.Schedule(solver.Day{Now: s.clock(), Technicians: []model.Technician{t}, Orders: day,
		Routes: []model.Route{route}, Travel: s.model}, id)
	if err != nil {
		return Schedule{}, fmt.Errorf("dispatch: laying out the day of %s: %v: %w", id, err, model.ErrInternal)
	}
	for _, st := range laid.Stops {
		ss := ScheduleStop{Stop: st}
		if w, ok := byID[st.WorkOrderID]; ok {
			ss.WorkOrderID = w.ID
			ss.Status, ss.PlannedStart = w.Status, w.ScheduledStart
			ss.EnRouteAt, ss.OnSiteAt, ss.CompletedAt = w.EnRouteAt, w.OnSiteAt, w.CompletedAt
		}
		out.Stops = append(out.Stops, ss)
	}
	out.Conflicts = append(out.Conflicts, uncrew(laid.Conflicts)...)
	return out, nil
}

// onlyTechnician returns ids with every technician but id left out.
func onlyTechnician(ids []string, id string) []string {
	if slices.Contains(ids, id) {
		return []string{id}
	}
	return nil
}
