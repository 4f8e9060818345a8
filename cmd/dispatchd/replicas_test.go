package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/dispatchd/dispatchd/auth"
	"github.com/dispatchd/dispatchd/model"
	"github.com/dispatchd/dispatchd/store/redisstore"
	"github.com/dispatchd/dispatchd/store/redistest"
	"github.com/dispatchd/dispatchd/store/storetest"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// binary builds dispatchd once for the tests that run it.
func binary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "dispatchd-bin")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "dispatchd")
		if out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput(); err != nil {
			buildErr = &buildError{err, string(out)}
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

type buildError struct {
	err error
	out string
}

func (e *buildError) Error() string { return "go build: " + e.err.Error() + "\n" + e.out }

// replica is a running dispatchd serve process.
type replica struct {
	cmd  *exec.Cmd
	base string

	mu   sync.Mutex
	logs []string // stderr, a line each
	done chan struct{}
}

// logLines returns what the server logged, once it has exited.
func (r *replica) logLines() []string {
	<-r.done
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.logs)
}

// testBootstrap is the bootstrap admin key of every replica startServe
// runs, and what call and httpGet send unless told otherwise.
const testBootstrap = "cmd-test-bootstrap-admin-key-0123456789abcdef"

// startServe runs `dispatchd serve` with args and waits for it to listen.
// Its bootstrap key is testBootstrap; a demo writes its keys in a
// directory of the test's.
func startServe(t testing.TB, args ...string) *replica {
	t.Helper()
	if slices.Contains(args, "--demo") {
		args = append(args, "--demo-keys", filepath.Join(t.TempDir(), "demo-keys.env"))
	}
	cmd := exec.Command(binary(t), append([]string{"serve", "--addr", "127.0.0.1:0"}, args...)...)
	cmd.Env = append(os.Environ(), bootstrapEnv+"="+testBootstrap)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	lines := bufio.NewScanner(stderr)
	addr := regexp.MustCompile(`addr"?[=:]"?(127\.0\.0\.1:\d+)`)
	var early []string
	for lines.Scan() {
		early = append(early, lines.Text())
		if m := addr.FindStringSubmatch(lines.Text()); m != nil {
			r := &replica{cmd: cmd, base: "http://" + m[1], logs: early, done: make(chan struct{})}
			go func() {
				defer close(r.done)
				for lines.Scan() {
					r.mu.Lock()
					r.logs = append(r.logs, lines.Text())
					r.mu.Unlock()
				}
			}()
			return r
		}
	}
	t.Fatal("the server never said where it listens")
	return nil
}

// stop sends SIGTERM and waits for a clean exit.
func (r *replica) stop(t *testing.T) {
	t.Helper()
	if err := r.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- r.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("after SIGTERM: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("the server did not stop within 15 s of SIGTERM")
	}
}

// call sends a request as the replicas' bootstrap admin.
func call(t testing.TB, method, url string, body any, out any) int {
	t.Helper()
	return callAs(t, testBootstrap, method, url, body, out)
}

// callAs sends a request with a token and decodes a success into out.
func callAs(t testing.TB, token, method, url string, body any, out any) int {
	t.Helper()
	var rd io.Reader
	if body != nil {
		data, _ := json.Marshal(body)
		rd = bytes.NewReader(data)
	}
	req, _ := http.NewRequestWithContext(t.Context(), method, url, rd)
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if out != nil && resp.StatusCode < 300 {
		if err := json.Unmarshal(data, out); err != nil {
			t.Fatalf("%s %s: %v: %s", method, url, err, data)
		}
	}
	return resp.StatusCode
}

// purgeAfter deletes the keys under prefix on the shared Redis when the
// test ends.
func purgeAfter(t testing.TB, prefix string) {
	t.Helper()
	redistest.Open(t, "", redisstore.Options{Prefix: prefix})
}

// TestReplicasShareRedis runs two dispatchd processes on one Redis: what
// one is told, the other knows, and a restart loses nothing.
func TestReplicasShareRedis(t *testing.T) {
	url := redistest.URL(t)
	prefix := redistest.Prefix("replicas")
	purgeAfter(t, prefix)
	args := []string{"--redis", url, "--redis-prefix", prefix}
	a, bb := startServe(t, args...), startServe(t, args...)

	// The shift runs now: the servers refuse positions stamped ahead of
	// their clock, and this one is a real process with a real clock.
	tech := storetest.Technician("T1")
	shift := time.Now().Truncate(time.Minute).Add(-2 * time.Hour).Sub(tech.Shift.Start)
	tech.Shift.Start, tech.Shift.End = tech.Shift.Start.Add(shift), tech.Shift.End.Add(shift)
	for i := range tech.Breaks {
		tech.Breaks[i].Earliest, tech.Breaks[i].Latest = tech.Breaks[i].Earliest.Add(shift), tech.Breaks[i].Latest.Add(shift)
	}
	if code := call(t, "PUT", a.base+"/v1/technicians/T1", tech, nil); code != 201 {
		t.Fatalf("PUT on A: %d", code)
	}
	var got model.Technician
	if code := call(t, "GET", bb.base+"/v1/technicians/T1", nil, &got); code != 200 || got.ID != "T1" {
		t.Fatalf("GET on B: %d %+v", code, got)
	}

	// A position posted to A is what B's suggestion starts from.
	now := tech.Shift.Start.Add(2 * time.Hour)
	order := map[string]any{"id": "NEW", "location": map[string]any{"lat": 39.901, "lng": -104.99}, "duration_s": 1800, "required_skills": map[string]int{"hvac": 1}}
	suggest := func() model.Candidate {
		var s model.Suggestions
		if code := call(t, "POST", bb.base+"/v1/suggest", map[string]any{"work_order": order, "now": now}, &s); code != 200 || len(s.Candidates) != 1 {
			t.Fatalf("suggest on B: %d %+v", code, s)
		}
		return s.Candidates[0]
	}
	far := suggest()
	if code := call(t, "POST", a.base+"/v1/technicians/T1/location", map[string]any{"lat": 39.90, "lng": -104.99, "at": now.Add(-time.Minute)}, nil); code != 200 {
		t.Fatalf("location on A: %d", code)
	}
	near := suggest()
	if near.Travel >= far.Travel || near.Travel > 60 {
		t.Errorf("B's suggestion travels %ds after the ping to A (%ds before); want it from the new position", near.Travel, far.Travel)
	}

	// A plan started on A is visible on B.
	body := map[string]any{"technicians": []model.Technician{tech}, "work_orders": []model.WorkOrder{}, "iterations": 10}
	var rec struct{ ID, Status string }
	if code := call(t, "POST", a.base+"/v1/plans?wait=true", body, &rec); code != 200 || rec.Status != "done" {
		t.Fatalf("plan on A: %d %+v", code, rec)
	}
	if code := call(t, "GET", bb.base+"/v1/plans/"+rec.ID, nil, &rec); code != 200 || rec.Status != "done" {
		t.Fatalf("plan on B: %d %+v", code, rec)
	}

	// Dispatchers racing on both replicas never double-book.
	raceAcross(t, []string{a.base, bb.base}, tech)

	// Restarting A loses nothing.
	a.stop(t)
	a = startServe(t, args...)
	if code := call(t, "GET", a.base+"/v1/technicians/T1", nil, &got); code != 200 || got.ID != "T1" {
		t.Fatalf("GET on the restarted A: %d %+v", code, got)
	}
	var live struct {
		Live *struct{ Position model.Position }
	}
	if call(t, "GET", a.base+"/v1/technicians/T1", nil, &live); live.Live == nil || live.Live.Position.Lat != 39.90 {
		t.Errorf("the restarted A lost T1's position: %+v", live.Live)
	}
}

// TestBenchHTTP runs the load generator briefly against a server in this
// process, over memory and over the real Redis, and reads its report.
func TestBenchHTTP(t *testing.T) {
	redisURL := redistest.URL(t)
	for _, tt := range []struct {
		name, target, redis string
		extra               []string
	}{
		{"location/memory", "location", "", nil},
		{"location/redis", "location", redisURL, nil},
		{"suggest/redis", "suggest", redisURL, nil},
		// One key runs one plan: the second is refused.
		{"location/memory/plans", "location", "", []string{"--plans", "2", "--plan-keys", "1", "--plan-orders", "20", "--plan-time", "5s"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			args := []string{"bench", "http", "--target", tt.target, "--concurrency", "2", "--duration", "300ms", "--technicians", "20"}
			if tt.redis != "" {
				args = append(args, "--redis", tt.redis)
			}
			args = append(args, tt.extra...)
			code, out, errOut := runCmd(t, "", args...)
			if code != exitOK {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			var n, errs int
			if _, err := fmt.Sscanf(out, tt.target+": %d requests", &n); err != nil || n == 0 {
				t.Fatalf("report %q: want some requests (%v)", out, err)
			}
			if i := strings.Index(out, "requests/s, "); i < 0 {
				t.Fatalf("report %q has no error count", out)
			} else if _, err := fmt.Sscanf(out[i+len("requests/s, "):], "%d errors", &errs); err != nil || errs != 0 {
				t.Fatalf("report %q: %d errors (%v)", out, errs, err)
			}
			if !strings.Contains(out, "p99 ") {
				t.Errorf("report %q has no p99", out)
			}
			if tt.extra != nil && !strings.Contains(out, "plans posted during the load: answers [202 429]") {
				t.Errorf("report %q: want the second plan of one key refused", out)
			}
		})
	}
}

// raceAcross creates 50 orders and dispatches them all at once into one
// technician's same hour, alternating between the servers: exactly one
// may win. Then 50 status moves of the winner race the same way, and its
// history must walk the lifecycle.
func raceAcross(t *testing.T, servers []string, tech model.Technician) {
	t.Helper()
	tech.ID, tech.Breaks = "T-RACE", nil
	if code := call(t, "PUT", servers[0]+"/v1/technicians/T-RACE", tech, nil); code != 201 {
		t.Fatalf("PUT T-RACE: %d", code)
	}
	start := tech.Shift.Start.Add(4 * time.Hour)
	var ids []string
	for i := range 50 {
		var w model.WorkOrder
		body := map[string]any{"site_id": fmt.Sprintf("RACE-%d", i), "location": map[string]any{"lat": 39.75, "lng": -104.98}, "duration_s": 3600}
		if code := call(t, "POST", servers[i%2]+"/v1/workorders", body, &w); code != 201 {
			t.Fatalf("create order %d: %d", i, code)
		}
		ids = append(ids, w.ID)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	codes := map[int]int{}
	winner := ""
	for i, id := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			code := call(t, "POST", servers[i%2]+"/v1/workorders/"+id+"/dispatch",
				map[string]any{"technician_ids": []string{"T-RACE"}, "scheduled_start": start}, nil)
			mu.Lock()
			defer mu.Unlock()
			codes[code]++
			if code == 200 {
				winner = id
			}
		}()
	}
	wg.Wait()
	if codes[200] != 1 || codes[409] != 49 {
		t.Fatalf("dispatch statuses across two replicas %v, want one 200 and 49 409", codes)
	}
	moves := []string{"acknowledged", "en_route", "on_site", "complete", "cancelled"}
	for i := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			body := map[string]any{"status": moves[i%len(moves)]}
			if body["status"] == "complete" {
				body["outcome"] = map[string]any{"code": "fixed"}
			}
			if code := call(t, "POST", servers[i%2]+"/v1/workorders/"+winner+"/status", body, nil); code != 200 && code != 409 {
				t.Errorf("status update on replica %d: %d", i%2, code)
			}
		}()
	}
	wg.Wait()
	var hist struct{ History []model.HistoryEntry }
	if code := call(t, "GET", servers[1]+"/v1/workorders/"+winner+"/history", nil, &hist); code != 200 {
		t.Fatalf("history: %d", code)
	}
	at := model.StatusCreated
	for _, h := range hist.History {
		if h.Action == model.HistoryStatus || h.Action == model.HistoryDispatched {
			if h.From != at {
				t.Errorf("history entry %d moves from %s, but the order was %s", h.Seq, h.From, at)
			}
			at = h.To
		}
	}
	var w model.WorkOrder
	if call(t, "GET", servers[0]+"/v1/workorders/"+winner, nil, &w); w.Status != at {
		t.Errorf("the order is %s, its history ends at %s", w.Status, at)
	}
}

// TestBenchLostState runs the lost-state check: a Redis of its own
// restarted without persistence turns /readyz to 503 naming the lost state.
func TestBenchLostState(t *testing.T) {
	code, out, errOut := runCmd(t, "", "bench", "lost-state")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.Contains(out, `/readyz 200 before`) || !strings.Contains(out, `503 "store state lost"`) {
		t.Errorf("report %q: want 200 before the restart and 503 store state lost after", out)
	}
}

// TestRedisLogsAreJSON runs serve --log-format json on a Redis that then
// dies: go-redis's own complaints (failed dials) come out as JSON records
// like every other line, so that a log pipeline never chokes on them.
func TestRedisLogsAreJSON(t *testing.T) {
	rs := redistest.Start(t, redistest.Options{})
	r := startServe(t, "--redis", rs.URL(), "--log-format", "json", "--store-timeout", "500ms")
	rs.Kill()
	// go-redis complains once its pool has failed to dial a few times.
	for range 8 {
		if code, _ := httpGet(t, r.base+"/v1/technicians"); code != http.StatusServiceUnavailable {
			t.Errorf("/v1/technicians with Redis dead = %d, want 503", code)
		}
	}
	r.stop(t)
	fromRedis := 0
	for _, line := range r.logLines() {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil || rec["msg"] == nil {
			t.Errorf("not a JSON log record: %s", line)
			continue
		}
		if rec["msg"] == "redis client" && strings.Contains(fmt.Sprint(rec["detail"]), "dial") {
			fromRedis++
		}
	}
	if fromRedis == 0 {
		t.Errorf("no record of go-redis's dial failures in the log: %q", r.logLines())
	}
}

// TestRevocationAcrossReplicas: a key made on the command line against
// the deployment's Redis works on both replicas; revoked through A, it
// fails on B within a second; and one revoked on the command line fails
// on both.
func TestRevocationAcrossReplicas(t *testing.T) {
	url := redistest.URL(t)
	prefix := redistest.Prefix("revoke")
	purgeAfter(t, prefix)
	args := []string{"--redis", url, "--redis-prefix", prefix}
	a, b := startServe(t, args...), startServe(t, args...)
	create := func(name string) (id, token string) {
		t.Helper()
		code, out, errOut := runCmd(t, "", "keys", "create", "--redis", url, "--redis-prefix", prefix, "--role", "viewer", "--name", name)
		if code != exitOK || !strings.HasPrefix(out, "dk_") || strings.Count(out, "\n") != 1 {
			t.Fatalf("keys create: exit %d, stdout %q, stderr %q", code, out, errOut)
		}
		token = strings.TrimSpace(out)
		return token[len("dk_") : len("dk_")+16], token
	}
	id, token := create("wallboard")
	for _, r := range []*replica{a, b} {
		if code := callAs(t, token, "GET", r.base+"/v1/technicians", nil, nil); code != 200 {
			t.Fatalf("the new key on %s: %d", r.base, code)
		}
	}
	if code := call(t, "DELETE", a.base+"/v1/keys/"+id, nil, nil); code != 204 {
		t.Fatalf("revoking on A: %d", code)
	}
	revoked := time.Now()
	for callAs(t, token, "GET", b.base+"/v1/technicians", nil, nil) != 401 {
		if time.Since(revoked) > time.Second {
			t.Fatalf("B still takes the key %v after A revoked it", time.Since(revoked))
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("B refused the revoked key %v after A revoked it", time.Since(revoked).Round(time.Millisecond))

	id, token = create("kiosk")
	code, out, _ := runCmd(t, "", "keys", "list", "--redis", url, "--redis-prefix", prefix)
	if code != exitOK || !strings.Contains(out, id) || !strings.Contains(out, "kiosk") || strings.Contains(out, token) {
		t.Fatalf("keys list: exit %d: %s", code, out)
	}
	if code, _, errOut := runCmd(t, "", "keys", "revoke", "--redis", url, "--redis-prefix", prefix, id); code != exitOK {
		t.Fatalf("keys revoke: exit %d: %s", code, errOut)
	}
	time.Sleep(auth.DefaultCacheTTL + 100*time.Millisecond)
	for _, r := range []*replica{a, b} {
		if code := callAs(t, token, "GET", r.base+"/v1/technicians", nil, nil); code != 401 {
			t.Errorf("a key revoked on the command line, on %s: %d", r.base, code)
		}
	}
	// Through a running server, with the admin's token in the environment.
	t.Setenv(tokenEnv, testBootstrap)
	code, out, errOut := runCmd(t, "", "keys", "create", "--url", b.base, "--role", "dispatcher", "--name", "desk 3")
	if code != exitOK || !strings.Contains(errOut, "dispatcher \"desk 3\"") {
		t.Fatalf("keys create --url: exit %d, %q, %q", code, out, errOut)
	}
	if code := callAs(t, strings.TrimSpace(out), "GET", a.base+"/v1/workorders", nil, nil); code != 200 {
		t.Errorf("a key made through B, on A: %d", code)
	}
	t.Setenv(tokenEnv, strings.TrimSpace(out))
	if code, _, errOut := runCmd(t, "", "keys", "list", "--url", b.base); code != exitFailure || !strings.Contains(errOut, "403") {
		t.Errorf("keys list with a dispatcher's token: exit %d, %q; want the 403", code, errOut)
	}
	// Neither replica logged a token, its own bootstrap key included.
	a.stop(t)
	b.stop(t)
	for _, r := range []*replica{a, b} {
		log := strings.Join(r.logLines(), "\n")
		for _, secret := range []string{testBootstrap, token, strings.TrimSpace(out)} {
			if strings.Contains(log, secret[len(secret)-20:]) {
				t.Errorf("%s logged a token", r.base)
			}
		}
	}
}
