package api_test

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dispatchd/dispatchd/api"
	"github.com/dispatchd/dispatchd/dispatch"
	"github.com/dispatchd/dispatchd/model"
	"github.com/dispatchd/dispatchd/store"
	"github.com/dispatchd/dispatchd/store/storetest"
	"github.com/dispatchd/dispatchd/webhook"
)

// frame is one server-sent event as a client reads it.
type frame struct {
	ID, Event string
	Data      model.Event
	// Comment is set for a comment line (a keep-alive).
	Comment string
}

// stream is a client of GET /v1/events.
type stream struct {
	frames chan frame
	cancel context.CancelFunc
	header http.Header
}

// subscribe opens an event stream at url (with the query), resuming after
// lastID when it is not empty. It fails the test unless the answer is
// 200 text/event-stream.
func subscribe(t *testing.T, url, lastID string) *stream {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	req, err := http.NewRequestWithContext(ctx, "GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		cancel()
		resp.Body.Close()
		t.Fatalf("GET %s: %d %s", url, resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	s := &stream{frames: make(chan frame, 10_000), cancel: cancel, header: resp.Header}
	t.Cleanup(cancel)
	go func() {
		defer close(s.frames)
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		var f frame
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if f.Event != "" || f.Comment != "" {
					s.frames <- f
				}
				f = frame{}
			case strings.HasPrefix(line, ":"):
				f.Comment = strings.TrimSpace(line[1:])
			case strings.HasPrefix(line, "id: "):
				f.ID = line[4:]
			case strings.HasPrefix(line, "event: "):
				f.Event = line[7:]
			case strings.HasPrefix(line, "data: "):
				if err := json.Unmarshal([]byte(line[6:]), &f.Data); err != nil {
					f.Event = "undecodable: " + err.Error()
				}
			}
		}
	}()
	return s
}

// next returns the stream's next event (skipping comments) within 10 s.
func (s *stream) next(t *testing.T) frame {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case f, ok := <-s.frames:
			if !ok {
				t.Fatal("the event stream ended")
			}
			if f.Event != "" {
				return f
			}
		case <-timeout:
			t.Fatal("no event within 10 s")
		}
	}
}

// take reads n events.
func (s *stream) take(t *testing.T, n int) []frame {
	t.Helper()
	out := make([]frame, n)
	for i := range out {
		out[i] = s.next(t)
	}
	return out
}

// checkStreamed checks that a stream delivered, in order and each once,
// the events of every change in the orders' histories, with ids that grow
// and the history entry as each event's change.
func checkStreamed(t *testing.T, s *stream, u string, ids ...string) {
	t.Helper()
	want := map[string][]model.HistoryEntry{}
	total := 0
	for _, id := range ids {
		var hist struct{ History []model.HistoryEntry }
		expect(t, "history of "+id, do(t, "GET", u+"/v1/workorders/"+id+"/history", nil), 200, &hist)
		want[id] = hist.History
		total += len(hist.History)
	}
	got := map[string][]frame{}
	last := ""
	for n := 0; n < total; {
		f := s.next(t)
		if !slices.Contains(ids, f.Data.WorkOrderID) {
			continue // another order's, or a plan's
		}
		if f.ID == "" || f.ID != f.Data.ID || model.CompareEventIDs(last, f.ID) >= 0 {
			t.Errorf("event %q after %q: ids must be set and grow", f.ID, last)
		}
		last = f.ID
		got[f.Data.WorkOrderID] = append(got[f.Data.WorkOrderID], f)
		n++
	}
	for _, id := range ids {
		for i, h := range want[id] {
			f := got[id][i]
			c := f.Data.Change
			if c == nil || c.Action != h.Action || c.By != h.By || f.Data.Actor != h.By || !c.At.Equal(h.At) || f.Event != string(f.Data.Type) {
				t.Errorf("%s: event %d %s %+v, want the history entry %+v", id, i, f.Event, c, h)
			}
		}
	}
}

// TestEventStream: filters, resuming with Last-Event-ID, keep-alives,
// bad input, and streams ending at shutdown.
func TestEventStream(t *testing.T) {
	stores(t, func(t *testing.T, st api.Store) {
		srv, ts := serveServer(t, api.Options{Store: st, Clock: func() time.Time { return at(7, 0) }, EventKeepAlive: 50 * time.Millisecond})
		u := ts.URL
		all := subscribe(t, u+"/v1/events", "")
		mine := subscribe(t, u+"/v1/events?technician_id=T2&types=workorder.dispatched,workorder.reassigned", "")
		for _, id := range []string{"T1", "T2"} {
			expect(t, "technician", do(t, "PUT", u+"/v1/technicians/"+id, storetest.Technician(id)), 201, nil)
		}
		order := func(site string) string {
			var w model.WorkOrder
			expect(t, "create", do(t, "POST", u+"/v1/workorders", map[string]any{"site_id": site, "location": map[string]any{"lat": 39.7, "lng": -105},
				"duration_s": 1800}), 201, &w)
			return w.ID
		}
		a, b := order("S1"), order("S2")
		expect(t, "dispatch", do(t, "POST", u+"/v1/workorders/"+a+"/dispatch", map[string]any{"technician_ids": []string{"T1"}, "scheduled_start": at(9, 0)}), 200, nil)
		expect(t, "reassign", do(t, "POST", u+"/v1/workorders/"+a+"/reassign", map[string]any{"technician_ids": []string{"T2"}}), 200, nil)
		first := all.take(t, 4)
		var got []string
		for _, f := range first {
			got = append(got, f.Event+" "+f.Data.WorkOrderID)
		}
		if want := []string{"workorder.created " + a, "workorder.created " + b, "workorder.dispatched " + a, "workorder.reassigned " + a}; !slices.Equal(got, want) {
			t.Errorf("events %v, want %v", got, want)
		}
		if f := mine.next(t); f.Event != "workorder.reassigned" || !slices.Contains(f.Data.TechnicianIDs, "T2") {
			t.Errorf("T2's filtered stream got %s %+v", f.Event, f.Data)
		}
		// Keep-alive comments flow while nothing happens.
		select {
		case f := <-all.frames:
			if f.Comment != "keep-alive" {
				t.Errorf("an idle stream sent %+v, want a keep-alive comment", f)
			}
		case <-time.After(5 * time.Second):
			t.Error("no keep-alive on an idle stream")
		}
		// Disconnect after the dispatch, miss the reassignment and more,
		// reconnect: exactly what was missed, then what comes.
		all.cancel()
		expect(t, "status", do(t, "POST", u+"/v1/workorders/"+a+"/status", map[string]any{"status": "acknowledged"}), 200, nil)
		resumed := subscribe(t, u+"/v1/events", first[2].ID)
		expect(t, "cancel", do(t, "POST", u+"/v1/workorders/"+b+"/status", map[string]any{"status": "cancelled"}), 200, nil)
		again := resumed.take(t, 3)
		got = got[:0]
		for _, f := range again {
			got = append(got, f.Event+" "+f.Data.WorkOrderID)
		}
		if want := []string{"workorder.reassigned " + a, "workorder.status " + a, "workorder.cancelled " + b}; !slices.Equal(got, want) || again[0].ID != first[3].ID {
			t.Errorf("resumed: %v, want %v", got, want)
		}
		byQuery := subscribe(t, u+"/v1/events?last_event_id="+first[3].ID, "")
		if f := byQuery.next(t); f.Event != "workorder.status" {
			t.Errorf("resuming by query: %s, want the status after the reassignment", f.Event)
		}
		for _, tc := range []struct{ query, header, field string }{
			{"", "yesterday", "Last-Event-ID"},
			{"?types=workorder.exploded", "", "types[0]"},
			{"?technician_id=a%20b", "", "technician_id"},
		} {
			req, _ := http.NewRequestWithContext(t.Context(), "GET", u+"/v1/events"+tc.query, nil)
			if tc.header != "" {
				req.Header.Set("Last-Event-ID", tc.header)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			p := decodeProblemBody(t, resp)
			if resp.StatusCode != 400 || len(p.Errors) != 1 || p.Errors[0].Field != tc.field {
				t.Errorf("%s %s: %d %+v, want 400 naming %s", tc.query, tc.header, resp.StatusCode, p, tc.field)
			}
		}
		// Shutdown ends the streams (else the HTTP server's Shutdown
		// would wait for them).
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Fatal(err)
		}
		for range resumed.frames {
		}
		metrics := do(t, "GET", u+"/metrics", nil).body
		for _, want := range []string{`dispatchd_events_published_total{type="workorder.created"} 2`, `dispatchd_events_published_total{type="workorder.reassigned"} 1`,
			"dispatchd_event_subscribers 0"} {
			if !strings.Contains(metrics, want) {
				t.Errorf("/metrics lacks %q", want)
			}
		}
	})
}

func decodeProblemBody(t *testing.T, resp *http.Response) api.Problem {
	t.Helper()
	defer resp.Body.Close()
	var p api.Problem
	if err := json.NewDecoder(resp.Body).Decode(&p); err != nil {
		t.Fatalf("decoding a problem: %v", err)
	}
	return p
}

// receiver is a webhook receiver in the test: it checks each delivery's
// signature and keeps the bodies, in the order they came.
type receiver struct {
	*httptest.Server
	t      *testing.T
	secret string
	mu     sync.Mutex
	bodies []dispatch.WebhookBody
}

func newReceiver(t *testing.T) *receiver {
	r := &receiver{t: t}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		data, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		defer r.mu.Unlock()
		if err := webhook.Verify(r.secret, req.Header.Get(webhook.HeaderSignature), data, time.Now(), 0); err != nil {
			t.Errorf("a delivery with a bad signature: %v", err)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		var b dispatch.WebhookBody
		if err := json.Unmarshal(data, &b); err != nil || b.DeliveryID != req.Header.Get(webhook.HeaderDelivery) {
			t.Errorf("a delivery %s: %v", data, err)
		}
		r.bodies = append(r.bodies, b)
	}))
	t.Cleanup(r.Close)
	return r
}

// wait returns the first n bodies received, waiting up to 20 s for them.
func (r *receiver) wait(t *testing.T, n int) []dispatch.WebhookBody {
	t.Helper()
	var got []dispatch.WebhookBody
	waitFor(t, func() bool {
		r.mu.Lock()
		defer r.mu.Unlock()
		got = slices.Clone(r.bodies)
		return len(got) >= n
	})
	return got[:n]
}

// TestEventStreamOutlivesRequestTimeout: a stream is no request to time
// out: net/http cancels a request whose connection's read deadline
// passes, and a stream has no body to read.
func TestEventStreamOutlivesRequestTimeout(t *testing.T) {
	const timeout = 300 * time.Millisecond
	ts := serveWith(t, api.Options{Store: store.NewMemory(), RequestTimeout: timeout, EventKeepAlive: 50 * time.Millisecond})
	began := time.Now()
	s := subscribe(t, ts.URL+"/v1/events", "")
	// The stream is alive past the timeout: it still sends keep-alives.
	for time.Since(began) < 3*timeout {
		if f, ok := <-s.frames; !ok || f.Comment != "keep-alive" {
			t.Fatalf("an idle stream sent %+v (open %v) %v after it began", f, ok, time.Since(began))
		}
	}
	expect(t, "create", do(t, "POST", ts.URL+"/v1/workorders", map[string]any{"location": map[string]any{"lat": 39.7, "lng": -105}, "duration_s": 1800}), 201, nil)
	if f := s.next(t); f.Event != "workorder.created" {
		t.Errorf("after the request timeout the stream sent %+v", f)
	}
}

// TestEventStreamOfATechnician: a technician's key streams its own
// technician's events only; asking for another's is 403.
func TestEventStreamOfATechnician(t *testing.T) {
	ts := serveWith(t, api.Options{Store: store.NewMemory(), Clock: func() time.Time { return at(7, 0) }})
	u := ts.URL
	for _, id := range []string{"T1", "T2"} {
		expect(t, "technician", do(t, "PUT", u+"/v1/technicians/"+id, storetest.Technician(id)), 201, nil)
	}
	phone := newKey(t, u, "technician", "T2's phone", "T2")
	expectProblem(t, "another's events", doAs(t, phone.Token, "GET", u+"/v1/events?technician_id=T1", nil), 403, "")
	req, _ := http.NewRequestWithContext(t.Context(), "GET", u+"/v1/events", nil)
	req.Header.Set("Authorization", "Bearer "+phone.Token)
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	resp, err := http.DefaultClient.Do(req.WithContext(ctx))
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("T2's phone on /v1/events: %v %v", resp, err)
	}
	defer resp.Body.Close()
	var ids []string
	for _, tech := range []string{"T1", "T2"} {
		var w model.WorkOrder
		expect(t, "create", do(t, "POST", u+"/v1/workorders", map[string]any{"site_id": "S-" + tech, "location": map[string]any{"lat": 39.7, "lng": -105}, "duration_s": 1800}), 201, &w)
		expect(t, "dispatch", do(t, "POST", u+"/v1/workorders/"+w.ID+"/dispatch", map[string]any{"technician_ids": []string{tech}, "scheduled_start": at(9, 0)}), 200, nil)
		ids = append(ids, w.ID)
	}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if line := sc.Text(); strings.HasPrefix(line, "data: ") {
			var e model.Event
			if err := json.Unmarshal([]byte(line[6:]), &e); err != nil || e.WorkOrderID != ids[1] || e.Type != model.EventWorkOrderDispatched {
				t.Errorf("T2's phone streamed %s (%v), want only %s dispatched to T2", line, err, ids[1])
			}
			return
		}
	}
	t.Error("the stream ended (or sent nothing in 10 s)")
}
