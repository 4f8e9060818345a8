// Package redisstore keeps dispatchd's state in Redis, so that several
// replicas of the service share it. It is the only package that imports
// go-redis.
//
// Keys (all under the store's prefix, "dispatchd:" by default):
//
//	tech:{id}   string  the technician's profile, JSON
//	techs       set     ids of all technicians
//	wo:{id}     string  the work order, JSON
//	wos         set     ids of all work orders
//
// A record and its id set change together in one MULTI/EXEC transaction, so
// a reader never sees one without the other.
package redisstore

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/dispatchd/dispatchd/model"
	"github.com/dispatchd/dispatchd/store"
	"github.com/redis/go-redis/v9"
)

// DefaultPrefix is the key prefix of a store whose options name none.
const DefaultPrefix = "dispatchd:"

// Options configure a Store. The zero value uses DefaultPrefix.
type Options struct {
	// Prefix is put before every key, so that several deployments (or test
	// runs) can share one Redis database.
	Prefix string
}

// Store is a dispatchd store in Redis. It is safe for concurrent use.
type Store struct {
	rdb    redis.UniversalClient
	prefix string
}

// New returns a store that uses an existing client; the caller closes it.
func New(rdb redis.UniversalClient, opts Options) *Store {
	return &Store{rdb: rdb, prefix: cmp.Or(opts.Prefix, DefaultPrefix)}
}

// Open connects to the Redis at a URL (redis://[user:password@]host:port/db)
// and checks that it answers. Close the store when done.
func Open(ctx context.Context, url string, opts Options) (*Store, error) {
	o, err := redis.ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("redisstore: parsing the Redis URL: %w", err)
	}
	s := New(redis.NewClient(o), opts)
	if err := s.Ping(ctx); err != nil {
		_ = s.Close()
		return nil, err
	}
	return s, nil
}

// Close closes the store's client.
func (s *Store) Close() error { return s.rdb.Close() }

// Ping checks that Redis answers.
func (s *Store) Ping(ctx context.Context) error {
	return wrap("pinging Redis", s.rdb.Ping(ctx).Err())
}

func (s *Store) key(parts ...string) string {
	k := s.prefix
	for i, p := range parts {
		if i > 0 {
			k += ":"
		}
		k += p
	}
	return k
}

// wrap adds what was being done to a Redis error, and marks errors that are
// not Redis's own replies (refused connections, timeouts) as
// store.ErrUnavailable.
func wrap(doing string, err error) error {
	if err == nil {
		return nil
	}
	var reply redis.Error
	if errors.As(err, &reply) && !errors.Is(err, redis.Nil) {
		return fmt.Errorf("redisstore: %s: %w", doing, err)
	}
	return fmt.Errorf("redisstore: %s: %w: %w", doing, store.ErrUnavailable, err)
}

// PutTechnician creates or replaces a technician.
func (s *Store) PutTechnician(ctx context.Context, t model.Technician) error {
	if t.ID == "" {
		return errors.New("redisstore: putting a technician: empty id")
	}
	return s.put(ctx, "putting technician "+t.ID, s.key("tech", t.ID), s.key("techs"), t.ID, t)
}

// GetTechnician returns the technician with the id, or an error wrapping
// store.ErrNotFound.
func (s *Store) GetTechnician(ctx context.Context, id string) (model.Technician, error) {
	var t model.Technician
	err := s.get(ctx, "getting technician "+id, s.key("tech", id), &t)
	return t, err
}

// ListTechnicians returns every technician, sorted by id.
func (s *Store) ListTechnicians(ctx context.Context) ([]model.Technician, error) {
	return list[model.Technician](ctx, s, "listing technicians", "techs", "tech")
}

// DeleteTechnician removes the technician with the id, or returns an error
// wrapping store.ErrNotFound.
func (s *Store) DeleteTechnician(ctx context.Context, id string) error {
	return s.delete(ctx, "deleting technician "+id, s.key("tech", id), s.key("techs"), id)
}

// PutWorkOrder creates or replaces a work order.
func (s *Store) PutWorkOrder(ctx context.Context, w model.WorkOrder) error {
	if w.ID == "" {
		return errors.New("redisstore: putting a work order: empty id")
	}
	return s.put(ctx, "putting work order "+w.ID, s.key("wo", w.ID), s.key("wos"), w.ID, w)
}

// GetWorkOrder returns the work order with the id, or an error wrapping
// store.ErrNotFound.
func (s *Store) GetWorkOrder(ctx context.Context, id string) (model.WorkOrder, error) {
	var w model.WorkOrder
	err := s.get(ctx, "getting work order "+id, s.key("wo", id), &w)
	return w, err
}

// ListWorkOrders returns every work order, sorted by id.
func (s *Store) ListWorkOrders(ctx context.Context) ([]model.WorkOrder, error) {
	return list[model.WorkOrder](ctx, s, "listing work orders", "wos", "wo")
}

func (s *Store) put(ctx context.Context, doing, key, setKey, id string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("redisstore: %s: encoding: %w", doing, err)
	}
	_, err = s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Set(ctx, key, data, 0)
		p.SAdd(ctx, setKey, id)
		return nil
	})
	return wrap(doing, err)
}

func (s *Store) get(ctx context.Context, doing, key string, v any) error {
	data, err := s.rdb.Get(ctx, key).Bytes()
	if errors.Is(err, redis.Nil) {
		return fmt.Errorf("redisstore: %s: %w", doing, store.ErrNotFound)
	}
	if err != nil {
		return wrap(doing, err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("redisstore: %s: decoding %s: %w", doing, key, err)
	}
	return nil
}

func (s *Store) delete(ctx context.Context, doing, key, setKey, id string) error {
	var del *redis.IntCmd
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		del = p.Del(ctx, key)
		p.SRem(ctx, setKey, id)
		return nil
	})
	if err != nil {
		return wrap(doing, err)
	}
	if del.Val() == 0 {
		return fmt.Errorf("redisstore: %s: %w", doing, store.ErrNotFound)
	}
	return nil
}

// list reads every record whose id is in the set, sorted by id. A record
// deleted between the two reads is left out.
func list[T any](ctx context.Context, s *Store, doing, setName, kind string) ([]T, error) {
	ids, err := s.rdb.SMembers(ctx, s.key(setName)).Result()
	if err != nil {
		return nil, wrap(doing, err)
	}
	slices.Sort(ids)
	out := make([]T, 0, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	keys := make([]string, len(ids))
	for i, id := range ids {
		keys[i] = s.key(kind, id)
	}
	vals, err := s.rdb.MGet(ctx, keys...).Result()
	if err != nil {
		return nil, wrap(doing, err)
	}
	for i, v := range vals {
		str, ok := v.(string)
		if !ok {
			continue
		}
		var rec T
		if err := json.Unmarshal([]byte(str), &rec); err != nil {
			return nil, fmt.Errorf("redisstore: %s: decoding %s: %w", doing, keys[i], err)
		}
		out = append(out, rec)
	}
	return out, nil
}
