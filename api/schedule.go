package api

import (
	"net/http"

	"github.com/dispatchd/dispatchd/model"
	"github.com/dispatchd/dispatchd/solver"
	"github.com/dispatchd/dispatchd/store"
	"github.com/go-chi/chi/v5"
)

// scheduleBody is a technician's day as the store has it.
type scheduleBody struct {
	TechnicianID string            `json:"technician_id"`
	Date         model.Date        `json:"date"`
	Shift        model.Shift       `json:"shift"`
	Stops        []scheduleStop    `json:"stops"`
	WorkOrders   []model.WorkOrder `json:"work_orders"`
	Conflicts    []model.Conflict  `json:"conflicts"`
	Live         *store.Live       `json:"live,omitempty"`
}

// scheduleStop is one stop of the day — an order at its planned start,
// with the earliest arrival the previous stop allows, or a break where the
// technician takes it — and the order's status.
type scheduleStop struct {
	model.Stop
	Status model.Status `json:"status,omitempty"`
}

func (s *Server) schedule(w http.ResponseWriter, r *http.Request) {
	id := chi.URLParam(r, "id")
	ctx := r.Context()
	t, err := s.store.GetTechnician(ctx, id)
	if err != nil {
		s.storeError(w, r, err)
		return
	}
	day := model.DateOf(t.Shift.Start)
	if d := r.URL.Query().Get("date"); d != "" {
		if day, err = model.ParseDate(d); err != nil {
			s.invalid(w, r, &model.ValidationError{Errors: []model.FieldError{{Field: "date", Message: "want YYYY-MM-DD"}}})
			return
		}
	}
	orders, err := s.store.Route(ctx, id, day)
	if err != nil {
		s.storeError(w, r, err)
		return
	}
	live, err := s.store.Live(ctx, id)
	if err != nil {
		s.storeError(w, r, err)
		return
	}
	body, err := s.dayOf(&t, day, orders)
	if err != nil {
		s.invalid(w, r, err)
		return
	}
	if l, ok := live[id]; ok {
		body.Live = &l
	}
	s.writeJSON(w, r, http.StatusOK, body)
}

// dayOf lays a technician's orders of a day out in time with the solver's
// conflict kernel, which names every conflict.
func (s *Server) dayOf(t *model.Technician, day model.Date, orders []model.WorkOrder) (scheduleBody, error) {
	b := scheduleBody{TechnicianID: t.ID, Date: day, Shift: t.Shift, Stops: []scheduleStop{}, WorkOrders: []model.WorkOrder{}}
	route := model.Route{TechnicianID: t.ID}
	var scheduled []model.WorkOrder
	status := map[string]model.Status{}
	for _, w := range orders {
		if w.Status == model.StatusCancelled || w.ScheduledStart == nil {
			continue
		}
		if w.Status.Open() {
			b.WorkOrders = append(b.WorkOrders, w)
		}
		scheduled = append(scheduled, w)
		status[w.ID] = w.Status
		route.Stops = append(route.Stops, model.Stop{WorkOrderID: w.ID, Start: *w.ScheduledStart})
	}
	sched, err := solver.Schedule(solver.Day{Technicians: []model.Technician{*t}, Orders: scheduled, Routes: []model.Route{route}, Travel: s.opts.Travel}, t.ID)
	if err != nil {
		return scheduleBody{}, err
	}
	for _, st := range sched.Stops {
		b.Stops = append(b.Stops, scheduleStop{Stop: st, Status: status[st.WorkOrderID]})
	}
	b.Conflicts = sched.Conflicts
	return b, nil
}
