package api_test

import (
	"context"
	"fmt"
	"net"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/dispatchd/dispatchd/api"
	"github.com/dispatchd/dispatchd/store/redisstore"
	"github.com/dispatchd/dispatchd/store/storetest"
)

// redisServer is a redis-server this test started, keeping its data in an
// append-only file so that a restart finds it again.
type redisServer struct {
	t    *testing.T
	port int
	dir  string
	cmd  *exec.Cmd
}

// startRedis starts redis-server on a free port. Without the binary the
// test fails (install Debian's redis-server package); it never skips.
func startRedis(t *testing.T) *redisServer {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Fatalf("this test runs its own redis-server and cannot find one: install Debian's redis-server package (%v)", err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	rs := &redisServer{t: t, port: port, dir: t.TempDir()}
	rs.start()
	t.Cleanup(rs.stop)
	return rs
}

func (rs *redisServer) url() string { return fmt.Sprintf("redis://127.0.0.1:%d/0", rs.port) }

func (rs *redisServer) start() {
	rs.t.Helper()
	rs.cmd = exec.Command("redis-server", "--port", strconv.Itoa(rs.port), "--bind", "127.0.0.1",
		"--dir", rs.dir, "--appendonly", "yes", "--appendfsync", "always", "--save", "")
	if err := rs.cmd.Start(); err != nil {
		rs.t.Fatalf("starting redis-server: %v", err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		if c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", rs.port), 100*time.Millisecond); err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			rs.t.Fatalf("redis-server on port %d did not come up", rs.port)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// stop ends redis-server as an outage would: its connections drop.
func (rs *redisServer) stop() {
	if rs.cmd == nil || rs.cmd.Process == nil {
		return
	}
	_ = rs.cmd.Process.Kill()
	_ = rs.cmd.Wait()
	rs.cmd = nil
}

// TestRedisOutage stops a real redis-server under a running service: it
// must answer 503 (readiness, reads, writes), never panic or half-write,
// and recover by itself when Redis is back.
func TestRedisOutage(t *testing.T) {
	rs := startRedis(t)
	st, err := redisstore.Open(t.Context(), rs.url(), redisstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ts := serveWith(t, api.Options{Store: st, RequestTimeout: 3 * time.Second, Clock: func() time.Time { return at(9, 30) }})
	u := ts.URL
	expect(t, "create T1", do(t, "PUT", u+"/v1/technicians/T1", storetest.Technician("T1")), 201, nil)

	rs.stop()
	expectProblem(t, "readyz down", do(t, "GET", u+"/readyz", nil), 503, "")
	expectProblem(t, "read down", do(t, "GET", u+"/v1/technicians/T1", nil), 503, "")
	expectProblem(t, "write down", do(t, "PUT", u+"/v1/technicians/T2", storetest.Technician("T2")), 503, "")
	expectProblem(t, "ping down", do(t, "POST", u+"/v1/technicians/T1/location", map[string]any{"lat": 39.7, "lng": -104.9, "at": at(9, 0)}), 503, "")
	expectProblem(t, "list down", do(t, "GET", u+"/v1/technicians", nil), 503, "")
	expect(t, "healthz down", do(t, "GET", u+"/healthz", nil), 200, nil)

	rs.start()
	waitFor(t, func() bool { return do(t, "GET", u+"/readyz", nil).status == 200 })
	expect(t, "read after", do(t, "GET", u+"/v1/technicians/T1", nil), 200, nil)
	expectProblem(t, "no half-written T2", do(t, "GET", u+"/v1/technicians/T2", nil), 404, "id")
	expect(t, "write after", do(t, "PUT", u+"/v1/technicians/T2", storetest.Technician("T2")), 201, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := st.Ping(ctx); err != nil {
		t.Errorf("the store did not reconnect: %v", err)
	}
}
