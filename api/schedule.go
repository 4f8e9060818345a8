package api

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/dispatchd/dispatchd/geo"
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
	Conflicts    []conflict        `json:"conflicts"`
	Live         *store.Live       `json:"live,omitempty"`
}

// scheduleStop is one order of the day, with the earliest arrival the
// previous stop allows.
type scheduleStop struct {
	WorkOrderID string         `json:"work_order_id"`
	Status      model.Status   `json:"status"`
	Arrival     time.Time      `json:"arrival"`
	Start       time.Time      `json:"start"`
	End         time.Time      `json:"end"`
	Travel      model.Seconds  `json:"travel_s"`
	Distance    float64        `json:"distance_m"`
	Location    model.Location `json:"location"`
}

// conflict is a rule a technician's day breaks, for the stop that breaks
// it.
type conflict struct {
	WorkOrderID string `json:"work_order_id"`
	Kind        string `json:"kind"`
	Message     string `json:"message"`
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
	body := dayOf(&t, day, orders, s.travel)
	if l, ok := live[id]; ok {
		body.Live = &l
	}
	s.writeJSON(w, r, http.StatusOK, body)
}

// dayOf lays a technician's orders of a day out in time and names every
// conflict: overlapping stops, travel that does not fit, starts outside a
// window or the shift, and technicians who may not do the order.
func dayOf(t *model.Technician, day model.Date, orders []model.WorkOrder, travel geo.Travel) scheduleBody {
	b := scheduleBody{TechnicianID: t.ID, Date: day, Shift: t.Shift, Stops: []scheduleStop{}, WorkOrders: []model.WorkOrder{}, Conflicts: []conflict{}}
	zone := t.Shift.Start.Location()
	here, free := t.Start, t.Shift.Start
	first := true
	for i := range orders {
		w := &orders[i]
		if w.Status == model.StatusCancelled || w.ScheduledStart == nil {
			continue
		}
		if w.Status.Open() {
			b.WorkOrders = append(b.WorkOrders, *w)
		}
		leg, err := travel.Leg(here, w.Location)
		if err != nil {
			b.Conflicts = append(b.Conflicts, conflict{w.ID, "location", "its location cannot be placed: " + err.Error()})
		}
		start := w.ScheduledStart.In(zone)
		stop := scheduleStop{WorkOrderID: w.ID, Status: w.Status, Arrival: free.Add(leg.Duration).In(zone), Start: start,
			End: start.Add(w.Duration.Duration()), Travel: model.SecondsOf(leg.Duration), Distance: leg.Meters, Location: w.Location}
		add := func(kind, format string, args ...any) {
			b.Conflicts = append(b.Conflicts, conflict{w.ID, kind, fmt.Sprintf(format, args...)})
		}
		switch {
		case !first && start.Before(free):
			add("overlap", "starts %s, before the previous stop ends at %s", clock(start), clock(free))
		case start.Before(stop.Arrival):
			from := "the previous stop"
			if first {
				from = "the shift start"
			}
			add("travel", "starts %s, but the drive from %s (%v) arrives %s", clock(start), from, leg.Duration.Round(time.Minute), clock(stop.Arrival))
		}
		if len(w.TimeWindows) > 0 && !inWindows(start, w.TimeWindows) {
			add("window", "starts %s, outside its time windows", clock(start))
		}
		if limit := t.Shift.End.Add(t.Overtime.Duration()); stop.End.After(limit) {
			add("shift", "ends %s, after the shift (with overtime) ends at %s", clock(stop.End), clock(limit.In(zone)))
		}
		if reasons := solver.Qualify(t, w); len(reasons) > 0 {
			var texts []string
			for _, rs := range reasons {
				texts = append(texts, rs.Text)
			}
			add("qualification", "%s", strings.Join(texts, "; "))
		}
		b.Stops = append(b.Stops, stop)
		here, first = w.Location, false
		if stop.End.After(free) {
			free = stop.End
		}
	}
	return b
}

func inWindows(t time.Time, ws []model.TimeWindow) bool {
	for _, w := range ws {
		if w.Contains(t) {
			return true
		}
	}
	return false
}

func clock(t time.Time) string { return t.Format("15:04") }
