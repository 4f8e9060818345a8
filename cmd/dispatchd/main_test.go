package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dispatchd/dispatchd/model"
)

// runCmd runs the command line in-process and returns its exit code, stdout
// and stderr.
func runCmd(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(t.Context(), args, strings.NewReader(stdin), &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestUsageErrors(t *testing.T) {
	tests := []struct {
		args []string
		want string // in the one stderr line
	}{
		{nil, "no command given"},
		{[]string{"frobnicate"}, `unknown command "frobnicate"`},
		{[]string{"gen", "--bogus"}, "flag provided but not defined: -bogus"},
		{[]string{"gen", "--orders", "many"}, `invalid value "many" for flag -orders`},
		{[]string{"gen", "--orders", "-1"}, "invalid value -1 for flag -orders"},
		{[]string{"gen", "--technicians", "0"}, "invalid value 0 for flag -technicians"},
		{[]string{"gen", "--seed", "-4"}, `invalid value "-4" for flag -seed`},
		{[]string{"gen", "--date", "23/11/2026"}, `invalid value "23/11/2026" for flag -date: want YYYY-MM-DD`},
		{[]string{"gen", "leftover"}, `unexpected argument "leftover"`},
		{[]string{"serve", "--addr", "no-port"}, `invalid value "no-port" for flag -addr`},
		{[]string{"serve", "--shutdown-timeout", "-1s"}, "invalid value -1s for flag -shutdown-timeout"},
		{[]string{"serve", "--demo=maybe"}, `invalid boolean value "maybe" for -demo`},
		{[]string{"serve", "--log-level", "loud"}, `invalid value "loud" for flag -log-level`},
		{[]string{"serve", "--log-format", "xml"}, `invalid value "xml" for flag -log-format`},
		{[]string{"serve", "--plans-per-key", "0"}, "invalid value 0 for flag -plans-per-key"},
		{[]string{"keys"}, "want create, list or revoke"},
		{[]string{"keys", "rotate"}, `unknown keys command "rotate"`},
		{[]string{"keys", "list", "--redis", ""}, "keys needs --redis"},
		{[]string{"keys", "create", "--redis", "redis://127.0.0.1:1", "--role", "root", "--name", "x"}, "--role: want one of"},
		{[]string{"keys", "create", "--redis", "redis://127.0.0.1:1", "--role", "technician", "--name", "van"}, "--technician: required of a technician key"},
		{[]string{"keys", "create", "--redis", "redis://127.0.0.1:1", "--role", "viewer", "--name", "x", "--expires", "2020-01-01"}, "--expires: 2020-01-02T00:00:00Z has passed"},
		{[]string{"keys", "revoke", "--redis", "redis://127.0.0.1:1"}, "keys revoke needs the id"},
		{[]string{"keys", "list", "--url", "http://127.0.0.1:1", "--redis", "redis://x"}, "give --redis or --url, not both"},
		{[]string{"bench", "http", "--stops", "51"}, "invalid value 51 for flag -stops"},
		{[]string{"validate"}, "want one problem file"},
		{[]string{"validate", "a.json", "b.json"}, `unexpected argument "b.json"`},
		{[]string{"validate", "/does/not/exist.json"}, "reading /does/not/exist.json: no such file or directory"},
		{[]string{"bench", "http", "--target", "plans"}, `invalid value "plans" for flag -target`},
		{[]string{"bench", "http", "--concurrency", "0"}, "invalid value 0 for flag -concurrency"},
		{[]string{"bench", "http", "--duration", "0s"}, "invalid value 0s for flag -duration"},
		{[]string{"bench", "http", "--technicians", "0"}, "invalid value 0 for flag -technicians"},
		{[]string{"bench", "http", "--url", "http://x", "--redis", "redis://y"}, "give --url or --redis, not both"},
	}
	for _, tt := range tests {
		code, out, errOut := runCmd(t, "", tt.args...)
		if code != exitUsage {
			t.Errorf("%v: exit code %d, want %d", tt.args, code, exitUsage)
		}
		if out != "" {
			t.Errorf("%v: wrote %q to stdout", tt.args, out)
		}
		if strings.Count(errOut, "\n") != 1 || !strings.Contains(errOut, tt.want) {
			t.Errorf("%v: stderr %q, want one line containing %q", tt.args, errOut, tt.want)
		}
	}
}

func TestHelp(t *testing.T) {
	for _, args := range [][]string{{"help"}, {"--help"}, {"gen", "-h"}, {"serve", "--help"}, {"validate", "-h"}} {
		code, out, errOut := runCmd(t, "", args...)
		if code != exitOK || !strings.Contains(out, "Usage: dispatchd") || errOut != "" {
			t.Errorf("%v: exit %d, stdout %q, stderr %q", args, code, out, errOut)
		}
	}
}

func TestGenIsDeterministicAndValid(t *testing.T) {
	args := []string{"gen", "--orders", "200", "--technicians", "20", "--seed", "1"}
	code, first, errOut := runCmd(t, "", args...)
	if code != exitOK || errOut != "" {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	_, second, _ := runCmd(t, "", args...)
	if first != second {
		t.Fatal("two runs of gen with seed 1 differ")
	}
	p, err := model.DecodeProblem([]byte(first))
	if err != nil {
		t.Fatalf("gen output does not validate: %v", err)
	}
	if len(p.WorkOrders) != 200 || len(p.Technicians) != 20 {
		t.Errorf("%d orders, %d technicians", len(p.WorkOrders), len(p.Technicians))
	}
	if !strings.Contains(first, `"start": "2026-11-23T`) {
		t.Error("default date is not 2026-11-23")
	}
	_, other, _ := runCmd(t, "", "gen", "--orders", "200", "--technicians", "20", "--seed", "2")
	if other == first {
		t.Error("seeds 1 and 2 printed the same day")
	}
	_, dated, _ := runCmd(t, "", "gen", "--orders", "5", "--technicians", "2", "--date", "2027-01-15")
	if !strings.Contains(dated, `"start": "2027-01-15T`) {
		t.Error("--date did not move the day")
	}
}

func TestValidate(t *testing.T) {
	_, day, _ := runCmd(t, "", "gen", "--orders", "50", "--technicians", "5", "--seed", "4")
	dir := t.TempDir()
	good := filepath.Join(dir, "day.json")
	if err := os.WriteFile(good, []byte(day), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runCmd(t, "", "validate", good)
	if code != exitOK || !strings.Contains(out, "valid: 5 technicians, 50 work orders") {
		t.Fatalf("validate good: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	if code, out, _ := runCmd(t, day, "validate", "-"); code != exitOK || !strings.Contains(out, "-: valid") {
		t.Errorf("validate from stdin: exit %d, %q", code, out)
	}

	// Corrupt the copy: the first order with a window ends it an hour
	// before it starts.
	var p model.Problem
	if err := json.Unmarshal([]byte(day), &p); err != nil {
		t.Fatal(err)
	}
	bad := -1
	for i := range p.WorkOrders {
		if len(p.WorkOrders[i].TimeWindows) > 0 {
			tw := &p.WorkOrders[i].TimeWindows[0]
			tw.End = tw.Start.Add(-time.Hour)
			bad = i
			break
		}
	}
	p.Technicians[2].Capacity = []float64{-5}
	data, _ := json.Marshal(&p)
	corrupt := filepath.Join(dir, "corrupt.json")
	if err := os.WriteFile(corrupt, data, 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut = runCmd(t, "", "validate", "--all", corrupt)
	window := "work_orders[" + strconv.Itoa(bad) + "].time_windows[0].end: before start"
	if code != exitUsage {
		t.Errorf("validate corrupt: exit %d, want 2", code)
	}
	if strings.Count(errOut, "\n") != 1 || !strings.Contains(errOut, "2 problem(s)") || !strings.Contains(errOut, window) {
		t.Errorf("validate corrupt: stderr %q, want one line naming %s", errOut, window)
	}
	if out != "technicians[2].capacity[0]: negative\n"+window+"\n" {
		t.Errorf("validate --all: stdout %q", out)
	}

	code, _, errOut = runCmd(t, `{"technicians":[{"id":"T1","skils":{}}],"work_orders":[]}`, "validate", "-")
	if code != exitUsage || !strings.Contains(errOut, `technicians[0].skils: unknown field (did you mean "skills"?)`) {
		t.Errorf("validate unknown field: exit %d, stderr %q", code, errOut)
	}
}

// httpGet gets a URL with a token (the bootstrap key of startServe's
// replicas when none is given).
func httpGet(t *testing.T, url string, token ...string) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+append(token, testBootstrap)[0])
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// TestServeDemo serves the demo day in-process and shuts it down as a
// signal would, by cancelling the context. The demo shows one key per
// role once, on stdout and not in the log, and writes them to a file
// only its owner reads, which a shell can source.
func TestServeDemo(t *testing.T) {
	keysFile := filepath.Join(t.TempDir(), "demo-keys.env")
	var shown, logged syncBuffer
	base, stop := serveInProcess(t, serveConfig{demo: true, demoKeys: keysFile, stdout: &shown}, slog.New(slog.NewTextHandler(&logged, nil)))
	if code, body := httpGet(t, base+"/healthz"); code != 200 || !strings.Contains(body, "ok") {
		t.Errorf("/healthz = %d %s", code, body)
	}
	keys := readDemoKeys(t, keysFile)
	for _, role := range []string{"VIEWER", "DISPATCHER", "TECHNICIAN", "OPERATOR", "ADMIN"} {
		token := keys["DISPATCHD_"+role+"_KEY"]
		if !strings.HasPrefix(token, "dk_") || !strings.Contains(shown.String(), token) {
			t.Errorf("the %s key %q is not in the file and on stdout", role, token)
		}
		if strings.Contains(logged.String(), token) {
			t.Errorf("the log shows the %s key", role)
		}
	}
	if !strings.Contains(logged.String(), keysFile) {
		t.Errorf("the log does not name the keys file %s", keysFile)
	}
	if code, _ := httpGet(t, base+"/v1/technicians", keys["DISPATCHD_VIEWER_KEY"]); code != 200 {
		t.Errorf("the viewer key: %d", code)
	}
	if code, _ := httpGet(t, base+"/v1/technicians/T2/schedule", keys["DISPATCHD_TECHNICIAN_KEY"]); code != 403 {
		t.Errorf("the technician key (bound to the first technician) on another's schedule: %d, want 403", code)
	}
	if code, _ := httpGet(t, base+"/v1/workorders"); code != 401 {
		t.Errorf("a key this server does not know (the demo has no bootstrap key): %d, want 401", code)
	}
	if code, _ := httpGet(t, base+"/readyz"); code != 200 {
		t.Errorf("/readyz = %d", code)
	}
	if code, body := httpGet(t, base+"/metrics"); code != 200 || !strings.Contains(body, "go_goroutines") || !strings.Contains(body, "go_gc_duration_seconds") {
		t.Errorf("/metrics = %d without Go runtime metrics", code)
	}
	code, body := httpGet(t, base+"/v1/technicians", keys["DISPATCHD_DISPATCHER_KEY"])
	var list struct{ Technicians []model.Technician }
	if err := json.Unmarshal([]byte(body), &list); code != 200 || err != nil || len(list.Technicians) != 20 {
		t.Errorf("/v1/technicians = %d, %d technicians, %v", code, len(list.Technicians), err)
	}
	if day := model.DateOf(list.Technicians[0].Shift.Start); day != model.DateOf(time.Now()) && day != model.DateOf(time.Now().Add(-24*time.Hour)) {
		t.Errorf("demo day is %v, want today", day)
	}
	if err := stop(); err != nil {
		t.Errorf("serve after shutdown: %v", err)
	}
}

// serveInProcess runs serve with cfg on a loopback port until stop, which
// cancels it as a signal would and returns what serve returned.
func serveInProcess(t *testing.T, cfg serveConfig, log *slog.Logger) (base string, stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	addrs := make(chan string, 1)
	done := make(chan error, 1)
	cfg.addr, cfg.shutdownTimeout = "127.0.0.1:0", 5*time.Second
	cfg.listening = func(a string) { addrs <- a }
	go func() { done <- serve(ctx, cfg, log) }()
	select {
	case a := <-addrs:
		base = "http://" + a
	case err := <-done:
		cancel()
		t.Fatalf("serve returned early: %v", err)
	}
	return base, func() error {
		cancel()
		select {
		case err := <-done:
			return err
		case <-time.After(10 * time.Second):
			return errors.New("serve did not stop within 10 s of cancellation")
		}
	}
}

// TestBinaryStopsOnSIGTERM runs the real binary and sends it SIGTERM: it
// must stop cleanly with exit code 0.
func TestBinaryStopsOnSIGTERM(t *testing.T) {
	r := startServe(t, "--demo")
	if code, _ := httpGet(t, r.base+"/healthz"); code != 200 {
		t.Fatalf("/healthz = %d", code)
	}
	r.stop(t)
}

// TestServeLogsJSON runs the binary with --log-format json: every line it
// writes, the request log included, is a JSON object with a message.
func TestServeLogsJSON(t *testing.T) {
	r := startServe(t, "--demo", "--log-format", "json")
	if code, _ := httpGet(t, r.base+"/v1/technicians"); code != 200 {
		t.Fatalf("/v1/technicians = %d", code)
	}
	r.stop(t)
	requests, gogc := 0, 0.0
	for _, line := range r.logLines() {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil || rec["msg"] == nil {
			t.Errorf("not a JSON log record: %s", line)
		}
		if rec["route"] == "/v1/technicians" {
			requests++
		}
		if rec["msg"] == "garbage collector" {
			gogc, _ = rec["gogc"].(float64)
		}
	}
	if requests != 1 {
		t.Errorf("%d request records for /v1/technicians, want 1", requests)
	}
	if os.Getenv("GOGC") == "" && gogc != serveGCPercent {
		t.Errorf("serve logged GOGC %v, want its own %d when the environment sets none", gogc, serveGCPercent)
	}
}

// readDemoKeys reads the demo's keys file, checking that only its owner may
// read it.
func readDemoKeys(t *testing.T, path string) map[string]string {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("%s has mode %v, want 0600", path, st.Mode().Perm())
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	keys := map[string]string{}
	for _, line := range strings.Split(string(data), "\n") {
		if name, value, ok := strings.Cut(line, "="); ok && !strings.HasPrefix(line, "#") {
			keys[name] = value
		}
	}
	return keys
}

// syncBuffer collects what goroutines write.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// TestServeKeyless: with no key in the store and no bootstrap key, serve
// says how to make the first admin key and answers 401 on /v1; a short
// bootstrap key works, with a warning.
func TestServeKeyless(t *testing.T) {
	for _, tc := range []struct {
		name, bootstrap, want string
		status                int
	}{
		{"no key at all", "", "no API keys yet", 401},
		{"a short bootstrap key", "short-secret", bootstrapEnv + " is short", 200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var logged syncBuffer
			base, stop := serveInProcess(t, serveConfig{bootstrapKey: tc.bootstrap}, slog.New(slog.NewTextHandler(&logged, nil)))
			if !strings.Contains(logged.String(), tc.want) {
				t.Errorf("the log %q does not say %q", logged.String(), tc.want)
			}
			if tc.bootstrap != "" && strings.Contains(logged.String(), tc.bootstrap) {
				t.Error("the log shows the bootstrap key")
			}
			if code, _ := httpGet(t, base+"/v1/technicians", tc.bootstrap); code != tc.status {
				t.Errorf("GET /v1/technicians: %d, want %d", code, tc.status)
			}
			if code, _ := httpGet(t, base+"/healthz"); code != 200 {
				t.Errorf("/healthz: %d", code)
			}
			if err := stop(); err != nil {
				t.Error(err)
			}
		})
	}
}
