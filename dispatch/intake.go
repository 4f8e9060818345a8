package dispatch

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/dispatchd/dispatchd/model"
	"github.com/dispatchd/dispatchd/store"
)

// Intake is a new work order as a call-taker or a customer portal reports
// it: the job and its constraints, nothing about who does it or when.
type Intake struct {
	// ID is optional: the caller's own reference. Without one the service
	// numbers the order (WO-1, WO-2, …).
	ID           string `json:"id,omitempty"`
	CustomerID   string `json:"customer_id,omitempty"`
	CustomerName string `json:"customer_name,omitempty"`
	SiteID       string `json:"site_id,omitempty"`
	EquipmentID  string `json:"equipment_id,omitempty"`
	JobType      string `json:"job_type,omitempty"`

	Priority model.Priority `json:"priority,omitempty"`
	Location model.Location `json:"location"`
	Address  string         `json:"address,omitempty"`
	Duration model.Seconds  `json:"duration_s"`

	RequiredSkills         model.Skills `json:"required_skills,omitempty"`
	RequiredCertifications []string     `json:"required_certifications,omitempty"`
	RequiredTools          []string     `json:"required_tools,omitempty"`
	TechniciansNeeded      int          `json:"technicians_needed,omitempty"`

	TimeWindows          []model.TimeWindow `json:"time_windows,omitempty"`
	SLADeadline          *time.Time         `json:"sla_deadline,omitempty"`
	PreferredTechnicians []string           `json:"preferred_technicians,omitempty"`
	ExcludedTechnicians  []string           `json:"excluded_technicians,omitempty"`
	Demand               []float64          `json:"demand,omitempty"`

	Notes              string `json:"notes,omitempty"`
	AccessInstructions string `json:"access_instructions,omitempty"`

	// AllowDuplicate creates the order even though it looks like an open
	// one; the history records the duplicates it was allowed over.
	AllowDuplicate bool `json:"allow_duplicate,omitempty"`
}

// order is the work order the intake describes, in status created.
func (in *Intake) order(id string, now time.Time) model.WorkOrder {
	return model.WorkOrder{
		ID: id, CustomerID: in.CustomerID, CustomerName: in.CustomerName, SiteID: in.SiteID,
		EquipmentID: in.EquipmentID, JobType: in.JobType, Priority: in.Priority, Location: in.Location,
		Address: in.Address, Duration: in.Duration, RequiredSkills: in.RequiredSkills,
		RequiredCertifications: in.RequiredCertifications, RequiredTools: in.RequiredTools,
		TechniciansNeeded: in.TechniciansNeeded, TimeWindows: in.TimeWindows, SLADeadline: in.SLADeadline,
		PreferredTechnicians: in.PreferredTechnicians, ExcludedTechnicians: in.ExcludedTechnicians,
		Demand: in.Demand, Notes: in.Notes, AccessInstructions: in.AccessInstructions,
		Status: model.StatusCreated, CreatedAt: &now, UpdatedAt: &now,
	}
}

// validateOrder checks an order as the workflow stores it: valid as a
// model order, placed by coordinates (the stored day is laid out with the
// service's travel model, which has no matrix rows), with a duration.
func validateOrder(w *model.WorkOrder) []model.FieldError {
	var errs []model.FieldError
	var ve *model.ValidationError
	if err := w.Validate(); errors.As(err, &ve) {
		errs = append(errs, ve.Errors...)
	}
	if w.Location.Index != nil {
		errs = append(errs, model.FieldError{Field: "location.location_index", Message: "a stored work order needs coordinates, not a location_index"})
	}
	if w.Duration <= 0 {
		errs = append(errs, model.FieldError{Field: "duration_s", Message: "want the expected time on site, in seconds"})
	}
	return errs
}

// CreateWorkOrder takes a new order in. A likely duplicate of an open
// order (same site; same equipment, or with no equipment the same job
// type; windows or days that overlap) is refused with a *DuplicateError
// naming the existing orders, unless the intake allows it; an id already
// taken is an *ExistsError. Two racing creations of the same duplicate
// cannot both pass: the site's revision guards the check.
func (s *Service) CreateWorkOrder(ctx context.Context, in Intake, by Actor) (model.WorkOrder, error) {
	now := s.now()
	probe := in.order(in.ID, now)
	if probe.ID == "" {
		probe.ID = "WO-0" // numbered below; validation must not fail on it
	}
	if errs := validateOrder(&probe); len(errs) > 0 {
		return model.WorkOrder{}, &model.ValidationError{Errors: errs}
	}
	id := in.ID
	var created model.WorkOrder
	err := s.retry(ctx, "creating a work order", func() (store.Change, error) {
		var keys []string
		var revs []int64
		for {
			if in.ID == "" {
				n, err := s.store.NextID(ctx, "wo")
				if err != nil {
					return store.Change{}, fmt.Errorf("dispatch: numbering a work order: %w", err)
				}
				id = fmt.Sprintf("WO-%d", n)
			}
			keys = []string{store.OrderKey(id)}
			if in.SiteID != "" {
				keys = append(keys, store.SiteKey(in.SiteID))
			}
			var err error
			if revs, err = s.store.Revisions(ctx, keys...); err != nil {
				return store.Change{}, fmt.Errorf("dispatch: creating work order %s: %w", id, err)
			}
			_, err = s.store.GetWorkOrder(ctx, id)
			switch {
			case err == nil && in.ID == "":
				continue // a number taken by hand: draw the next
			case err == nil:
				return store.Change{}, &ExistsError{ID: id}
			case !errors.Is(err, store.ErrNotFound):
				return store.Change{}, fmt.Errorf("dispatch: creating work order %s: %w", id, err)
			}
			break
		}
		w := in.order(id, now)
		entry := model.HistoryEntry{WorkOrderID: id, Action: model.HistoryCreated, At: now, By: by.Name, ByKey: by.KeyID, To: model.StatusCreated}
		if in.SiteID != "" {
			at, err := s.store.OrdersAtSite(ctx, in.SiteID)
			if err != nil {
				return store.Change{}, fmt.Errorf("dispatch: looking for duplicates of %s: %w", id, err)
			}
			if dups := duplicates(w, at); len(dups) > 0 {
				if !in.AllowDuplicate {
					return store.Change{}, &DuplicateError{Existing: dups}
				}
				entry.DuplicateOf = ids(dups)
				entry.Reason = "allowed as a duplicate"
			}
		}
		created = w
		guards := make([]store.Guard, len(keys))
		for i, k := range keys {
			guards[i] = store.Guard{Key: k, Rev: revs[i]}
		}
		return store.Change{Guards: guards, Orders: []model.WorkOrder{w}, History: []model.HistoryEntry{entry}}, nil
	})
	if err != nil {
		return model.WorkOrder{}, err
	}
	return created, nil
}

// duplicates returns the open orders among those at w's site that look
// like w: the same equipment (or, when w names none, the same job type)
// and windows or days that overlap.
func duplicates(w model.WorkOrder, atSite []model.WorkOrder) []model.WorkOrder {
	var out []model.WorkOrder
	for _, o := range atSite {
		if o.ID == w.ID || !o.Status.Open() || o.SiteID != w.SiteID {
			continue
		}
		same := o.EquipmentID == w.EquipmentID
		if w.EquipmentID == "" {
			same = o.EquipmentID == "" && o.JobType == w.JobType
		}
		if same && whenOverlaps(w, o) {
			out = append(out, o)
		}
	}
	return out
}

// whenOverlaps reports whether two orders may be wanted at the same time:
// their windows overlap, or, for an order without windows, the days its
// windows, scheduled start or deadline fall on meet. An order with no
// time at all is open-ended and overlaps everything.
func whenOverlaps(a, b model.WorkOrder) bool {
	if len(a.TimeWindows) > 0 && len(b.TimeWindows) > 0 {
		for _, x := range a.TimeWindows {
			for _, y := range b.TimeWindows {
				if !x.End.Before(y.Start) && !y.End.Before(x.Start) {
					return true
				}
			}
		}
		return false
	}
	da, db := orderDays(a), orderDays(b)
	if len(da) == 0 || len(db) == 0 {
		return true
	}
	for d := range da {
		if db[d] {
			return true
		}
	}
	return false
}

// orderDays returns the days an order is wanted on: those of its windows,
// else of its scheduled start, else of its deadline.
func orderDays(w model.WorkOrder) map[model.Date]bool {
	days := map[model.Date]bool{}
	for _, tw := range w.TimeWindows {
		// A window is at most a few days long; the bound keeps a wild one
		// from costing a loop per day of it.
		d, last := model.DateOf(tw.Start), model.DateOf(tw.End)
		for n := 0; n < 31 && !last.Before(d); n++ {
			days[d] = true
			d = d.Next()
		}
	}
	switch {
	case len(days) > 0:
	case w.ScheduledStart != nil:
		days[model.DateOf(*w.ScheduledStart)] = true
	case w.SLADeadline != nil:
		days[model.DateOf(*w.SLADeadline)] = true
	}
	return days
}

// WorkOrder returns a stored work order; to an actor bound to a
// technician, only one assigned to them.
func (s *Service) WorkOrder(ctx context.Context, id string, by Actor) (model.WorkOrder, error) {
	w, err := s.order(ctx, id)
	if err != nil {
		return model.WorkOrder{}, err
	}
	if err := by.forOrder(&w); err != nil {
		return model.WorkOrder{}, err
	}
	return w, nil
}

func (s *Service) order(ctx context.Context, id string) (model.WorkOrder, error) {
	w, err := s.store.GetWorkOrder(ctx, id)
	if err != nil {
		return model.WorkOrder{}, fmt.Errorf("dispatch: reading work order %s: %w", id, err)
	}
	return w, nil
}

// History returns every change of a work order, oldest first.
func (s *Service) History(ctx context.Context, id string) ([]model.HistoryEntry, error) {
	if _, err := s.order(ctx, id); err != nil {
		return nil, err
	}
	h, err := s.store.History(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("dispatch: reading the history of %s: %w", id, err)
	}
	return h, nil
}
