package redisstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/dispatchd/dispatchd/model"
	"github.com/dispatchd/dispatchd/store"
	"github.com/redis/go-redis/v9"
)

// putWorkOrderScript writes an order and moves it in the route index,
// atomically: it leaves every route key the previous version was filed
// under (read from wo-routes:<id>, so no reader needs the old JSON), then
// joins the new ones. Concurrent writers of one order are serialised by
// Redis, and the index always matches the order that won.
//
// KEYS: wo:<id>, wos, wo-routes:<id>, then the new route keys.
// ARGV: id, the order's JSON, its start in Unix ms (the routes' score).
var putWorkOrderScript = redis.NewScript(`
for _, key in ipairs(redis.call('SMEMBERS', KEYS[3])) do redis.call('ZREM', key, ARGV[1]) end
redis.call('DEL', KEYS[3])
redis.call('SET', KEYS[1], ARGV[2])
redis.call('SADD', KEYS[2], ARGV[1])
for i = 4, #KEYS do
	redis.call('ZADD', KEYS[i], ARGV[3], ARGV[1])
	redis.call('SADD', KEYS[3], KEYS[i])
end
return 1
`)

// deleteWorkOrderScript removes an order and its route-index entries,
// atomically; it returns how many orders it deleted.
//
// KEYS: wo:<id>, wos, wo-routes:<id>. ARGV: id.
var deleteWorkOrderScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
for _, key in ipairs(redis.call('SMEMBERS', KEYS[3])) do redis.call('ZREM', key, ARGV[1]) end
redis.call('DEL', KEYS[1], KEYS[3])
redis.call('SREM', KEYS[2], ARGV[1])
return 1
`)

// routeKey names the sorted set of a technician's orders on a day; the
// fixed-length date last keeps keys of different technicians apart.
func (s *Store) routeKey(technicianID string, day model.Date) string {
	return s.key("route", technicianID, day.String())
}

// PutWorkOrder creates or replaces a work order, and moves it in the
// technicians' routes (leaving those the previous version was in), in one
// atomic script.
func (s *Store) PutWorkOrder(ctx context.Context, w model.WorkOrder) error {
	if w.ID == "" {
		return errors.New("redisstore: putting a work order: empty id")
	}
	doing := "putting work order " + w.ID
	data, err := json.Marshal(w)
	if err != nil {
		return fmt.Errorf("redisstore: %s: encoding: %w", doing, err)
	}
	keys := []string{s.key("wo", w.ID), s.key("wos"), s.key("wo-routes", w.ID)}
	var score int64
	if day, ok := store.RouteDay(w); ok {
		score = w.ScheduledStart.UnixMilli()
		for _, tech := range w.TechnicianIDs {
			keys = append(keys, s.routeKey(tech, day))
		}
	}
	err = putWorkOrderScript.Run(ctx, s.rdb, keys, w.ID, data, score).Err()
	return wrap(doing, err)
}

// DeleteWorkOrder removes the work order with the id and its entries in
// the technicians' routes, in one atomic script; or returns an error
// wrapping store.ErrNotFound.
func (s *Store) DeleteWorkOrder(ctx context.Context, id string) error {
	doing := "deleting work order " + id
	n, err := deleteWorkOrderScript.Run(ctx, s.rdb,
		[]string{s.key("wo", id), s.key("wos"), s.key("wo-routes", id)}, id).Int()
	if err != nil {
		return wrap(doing, err)
	}
	if n == 0 {
		return fmt.Errorf("redisstore: %s: %w", doing, store.ErrNotFound)
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
