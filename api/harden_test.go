package api_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/dispatchd/dispatchd/api"
	"github.com/dispatchd/dispatchd/store"
	"github.com/dispatchd/dispatchd/store/redisstore"
	"github.com/dispatchd/dispatchd/store/redistest"
	"github.com/dispatchd/dispatchd/store/storetest"
)

const techJSON = `"start":{"lat":39.7,"lng":-105},"shift":{"start":"2026-11-23T08:00:00-07:00","end":"2026-11-23T17:00:00-07:00"}`

// oneSuggestion is a suggestion for one order and one technician, with
// extra (a JSON fragment) put into the work order and rest into the body.
func oneSuggestion(order, rest string) string {
	return `{"work_order":{"id":"W","location":{"lat":39.74,"lng":-104.99},"duration_s":3600` + order + `},` +
		`"technicians":[{"id":"T1",` + techJSON + `}],"now":"2026-11-23T09:00:00-07:00"` + rest + `}`
}

// TestNumbersOutOfRange: numbers that would become infinite or overflow
// are refused naming the field (issue 10, item 2: they answered an empty
// 200, ranked a 2^62 s job first, or were a 500).
func TestNumbersOutOfRange(t *testing.T) {
	ts := newServer(t, seeded(t))
	u := ts.URL
	for _, tt := range []struct{ name, path, body, field string }{
		{"huge weight", "/v1/suggest", oneSuggestion("", `,"weights":{"lateness":1e308}`), "weights.lateness"},
		{"huge duration", "/v1/suggest", strings.Replace(oneSuggestion("", ""), `"duration_s":3600`, `"duration_s":4611686018427387904`, 1), "work_order.duration_s"},
		{"huge slot", "/v1/slots", oneSuggestion("", `,"slot_length_s":4611686018427387904`), "slot_length_s"},
		{"crawling speed", "/v1/suggest", oneSuggestion("", `,"travel":{"speed_kmh":1e-300}`), "travel.speed_kmh"},
		{"huge detour", "/v1/suggest", oneSuggestion("", `,"travel":{"detour":1e308}`), "travel.detour"},
		{"huge plan weight", "/v1/plans", `{"technicians":[],"work_orders":[],"weights":{"unassigned":1e300}}`, "weights.unassigned"},
	} {
		expectProblem(t, tt.name, do(t, "POST", u+tt.path, tt.body), 400, tt.field)
	}
	expectProblem(t, "huge radius", do(t, "GET", u+"/v1/technicians?near=39.7,-105&radius_m=1e23", nil), 400, "radius_m")
	expect(t, "sane suggestion", do(t, "POST", u+"/v1/suggest", oneSuggestion("", `,"weights":{"lateness":1000}`)), 200, nil)
}

// TestIDs: one alphabet for every id, refused with the field named in
// bodies and paths; path ids are percent-decoded (issue 10, item 4).
func TestIDs(t *testing.T) {
	ts := newServer(t, store.NewMemory())
	u := ts.URL
	tech := func(id string) string { return `{"id":"` + id + `",` + techJSON + `}` }
	expect(t, "create a:b", do(t, "PUT", u+"/v1/technicians/a:b", tech("a:b")), 201, nil)
	expect(t, "read a%3Ab", do(t, "GET", u+"/v1/technicians/a%3Ab", nil), 200, nil)
	expect(t, "read a:b", do(t, "GET", u+"/v1/technicians/a:b", nil), 200, nil)
	expectProblem(t, "slash", do(t, "GET", u+"/v1/technicians/a%2Fb", nil), 400, "id")
	expectProblem(t, "space", do(t, "GET", u+"/v1/technicians/a%20b", nil), 400, "id")
	expectProblem(t, "star", do(t, "PUT", u+"/v1/technicians/a*", tech("a*")), 400, "id")
	long := strings.Repeat("x", 129)
	expectProblem(t, "long path id", do(t, "GET", u+"/v1/technicians/"+long, nil), 400, "id")
	expectProblem(t, "NUL in a body id", do(t, "POST", u+"/v1/suggest", strings.Replace(oneSuggestion("", ""), `"id":"W"`, `"id":"W\u0000"`, 1)), 400, "work_order.id")
	expectProblem(t, "CR in a preferred id", do(t, "POST", u+"/v1/suggest", oneSuggestion(`,"preferred_technicians":["T\r1"]`, "")), 400, "work_order.preferred_technicians[0]")
	expectProblem(t, "long plan path id", do(t, "GET", u+"/v1/plans/"+long, nil), 400, "id")
}

// TestStrictJSON: duplicate and case-mismatched names, invalid UTF-8 and
// a body that is not application/json are refused (issue 10, item 5).
func TestStrictJSON(t *testing.T) {
	ts := newServer(t, store.NewMemory())
	u := ts.URL + "/v1/technicians/T1"
	expectProblem(t, "duplicate key", do(t, "PUT", u, `{"id":"T1","skills":{"hvac":1},"skills":{"plumbing":1},`+techJSON+`}`), 400, "skills")
	expectProblem(t, "case-mismatched key", do(t, "PUT", u, `{"ID":"T1",`+techJSON+`}`), 400, "ID")
	expectProblem(t, "invalid UTF-8", do(t, "PUT", u, "{\"id\":\"T1\",\"name\":\"\xff\","+techJSON+"}"), 400, "name")
	for _, ct := range []string{"text/plain", "application/x-www-form-urlencoded", ""} {
		req, _ := http.NewRequestWithContext(t.Context(), "PUT", u, strings.NewReader(`{"id":"T1",`+techJSON+`}`))
		if ct != "" {
			req.Header.Set("Content-Type", ct)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnsupportedMediaType {
			t.Errorf("Content-Type %q: status %d, want 415", ct, resp.StatusCode)
		}
	}
	req, _ := http.NewRequestWithContext(t.Context(), "PUT", u, strings.NewReader(`{"id":"T1",`+techJSON+`}`))
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 201 {
		t.Errorf("application/json with a charset: %v %v", resp.StatusCode, err)
	}
}

// TestMetricsCardinality: invented methods and paths are counted as
// "other", so /metrics does not grow with them (issue 10, item 6).
func TestMetricsCardinality(t *testing.T) {
	ts := newServer(t, store.NewMemory())
	for i := range 200 {
		req, _ := http.NewRequestWithContext(t.Context(), "X"+strings.Repeat("Y", i%50)+"Z", ts.URL+"/nowhere/"+strings.Repeat("p", i), nil)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		}
	}
	m := do(t, "GET", ts.URL+"/metrics", nil).body
	if strings.Contains(m, "XY") || strings.Contains(m, "nowhere") {
		t.Errorf("invented methods or paths became labels:\n%s", grepLines(m, "XY", "nowhere"))
	}
	if !strings.Contains(m, `method="other"`) {
		t.Errorf("no method=\"other\" series:\n%s", grepLines(m, "http_requests_total"))
	}
}

// syncBuffer is a log sink safe for the server's goroutines.
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

// TestLostStateIsNotSilent restarts a Redis without persistence under
// the service: /readyz turns 503 naming the lost state, a read of what was
// there is a 503 rather than a 404, and an error is logged (issue 10,
// item 7). No answer carries Redis's address or redisstore's words
// (item 9).
func TestLostStateIsNotSilent(t *testing.T) {
	rs := redistest.Start(t, redistest.Options{})
	st := rs.Open(redisstore.Options{})
	var logs syncBuffer
	ts := serveWith(t, api.Options{Store: st, Logger: slog.New(slog.NewJSONHandler(&logs, nil))})
	u := ts.URL
	expect(t, "create T1", do(t, "PUT", u+"/v1/technicians/T1", storetest.Technician("T1")), 201, nil)
	expect(t, "ready", do(t, "GET", u+"/readyz", nil), 200, nil)
	expectProblem(t, "a true 404", do(t, "GET", u+"/v1/technicians/T9", nil), 404, "id")

	rs.Kill()
	down := do(t, "GET", u+"/readyz", nil)
	expectProblem(t, "readyz down", down, 503, "")
	rs.Start()
	var r response
	waitFor(t, func() bool { r = do(t, "GET", u+"/readyz", nil); return strings.Contains(r.body, "state lost") })
	expectProblem(t, "readyz after the loss", r, 503, "")
	lost := do(t, "GET", u+"/v1/technicians/T1", nil)
	expectProblem(t, "read after the loss", lost, 503, "")
	if !strings.Contains(lost.body, "state lost") {
		t.Errorf("the read does not say the state was lost: %s", lost.body)
	}
	if !strings.Contains(logs.String(), `"level":"ERROR","msg":"the store lost its state"`) {
		t.Errorf("no error logged:\n%s", logs.String())
	}
	for _, a := range []response{down, r, lost, do(t, "GET", u+"/v1/plans/nope", nil)} {
		if strings.Contains(a.body, rs.Addr()) || strings.Contains(a.body, "redisstore") || strings.Contains(a.body, "127.0.0.1") {
			t.Errorf("an answer leaks internals: %s", a.body)
		}
	}
}

// TestStalledRedisAnswersQuickly pauses Redis for 5 s: a read gets its
// 503 within the store timeout, not after the pause (issue 10, item 8).
func TestStalledRedisAnswersQuickly(t *testing.T) {
	rs := redistest.Start(t, redistest.Options{})
	st := rs.Open(redisstore.Options{Timeout: 300 * time.Millisecond})
	ts := serveWith(t, api.Options{Store: st})
	expect(t, "create T1", do(t, "PUT", ts.URL+"/v1/technicians/T1", storetest.Technician("T1")), 201, nil)
	admin := redis.NewClient(&redis.Options{Addr: rs.Addr()})
	defer admin.Close()
	if err := admin.Do(t.Context(), "CLIENT", "PAUSE", "5000", "ALL").Err(); err != nil {
		t.Fatal(err)
	}
	defer admin.Do(context.Background(), "CLIENT", "UNPAUSE")
	began := time.Now()
	expectProblem(t, "read while stalled", do(t, "GET", ts.URL+"/v1/technicians/T1", nil), 503, "")
	if took := time.Since(began); took > 2*time.Second {
		t.Errorf("the 503 took %v with a 300 ms store timeout", took)
	}
}

// TestSlowClients: a body trickled past the request timeout is a 408; a
// client that leaves a plan it waited for is counted as 499; a reader too
// slow for the write timeout is cut off (issue 10, item 8).
func TestSlowClients(t *testing.T) {
	ts := serveWith(t, api.Options{Store: seeded(t), RequestTimeout: 300 * time.Millisecond, WriteTimeout: 300 * time.Millisecond})
	addr := strings.TrimPrefix(ts.URL, "http://")

	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	body := `{"id":"T1",` + techJSON + `}`
	_, _ = io.WriteString(conn, "PUT /v1/technicians/T1 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "+testAdmin+"\r\nContent-Type: application/json\r\nContent-Length: "+
		strconv.Itoa(len(body))+"\r\n\r\n"+body[:5])
	time.Sleep(600 * time.Millisecond)
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	reply, _ := io.ReadAll(io.LimitReader(conn, 4096))
	if !strings.HasPrefix(string(reply), "HTTP/1.1 408") {
		t.Errorf("a trickled body: %.80q, want 408", reply)
	}

	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	plan := `{"technicians":[{"id":"T1",` + techJSON + `}],"work_orders":[],"time_limit_s":30}`
	req, _ := http.NewRequestWithContext(ctx, "POST", ts.URL+"/v1/plans?wait=true", strings.NewReader(plan))
	req.Header.Set("Content-Type", "application/json")
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
	}
	waitFor(t, func() bool {
		return strings.Contains(do(t, "GET", ts.URL+"/metrics", nil).body, `route="/v1/plans",status="499"`)
	})
}
