package redisstore_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/dispatchd/dispatchd/model"
	"github.com/dispatchd/dispatchd/store"
	"github.com/dispatchd/dispatchd/store/redisstore"
	"github.com/dispatchd/dispatchd/store/redistest"
	"github.com/dispatchd/dispatchd/store/storetest"
	"github.com/redis/go-redis/v9"
)

var denver = model.LatLng(39.7392, -104.9903)

// observed is one call of Options.Observe.
type observed struct {
	command string
	err     error
}

// recorder collects what Options.Observe is told.
type recorder struct {
	mu    sync.Mutex
	calls []observed
}

func (r *recorder) observe(command string, took time.Duration, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, observed{command, err})
}

// take returns the calls so far and forgets them.
func (r *recorder) take() []observed {
	r.mu.Lock()
	defer r.mu.Unlock()
	c := r.calls
	r.calls = nil
	return c
}

// TestObserve checks what each operation sends to Redis, as Observe sees
// it: writes that read first are one EVALSHA, Near is one SUNION and one
// pipeline, and a missing key is not an error.
func TestObserve(t *testing.T) {
	var rec recorder
	s, rdb, _ := openStoreWith(t, redisstore.Options{Observe: rec.observe})
	ctx := t.Context()
	day := model.Date{Year: 2026, Month: 11, Day: 23}
	pos := storetest.Position("T7", denver, time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC))
	ops := []struct {
		name string
		do   func() error
		want []string
	}{
		{"PutTechnician is one transaction", func() error { _, err := s.PutTechnician(ctx, storetest.Technician("T7")); return err }, []string{"multi"}},
		{"UpdatePosition is one script", func() error {
			pos.At = pos.At.Add(time.Second)
			_, err := s.UpdatePosition(ctx, pos, "available")
			return err
		}, []string{"evalsha"}},
		{"Live of some is one pipeline", func() error { _, err := s.Live(ctx, "T7", "T8"); return err }, []string{"pipeline"}},
		{"Live of all reads the ids, then a pipeline", func() error { _, err := s.Live(ctx); return err }, []string{"smembers", "pipeline"}},
		{"Near is one union and one pipeline", func() error { _, err := s.Near(ctx, denver, 5000); return err }, []string{"sunion", "pipeline"}},
		{"PutWorkOrder is one script", func() error { return s.PutWorkOrder(ctx, storetest.WorkOrder("WO-1")) }, []string{"evalsha"}},
		{"Route reads the day, then the orders", func() error { _, err := s.Route(ctx, "T7", day); return err }, []string{"zrange", "mget"}},
		{"DeleteWorkOrder is one script", func() error { return s.DeleteWorkOrder(ctx, "WO-1") }, []string{"evalsha"}},
		{"PutPlan is one transaction", func() error { return s.PutPlan(ctx, "P1", []byte("x"), time.Hour) }, []string{"multi"}},
		{"a missing plan is no error", func() error {
			if _, err := s.GetPlan(ctx, "nothing"); !errors.Is(err, store.ErrNotFound) {
				return err
			}
			return nil
		}, []string{"get"}},
		{"Stats is one pipeline", func() error { _, err := s.Stats(ctx); return err }, []string{"pipeline"}},
		{"DeleteTechnician is one script", func() error { return s.DeleteTechnician(ctx, "T7") }, []string{"evalsha"}},
	}
	// The first run loads the scripts (EVALSHA answers NOSCRIPT, then
	// EVAL): measure the second. Neither that nor the CLIENT subcommands
	// go-redis tries on a new connection, which older servers refuse, is a
	// failure.
	for _, op := range ops {
		_ = op.do()
	}
	_, _ = s.PutTechnician(ctx, storetest.Technician("T7"))
	for _, c := range rec.take() {
		if c.err != nil {
			t.Errorf("since the store opened: %s reported error %v", c.command, c.err)
		}
	}
	for _, op := range ops {
		if err := op.do(); err != nil {
			t.Fatalf("%s: %v", op.name, err)
		}
		calls := rec.take()
		var got []string
		for _, c := range calls {
			got = append(got, c.command)
			if c.err != nil {
				t.Errorf("%s: %s reported error %v", op.name, c.command, c.err)
			}
		}
		if !slices.Equal(got, op.want) {
			t.Errorf("%s: observed %v, want %v", op.name, got, op.want)
		}
	}
	// A Redis error reaches Observe as it is.
	_ = rdb.Do(ctx, "NOSUCHCOMMAND").Err()
	calls := rec.take()
	if len(calls) != 1 || calls[0].command != "nosuchcommand" || calls[0].err == nil {
		t.Errorf("a failing command was observed as %+v, want one call with an error", calls)
	}
	// So does one failing in a pipeline.
	pipe := rdb.Pipeline()
	pipe.Get(ctx, "missing")
	pipe.Do(ctx, "NOSUCHCOMMAND")
	_, _ = pipe.Exec(ctx)
	if calls := rec.take(); len(calls) != 1 || calls[0].command != "pipeline" || calls[0].err == nil {
		t.Errorf("a failing pipeline was observed as %+v, want one call with an error", calls)
	}
}

// TestKeyLayout checks the keys the package comment documents.
func TestKeyLayout(t *testing.T) {
	s, rdb, prefix := openStoreWith(t, redisstore.Options{})
	ctx := t.Context()
	at := time.Date(2026, 11, 23, 9, 30, 0, 123456789, time.UTC)
	if _, err := s.PutTechnician(ctx, storetest.Technician("T7")); err != nil {
		t.Fatal(err)
	}
	if _, err := s.UpdatePosition(ctx, storetest.Position("T7", denver, at), "available"); err != nil {
		t.Fatal(err)
	}
	wo := storetest.WorkOrder("WO-1") // T7, 10:00 -07:00 on 23 Nov
	if err := s.PutWorkOrder(ctx, wo); err != nil {
		t.Fatal(err)
	}
	if err := s.PutPlan(ctx, "P1", []byte("plan"), time.Hour); err != nil {
		t.Fatal(err)
	}
	sub, cancel := context.WithCancel(ctx)
	defer cancel()
	if _, err := s.CancelRequests(sub); err != nil {
		t.Fatal(err)
	}
	cell, _ := store.LiveCell(denver)
	route := prefix + "route:T7:2026-11-23"
	tests := []struct {
		key, typ string
		check    func() error
	}{
		{"tech:T7", "string", nil},
		{"techs", "set", func() error { return want(rdb.SIsMember(ctx, prefix+"techs", "T7").Val(), "T7 in techs") }},
		{"live:T7", "hash", func() error {
			h := rdb.HGetAll(ctx, prefix+"live:T7").Val()
			return want(h["lat"] == "39.7392" && h["lng"] == "-104.9903" && h["at"] == strconv.FormatInt(at.UnixMilli(), 10) &&
				h["cell"] == cell && h["status"] == "available", "live:T7 = %v", h)
		}},
		{"lives", "set", func() error { return want(rdb.SIsMember(ctx, prefix+"lives", "T7").Val(), "T7 in lives") }},
		{"cell:" + cell, "set", func() error { return want(rdb.SIsMember(ctx, prefix+"cell:"+cell, "T7").Val(), "T7 in its cell") }},
		{"wo:WO-1", "string", nil},
		{"wos", "set", func() error { return want(rdb.SIsMember(ctx, prefix+"wos", "WO-1").Val(), "WO-1 in wos") }},
		{"route:T7:2026-11-23", "zset", func() error {
			score := rdb.ZScore(ctx, route, "WO-1").Val()
			return want(int64(score) == wo.ScheduledStart.UnixMilli(), "WO-1 scored %v in %s", score, route)
		}},
		{"wo-routes:WO-1", "set", func() error {
			m := rdb.SMembers(ctx, prefix+"wo-routes:WO-1").Val()
			return want(slices.Equal(m, []string{route}), "wo-routes:WO-1 = %v", m)
		}},
		{"plan:P1", "string", func() error {
			ttl := rdb.PTTL(ctx, prefix+"plan:P1").Val()
			return want(ttl > 59*time.Minute && ttl <= time.Hour, "plan:P1 expires in %v", ttl)
		}},
		{"plans", "zset", func() error {
			expiry := time.UnixMilli(int64(rdb.ZScore(ctx, prefix+"plans", "P1").Val()))
			return want(time.Until(expiry) > 59*time.Minute, "P1 expires at %v in plans", expiry)
		}},
	}
	for _, tt := range tests {
		if typ := rdb.Type(ctx, prefix+tt.key).Val(); typ != tt.typ {
			t.Errorf("%s is a %q, want a %s", tt.key, typ, tt.typ)
			continue
		}
		if tt.check != nil {
			if err := tt.check(); err != nil {
				t.Error(err)
			}
		}
	}
	subs := rdb.PubSubNumSub(ctx, prefix+"cancel").Val()
	if subs[prefix+"cancel"] != 1 {
		t.Errorf("subscribers of %scancel = %v, want 1", prefix, subs)
	}
}

// want returns an error saying what was wanted unless ok.
func want(ok bool, format string, args ...any) error {
	if ok {
		return nil
	}
	return fmt.Errorf("want "+format, args...)
}

// call is one store method called with plausible arguments, for tests
// that need every method to fail the same way.
type call struct {
	name string
	do   func(ctx context.Context) error
}

// everyCall lists a call of each of the store's methods.
func everyCall(s *redisstore.Store) []call {
	tech := storetest.Technician("T1")
	wo := storetest.WorkOrder("WO-1")
	pos := storetest.Position("T1", denver, time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC))
	day := model.Date{Year: 2026, Month: 11, Day: 23}
	ignore := func(_ any, err error) error { return err }
	return []call{
		{"Ping", s.Ping},
		{"PutTechnician", func(ctx context.Context) error { _, err := s.PutTechnician(ctx, tech); return err }},
		{"GetTechnician", func(ctx context.Context) error { return ignore(s.GetTechnician(ctx, "T1")) }},
		{"ListTechnicians", func(ctx context.Context) error { return ignore(s.ListTechnicians(ctx)) }},
		{"DeleteTechnician", func(ctx context.Context) error { return s.DeleteTechnician(ctx, "T1") }},
		{"UpdatePosition", func(ctx context.Context) error { return ignore(s.UpdatePosition(ctx, pos, "")) }},
		{"Live", func(ctx context.Context) error { return ignore(s.Live(ctx)) }},
		{"Live of some", func(ctx context.Context) error { return ignore(s.Live(ctx, "T1")) }},
		{"Near", func(ctx context.Context) error { return ignore(s.Near(ctx, denver, 1000)) }},
		{"Near, wide", func(ctx context.Context) error { return ignore(s.Near(ctx, denver, 1e7)) }},
		{"PutWorkOrder", func(ctx context.Context) error { return s.PutWorkOrder(ctx, wo) }},
		{"GetWorkOrder", func(ctx context.Context) error { return ignore(s.GetWorkOrder(ctx, "WO-1")) }},
		{"ListWorkOrders", func(ctx context.Context) error { return ignore(s.ListWorkOrders(ctx)) }},
		{"DeleteWorkOrder", func(ctx context.Context) error { return s.DeleteWorkOrder(ctx, "WO-1") }},
		{"Route", func(ctx context.Context) error { return ignore(s.Route(ctx, "T7", day)) }},
		{"PutPlan", func(ctx context.Context) error { return s.PutPlan(ctx, "P1", []byte("x"), 0) }},
		{"GetPlan", func(ctx context.Context) error { return ignore(s.GetPlan(ctx, "P1")) }},
		{"RequestCancel", func(ctx context.Context) error { return s.RequestCancel(ctx, "P1") }},
		{"CancelRequests", func(ctx context.Context) error { return ignore(s.CancelRequests(ctx)) }},
		{"Stats", func(ctx context.Context) error { return ignore(s.Stats(ctx)) }},
	}
}

// allUnavailable calls every method, all at once, each with a short
// deadline: each must fail with store.ErrUnavailable, and within it.
func allUnavailable(t *testing.T, s *redisstore.Store) {
	t.Helper()
	const limit = 2 * time.Second
	calls := everyCall(s)
	errs := make([]error, len(calls))
	took := make([]time.Duration, len(calls))
	var wg sync.WaitGroup
	for i, c := range calls {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(t.Context(), limit)
			defer cancel()
			start := time.Now()
			errs[i] = c.do(ctx)
			took[i] = time.Since(start)
		})
	}
	wg.Wait()
	for i, c := range calls {
		if !errors.Is(errs[i], store.ErrUnavailable) {
			t.Errorf("%s without Redis: err = %v, want ErrUnavailable", c.name, errs[i])
		}
		if took[i] > limit+500*time.Millisecond {
			t.Errorf("%s without Redis took %v, past its %v deadline", c.name, took[i], limit)
		}
	}
}

// TestEveryMethodUnavailable points a store at a port nobody listens on.
func TestEveryMethodUnavailable(t *testing.T) {
	rdb := redis.NewClient(&redis.Options{Addr: redistest.FreeAddr(t)})
	defer rdb.Close()
	allUnavailable(t, redisstore.New(rdb, redisstore.Options{}))
}
