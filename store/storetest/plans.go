package storetest

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/dispatchd/dispatchd/store"
)

func testPlanRoundTrip(t *testing.T, s Store) {
	ctx := t.Context()
	steps := []struct {
		name   string
		id     string
		record []byte
		ttl    time.Duration
	}{
		{"default expiry", "P1", []byte(`{"id":"P1","status":"running"}`), 0},
		{"replaced", "P1", []byte(`{"id":"P1","status":"done"}`), time.Hour},
		{"another plan", "P2", []byte{0, 1, 2, 255}, time.Minute},
		{"empty record", "P3", []byte{}, 0},
		{"nil record", "P4", nil, 0},
	}
	for _, st := range steps {
		if err := s.PutPlan(ctx, st.id, st.record, st.ttl); err != nil {
			t.Fatalf("%s: PutPlan: %v", st.name, err)
		}
		got, err := s.GetPlan(ctx, st.id)
		if err != nil || !bytes.Equal(got, st.record) {
			t.Errorf("%s: GetPlan = %q, %v; want %q", st.name, got, err, st.record)
		}
	}
	// Neither the caller's record nor what it got is the store's.
	record := []byte("original")
	if err := s.PutPlan(ctx, "P5", record, 0); err != nil {
		t.Fatal(err)
	}
	record[0] = 'X'
	got, _ := s.GetPlan(ctx, "P5")
	got[1] = 'X'
	if again, err := s.GetPlan(ctx, "P5"); err != nil || string(again) != "original" {
		t.Errorf("GetPlan after changing the caller's copies = %q, %v; want \"original\"", again, err)
	}
	if _, err := s.GetPlan(ctx, "nothing"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetPlan(nothing) error = %v, want ErrNotFound", err)
	}
}

func testPlanErrors(t *testing.T, s Store) {
	tests := []struct {
		name string
		id   string
		ttl  time.Duration
	}{
		{"no id", "", 0},
		{"negative ttl", "P1", -time.Second},
	}
	for _, tt := range tests {
		if err := s.PutPlan(t.Context(), tt.id, []byte("x"), tt.ttl); err == nil {
			t.Errorf("%s: PutPlan succeeded, want an error", tt.name)
		}
	}
	if _, err := s.GetPlan(t.Context(), "P1"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetPlan after refused puts: %v, want ErrNotFound", err)
	}
	if err := s.RequestCancel(t.Context(), ""); err == nil {
		t.Error("RequestCancel of no id succeeded, want an error")
	}
}

// testPlanExpiry puts a short-lived plan beside one with the default
// expiry: the first must go, from GetPlan and from Stats, and not the
// second.
func testPlanExpiry(t *testing.T, s Store) {
	ctx := t.Context()
	if err := s.PutPlan(ctx, "short", []byte("a"), 400*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if err := s.PutPlan(ctx, "long", []byte("b"), 0); err != nil {
		t.Fatal(err)
	}
	if got, err := s.GetPlan(ctx, "short"); err != nil || string(got) != "a" {
		t.Fatalf("GetPlan(short) right after putting = %q, %v", got, err)
	}
	if st, err := s.Stats(ctx); err != nil || st.Plans != 2 {
		t.Errorf("Stats before expiry = %+v, %v; want 2 plans", st, err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, err := s.GetPlan(ctx, "short")
		if errors.Is(err, store.ErrNotFound) {
			break
		}
		if err != nil || time.Now().After(deadline) {
			t.Fatalf("GetPlan(short) 5 s after a 400 ms TTL: %v, want ErrNotFound", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if st, err := s.Stats(ctx); err != nil || st.Plans != 1 {
		t.Errorf("Stats after expiry = %+v, %v; want 1 plan", st, err)
	}
	if got, err := s.GetPlan(ctx, "long"); err != nil || string(got) != "b" {
		t.Errorf("GetPlan(long) = %q, %v; want \"b\"", got, err)
	}
}

// receive reads n ids from a cancel-request channel, failing the test if
// they take more than a few seconds.
func receive(t *testing.T, what string, ch <-chan string, n int) []string {
	t.Helper()
	var got []string
	timeout := time.After(5 * time.Second)
	for len(got) < n {
		select {
		case id, ok := <-ch:
			if !ok {
				t.Fatalf("%s: channel closed after %v, want %d ids", what, got, n)
			}
			got = append(got, id)
		case <-timeout:
			t.Fatalf("%s: got %v after 5 s, want %d ids", what, got, n)
		}
	}
	return got
}

// testCancelRequests has two subscribers: each must receive every request
// made after it subscribed, in order.
func testCancelRequests(t *testing.T, s Store) {
	ctx := t.Context()
	if err := s.RequestCancel(ctx, "before"); err != nil {
		t.Fatalf("RequestCancel with nobody listening: %v", err)
	}
	first, err := s.CancelRequests(ctx)
	if err != nil {
		t.Fatal(err)
	}
	second, err := s.CancelRequests(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"P1", "P2", "P3"}
	for _, id := range want {
		if err := s.RequestCancel(ctx, id); err != nil {
			t.Fatalf("RequestCancel(%s): %v", id, err)
		}
	}
	for _, sub := range []struct {
		name string
		ch   <-chan string
	}{{"first subscriber", first}, {"second subscriber", second}} {
		if got := receive(t, sub.name, sub.ch, len(want)); !slices.Equal(got, want) {
			t.Errorf("%s received %v, want %v", sub.name, got, want)
		}
	}
}

// testCancelRequestsClose ends one subscriber's context: its channel must
// close, and the other subscriber must still hear requests.
func testCancelRequestsClose(t *testing.T, s Store) {
	ctx := t.Context()
	subCtx, cancel := context.WithCancel(ctx)
	closing, err := s.CancelRequests(subCtx)
	if err != nil {
		t.Fatal(err)
	}
	staying, err := s.CancelRequests(ctx)
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	timeout := time.After(5 * time.Second)
	for open := true; open; {
		select {
		case _, open = <-closing:
		case <-timeout:
			t.Fatal("the channel of a cancelled subscriber is still open after 5 s")
		}
	}
	if err := s.RequestCancel(ctx, "P9"); err != nil {
		t.Fatal(err)
	}
	if got := receive(t, "remaining subscriber", staying, 1); got[0] != "P9" {
		t.Errorf("remaining subscriber received %v, want [P9]", got)
	}
	if _, err := s.CancelRequests(subCtx); err == nil {
		t.Error("CancelRequests with an ended context succeeded, want an error")
	}
}

func testStats(t *testing.T, s Store) {
	ctx := t.Context()
	steps := []struct {
		name string
		do   func() error
		want store.Stats
	}{
		{"empty", func() error { return nil }, store.Stats{}},
		{"technicians", func() error {
			putTechnicians(t, s, "T1", "T2")
			return nil
		}, store.Stats{Technicians: 2}},
		{"work orders", func() error {
			putOrders(t, s, WorkOrder("WO-1"), WorkOrder("WO-2"), WorkOrder("WO-3"), WorkOrder("WO-1"))
			return nil
		}, store.Stats{Technicians: 2, WorkOrders: 3}},
		{"a plan, twice", func() error {
			return errors.Join(s.PutPlan(ctx, "P1", []byte("x"), 0), s.PutPlan(ctx, "P1", []byte("y"), time.Hour))
		}, store.Stats{Technicians: 2, WorkOrders: 3, Plans: 1}},
		{"positions", func() error {
			update(t, s, Position("T1", denver, at(9)), "")
			update(t, s, Position("T1", denver, at(10)), "")
			return nil
		}, store.Stats{Technicians: 2, WorkOrders: 3, Plans: 1, Positions: 1}},
		{"deletes", func() error {
			return errors.Join(s.DeleteTechnician(ctx, "T1"), s.DeleteWorkOrder(ctx, "WO-2"))
		}, store.Stats{Technicians: 1, WorkOrders: 2, Plans: 1}},
	}
	for _, st := range steps {
		if err := st.do(); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		got, err := s.Stats(ctx)
		if err != nil || got != st.want {
			t.Errorf("%s: Stats = %+v, %v; want %+v", st.name, got, err, st.want)
		}
	}
}
