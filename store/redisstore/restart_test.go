package redisstore_test

import (
	"bytes"
	"context"
	"errors"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/dispatchd/dispatchd/store"
	"github.com/dispatchd/dispatchd/store/redisstore"
	"github.com/dispatchd/dispatchd/store/storetest"
	"github.com/redis/go-redis/v9"
)

// redisServer is a redis-server process this test started, on a port of
// its own, keeping nothing on disk.
type redisServer struct {
	t    *testing.T
	bin  string
	port string
	dir  string
	cmd  *exec.Cmd
	log  bytes.Buffer
	done chan error // receives the process's exit
}

// startRedisServer starts redis-server from PATH on a free port. Without
// the binary the test fails: it is never skipped.
func startRedisServer(t *testing.T) *redisServer {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Fatalf("this test runs its own Redis and needs redis-server on PATH: install Debian's redis-server package (apt-get install redis-server): %v", err)
	}
	_, port, _ := strings.Cut(closedPort(t), ":")
	r := &redisServer{t: t, bin: bin, port: port, dir: t.TempDir()}
	r.start()
	t.Cleanup(r.stop)
	return r
}

func (r *redisServer) addr() string { return "127.0.0.1:" + r.port }

// start runs redis-server and waits until it answers PING.
func (r *redisServer) start() {
	r.t.Helper()
	r.log.Reset()
	r.cmd = exec.Command(r.bin, "--port", r.port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
		"--dir", r.dir, "--daemonize", "no")
	r.cmd.Stdout, r.cmd.Stderr = &r.log, &r.log
	if err := r.cmd.Start(); err != nil {
		r.t.Fatalf("starting %s: %v", r.bin, err)
	}
	r.done = make(chan error, 1)
	go func(cmd *exec.Cmd, done chan<- error) { done <- cmd.Wait() }(r.cmd, r.done)
	rdb := redis.NewClient(&redis.Options{Addr: r.addr(), MaxRetries: -1})
	defer rdb.Close()
	deadline := time.Now().Add(10 * time.Second)
	for rdb.Ping(r.t.Context()).Err() != nil {
		if time.Now().After(deadline) {
			r.t.Fatalf("redis-server on port %s does not answer PING after 10 s:\n%s", r.port, r.log.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// shutdown stops the server as an operator would lose it: SHUTDOWN
// NOSAVE, so nothing survives, and waits for the process to exit.
func (r *redisServer) shutdown() {
	r.t.Helper()
	rdb := redis.NewClient(&redis.Options{Addr: r.addr(), MaxRetries: -1})
	defer rdb.Close()
	_ = rdb.ShutdownNoSave(r.t.Context()).Err() // the connection drops: no reply
	select {
	case <-r.done:
		r.cmd = nil
	case <-time.After(10 * time.Second):
		r.t.Fatalf("redis-server on port %s still runs 10 s after SHUTDOWN NOSAVE", r.port)
	}
}

// stop kills the server if it still runs (the test failed half-way).
func (r *redisServer) stop() {
	if r.cmd == nil {
		return
	}
	_ = r.cmd.Process.Kill()
	<-r.done
	r.cmd = nil
}

// TestRedisRestart loses the Redis server under a store and brings it back:
// while it is gone every call fails with store.ErrUnavailable within its
// deadline, a write tried then leaves nothing behind, and once it is back
// the same store object works again (go-redis reconnects, and the scripts
// are loaded again).
func TestRedisRestart(t *testing.T) {
	srv := startRedisServer(t)
	ctx := t.Context()
	s, err := redisstore.Open(ctx, "redis://"+srv.addr()+"/0", redisstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	writeAndRead := func(when string) {
		t.Helper()
		if err := s.PutTechnician(ctx, storetest.Technician("T1")); err != nil {
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

	srv.shutdown()
	allUnavailable(t, s)
	// A write that failed is not retried behind the caller's back.
	failCtx, cancel := context.WithTimeout(ctx, time.Second)
	err = s.PutTechnician(failCtx, storetest.Technician("T9"))
	cancel()
	if !errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("PutTechnician without Redis: %v, want ErrUnavailable", err)
	}

	srv.start()
	// The pool's connections died with the server; go-redis notices and
	// dials again. Allow it a moment, then expect every call to work.
	deadline := time.Now().Add(5 * time.Second)
	for err := s.Ping(ctx); err != nil; err = s.Ping(ctx) {
		if time.Now().After(deadline) {
			t.Fatalf("Ping 5 s after Redis came back: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	// SHUTDOWN NOSAVE kept nothing: the old records went with the server.
	if _, err := s.GetTechnician(ctx, "T1"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetTechnician(T1) after a restart without saving: %v, want ErrNotFound", err)
	}
	if _, err := s.GetTechnician(ctx, "T9"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetTechnician(T9), whose write failed: %v, want ErrNotFound", err)
	}
	writeAndRead("after the restart")
}

// TestCancelRequestsSurviveRestart subscribes, loses Redis, and brings it
// back: the subscription must carry on without the caller doing anything.
func TestCancelRequestsSurviveRestart(t *testing.T) {
	srv := startRedisServer(t)
	ctx := t.Context()
	s, err := redisstore.Open(ctx, "redis://"+srv.addr()+"/0", redisstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ch, err := s.CancelRequests(ctx)
	if err != nil {
		t.Fatal(err)
	}
	srv.shutdown()
	srv.start()
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
