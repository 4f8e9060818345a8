package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dispatchd/dispatchd/dispatch"
	"github.com/dispatchd/dispatchd/model"
	"github.com/dispatchd/dispatchd/store/redisstore"
	"github.com/dispatchd/dispatchd/store/redistest"
	"github.com/dispatchd/dispatchd/webhook"
)

// sharedRedis returns serve's flags for a Redis under a prefix of the
// test's own, and a store on it for the test to read; the keys go when the
// test ends.
func sharedRedis(t testing.TB, label string) ([]string, *redisstore.Store) {
	t.Helper()
	url := redistest.URL(t)
	prefix := redistest.Prefix(label)
	st := redistest.Open(t, "", redisstore.Options{Prefix: prefix})
	return []string{"--redis", url, "--redis-prefix", prefix}, st
}

// newKey creates an API key on a replica, as its bootstrap admin, and
// returns its token.
func newKey(t testing.TB, base, role, name, technician string) string {
	t.Helper()
	body := map[string]any{"role": role, "name": name}
	if technician != "" {
		body["technician_id"] = technician
	}
	var k struct{ Token string }
	if code := call(t, "POST", base+"/v1/keys", body, &k); code != 201 || k.Token == "" {
		t.Fatalf("creating the key %s: %d", name, code)
	}
	return k.Token
}

// sseEvent is one event of a stream as a client reads it.
type sseEvent struct {
	id, typ string
	data    model.Event
}

// eventStream reads GET /v1/events of a replica.
type eventStream struct {
	events chan sseEvent
	cancel context.CancelFunc
}

// openStream reads a replica's events with a token.
func openStream(t testing.TB, token, base, lastID string) *eventStream {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	req, _ := http.NewRequestWithContext(ctx, "GET", base+"/v1/events", nil)
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		cancel()
		t.Fatalf("GET %s/v1/events: %v %v", base, resp, err)
	}
	s := &eventStream{events: make(chan sseEvent, 1000), cancel: cancel}
	t.Cleanup(cancel)
	go func() {
		defer close(s.events)
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		var e sseEvent
		for sc.Scan() {
			switch line := sc.Text(); {
			case line == "" && e.typ != "":
				s.events <- e
				e = sseEvent{}
			case strings.HasPrefix(line, "id: "):
				e.id = line[4:]
			case strings.HasPrefix(line, "event: "):
				e.typ = line[7:]
			case strings.HasPrefix(line, "data: "):
				_ = json.Unmarshal([]byte(line[6:]), &e.data)
			}
		}
	}()
	return s
}

// take reads n events within 20 s.
func (s *eventStream) take(t *testing.T, n int) []sseEvent {
	t.Helper()
	var out []sseEvent
	timeout := time.After(20 * time.Second)
	for len(out) < n {
		select {
		case e, ok := <-s.events:
			if !ok {
				t.Fatalf("the stream ended after %d of %d events", len(out), n)
			}
			out = append(out, e)
		case <-timeout:
			t.Fatalf("%d of %d events in 20 s", len(out), n)
		}
	}
	return out
}

// logged returns the ids of the events the shared log holds after id.
func logged(t *testing.T, st *redisstore.Store, after string) []string {
	t.Helper()
	b, err := st.ReadEvents(t.Context(), after, 10_000, 0)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, e := range b.Events {
		ids = append(ids, e.ID)
	}
	return ids
}

func idsOf(events []sseEvent) []string {
	var ids []string
	for _, e := range events {
		ids = append(ids, e.id)
	}
	return ids
}

// tomorrow is a technician whose shift is tomorrow, 08:00–17:00 in
// Denver, so that a real clock finds the day ahead; and the time h:00 of
// that day.
func tomorrow(id string) (model.Technician, func(h int) time.Time) {
	zone, _ := time.LoadLocation("America/Denver")
	d := time.Now().In(zone).AddDate(0, 0, 1)
	day := func(h int) time.Time { return time.Date(d.Year(), d.Month(), d.Day(), h, 0, 0, 0, zone) }
	return model.Technician{ID: id, Name: "Tech " + id, Skills: model.Skills{"hvac": 3}, Start: model.LatLng(39.74, -104.99),
		Shift: model.Shift{Start: day(8), End: day(17)}}, day
}

// TestEventsAcrossReplicas: a subscriber on replica B receives, in order
// and without gaps, the events of a workflow run on replica A; it
// disconnects, more happens, and reconnecting with Last-Event-ID it
// receives exactly what it missed.
func TestEventsAcrossReplicas(t *testing.T) {
	args, st := sharedRedis(t, "events")
	args = append(args, "--event-keep-alive", "200ms")
	a, b := startServe(t, args...), startServe(t, args...)
	desk3, desk4 := newKey(t, a.base, "dispatcher", "desk 3", ""), newKey(t, a.base, "dispatcher", "desk 4", "")
	board := newKey(t, b.base, "viewer", "board", "")
	onB := openStream(t, board, b.base, "")
	for _, id := range []string{"T1", "T2"} {
		tech, _ := tomorrow(id)
		if code := call(t, "PUT", a.base+"/v1/technicians/"+id, tech, nil); code != 201 {
			t.Fatalf("PUT %s on A: %d", id, code)
		}
	}
	phone := newKey(t, a.base, "technician", "T2's phone", "T2")
	_, day := tomorrow("")
	create := func(site string) string {
		var w model.WorkOrder
		if code := callAs(t, desk3, "POST", a.base+"/v1/workorders", map[string]any{"site_id": site, "location": map[string]any{"lat": 39.75, "lng": -104.98},
			"duration_s": 3600, "required_skills": map[string]int{"hvac": 1}}, &w); code != 201 {
			t.Fatalf("create on A: %d", code)
		}
		return w.ID
	}
	step := func(what, token, path string, body any) {
		t.Helper()
		if code := callAs(t, token, "POST", a.base+path, body, nil); code != 200 {
			t.Fatalf("%s on A: %d", what, code)
		}
	}
	w := create("S1")
	step("dispatch", desk3, "/v1/workorders/"+w+"/dispatch", map[string]any{"technician_ids": []string{"T1"}, "scheduled_start": day(10)})
	step("reassign", desk4, "/v1/workorders/"+w+"/reassign", map[string]any{"technician_ids": []string{"T2"}, "reason": "T1 is sick"})
	step("acknowledged", phone, "/v1/workorders/"+w+"/status", map[string]any{"status": "acknowledged"})
	step("en_route", phone, "/v1/workorders/"+w+"/status", map[string]any{"status": "en_route"})
	got := onB.take(t, 5)
	if want := logged(t, st, ""); !slices.Equal(idsOf(got), want) {
		t.Fatalf("B streamed %v, the log holds %v", idsOf(got), want)
	}
	var kinds []string
	for _, e := range got {
		kinds = append(kinds, e.typ+" by "+e.data.Actor)
	}
	if want := []string{"workorder.created by desk 3", "workorder.dispatched by desk 3", "workorder.reassigned by desk 4",
		"workorder.status by T2's phone", "workorder.status by T2's phone"}; !slices.Equal(kinds, want) {
		t.Errorf("B streamed %v, want %v", kinds, want)
	}
	// Gone for a while; the workflow goes on.
	onB.cancel()
	last := got[len(got)-1].id
	step("on_site", phone, "/v1/workorders/"+w+"/status", map[string]any{"status": "on_site"})
	v := create("S2")
	step("dispatch", desk3, "/v1/workorders/"+v+"/dispatch", map[string]any{"technician_ids": []string{"T1"}, "scheduled_start": day(13)})
	missed := logged(t, st, last)
	if len(missed) != 3 {
		t.Fatalf("the log holds %v after %s, want the three events since", missed, last)
	}
	again := openStream(t, board, b.base, last)
	resumed := again.take(t, len(missed))
	if !slices.Equal(idsOf(resumed), missed) {
		t.Errorf("resumed with %v, missed %v", idsOf(resumed), missed)
	}
	select {
	case e := <-again.events:
		t.Errorf("after the missed events, %s %s, which did not happen", e.id, e.typ)
	case <-time.After(500 * time.Millisecond):
	}
}

// TestBatchDispatchGeneratedDay: a day from `dispatchd gen`, posted order
// by order, planned with date and applied: every technician's schedule
// shows the plan's stops at its times. A second plan, made before one of
// its orders was reassigned, is refused and writes nothing.
func TestBatchDispatchGeneratedDay(t *testing.T) {
	_, day := tomorrow("")
	date := model.DateOf(day(8)).String()
	code, out, errOut := runCmd(t, "", "gen", "--orders", "60", "--technicians", "8", "--seed", "7", "--date", date)
	if code != exitOK {
		t.Fatalf("gen: %d %s", code, errOut)
	}
	var gen model.Problem
	if err := json.Unmarshal([]byte(out), &gen); err != nil {
		t.Fatal(err)
	}
	redisArgs, _ := sharedRedis(t, "batch")
	for _, tc := range []struct {
		name string
		args []string
	}{{"memory", nil}, {"redis", redisArgs}} {
		t.Run(tc.name, func(t *testing.T) {
			r := startServe(t, tc.args...)
			u := r.base
			for _, tech := range gen.Technicians {
				if code := call(t, "PUT", u+"/v1/technicians/"+tech.ID, tech, nil); code != 201 {
					t.Fatalf("PUT %s: %d", tech.ID, code)
				}
			}
			for _, w := range gen.WorkOrders {
				data, _ := json.Marshal(w)
				var intake map[string]any
				_ = json.Unmarshal(data, &intake)
				delete(intake, "status") // created, as every intake is
				intake["allow_duplicate"] = true
				if code := call(t, "POST", u+"/v1/workorders", intake, nil); code != 201 {
					t.Fatalf("POST %s: %d", w.ID, code)
				}
			}
			type plan struct {
				dispatch.PlanRecord
			}
			planDay := func(seed int) plan {
				var p plan
				if code := call(t, "POST", u+"/v1/plans?wait=true", map[string]any{"date": date, "iterations": 2000, "seed": seed}, &p); code != 200 || p.Status != "done" {
					t.Fatalf("planning %s: %d %s %s", date, code, p.Status, p.Error)
				}
				return p
			}
			first, second := planDay(1), planDay(2)
			if first.KPIs.Assigned < 30 || len(first.Basis.Orders) != len(gen.WorkOrders) {
				t.Fatalf("the plan assigns %d of %d (basis %d orders)", first.KPIs.Assigned, len(gen.WorkOrders), len(first.Basis.Orders))
			}
			var applied dispatch.Application
			if code := call(t, "POST", u+"/v1/plans/"+first.ID+"/apply", nil, &applied); code != 200 {
				t.Fatalf("apply: %d", code)
			}
			t.Logf("plan %s assigns %d of %d on %d routes; applied %d", first.ID, first.KPIs.Assigned, len(gen.WorkOrders), len(first.Routes), len(applied.Applied))
			if len(applied.Applied) != first.KPIs.Assigned {
				t.Errorf("applied %d, the plan assigns %d", len(applied.Applied), first.KPIs.Assigned)
			}
			for _, route := range first.Routes {
				var want, got []string
				for _, st := range route.Stops {
					if !st.IsBreak() {
						want = append(want, st.WorkOrderID+" "+st.Start.UTC().Format(time.RFC3339))
					}
				}
				var sched dispatch.Schedule
				if code := call(t, "GET", u+"/v1/technicians/"+route.TechnicianID+"/schedule?date="+date, nil, &sched); code != 200 {
					t.Fatalf("schedule of %s: %d", route.TechnicianID, code)
				}
				for _, st := range sched.Stops {
					if !st.IsBreak() {
						got = append(got, st.WorkOrderID+" "+st.Start.UTC().Format(time.RFC3339))
					}
				}
				if !slices.Equal(got, want) {
					t.Errorf("%s's schedule %v, the plan's stops %v", route.TechnicianID, got, want)
				}
			}
			// One of the second plan's orders is reassigned; then the second
			// plan is refused, and nothing changes.
			moved := applied.Applied[0]
			to := first.Basis.Technicians[0]
			if to == moved.TechnicianID {
				to = first.Basis.Technicians[1]
			}
			if code := call(t, "POST", u+"/v1/workorders/"+moved.WorkOrderID+"/reassign", map[string]any{"technician_ids": []string{to},
				"override": true, "reason": "customer asked for them"}, nil); code != 200 {
				t.Fatalf("reassign: %d", code)
			}
			before := readBack(t, u)
			req, _ := http.NewRequestWithContext(t.Context(), "POST", u+"/v1/plans/"+second.ID+"/apply", nil)
			req.Header.Set("Authorization", "Bearer "+testBootstrap)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			var problem struct {
				Changes []dispatch.PlanChange `json:"changes"`
			}
			_ = json.NewDecoder(resp.Body).Decode(&problem)
			resp.Body.Close()
			if resp.StatusCode != 409 || !slices.ContainsFunc(problem.Changes, func(c dispatch.PlanChange) bool {
				return c.ID == moved.WorkOrderID && strings.Contains(c.Message, "dispatched to "+to)
			}) {
				t.Errorf("applying the second plan: %d %+v, want 409 naming %s's reassignment", resp.StatusCode, problem, moved.WorkOrderID)
			}
			if after := readBack(t, u); after != before {
				t.Error("the refused plan changed the state")
			}
		})
	}
}

// readBack is every work order and its history, as the API answers them.
func readBack(t *testing.T, u string) string {
	t.Helper()
	var page struct {
		WorkOrders []model.WorkOrder `json:"work_orders"`
	}
	if code := call(t, "GET", u+"/v1/workorders?limit=1000", nil, &page); code != 200 {
		t.Fatalf("list: %d", code)
	}
	var b strings.Builder
	for _, w := range page.WorkOrders {
		data, _ := json.Marshal(w)
		b.Write(data)
		var hist json.RawMessage
		if code := call(t, "GET", u+"/v1/workorders/"+w.ID+"/history", nil, &hist); code != 200 {
			t.Fatalf("history of %s: %d", w.ID, code)
		}
		b.Write(hist)
	}
	return b.String()
}

// TestWebhookSurvivesReplicaKill: a receiver that fails its first two
// deliveries gets the notification on the third attempt, with a valid
// signature, although the replica that made the first two is killed in
// between and another makes the third.
func TestWebhookSurvivesReplicaKill(t *testing.T) {
	const secret = "phones-secret-0123456789"
	var mu sync.Mutex
	var attempts []http.Header
	var delivered []byte
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		attempts = append(attempts, r.Header.Clone())
		if len(attempts) <= 2 {
			http.Error(w, "phone gateway restarting", http.StatusServiceUnavailable)
			return
		}
		if err := webhook.Verify(secret, r.Header.Get(webhook.HeaderSignature), body, time.Now(), 0); err != nil {
			t.Errorf("the third attempt's signature: %v", err)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		delivered = body
	}))
	defer receiver.Close()
	count := func() int { mu.Lock(); defer mu.Unlock(); return len(attempts) }

	args, _ := sharedRedis(t, "webhooks")
	args = append(args, "--webhook-backoff", "1s", "--webhook-timeout", "2s")
	a := startServe(t, args...)
	tech, day := tomorrow("T1")
	if code := call(t, "PUT", a.base+"/v1/technicians/T1", tech, nil); code != 201 {
		t.Fatalf("PUT T1: %d", code)
	}
	var hook dispatch.NewWebhook
	if code := call(t, "POST", a.base+"/v1/webhooks", map[string]any{"url": receiver.URL, "secret": secret, "types": []string{"workorder.dispatched"}}, &hook); code != 201 {
		t.Fatalf("register: %d", code)
	}
	var w model.WorkOrder
	if code := call(t, "POST", a.base+"/v1/workorders", map[string]any{"location": map[string]any{"lat": 39.75, "lng": -104.98}, "duration_s": 3600}, &w); code != 201 {
		t.Fatalf("create: %d", code)
	}
	if code := call(t, "POST", a.base+"/v1/workorders/"+w.ID+"/dispatch", map[string]any{"technician_ids": []string{"T1"}, "scheduled_start": day(10)}, nil); code != 200 {
		t.Fatalf("dispatch: %d", code)
	}
	// Two attempts failed, the second's outcome kept: kill A mid-retry.
	var log dispatch.DeliveryLog
	waitUntil(t, "A's second attempt to fail", func() bool {
		call(t, "GET", a.base+"/v1/webhooks/"+hook.ID+"/deliveries", nil, &log)
		return count() == 2 && len(log.Deliveries) == 1 && log.Deliveries[0].Attempts == 2 && log.Deliveries[0].LastStatus == 503
	})
	if d := log.Deliveries[0]; d.Status != model.DeliveryPending || d.NextAttempt == nil || !strings.Contains(d.LastError, "phone gateway restarting") {
		t.Fatalf("after two failures: %+v", d)
	}
	if err := a.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = a.cmd.Wait()
	b := startServe(t, args...)
	waitUntil(t, "the third attempt", func() bool { return count() >= 3 })
	waitUntil(t, "B to record the delivery", func() bool {
		call(t, "GET", b.base+"/v1/webhooks/"+hook.ID+"/deliveries", nil, &log)
		return len(log.Deliveries) == 1 && log.Deliveries[0].Status == model.DeliveryDelivered
	})
	time.Sleep(300 * time.Millisecond)
	mu.Lock()
	defer mu.Unlock()
	if len(attempts) != 3 || log.Deliveries[0].Attempts != 3 {
		t.Errorf("%d attempts reached the receiver, the log says %d; want 3", len(attempts), log.Deliveries[0].Attempts)
	}
	for i, h := range attempts {
		if h.Get(webhook.HeaderDelivery) != log.Deliveries[0].ID || h.Get(webhook.HeaderAttempt) != fmt.Sprint(i+1) {
			t.Errorf("attempt %d: delivery %q attempt %q, want %s and %d", i+1, h.Get(webhook.HeaderDelivery), h.Get(webhook.HeaderAttempt), log.Deliveries[0].ID, i+1)
		}
	}
	var body dispatch.WebhookBody
	if err := json.Unmarshal(delivered, &body); err != nil || body.Notification == nil || body.Notification.TechnicianID != "T1" ||
		!strings.HasPrefix(body.Notification.Message, "Work order "+w.ID+" assigned to Tech T1 (T1)") {
		t.Errorf("delivered %s (%v)", delivered, err)
	}
}

// waitUntil polls cond for 30 s.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// BenchmarkEventsAcrossReplicas measures the fan-out of the live stream
// between two serve processes on one Redis: from the start of a POST
// /v1/workorders on replica A to its event on a GET /v1/events stream of
// replica B, over loopback HTTP.
//
//	go test ./cmd/dispatchd -run '^$' -bench EventsAcrossReplicas -benchtime 300x -count 5
func BenchmarkEventsAcrossReplicas(b *testing.B) {
	args, _ := sharedRedis(b, "bench-events")
	a, bb := startServe(b, args...), startServe(b, args...)
	onB := openStream(b, testBootstrap, bb.base, "")
	order := map[string]any{"location": map[string]any{"lat": 39.75, "lng": -104.98}, "duration_s": 3600}
	var took []time.Duration
	b.ResetTimer()
	for i := range b.N {
		order["site_id"] = fmt.Sprintf("S-%d", i)
		began := time.Now()
		if code := call(b, "POST", a.base+"/v1/workorders", order, nil); code != 201 {
			b.Fatalf("create on A: %d", code)
		}
		select {
		case <-onB.events:
			took = append(took, time.Since(began))
		case <-time.After(10 * time.Second):
			b.Fatal("no event on B in 10 s")
		}
	}
	b.StopTimer()
	slices.Sort(took)
	q := func(p float64) float64 { return float64(took[min(len(took)-1, int(p*float64(len(took))))]) / 1e6 }
	b.ReportMetric(q(0.5), "post-to-stream-p50-ms")
	b.ReportMetric(q(0.99), "post-to-stream-p99-ms")
}
