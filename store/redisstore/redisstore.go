// Package redisstore keeps dispatchd's state in Redis, so that several
// replicas of the service share it. It is the only package that imports
// go-redis.
//
// Keys (all under the store's prefix, "dispatchd:" by default; <id> is a
// technician, order or plan id, <cell> an H3 cell in hexadecimal, <day>
// a date YYYY-MM-DD):
//
//	tech:<id>           string   the technician's profile, JSON
//	techs               set      ids of all technicians
//	live:<id>           hash     the technician's live state: lat and lng
//	                             (decimal strings), at (Unix milliseconds),
//	                             cell, status
//	lives               set      ids of technicians with a live position
//	cell:<cell>         set      ids of technicians whose live position is in
//	                             the cell (H3, resolution
//	                             store.LiveResolution)
//	wo:<id>             string   the work order, JSON
//	wos                 set      ids of all work orders
//	route:<tech>:<day>  zset     ids of the technician's orders that start on
//	                             the day (in the start's own zone), scored by
//	                             the start in Unix milliseconds
//	wo-routes:<id>      set      the route keys the order is filed under, so
//	                             that a rewrite can leave them
//	site:<site>         set      ids of the orders at a site
//	dayorders:<day>     set      ids of the orders on any route of the day
//	history:<id>        list     the order's history entries, JSON, oldest
//	                             first
//	revs                hash     revisions (store.Guard): field wo:<id>,
//	                             tech:<id>, techs, route:<tech>:<day>,
//	                             day:<day>, site:<site>, each raised by every
//	                             write to what it names
//	seq:<name>          string   the counter behind NextID
//	plan:<id>           string   a plan record, opaque, expiring with the
//	                             plan
//	plans               zset     plan ids scored by their expiry in Unix
//	                             milliseconds, to count live plans
//	key:<id>            string   an API key record, opaque (package auth:
//	                             the key and the SHA-256 of its token, never
//	                             the token)
//	keys                set      ids of all API keys
//	events              stream   the event log: one entry per event, field e
//	                             the event's JSON; consumer group "webhooks"
//	                             turns events into deliveries
//	events-dropped      string   the newest event id trimmed from events
//	webhook:<id>        string   a webhook, JSON
//	webhooks            set      ids of all webhooks
//	delivery:<id>       hash     a delivery: json (the record), attempts (the
//	                             attempts begun, raised by each claim)
//	hooklog:<id>        zset     a webhook's deliveries, scored by the order
//	                             they were added in (delivery-seq)
//	delivery-seq        string   the counter of that order
//	due                 zset     pending deliveries scored by when their next
//	                             attempt is due (or their claim's lease ends),
//	                             Unix milliseconds
//	cancel              channel  pub/sub: ids of plans whose cancellation was
//	                             requested
//	policies            hash     the policy book: policy name -> the policy's
//	                             JSON (revision field "policies")
//	policy-active       string   the name of the active policy
//	policy-history      list     the book's changes, oldest first, JSON
//	epoch               string   a random value the first store to open the
//	                             deployment writes; every store remembers it,
//	                             and Ping reports store.ErrStateLost when it
//	                             is gone or changed: Redis came back empty
//
// Redis must keep what it is given: run it with persistence (appendonly
// yes, or RDB snapshots with save) and maxmemory-policy noeviction, so
// that a restart or a full memory loses nothing silently. Open's caller
// can read what the server runs with (Persistence) and warn.
//
// No write is ever half done. A technician, the techs set and its
// revisions change together in one MULTI/EXEC transaction, as do a plan
// and the plans set. Every write of work orders is one run of
// commitScript (Commit), which checks its guards before its first write.
// Writes that must read before they write (a position against the stored
// one, an order against the routes it was filed under, a delete that must
// find the cell to clear) are Lua scripts, which Redis runs atomically,
// sent with EVALSHA in one round trip; each checks everything before its
// first write. Ids end every key except route's, where a fixed-length date
// follows, so no two records share a key.
//
// Scripts reach keys they find in other keys (the old cell, the old
// routes). On Redis Cluster, give the store a prefix with a hash tag, such
// as "{dispatchd}:", so that every key lives in one slot.
package redisstore

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/dispatchd/dispatchd/model"
	"github.com/dispatchd/dispatchd/store"
	"github.com/redis/go-redis/v9"
)

// DefaultPrefix is the key prefix of a store whose options name none.
const DefaultPrefix = "dispatchd:"

// Options configure a Store. The zero value uses DefaultPrefix and
// observes nothing.
type Options struct {
	// Prefix is put before every key, so that several deployments (or test
	// runs) can share one Redis database.
	Prefix string
	// Observe, when not nil, is called after every Redis command and every
	// pipeline the client sends (pub/sub subscriptions aside), with the
	// command's name ("get", "evalsha", …; "multi" for a MULTI/EXEC
	// transaction, "pipeline" for any other pipeline), how long it took,
	// and its error. A missing key is an answer, not an error: it is
	// reported as nil. It lets the service export Redis latency metrics
	// without this package knowing Prometheus. It must be safe for
	// concurrent use, and quick.
	Observe func(command string, took time.Duration, err error)
	// Timeout bounds every command and pipeline (pub/sub aside), so that a
	// stalled Redis fails a request quickly with store.ErrUnavailable
	// rather than holding it for the request's whole time. Zero means
	// DefaultTimeout.
	Timeout time.Duration
	// EventRetention is how many events the event stream keeps; zero
	// means store.DefaultEventRetention. Replicas sharing a deployment
	// should agree on it: each trims to its own.
	EventRetention int
}

// DefaultTimeout bounds a Redis command when Options names no timeout:
// far above a healthy round trip, well under a request's time limit.
const DefaultTimeout = 2 * time.Second

// Store is a dispatchd store in Redis. It is safe for concurrent use.
type Store struct {
	rdb       redis.UniversalClient
	prefix    string
	timeout   time.Duration
	retention int
	groups    groups
	// epoch is the value of the epoch key this store adopted (at its
	// first Ping), and lost whether it has seen it gone.
	mu    sync.Mutex
	epoch string
	lost  bool
}

// New returns a store that uses an existing client; the caller closes it.
// When opts.Observe is set, New adds a hook to the client, which then
// reports every command sent through it, this store's or not.
func New(rdb redis.UniversalClient, opts Options) *Store {
	timeout := cmp.Or(opts.Timeout, DefaultTimeout)
	rdb.AddHook(timeoutHook(timeout))
	if opts.Observe != nil {
		rdb.AddHook(observer(opts.Observe))
	}
	retention := opts.EventRetention
	if retention <= 0 {
		retention = store.DefaultEventRetention
	}
	return &Store{rdb: rdb, prefix: cmp.Or(opts.Prefix, DefaultPrefix), timeout: timeout, retention: retention}
}

// Open connects to the Redis at a URL (redis://[user:password@]host:port/db)
// and checks that it answers. Close the store when done.
func Open(ctx context.Context, url string, opts Options) (*Store, error) {
	o, err := redis.ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("redisstore: parsing the Redis URL: %w", err)
	}
	// Command deadlines come from the context (timeoutHook), so that a
	// stalled server fails a call in Options.Timeout, retries included.
	o.ContextTimeoutEnabled = true
	s := New(redis.NewClient(o), opts)
	if err := s.Ping(ctx); err != nil {
		_ = s.Close()
		return nil, err
	}
	return s, nil
}

// Purge deletes every key under the store's prefix: the whole state of
// one deployment (or one test run), and nothing of another.
func (s *Store) Purge(ctx context.Context) error {
	iter := s.rdb.Scan(ctx, 0, s.prefix+"*", 500).Iterator()
	var batch []string
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		err := s.rdb.Del(ctx, batch...).Err()
		batch = batch[:0]
		return wrap("purging", err)
	}
	for iter.Next(ctx) {
		batch = append(batch, iter.Val())
		if len(batch) == 500 {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if err := iter.Err(); err != nil {
		return wrap("purging", err)
	}
	return flush()
}

// Close closes the store's client.
func (s *Store) Close() error { return s.rdb.Close() }

// Ping checks that Redis answers and still holds the deployment's state:
// the first Ping adopts the epoch key (writing it if no store has), and a
// later one that finds it gone or changed returns an error wrapping
// store.ErrStateLost — from then on, until the process restarts.
func (s *Store) Ping(ctx context.Context) error {
	key := s.key("epoch")
	s.mu.Lock()
	epoch, lost := s.epoch, s.lost
	s.mu.Unlock()
	if lost {
		return fmt.Errorf("redisstore: pinging Redis: %w: the epoch key %s was gone or changed", store.ErrStateLost, key)
	}
	if epoch == "" {
		var b [16]byte
		_, _ = rand.Read(b[:])
		if err := s.rdb.SetNX(ctx, key, hex.EncodeToString(b[:]), 0).Err(); err != nil {
			return wrap("writing the epoch", err)
		}
	}
	got, err := s.rdb.Get(ctx, key).Result()
	if err != nil && !errors.Is(err, redis.Nil) {
		return wrap("pinging Redis", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.epoch == "" && got != "":
		s.epoch = got
	case got != s.epoch:
		s.lost = true
		return fmt.Errorf("redisstore: pinging Redis: %w: the epoch key %s was %q, now %q", store.ErrStateLost, key, s.epoch, got)
	}
	return nil
}

// Persistence is how a Redis server keeps its data, as its configuration
// says.
type Persistence struct {
	// AOF is appendonly; RDB says snapshots are scheduled (save is not
	// empty).
	AOF, RDB bool
	// MaxMemoryPolicy is what the server does when full; only
	// "noeviction" never drops a key.
	MaxMemoryPolicy string
}

// Persistence reads the server's persistence settings (CONFIG GET), so
// that the service can warn at start when a restart would lose the state.
// It fails on a server that refuses CONFIG, as some managed ones do.
func (s *Store) Persistence(ctx context.Context) (Persistence, error) {
	var p Persistence
	for _, name := range []string{"appendonly", "save", "maxmemory-policy"} {
		vals, err := s.rdb.ConfigGet(ctx, name).Result()
		if err != nil {
			return Persistence{}, wrap("reading the configuration "+name, err)
		}
		v := vals[name]
		switch name {
		case "appendonly":
			p.AOF = v == "yes"
		case "save":
			p.RDB = strings.TrimSpace(v) != ""
		case "maxmemory-policy":
			p.MaxMemoryPolicy = v
		}
	}
	return p, nil
}

// timeoutHook gives every command and pipeline a deadline of d at most.
func timeoutHook(d time.Duration) redis.Hook { return timeout(d) }

type timeout time.Duration

func (t timeout) DialHook(next redis.DialHook) redis.DialHook { return next }

func (t timeout) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		ctx, cancel := context.WithTimeout(ctx, time.Duration(t))
		defer cancel()
		return next(ctx, cmd)
	}
}

func (t timeout) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		ctx, cancel := context.WithTimeout(ctx, time.Duration(t))
		defer cancel()
		return next(ctx, cmds)
	}
}

// SetLogger sends go-redis's own log lines (reconnects, pool trouble)
// to a structured logger at warn level, rather than to stderr as plain
// text. It is process-wide, as go-redis's logger is.
func SetLogger(l *slog.Logger) { redis.SetLogger(slogPrinter{l}) }

type slogPrinter struct{ l *slog.Logger }

func (p slogPrinter) Printf(ctx context.Context, format string, v ...any) {
	p.l.WarnContext(ctx, "redis client", "detail", fmt.Sprintf(format, v...))
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

// PutTechnician creates or replaces a technician and reports whether it
// created one, in one atomic round trip: of two writers racing to create
// the same technician, one is told it created it.
func (s *Store) PutTechnician(ctx context.Context, t model.Technician) (created bool, err error) {
	return s.put(ctx, "technician", "tech", "techs", t.ID, t, func(p redis.Pipeliner) {
		p.HIncrBy(ctx, s.key("revs"), store.TechnicianKey(t.ID), 1)
		p.HIncrBy(ctx, s.key("revs"), store.TechniciansKey, 1)
	})
}

// put writes a record as JSON under kind:id and files its id in the set,
// with whatever more writes the caller adds (its revisions), in one
// MULTI/EXEC; it reports whether the id was new to the set. what names
// the record in errors.
func (s *Store) put(ctx context.Context, what, kind, set, id string, v any, more func(redis.Pipeliner)) (created bool, err error) {
	if id == "" {
		return false, fmt.Errorf("redisstore: putting a %s: empty id", what)
	}
	doing := "putting " + what + " " + id
	data, err := json.Marshal(v)
	if err != nil {
		return false, fmt.Errorf("redisstore: %s: encoding: %w", doing, err)
	}
	var added *redis.IntCmd
	_, err = s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Set(ctx, s.key(kind, id), data, 0)
		added = p.SAdd(ctx, s.key(set), id)
		if more != nil {
			more(p)
		}
		return nil
	})
	if err != nil {
		return false, wrap(doing, err)
	}
	return added.Val() == 1, nil
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

// DeleteTechnician removes the technician with the id, with their live
// state and its cell-set entry, in one atomic script, if every guard
// still holds (else a *store.StaleError, store.ErrStale, and nothing
// deleted); or returns an error wrapping store.ErrNotFound.
func (s *Store) DeleteTechnician(ctx context.Context, id string, guards ...store.Guard) error {
	doing := "deleting technician " + id
	gs := make([][2]any, len(guards))
	for i, g := range guards {
		if g.Key == "" || g.Rev < 0 {
			return fmt.Errorf("redisstore: %s: bad guard %q at %d", doing, g.Key, g.Rev)
		}
		gs[i] = [2]any{g.Key, g.Rev}
	}
	arg, err := json.Marshal(gs)
	if err != nil {
		return fmt.Errorf("redisstore: %s: encoding the guards: %w", doing, err)
	}
	res, err := deleteTechnicianScript.Run(ctx, s.rdb,
		[]string{s.key("tech", id), s.key("techs"), s.key("live", id), s.key("lives"), s.key("revs")},
		id, s.key("cell", ""), store.TechnicianKey(id), store.TechniciansKey, arg).Slice()
	if err != nil {
		return wrap(doing, err)
	}
	if len(res) == 3 {
		key, _ := res[1].(string)
		got, _ := res[2].(int64)
		for _, g := range guards {
			if g.Key == key {
				return fmt.Errorf("redisstore: %s: %w", doing, &store.StaleError{Key: key, Want: g.Rev, Got: got})
			}
		}
	}
	if len(res) != 2 {
		return fmt.Errorf("redisstore: %s: unexpected reply %v", doing, res)
	}
	if n, _ := res[1].(int64); n == 0 {
		return fmt.Errorf("redisstore: %s: %w", doing, store.ErrNotFound)
	}
	return nil
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

// list reads every record whose id is in the set, sorted by id. A record
// deleted between the two reads is left out.
func list[T any](ctx context.Context, s *Store, doing, setName, kind string) ([]T, error) {
	ids, err := s.rdb.SMembers(ctx, s.key(setName)).Result()
	if err != nil {
		return nil, wrap(doing, err)
	}
	slices.Sort(ids)
	return getMany[T](ctx, s, doing, kind, ids)
}

// getMany reads the JSON records of a kind with the given ids in one MGET,
// in the ids' order; a missing record is left out.
func getMany[T any](ctx context.Context, s *Store, doing, kind string, ids []string) ([]T, error) {
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
