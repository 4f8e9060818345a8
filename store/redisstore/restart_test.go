package redisstore_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/dispatchd/dispatchd/store"
	"github.com/dispatchd/dispatchd/store/redisstore"
	"github.com/dispatchd/dispatchd/store/redistest"
	"github.com/dispatchd/dispatchd/store/storetest"
)

// TestRedisRestart loses the Redis server under a store and brings it back:
// while it is gone every call fails with store.ErrUnavailable within its
// deadline, a write tried then leaves nothing behind, and once it is back
// the same store object works again (go-redis reconnects, and the scripts
// are loaded again).
func TestRedisRestart(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{})
	ctx := t.Context()
	s := srv.Open(redisstore.Options{})
	writeAndRead := func(when string) {
		t.Helper()
		if _, err := s.PutTechnician(ctx, storetest.Technician("T1")); err != nil {
			t.Fatalf("%s: PutTechnician: %v", when, err)
		}
		if _, err := s.UpdatePosition(ctx, storetest.Position("T1", denver, time.Now()), "available"); err != nil {
			t.Fatalf("%s: UpdatePosition: %v", when, err)
		}
		if err := s.PutWorkOrder(ctx, storetest.WorkOrder("WO-1")); err != nil {
			t.Fatalf("%s: PutWorkOrder: %v", when, err)
		}
		near, err := s.Near(ctx, denver, 100)
		if err != nil || len(near) != 1 {
			t.Fatalf("%s: Near = %v, %v; want [T1]", when, near, err)
		}
		if st, err := s.Stats(ctx); err != nil || st.Technicians != 1 || st.WorkOrders != 1 || st.Positions != 1 {
			t.Fatalf("%s: Stats = %+v, %v", when, st, err)
		}
	}
	writeAndRead("before the restart")

	srv.ShutdownNoSave()
	allUnavailable(t, s)
	// A write that failed is not retried behind the caller's back.
	failCtx, cancel := context.WithTimeout(ctx, time.Second)
	_, err := s.PutTechnician(failCtx, storetest.Technician("T9"))
	cancel()
	if !errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("PutTechnician without Redis: %v, want ErrUnavailable", err)
	}

	srv.Start()
	// The pool's connections died with the server; go-redis notices and
	// dials again. Allow it a moment, then expect every call to work.
	// It came back empty: Ping says the state is lost, and keeps saying
	// so, while every call works again.
	deadline := time.Now().Add(5 * time.Second)
	for err = s.Ping(ctx); errors.Is(err, store.ErrUnavailable); err = s.Ping(ctx) {
		if time.Now().After(deadline) {
			t.Fatalf("Ping 5 s after Redis came back: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if !errors.Is(err, store.ErrStateLost) {
		t.Fatalf("Ping after a restart without persistence: %v, want ErrStateLost", err)
	}
	// SHUTDOWN NOSAVE kept nothing: the old records went with the server.
	if _, err := s.GetTechnician(ctx, "T1"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetTechnician(T1) after a restart without saving: %v, want ErrNotFound", err)
	}
	if _, err := s.GetTechnician(ctx, "T9"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetTechnician(T9), whose write failed: %v, want ErrNotFound", err)
	}
	writeAndRead("after the restart")
	if err := s.Ping(ctx); !errors.Is(err, store.ErrStateLost) {
		t.Errorf("Ping after writing again: %v, want ErrStateLost still", err)
	}
	// A store opened now adopts the state as it is (Open fails the test
	// otherwise).
	srv.Open(redisstore.Options{})
}

// TestPersistentRestartKeepsTheEpoch restarts a Redis that keeps an
// append-only file: nothing is lost, and Ping says so.
func TestPersistentRestartKeepsTheEpoch(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{Persist: true})
	ctx := t.Context()
	s := srv.Open(redisstore.Options{})
	p, err := s.Persistence(ctx)
	if err != nil || !p.AOF || p.RDB {
		t.Errorf("Persistence = %+v, %v; want AOF only", p, err)
	}
	srv.Kill()
	srv.Start()
	deadline := time.Now().Add(5 * time.Second)
	for err = s.Ping(ctx); err != nil; err = s.Ping(ctx) {
		if errors.Is(err, store.ErrStateLost) || time.Now().After(deadline) {
			t.Fatalf("Ping after a persistent restart: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestCancelRequestsSurviveRestart subscribes, loses Redis, and brings it
// back: the subscription must carry on without the caller doing anything.
func TestCancelRequestsSurviveRestart(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{})
	ctx := t.Context()
	s := srv.Open(redisstore.Options{})
	ch, err := s.CancelRequests(ctx)
	if err != nil {
		t.Fatal(err)
	}
	srv.ShutdownNoSave()
	srv.Start()
	// The subscriber resubscribes on its own schedule: publish until it
	// hears, for at most 20 s.
	deadline := time.After(20 * time.Second)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case id, ok := <-ch:
			if !ok {
				t.Fatal("the cancel-request channel closed when Redis restarted")
			}
			if id != "P1" {
				t.Fatalf("received %q, want P1", id)
			}
			return
		case <-tick.C:
			_ = s.RequestCancel(ctx, "P1")
		case <-deadline:
			t.Fatal("no cancel request received 20 s after Redis came back")
		}
	}
}
