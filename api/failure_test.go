package api_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/dispatchd/dispatchd/api"
	"github.com/dispatchd/dispatchd/store"
	"github.com/dispatchd/dispatchd/store/redisstore"
	"github.com/dispatchd/dispatchd/store/redistest"
	"github.com/dispatchd/dispatchd/store/storetest"
)

// TestRedisOutage stops a real redis-server under a running service: it
// must answer 503 (readiness, reads, writes), never panic or half-write,
// and recover by itself when Redis is back.
func TestRedisOutage(t *testing.T) {
	rs := redistest.Start(t, redistest.Options{Persist: true})
	st := rs.Open(redisstore.Options{})
	ts := serveWith(t, api.Options{Store: st, RequestTimeout: 3 * time.Second, Clock: func() time.Time { return at(9, 30) }})
	u := ts.URL
	expect(t, "create T1", do(t, "PUT", u+"/v1/technicians/T1", storetest.Technician("T1")), 201, nil)

	rs.Kill()
	expectProblem(t, "readyz down", do(t, "GET", u+"/readyz", nil), 503, "")
	expectProblem(t, "read down", do(t, "GET", u+"/v1/technicians/T1", nil), 503, "")
	expectProblem(t, "write down", do(t, "PUT", u+"/v1/technicians/T2", storetest.Technician("T2")), 503, "")
	expectProblem(t, "ping down", do(t, "POST", u+"/v1/technicians/T1/location", map[string]any{"lat": 39.7, "lng": -104.9, "at": at(9, 0)}), 503, "")
	expectProblem(t, "list down", do(t, "GET", u+"/v1/technicians", nil), 503, "")
	expect(t, "healthz down", do(t, "GET", u+"/healthz", nil), 200, nil)

	rs.Start()
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

// TestClientGoneIsNotAnOutage hangs up on a location ping while Redis (one
// of the test's own, paused with CLIENT PAUSE) holds it: the request is
// recorded as 499, not as a 503 or a Redis error that would page someone.
func TestClientGoneIsNotAnOutage(t *testing.T) {
	rs := redistest.Start(t, redistest.Options{Persist: true})
	reg := prometheus.NewRegistry()
	observe, err := api.RedisMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	st := rs.Open(redisstore.Options{Observe: observe})
	ts := serveWith(t, api.Options{Store: st, Registry: reg, Clock: func() time.Time { return at(9, 30) }})
	expect(t, "create T1", do(t, "PUT", ts.URL+"/v1/technicians/T1", storetest.Technician("T1")), 201, nil)

	admin := redis.NewClient(&redis.Options{Addr: rs.Addr()})
	defer admin.Close()
	if err := admin.Do(t.Context(), "CLIENT", "PAUSE", "3000", "WRITE").Err(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, ts.URL+"/v1/technicians/T1/location",
		strings.NewReader(`{"lat":39.7,"lng":-104.9,"at":"2026-11-23T09:00:00-07:00"}`))
	req.Header.Set("Content-Type", "application/json")
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("the ping answered %d while Redis was paused", resp.StatusCode)
	}
	if err := admin.Do(t.Context(), "CLIENT", "UNPAUSE").Err(); err != nil {
		t.Fatal(err)
	}
	const abandoned = `route="/v1/technicians/{id}/location",status="499"} 1`
	var metrics string
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if metrics = do(t, "GET", ts.URL+"/metrics", nil).body; strings.Contains(metrics, abandoned) {
			break
		}
	}
	if !strings.Contains(metrics, abandoned) {
		t.Fatalf("no 499 recorded for the abandoned ping:\n%s", grepLines(metrics, "location"))
	}
	if strings.Contains(metrics, `status="503"`) || strings.Contains(metrics, "dispatchd_redis_errors_total{") {
		t.Errorf("an abandoned request counted as an outage:\n%s", grepLines(metrics, "503", "redis_errors"))
	}
	// Redis is fine: the next ping goes through.
	expect(t, "ping after", do(t, "POST", ts.URL+"/v1/technicians/T1/location", map[string]any{"lat": 39.7, "lng": -104.9, "at": at(9, 1)}), 200, nil)
}

// grepLines returns the lines of text that contain any of words.
func grepLines(text string, words ...string) string {
	var out []string
	for line := range strings.SplitSeq(text, "\n") {
		for _, w := range words {
			if strings.Contains(line, w) {
				out = append(out, line)
				break
			}
		}
	}
	return strings.Join(out, "\n")
}

// stallingStore is the memory store whose live-position reads wait until
// the request gives up: a store that has stalled.
type stallingStore struct{ api.Store }

func (s stallingStore) Live(ctx context.Context, ids ...string) (map[string]store.Live, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}

// TestSuggestTimeoutAndHangUp suggests against a stalled stored day: when
// the request's deadline passes the answer is 503 (what the server
// promises for a request out of time, not a 500), and when the client
// hangs up first the request is counted as 499, not as a server error.
func TestSuggestTimeoutAndHangUp(t *testing.T) {
	reg := prometheus.NewRegistry()
	ts := serveWith(t, api.Options{Store: stallingStore{store.NewMemory()}, Registry: reg, RequestTimeout: 300 * time.Millisecond,
		Clock: func() time.Time { return at(9, 30) }})
	order := `{"work_order":{"id":"W1","location":{"lat":39.74,"lng":-104.99},"duration_s":600}}`
	r := post(t, ts.URL+"/v1/suggest", order)
	expectProblem(t, "a suggestion out of time", r, http.StatusServiceUnavailable, "")
	if p := decodeProblem(t, r); p.Title != "timed out" || r.header.Get("Retry-After") == "" {
		t.Errorf("problem %+v (Retry-After %q), want 503 timed out with Retry-After", p, r.header.Get("Retry-After"))
	}

	ts = serveWith(t, api.Options{Store: stallingStore{store.NewMemory()}, Registry: prometheus.NewRegistry(),
		Clock: func() time.Time { return at(9, 30) }})
	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, ts.URL+"/v1/suggest", strings.NewReader(order))
	req.Header.Set("Content-Type", "application/json")
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("the suggestion answered %d although the client had left", resp.StatusCode)
	}
	const gone = `route="/v1/suggest",status="499"} 1`
	var metrics string
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if metrics = do(t, "GET", ts.URL+"/metrics", nil).body; strings.Contains(metrics, gone) {
			break
		}
	}
	if !strings.Contains(metrics, gone) || strings.Contains(metrics, `route="/v1/suggest",status="500"`) {
		t.Errorf("want the hang-up counted as 499 and no 500:\n%s", grepLines(metrics, "/v1/suggest"))
	}
}
