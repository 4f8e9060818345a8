package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dispatchd/dispatchd/api"
	"github.com/dispatchd/dispatchd/model"
	"github.com/dispatchd/dispatchd/scenario"
	"github.com/dispatchd/dispatchd/solver"
	"github.com/dispatchd/dispatchd/store"
	"github.com/dispatchd/dispatchd/store/storetest"
)

func post(t *testing.T, url string, body any) response {
	t.Helper()
	var data []byte
	switch b := body.(type) {
	case string:
		data = []byte(b)
	default:
		var err error
		if data, err = json.Marshal(body); err != nil {
			t.Fatal(err)
		}
	}
	resp, err := http.Post(url, "application/json", bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return response{resp.StatusCode, resp.Header, string(out)}
}

// suggestBody builds a request from a generated busy day.
func suggestBody(t *testing.T) (map[string]any, solver.Day, model.WorkOrder) {
	t.Helper()
	day := busyDayOf(t, scenario.BusyDayOptions{Technicians: 30, Stops: 5, Seed: 3})
	o := scenario.GenerateOrders(1, 4, day.Technicians)[0]
	o.TimeWindows = nil
	body := map[string]any{"work_order": o, "technicians": day.Technicians, "work_orders": day.Orders,
		"routes": day.Routes, "positions": day.Positions, "now": day.Now, "travel": day.Travel, "limit": 3}
	return body, day, o
}

func TestSuggestEndpoint(t *testing.T) {
	ts := newServer(t, store.NewMemory())
	body, day, o := suggestBody(t)
	r := post(t, ts.URL+"/v1/suggest", body)
	if r.status != http.StatusOK {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	st, err := solver.NewState(day)
	if err != nil {
		t.Fatal(err)
	}
	want, err := solver.Suggest(context.Background(), st, o, solver.SuggestOptions{Limit: 3})
	if err != nil {
		t.Fatal(err)
	}
	wantJSON, _ := json.Marshal(want)
	if strings.TrimSpace(r.body) != string(wantJSON) {
		t.Errorf("POST /v1/suggest answered\n%s\nin-process Suggest gives\n%s", r.body, wantJSON)
	}
	if len(want.Candidates) == 0 {
		t.Error("no candidates: the test shows little")
	}
}

func TestSlotsEndpoint(t *testing.T) {
	ts := newServer(t, store.NewMemory())
	body, _, _ := suggestBody(t)
	body["slot_length_s"], body["days"] = 7200, 2
	r := post(t, ts.URL+"/v1/slots", body)
	if r.status != http.StatusOK {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	var out struct{ Slots []model.Slot }
	if err := json.Unmarshal([]byte(r.body), &out); err != nil || len(out.Slots) == 0 {
		t.Fatalf("slots %s: %v", r.body, err)
	}
	for _, s := range out.Slots {
		if s.Window.End.Sub(s.Window.Start).Seconds() != 7200 {
			t.Errorf("slot %+v is not 2 h", s)
		}
	}
}

func TestSuggestEndpointErrors(t *testing.T) {
	srv, err := api.New(api.Options{Store: store.NewMemory(), Logger: slog.New(slog.DiscardHandler), MaxBodyBytes: 64 << 10, BootstrapKey: testAdmin})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	good, _, _ := suggestBody(t)
	tests := []struct {
		name   string
		path   string
		body   any
		status int
		field  string
	}{
		{"unknown field", "/v1/suggest", `{"work_order":{"id":"W","location":{"lat":1,"lng":1},"duraton_s":60},"technicians":[]}`, 400, "work_order.duraton_s"},
		{"missing order", "/v1/suggest", `{"technicians":[]}`, 400, "work_order"},
		{"not json", "/v1/suggest", `{"technicians":[`, 400, ""},
		{"bad technician", "/v1/suggest", `{"work_order":{"id":"W","location":{"lat":1,"lng":1},"duration_s":60},"technicians":[{"id":"T1","start":{"lat":1,"lng":1},"shift":{"start":"2026-11-23T09:00:00Z","end":"2026-11-23T08:00:00Z"}}]}`, 400, "technicians[0].shift.end"},
		{"bad order", "/v1/suggest", `{"work_order":{"id":"W","location":{"lat":1,"lng":1},"duration_s":-60},"technicians":[]}`, 400, "work_order.duration_s"},
		{"route to nowhere", "/v1/suggest", `{"work_order":{"id":"W","location":{"lat":1,"lng":1},"duration_s":60},"technicians":[],"routes":[{"technician_id":"T9","stops":[]}]}`, 400, "routes[0].technician_id"},
		{"negative days", "/v1/slots", `{"work_order":{"id":"W","location":{"lat":1,"lng":1},"duration_s":60},"technicians":[],"days":-1}`, 400, "days"},
		{"too large", "/v1/suggest", good, 413, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := post(t, ts.URL+tt.path, tt.body)
			if r.status != tt.status {
				t.Fatalf("status %d, want %d: %s", r.status, tt.status, r.body)
			}
			p := decodeProblem(t, r)
			if tt.field == "" {
				return
			}
			for _, fe := range p.Errors {
				if fe.Field == tt.field {
					return
				}
			}
			t.Errorf("errors %+v do not name %s", p.Errors, tt.field)
		})
	}
}

// busyDayOf is a generated day in progress, as solver.Suggest takes it.
func busyDayOf(tb testing.TB, opts scenario.BusyDayOptions) solver.Day {
	tb.Helper()
	d, err := scenario.GenerateBusyDay(opts)
	if err != nil {
		tb.Fatal(err)
	}
	return solver.Day{Now: d.Now, Technicians: d.Technicians, Orders: d.Orders, Routes: d.Routes, Positions: d.Positions, Travel: d.Travel}
}

// TestSuggestWithoutNowOnAPastDay asks for a suggestion without "now" on a
// day that is over by the server's clock: every technician is rejected
// because their shift has ended, in those words, not because their day
// "misses a window".
func TestSuggestWithoutNowOnAPastDay(t *testing.T) {
	clock := time.Date(2026, 12, 1, 15, 58, 0, 0, time.FixedZone("-0700", -7*3600))
	ts := serveWith(t, api.Options{Store: store.NewMemory(), Clock: func() time.Time { return clock }})
	body := `{"work_order":{"id":"W1","location":{"lat":39.74,"lng":-104.99},"duration_s":3600,"required_skills":{"hvac":1}},
	  "technicians":[{"id":"T1","skills":{"hvac":2},"start":{"lat":39.70,"lng":-105.0},
	  "shift":{"start":"2026-11-23T08:00:00-07:00","end":"2026-11-23T17:00:00-07:00"}}]}`
	var out model.Suggestions
	expect(t, "suggest", post(t, ts.URL+"/v1/suggest", body), 200, &out)
	want := "the shift 08:00–17:00 on 2026-11-23 has ended; now is 2026-12-01 15:58"
	if len(out.Candidates) != 0 || len(out.Rejected) != 1 || !slices.Contains(out.Rejected[0].Reasons, want) {
		t.Errorf("suggestion %+v, want T1 rejected with %q", out, want)
	}
}

// TestSuggestOnTheStoredDayRefusesABodysDay: a suggestion without
// technicians is made on the stored day — its technicians, routes,
// positions and travel model. A body that brings routes, positions, the
// routes' orders or a travel model of its own as well is refused, naming
// each (they would otherwise be silently dropped, or mixed with the
// store's); one that brings none is answered from the store.
func TestSuggestOnTheStoredDayRefusesABodysDay(t *testing.T) {
	ts := serveWith(t, api.Options{Store: store.NewMemory(), Clock: func() time.Time { return at(7, 0) }})
	u := ts.URL
	expect(t, "technician", do(t, "PUT", u+"/v1/technicians/T1", storetest.Technician("T1")), 201, nil)
	order := map[string]any{"id": "W", "location": map[string]any{"lat": 39.75, "lng": -104.98}, "duration_s": 1800}
	for _, path := range []string{"/v1/suggest", "/v1/slots"} {
		r := do(t, "POST", u+path, map[string]any{"work_order": order,
			"routes":      []any{map[string]any{"technician_id": "T1", "stops": []any{}}},
			"positions":   []any{map[string]any{"technician_id": "T1", "lat": 39.7, "lng": -105, "at": at(6, 59)}},
			"work_orders": []any{order},
			"travel":      map[string]any{"speed_kmh": 30}})
		if r.status != 400 {
			t.Fatalf("%s on the stored day with a day of the body's: %d %s, want 400", path, r.status, r.body)
		}
		var got []string
		for _, fe := range decodeProblem(t, r).Errors {
			got = append(got, fe.Field)
		}
		slices.Sort(got)
		if want := []string{"positions", "routes", "travel", "work_orders"}; !slices.Equal(got, want) {
			t.Errorf("%s: the problem names %v, want %v", path, got, want)
		}
		expect(t, path+" on the stored day", do(t, "POST", u+path, map[string]any{"work_order": order, "limit": 1}), 200, nil)
	}
}
