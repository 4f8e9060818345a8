package api_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/dispatchd/dispatchd/api"
	"github.com/dispatchd/dispatchd/model"
	"github.com/dispatchd/dispatchd/store"
	"github.com/dispatchd/dispatchd/store/storetest"
	"github.com/prometheus/client_golang/prometheus"
)

// newServer serves a store on a real loopback listener.
func newServer(t *testing.T, st api.Store) *httptest.Server {
	t.Helper()
	return serveWith(t, api.Options{Store: st})
}

// serveWith serves with options (a quiet logger unless one is given) and
// shuts the server down when the test ends.
func serveWith(t *testing.T, opts api.Options) *httptest.Server {
	t.Helper()
	_, ts := serveServer(t, opts)
	return ts
}

// serveServer is serveWith that returns the server too. At the end the
// server is shut down first (its event streams end, its plans stop),
// then the listener, which waits for every request.
func serveServer(t *testing.T, opts api.Options) (*api.Server, *httptest.Server) {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.BootstrapKey == "" {
		opts.BootstrapKey = testAdmin
	}
	srv, err := api.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("shutting the plans down: %v", err)
		}
		ts.Close()
	})
	return srv, ts
}

func seeded(t *testing.T) *store.Memory {
	t.Helper()
	m := store.NewMemory()
	for _, id := range []string{"T2", "T1"} {
		if _, err := m.PutTechnician(t.Context(), storetest.Technician(id)); err != nil {
			t.Fatal(err)
		}
	}
	if err := m.PutWorkOrder(t.Context(), storetest.WorkOrder("WO-1")); err != nil {
		t.Fatal(err)
	}
	return m
}

type response struct {
	status int
	header http.Header
	body   string
}

func get(t *testing.T, url string, header ...string) response {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{resp.StatusCode, resp.Header, string(body)}
}

func decodeProblem(t *testing.T, r response) api.Problem {
	t.Helper()
	if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
		t.Errorf("Content-Type = %q, want application/problem+json", ct)
	}
	var p api.Problem
	if err := json.Unmarshal([]byte(r.body), &p); err != nil {
		t.Fatalf("decoding problem %q: %v", r.body, err)
	}
	if p.Status != r.status || p.Title == "" || p.Type == "" {
		t.Errorf("problem %+v does not match status %d", p, r.status)
	}
	return p
}

func TestRoutes(t *testing.T) {
	ts := newServer(t, seeded(t))
	tests := []struct {
		path   string
		status int
		want   string // a substring of the body
	}{
		{"/healthz", 200, `"status":"ok"`},
		{"/readyz", 200, `"status":"ready"`},
		{"/v1/technicians", 200, `"technicians":[{"id":"T1"`},
		{"/v1/technicians/T2", 200, `"id":"T2"`},
		{"/v1/workorders", 200, `"work_orders":[{"id":"WO-1"`},
		{"/v1/workorders/WO-1", 200, `"sla_deadline":"2026-11-23T16:00:00-07:00"`},
	}
	for _, tt := range tests {
		r := get(t, ts.URL+tt.path)
		if r.status != tt.status || !strings.Contains(r.body, tt.want) {
			t.Errorf("GET %s = %d %s, want %d containing %s", tt.path, r.status, r.body, tt.status, tt.want)
		}
		if ct := r.header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("GET %s: Content-Type %q", tt.path, ct)
		}
	}
}

func TestNotFoundIsProblem(t *testing.T) {
	ts := newServer(t, seeded(t))
	r := get(t, ts.URL+"/v1/technicians/T99")
	if r.status != http.StatusNotFound {
		t.Fatalf("status %d, want 404", r.status)
	}
	p := decodeProblem(t, r)
	if len(p.Errors) != 1 || p.Errors[0].Field != "id" || !strings.Contains(p.Errors[0].Message, "T99") {
		t.Errorf("errors = %+v, want one naming id T99", p.Errors)
	}
	if p.Instance != "/v1/technicians/T99" {
		t.Errorf("instance = %q", p.Instance)
	}
	for _, tt := range []struct {
		method, path string
		status       int
	}{
		{http.MethodGet, "/v2/nothing", http.StatusNotFound},
		{http.MethodPost, "/healthz", http.StatusMethodNotAllowed},
	} {
		req, _ := http.NewRequestWithContext(t.Context(), tt.method, ts.URL+tt.path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		decodeProblem(t, response{resp.StatusCode, resp.Header, string(body)})
		if resp.StatusCode != tt.status {
			t.Errorf("%s %s = %d, want %d", tt.method, tt.path, resp.StatusCode, tt.status)
		}
	}
}

func TestRequestID(t *testing.T) {
	ts := newServer(t, seeded(t))
	if got := get(t, ts.URL+"/healthz", "X-Request-ID", "abc-123").header.Get("X-Request-ID"); got != "abc-123" {
		t.Errorf("echoed X-Request-ID = %q, want abc-123", got)
	}
	generated := get(t, ts.URL+"/healthz").header.Get("X-Request-ID")
	if len(generated) != 16 {
		t.Errorf("generated X-Request-ID = %q, want 16 hex digits", generated)
	}
	if got := get(t, ts.URL+"/healthz", "X-Request-ID", "bad id\twith spaces").header.Get("X-Request-ID"); strings.ContainsAny(got, " \t") {
		t.Errorf("unprintable X-Request-ID echoed: %q", got)
	}
}

func TestMetrics(t *testing.T) {
	ts := newServer(t, seeded(t))
	get(t, ts.URL+"/v1/technicians/T1")
	get(t, ts.URL+"/v1/technicians/T2")
	get(t, ts.URL+"/v1/technicians/nobody")
	r := get(t, ts.URL+"/metrics")
	if r.status != 200 {
		t.Fatalf("GET /metrics = %d", r.status)
	}
	for _, want := range []string{
		"go_goroutines ",
		"go_memstats_heap_alloc_bytes ",
		"process_cpu_seconds_total ",
		`dispatchd_http_requests_total{method="GET",route="/v1/technicians/{id}",status="200"} 2`,
		`dispatchd_http_requests_total{method="GET",route="/v1/technicians/{id}",status="404"} 1`,
		`dispatchd_http_request_duration_seconds_count{method="GET",route="/v1/technicians/{id}"} 3`,
	} {
		if !strings.Contains(r.body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}

// failingStore fails every call with an error.
type failingStore struct{ err error }

func (f failingStore) Ping(context.Context) error { return f.err }
func (f failingStore) GetTechnician(context.Context, string) (model.Technician, error) {
	return model.Technician{}, f.err
}
func (f failingStore) ListTechnicians(context.Context) ([]model.Technician, error) { return nil, f.err }
func (f failingStore) PutTechnician(context.Context, model.Technician) (bool, error) {
	return false, f.err
}
func (f failingStore) DeleteTechnician(context.Context, string, ...store.Guard) error { return f.err }
func (f failingStore) UpdatePosition(context.Context, model.Position, string) (bool, error) {
	return false, f.err
}
func (f failingStore) Live(context.Context, ...string) (map[string]store.Live, error) {
	return nil, f.err
}
func (f failingStore) Near(context.Context, model.Location, float64) ([]string, error) {
	return nil, f.err
}
func (f failingStore) GetWorkOrder(context.Context, string) (model.WorkOrder, error) {
	return model.WorkOrder{}, f.err
}
func (f failingStore) ListWorkOrders(context.Context) ([]model.WorkOrder, error) { return nil, f.err }
func (f failingStore) PutWorkOrder(context.Context, model.WorkOrder) error       { return f.err }
func (f failingStore) DeleteWorkOrder(context.Context, string) error             { return f.err }
func (f failingStore) Route(context.Context, string, model.Date) ([]model.WorkOrder, error) {
	return nil, f.err
}
func (f failingStore) PutPlan(context.Context, string, []byte, time.Duration) error { return f.err }
func (f failingStore) GetPlan(context.Context, string) ([]byte, error)              { return nil, f.err }
func (f failingStore) RequestCancel(context.Context, string) error                  { return f.err }
func (f failingStore) CancelRequests(context.Context) (<-chan string, error)        { return nil, f.err }
func (f failingStore) Stats(context.Context) (store.Stats, error)                   { return store.Stats{}, f.err }
func (f failingStore) PolicyBook(context.Context) (store.PolicyBook, error) {
	return store.PolicyBook{}, f.err
}
func (f failingStore) PolicyHistory(context.Context, int) ([]model.PolicyChange, error) {
	return nil, f.err
}
func (f failingStore) DayOrders(context.Context, model.Date) ([]model.WorkOrder, error) {
	return nil, f.err
}
func (f failingStore) OrdersAtSite(context.Context, string) ([]model.WorkOrder, error) {
	return nil, f.err
}
func (f failingStore) History(context.Context, string) ([]model.HistoryEntry, error) {
	return nil, f.err
}
func (f failingStore) Revisions(context.Context, ...string) ([]int64, error) { return nil, f.err }
func (f failingStore) Commit(context.Context, store.Change) error            { return f.err }
func (f failingStore) NextID(context.Context, string) (int64, error)         { return 0, f.err }
func (f failingStore) CreateKey(context.Context, string, []byte) error       { return f.err }
func (f failingStore) GetKey(context.Context, string) ([]byte, error)        { return nil, f.err }
func (f failingStore) ListKeys(context.Context) ([][]byte, error)            { return nil, f.err }
func (f failingStore) DeleteKey(context.Context, string) error               { return f.err }
func (f failingStore) PublishEvents(context.Context, ...model.Event) error   { return f.err }
func (f failingStore) ReadEvents(context.Context, string, int, time.Duration) (store.EventBatch, error) {
	return store.EventBatch{}, f.err
}
func (f failingStore) LastEventID(context.Context) (string, error) { return "", f.err }
func (f failingStore) ClaimEvents(context.Context, string, string, int, time.Duration, time.Duration) ([]model.Event, error) {
	return nil, f.err
}
func (f failingStore) AckEvents(context.Context, string, ...string) error { return f.err }
func (f failingStore) PutWebhook(context.Context, model.Webhook) error    { return f.err }
func (f failingStore) GetWebhook(context.Context, string) (model.Webhook, error) {
	return model.Webhook{}, f.err
}
func (f failingStore) ListWebhooks(context.Context) ([]model.Webhook, error) { return nil, f.err }
func (f failingStore) DeleteWebhook(context.Context, string) error           { return f.err }
func (f failingStore) AddDeliveries(context.Context, ...model.Delivery) (int, error) {
	return 0, f.err
}
func (f failingStore) ClaimDeliveries(context.Context, time.Time, time.Duration, int) ([]model.Delivery, error) {
	return nil, f.err
}
func (f failingStore) SaveDelivery(context.Context, model.Delivery) (bool, error) {
	return false, f.err
}
func (f failingStore) Deliveries(context.Context, string, int) ([]model.Delivery, error) {
	return nil, f.err
}

func TestStoreUnavailable(t *testing.T) {
	ts := newServer(t, failingStore{fmt.Errorf("dialing: %w", store.ErrUnavailable)})
	for _, path := range []string{"/readyz", "/v1/technicians", "/v1/workorders/WO-1"} {
		r := get(t, ts.URL+path)
		if r.status != http.StatusServiceUnavailable {
			t.Errorf("GET %s = %d, want 503", path, r.status)
		}
		decodeProblem(t, r)
	}
	if r := get(t, ts.URL+"/healthz"); r.status != 200 {
		t.Errorf("GET /healthz with the store down = %d, want 200 (the process is alive)", r.status)
	}
}

// panickingStore breaks an invariant on every read.
type panickingStore struct{ failingStore }

func (panickingStore) ListTechnicians(context.Context) ([]model.Technician, error) {
	panic("broken invariant")
}

func TestPanicIsProblem(t *testing.T) {
	ts := newServer(t, panickingStore{failingStore{errors.New("x")}})
	r := get(t, ts.URL+"/v1/technicians")
	if r.status != http.StatusInternalServerError {
		t.Fatalf("status %d, want 500", r.status)
	}
	if p := decodeProblem(t, r); strings.Contains(p.Detail, "broken invariant") {
		t.Errorf("the panic's value leaked to the client: %q", p.Detail)
	}
	if r := get(t, ts.URL+"/healthz"); r.status != 200 {
		t.Errorf("after a panic, /healthz = %d", r.status)
	}
}

func TestNewRefusesBadOptions(t *testing.T) {
	opts := api.Options{Store: store.NewMemory(), Registry: prometheus.NewRegistry()}
	if _, err := api.New(opts); err != nil {
		t.Fatalf("New = %v", err)
	}
	if _, err := api.New(opts); err == nil {
		t.Error("New registered its metrics twice in one registry")
	}
	if _, err := api.New(api.Options{}); err == nil {
		t.Error("New without a store succeeded")
	}
	bad := api.Options{Store: store.NewMemory(), Registry: prometheus.NewRegistry(), Travel: &model.Travel{Model: model.TravelMatrix}}
	if _, err := api.New(bad); err == nil || !strings.Contains(err.Error(), "Options.Travel") {
		t.Errorf("New with a matrix travel model and no matrix = %v, want an error naming Options.Travel", err)
	}
}
