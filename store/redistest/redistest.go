// Package redistest gives tests a real Redis: the shared server the test
// command provides (URL), and servers of a test's own that it can lose and
// bring back (Start). No test that needs Redis is skipped: without one it
// fails, saying how to get one.
package redistest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"net"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/dispatchd/dispatchd/store/redisstore"
	"github.com/redis/go-redis/v9"
)

// URL returns the Redis the tests share: $REDIS_URL (which `make test` sets,
// starting a server when none runs), else one answering on 127.0.0.1:6379.
// Tests keep to a key prefix of their own there.
func URL(t testing.TB) string {
	t.Helper()
	if u := os.Getenv("REDIS_URL"); u != "" {
		return u
	}
	conn, err := net.DialTimeout("tcp", "127.0.0.1:6379", time.Second)
	if err != nil {
		t.Fatalf("no Redis for this test: REDIS_URL is not set and 127.0.0.1:6379 does not answer (%v); run the tests with `make test`, which starts one", err)
	}
	conn.Close()
	return "redis://127.0.0.1:6379/0"
}

// Prefix returns a key prefix for one test's keys on the shared Redis:
// "dispatchd-test:", the label and a dash if label is not empty, random
// hex, and ":". Random, so that tests (and runs of them, or packages
// tested in parallel) never share a key; all under "dispatchd-test:", so
// that what a killed run leaves behind is plainly a test's.
func Prefix(label string) string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	if label != "" {
		label += "-"
	}
	return "dispatchd-test:" + label + hex.EncodeToString(b[:]) + ":"
}

// Open opens a Redis store on the shared Redis (URL) for a test, under
// opts.Prefix or, when that is empty, a prefix of its own (Prefix(label));
// when the test ends it deletes every key under the prefix and closes the
// store. Stores opened with one prefix are replicas of one deployment.
// Every test that opens a store on the shared Redis opens it here, so that
// none leaves keys behind.
func Open(t testing.TB, label string, opts redisstore.Options) *redisstore.Store {
	t.Helper()
	s, _ := OpenWithClient(t, label, opts)
	return s
}

// OpenWithClient is Open that returns the store's own client too, for a
// test that sends commands through it (and sees them observed) or looks
// at the keys.
func OpenWithClient(t testing.TB, label string, opts redisstore.Options) (*redisstore.Store, *redis.Client) {
	t.Helper()
	if opts.Prefix == "" {
		opts.Prefix = Prefix(label)
	}
	url := URL(t)
	o, err := redis.ParseURL(url)
	if err != nil {
		t.Fatalf("parsing the Redis URL %s: %v", url, err)
	}
	o.ContextTimeoutEnabled = true // as redisstore.Open
	rdb := redis.NewClient(o)
	s := redisstore.New(rdb, opts)
	if err := s.Ping(t.Context()); err != nil {
		rdb.Close()
		t.Fatalf("opening a Redis store at %s: %v", url, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := s.Purge(ctx); err != nil {
			t.Errorf("deleting the test's keys under %s: %v", opts.Prefix, err)
		}
		s.Close()
	})
	return s, rdb
}

// FreeAddr returns a loopback host:port on which nothing listens: a port
// the kernel has just handed out and taken back. A server can be started
// on it, and a client dialling it is refused.
func FreeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// Options shape a server of the test's own.
type Options struct {
	// Persist keeps the data in an append-only file synced on every
	// write, so that a server killed and started again still has it.
	Persist bool
}

// Server is a redis-server process a test started on a free port. It is
// killed when the test ends.
type Server struct {
	t    testing.TB
	bin  string
	port string
	dir  string
	opts Options
	cmd  *exec.Cmd
	log  bytes.Buffer
	done chan error // receives the process's exit
}

// Start starts redis-server from PATH on a free port and waits until it
// answers PING. Without the binary the test fails: it is never skipped.
func Start(t testing.TB, opts Options) *Server {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Fatalf("this test runs its own Redis and needs redis-server on PATH: install Debian's redis-server package (apt-get install redis-server): %v", err)
	}
	_, port, err := net.SplitHostPort(FreeAddr(t))
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{t: t, bin: bin, port: port, dir: t.TempDir(), opts: opts}
	s.Start()
	t.Cleanup(s.Kill)
	return s
}

// Addr is the server's host:port.
func (s *Server) Addr() string { return "127.0.0.1:" + s.port }

// URL is the server's address as a redis:// URL, database 0.
func (s *Server) URL() string { return "redis://" + s.Addr() + "/0" }

// Start runs the server again, on the same port, after Kill or
// ShutdownNoSave, and waits until it answers PING.
func (s *Server) Start() {
	s.t.Helper()
	if s.cmd != nil {
		s.t.Fatalf("redis-server on port %s already runs", s.port)
	}
	s.log.Reset()
	args := []string{"--port", s.port, "--bind", "127.0.0.1", "--dir", s.dir, "--save", "", "--daemonize", "no"}
	if s.opts.Persist {
		args = append(args, "--appendonly", "yes", "--appendfsync", "always")
	} else {
		args = append(args, "--appendonly", "no")
	}
	s.cmd = exec.Command(s.bin, args...)
	s.cmd.Stdout, s.cmd.Stderr = &s.log, &s.log
	if err := s.cmd.Start(); err != nil {
		s.t.Fatalf("starting %s: %v", s.bin, err)
	}
	s.done = make(chan error, 1)
	go func(cmd *exec.Cmd, done chan<- error) { done <- cmd.Wait() }(s.cmd, s.done)
	rdb := redis.NewClient(&redis.Options{Addr: s.Addr(), MaxRetries: -1})
	defer rdb.Close()
	deadline := time.Now().Add(10 * time.Second)
	for rdb.Ping(context.Background()).Err() != nil {
		if time.Now().After(deadline) {
			s.t.Fatalf("redis-server on port %s does not answer PING after 10 s:\n%s", s.port, s.log.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Open opens a Redis store on this server, closed when the test ends (the
// server's data goes with the server).
func (s *Server) Open(opts redisstore.Options) *redisstore.Store {
	s.t.Helper()
	st, err := redisstore.Open(s.t.Context(), s.URL(), opts)
	if err != nil {
		s.t.Fatalf("opening a Redis store on the server at %s: %v", s.Addr(), err)
	}
	s.t.Cleanup(func() { st.Close() })
	return st
}

// Kill ends the process as a crash would: its connections drop, and only
// what Persist wrote survives. Killing a stopped server does nothing.
func (s *Server) Kill() {
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	<-s.done
	s.cmd = nil
}

// ShutdownNoSave stops the server with SHUTDOWN NOSAVE and waits for the
// process to exit: without Persist, nothing survives.
func (s *Server) ShutdownNoSave() {
	s.t.Helper()
	rdb := redis.NewClient(&redis.Options{Addr: s.Addr(), MaxRetries: -1})
	defer rdb.Close()
	_ = rdb.ShutdownNoSave(context.Background()).Err() // the connection drops: no reply
	select {
	case <-s.done:
		s.cmd = nil
	case <-time.After(10 * time.Second):
		s.t.Fatalf("redis-server on port %s still runs 10 s after SHUTDOWN NOSAVE", s.port)
	}
}
