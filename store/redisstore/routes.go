package redisstore

import (
	"context"
	"fmt"
	"slices"

	"github.com/dispatchd/dispatchd/model"
	"github.com/dispatchd/dispatchd/store"
)

// routeKey names the sorted set of a technician's orders on a day; the
// fixed-length date last keeps keys of different technicians apart.
func (s *Store) routeKey(technicianID string, day model.Date) string {
	return s.key("route", technicianID, day.String())
}

// PutWorkOrder creates or replaces a work order, and moves it in the
// technicians' routes (leaving those the previous version was in), in one
// atomic script (Commit's).
func (s *Store) PutWorkOrder(ctx context.Context, w model.WorkOrder) error {
	return s.Commit(ctx, store.Change{Orders: []model.WorkOrder{w}})
}

// DeleteWorkOrder removes the work order with the id and its entries in
// the technicians' routes, in one atomic script (Commit's); or returns an
// error wrapping store.ErrNotFound.
func (s *Store) DeleteWorkOrder(ctx context.Context, id string) error {
	n, err := s.commit(ctx, store.Change{Delete: []string{id}})
	if err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("redisstore: deleting work order %s: %w", id, store.ErrNotFound)
	}
	return nil
}

// Route returns the work orders of a technician's day: those whose
// TechnicianIDs include the technician and whose scheduled start falls on
// day in the start's own zone, sorted by scheduled start, then id. It
// reads the day's sorted set, then the orders; an order rewritten in
// between is left out unless it still belongs to the day.
func (s *Store) Route(ctx context.Context, technicianID string, day model.Date) ([]model.WorkOrder, error) {
	doing := fmt.Sprintf("reading the route of technician %s on %s", technicianID, day)
	ids, err := s.rdb.ZRange(ctx, s.routeKey(technicianID, day), 0, -1).Result()
	if err != nil {
		return nil, wrap(doing, err)
	}
	orders, err := getMany[model.WorkOrder](ctx, s, doing, "wo", ids)
	if err != nil {
		return nil, err
	}
	out := make([]model.WorkOrder, 0, len(orders))
	for _, w := range orders {
		if d, ok := store.RouteDay(w); ok && d == day && slices.Contains(w.TechnicianIDs, technicianID) {
			out = append(out, w)
		}
	}
	store.SortRoute(out)
	return out, nil
}
