package dispatch

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/dispatchd/dispatchd/model"
	"github.com/dispatchd/dispatchd/store"
)

// OrderFilter selects work orders; the zero value selects all.
type OrderFilter struct {
	// Statuses keeps orders in any of these statuses.
	Statuses []model.Status
	// Date keeps orders of the day: scheduled on it, or, unscheduled,
	// wanted on it (their windows or deadline fall on it).
	Date model.Date
	// TechnicianID keeps orders assigned to the technician.
	TechnicianID string
	// SiteID keeps orders at the site.
	SiteID string
	// Limit bounds a page: zero means DefaultPageSize, at most
	// MaxPageSize. After continues after the order of that id: the Next of
	// the previous page.
	Limit int
	After string
}

// The page sizes of work-order lists.
const (
	DefaultPageSize = 100
	MaxPageSize     = 1000
)

// OrderPage is one page of work orders, sorted by id; Next, when not
// empty, is the After of the next page.
type OrderPage struct {
	WorkOrders []model.WorkOrder `json:"work_orders"`
	Next       string            `json:"next,omitempty"`
}

// WorkOrders lists the work orders a filter selects, a page at a time. A
// site or a technician's day is read from the store's index of it; other
// filters read every order. An actor bound to a technician lists only the
// orders assigned to them.
func (s *Service) WorkOrders(ctx context.Context, f OrderFilter, by Actor) (OrderPage, error) {
	if by.bound() {
		if err := by.forTechnician(f.TechnicianID); f.TechnicianID != "" && err != nil {
			return OrderPage{}, err
		}
		f.TechnicianID = by.Technician
	}
	var errs []model.FieldError
	for i, st := range f.Statuses {
		if st == "" || !st.Known() {
			errs = append(errs, model.FieldError{Field: fmt.Sprintf("status[%d]", i), Message: fmt.Sprintf("unknown status %s: want one of %s", model.Quote(string(st)), model.Spell(model.Statuses))})
		}
	}
	switch {
	case f.Limit < 0 || f.Limit > MaxPageSize:
		errs = append(errs, model.FieldError{Field: "limit", Message: fmt.Sprintf("want 1 to %d", MaxPageSize)})
	case f.Limit == 0:
		f.Limit = DefaultPageSize
	}
	if len(errs) > 0 {
		return OrderPage{}, &model.ValidationError{Errors: errs}
	}
	var orders []model.WorkOrder
	var err error
	switch {
	case f.SiteID != "":
		orders, err = s.store.OrdersAtSite(ctx, f.SiteID)
	case f.TechnicianID != "" && !f.Date.IsZero():
		orders, err = s.store.Route(ctx, f.TechnicianID, f.Date)
	default:
		orders, err = s.store.ListWorkOrders(ctx)
	}
	if err != nil {
		return OrderPage{}, fmt.Errorf("dispatch: listing work orders: %w", err)
	}
	slices.SortFunc(orders, func(a, b model.WorkOrder) int { return strings.Compare(a.ID, b.ID) })
	page := OrderPage{WorkOrders: []model.WorkOrder{}}
	for _, w := range orders {
		if w.ID <= f.After || !f.selects(&w) {
			continue
		}
		if len(page.WorkOrders) == f.Limit {
			page.Next = page.WorkOrders[len(page.WorkOrders)-1].ID
			break
		}
		page.WorkOrders = append(page.WorkOrders, w)
	}
	return page, nil
}

func (f *OrderFilter) selects(w *model.WorkOrder) bool {
	status := w.Status
	if status == "" {
		status = model.StatusCreated
	}
	switch {
	case len(f.Statuses) > 0 && !slices.Contains(f.Statuses, status):
		return false
	case f.TechnicianID != "" && !slices.Contains(w.TechnicianIDs, f.TechnicianID):
		return false
	case f.SiteID != "" && w.SiteID != f.SiteID:
		return false
	case !f.Date.IsZero():
		if d, ok := store.RouteDay(*w); ok {
			return d == f.Date
		}
		return orderDays(*w)[f.Date]
	}
	return true
}
