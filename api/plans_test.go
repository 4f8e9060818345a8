package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/dispatchd/dispatchd/api"
	"github.com/dispatchd/dispatchd/scenario"
	"github.com/dispatchd/dispatchd/store"
)

// slowFirstPlan is a memory store whose first PutPlan — the record a new
// plan is started with — waits until the test lets it go, holding a plan
// between being let in and running.
type slowFirstPlan struct {
	*store.Memory
	once             sync.Once
	entered, release chan struct{}
}

func (s *slowFirstPlan) PutPlan(ctx context.Context, id string, record []byte, ttl time.Duration) error {
	first := false
	s.once.Do(func() { first = true })
	if first {
		close(s.entered)
		<-s.release
	}
	return s.Memory.PutPlan(ctx, id, record, ttl)
}

// startHeld posts a plan to a new server and returns once the plan is let
// in and held writing its first record; the answer arrives on posted once
// the test closes st.release.
func startHeld(t *testing.T, plan map[string]any) (srv *api.Server, st *slowFirstPlan, posted <-chan *httptest.ResponseRecorder) {
	t.Helper()
	st = &slowFirstPlan{Memory: store.NewMemory(), entered: make(chan struct{}), release: make(chan struct{})}
	srv, err := api.New(api.Options{Store: st, Logger: slog.New(slog.DiscardHandler), BootstrapKey: testAdmin})
	if err != nil {
		t.Fatal(err)
	}
	day, err := scenario.GenerateDay(scenario.DayOptions{Orders: 5, Technicians: 2, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	plan["technicians"], plan["work_orders"] = day.Technicians, day.WorkOrders
	body, err := json.Marshal(plan)
	if err != nil {
		t.Fatal(err)
	}
	ch := make(chan *httptest.ResponseRecorder, 1)
	go func() {
		w := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodPost, "/v1/plans", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+testAdmin)
		srv.ServeHTTP(w, req)
		ch <- w
	}()
	<-st.entered
	return srv, st, ch
}

// TestShutdownWaitsForPlansBeingStarted: a plan let in before Shutdown
// closed the door is one Shutdown waits for, even while its first record
// is still being written.
func TestShutdownWaitsForPlansBeingStarted(t *testing.T) {
	srv, st, posted := startHeld(t, map[string]any{"iterations": 20})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	shut := make(chan error, 1)
	go func() { shut <- srv.Shutdown(ctx) }()
	select {
	case err := <-shut:
		close(st.release)
		<-posted
		t.Fatalf("Shutdown returned (%v) while a plan it let in was still starting", err)
	case <-time.After(200 * time.Millisecond):
	}
	close(st.release)
	w := <-posted
	if w.Code != http.StatusAccepted {
		t.Fatalf("POST /v1/plans: status %d, want 202: %s", w.Code, w.Body)
	}
	if err := <-shut; err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	var rec struct{ ID, Status string }
	if err := json.Unmarshal(w.Body.Bytes(), &rec); err != nil {
		t.Fatal(err)
	}
	data, err := st.GetPlan(t.Context(), rec.ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &rec); err != nil {
		t.Fatal(err)
	}
	if rec.Status == "running" {
		t.Errorf("plan %s is still running after Shutdown returned", rec.ID)
	}
}

// TestShutdownCancelsPlansBeingStarted: once Shutdown's context ends, a
// plan still writing its first record is cancelled too, rather than run
// for its whole time limit.
func TestShutdownCancelsPlansBeingStarted(t *testing.T) {
	srv, st, posted := startHeld(t, map[string]any{"time_limit_s": 60})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	shut := make(chan error, 1)
	go func() { shut <- srv.Shutdown(ctx) }()
	<-ctx.Done()
	close(st.release)
	if w := <-posted; w.Code != http.StatusAccepted {
		t.Fatalf("POST /v1/plans: status %d, want 202: %s", w.Code, w.Body)
	}
	select {
	case err := <-shut:
		if err == nil {
			t.Error("Shutdown cancelled a plan and returned no error")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Shutdown still waits 10 s after its context ended: the plan let in during it was not cancelled")
	}
}

// TestCancelAnswersThePlan: DELETE of a plan running here answers its
// record, whole, whether or not the plan ends at once.
func TestCancelAnswersThePlan(t *testing.T) {
	ts := serveWith(t, api.Options{Store: store.NewMemory()})
	day, err := scenario.GenerateDay(scenario.DayOptions{Orders: 5, Technicians: 2, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	var rec struct{ ID, Status string }
	expect(t, "post plan", do(t, "POST", ts.URL+"/v1/plans", map[string]any{"technicians": day.Technicians, "work_orders": day.WorkOrders, "time_limit_s": 60}), 202, &rec)
	id := rec.ID
	rec = struct{ ID, Status string }{}
	expect(t, "cancel", do(t, "DELETE", ts.URL+"/v1/plans/"+id, nil), 202, &rec)
	if rec.ID != id || (rec.Status != "running" && rec.Status != "cancelled") {
		t.Errorf("DELETE answered %+v, want plan %s running or cancelled", rec, id)
	}
}

// TestWaitedPlanFreesItsSlot: once a plan waited for is answered, its slot
// is free: the next plan is not refused as one too many.
func TestWaitedPlanFreesItsSlot(t *testing.T) {
	ts := serveWith(t, api.Options{Store: store.NewMemory(), MaxPlans: 1})
	day, err := scenario.GenerateDay(scenario.DayOptions{Orders: 3, Technicians: 1, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	body := map[string]any{"technicians": day.Technicians, "work_orders": day.WorkOrders, "iterations": 1}
	for i := range 50 {
		expect(t, fmt.Sprintf("plan %d waited for", i), do(t, "POST", ts.URL+"/v1/plans?wait=true", body), 200, nil)
	}
}
