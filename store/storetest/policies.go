package storetest

import (
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/dispatchd/dispatchd/model"
	"github.com/dispatchd/dispatchd/store"
)

// testPolicy is a valid policy that differs from the defaults in its
// travel weight.
func testPolicy(name string, travel float64) model.Policy {
	w := model.DefaultWeights()
	w.TravelTime = travel
	return model.Policy{Name: name, Description: "travel at " + fmt.Sprint(travel), Weights: w, ScoreScale: 120}
}

// book reads the policy book or fails the test.
func book(t *testing.T, s Store) store.PolicyBook {
	t.Helper()
	b, err := s.PolicyBook(t.Context())
	if err != nil {
		t.Fatalf("PolicyBook: %v", err)
	}
	return b
}

func testPolicyBookEmpty(t *testing.T, s Store) {
	b := book(t, s)
	if len(b.Policies) != 0 || b.Active != "" || b.Revision != 0 {
		t.Errorf("a new store's policy book = %+v, want empty at revision 0", b)
	}
	h, err := s.PolicyHistory(t.Context(), 0)
	if err != nil || len(h) != 0 {
		t.Errorf("a new store's policy history = %v, %v; want none", h, err)
	}
}

func testPolicyBookWrites(t *testing.T, s Store) {
	ctx := t.Context()
	at := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	slow, fast := testPolicy("slow", 4), testPolicy("fast", 0.5)
	err := s.Commit(ctx, store.Change{
		Guards:    []store.Guard{{Key: store.PoliciesKey, Rev: 0}},
		Policies:  []model.Policy{slow, fast},
		Activate:  "slow",
		PolicyLog: []model.PolicyChange{{At: at, Action: model.PolicyCreated, Name: "slow", By: "op", To: &slow}, {At: at, Action: model.PolicyCreated, Name: "fast", By: "op", To: &fast}},
		Events:    []model.Event{{Type: model.EventPolicyUpdated, At: at, Policy: &model.PolicyChange{At: at, Action: model.PolicyCreated, Name: "slow", By: "op", To: &slow}}},
	})
	if err != nil {
		t.Fatalf("Commit of two policies: %v", err)
	}
	b := book(t, s)
	if want := []model.Policy{fast, slow}; !reflect.DeepEqual(b.Policies, want) || b.Active != "slow" || b.Revision != 1 {
		t.Fatalf("book = %+v, want %+v sorted by name, slow active, at revision 1", b, want)
	}
	if r := revs(t, s, store.PoliciesKey)[0]; r != b.Revision {
		t.Errorf("Revisions(PoliciesKey) = %d, the book says %d", r, b.Revision)
	}
	events := readAll(t, s, "").Events
	if len(events) != 1 || events[0].Type != model.EventPolicyUpdated || events[0].Policy == nil || !reflect.DeepEqual(events[0].Policy.To, &slow) {
		t.Errorf("events = %+v, want the one policy.updated with its policy", events)
	}

	// Replace one, delete the other, activate: one revision more.
	slower := testPolicy("slow", 8)
	err = s.Commit(ctx, store.Change{
		Guards:         []store.Guard{{Key: store.PoliciesKey, Rev: 1}},
		Policies:       []model.Policy{slower},
		DeletePolicies: []string{"fast"},
		PolicyLog:      []model.PolicyChange{{At: at.Add(time.Minute), Action: model.PolicyUpdated, Name: "slow", By: "op2", ByKey: "K2", From: &slow, To: &slower, Active: true}},
	})
	if err != nil {
		t.Fatalf("Commit replacing slow and deleting fast: %v", err)
	}
	b = book(t, s)
	if want := []model.Policy{slower}; !reflect.DeepEqual(b.Policies, want) || b.Active != "slow" || b.Revision != 2 {
		t.Errorf("book = %+v, want only the new slow, still active, at revision 2", b)
	}
	h, err := s.PolicyHistory(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(h) != 3 || h[0].Seq != 1 || h[2].Seq != 3 || h[2].Name != "slow" || h[2].By != "op2" || h[2].ByKey != "K2" ||
		!reflect.DeepEqual(h[2].From, &slow) || !reflect.DeepEqual(h[2].To, &slower) || !h[2].Active || !h[2].At.Equal(at.Add(time.Minute)) {
		t.Errorf("history = %+v, want three entries numbered 1..3, the last the replacement with who, when, from and to", h)
	}
	// A commit that writes no policy leaves the book's revision alone.
	if err := s.Commit(ctx, store.Change{Raise: []string{"elsewhere"}}); err != nil {
		t.Fatal(err)
	}
	if r := book(t, s).Revision; r != 2 {
		t.Errorf("revision after a commit that writes no policy = %d, want 2", r)
	}
	// What the reader got is its own.
	b.Policies[0].Weights.TravelTime = 99
	h[2].To.Weights.TravelTime = 99
	if again := book(t, s); again.Policies[0].Weights.TravelTime != 8 {
		t.Errorf("changing a read policy changed the store: %v", again.Policies[0].Weights.TravelTime)
	}
	if again, _ := s.PolicyHistory(ctx, 0); again[2].To.Weights.TravelTime != 8 {
		t.Errorf("changing a read history entry changed the store")
	}
}

func testPolicyBookStaleWritesNothing(t *testing.T, s Store) {
	ctx := t.Context()
	p := testPolicy("p", 2)
	if err := s.Commit(ctx, store.Change{Policies: []model.Policy{p}, Activate: "p"}); err != nil {
		t.Fatal(err)
	}
	before := book(t, s)
	q := testPolicy("q", 3)
	err := s.Commit(ctx, store.Change{
		Guards:         []store.Guard{{Key: store.PoliciesKey, Rev: before.Revision - 1}},
		Policies:       []model.Policy{q},
		DeletePolicies: []string{"p"},
		Activate:       "q",
		PolicyLog:      []model.PolicyChange{{Action: model.PolicyCreated, Name: "q", By: "op", To: &q}},
		Events:         []model.Event{{Type: model.EventPolicyActivated, Policy: &model.PolicyChange{Name: "q"}}},
	})
	if !errors.Is(err, store.ErrStale) {
		t.Fatalf("Commit on an old book revision = %v, want ErrStale", err)
	}
	if after := book(t, s); !reflect.DeepEqual(after, before) {
		t.Errorf("book after a refused commit = %+v, want %+v", after, before)
	}
	if h, _ := s.PolicyHistory(ctx, 0); len(h) != 0 {
		t.Errorf("history after a refused commit = %v, want none", h)
	}
	if ev := readAll(t, s, "").Events; len(ev) != 0 {
		t.Errorf("events after a refused commit = %v, want none", ev)
	}
}

func testPolicyHistoryLimit(t *testing.T, s Store) {
	ctx := t.Context()
	for i := range 5 {
		p := testPolicy(fmt.Sprintf("p%d", i), float64(i+1))
		if err := s.Commit(ctx, store.Change{Policies: []model.Policy{p},
			PolicyLog: []model.PolicyChange{{Action: model.PolicyCreated, Name: p.Name, By: "op", To: &p}}}); err != nil {
			t.Fatal(err)
		}
	}
	for _, tt := range []struct {
		limit     int
		first, n  int
		firstName string
	}{{0, 1, 5, "p0"}, {-1, 1, 5, "p0"}, {2, 4, 2, "p3"}, {5, 1, 5, "p0"}, {9, 1, 5, "p0"}} {
		h, err := s.PolicyHistory(ctx, tt.limit)
		if err != nil {
			t.Fatal(err)
		}
		if len(h) != tt.n || h[0].Seq != tt.first || h[0].Name != tt.firstName || h[len(h)-1].Seq != 5 {
			t.Errorf("PolicyHistory(%d) = %d entries from seq %d (%s), want %d from %d (%s) to 5", tt.limit, len(h), h[0].Seq, h[0].Name, tt.n, tt.first, tt.firstName)
		}
	}
}

// testConcurrentPolicyWriters has writers each read the book and replace
// one policy guarded by its revision, as the dispatch layer does: every
// winner's update is in the history, and the book's revision counts them.
func testConcurrentPolicyWriters(t *testing.T, s Store) {
	ctx := t.Context()
	start := make(chan struct{})
	var wg sync.WaitGroup
	var mu sync.Mutex
	won := 0
	for i := range 30 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			for {
				b, err := s.PolicyBook(ctx)
				if err != nil {
					t.Error(err)
					return
				}
				p := testPolicy("shared", float64(i+1))
				err = s.Commit(ctx, store.Change{Guards: []store.Guard{{Key: store.PoliciesKey, Rev: b.Revision}}, Policies: []model.Policy{p},
					PolicyLog: []model.PolicyChange{{Action: model.PolicyUpdated, Name: "shared", By: fmt.Sprint(i), To: &p}}})
				if errors.Is(err, store.ErrStale) {
					continue
				}
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				won++
				mu.Unlock()
				return
			}
		}()
	}
	close(start)
	wg.Wait()
	b := book(t, s)
	h, _ := s.PolicyHistory(ctx, 0)
	if won != 30 || b.Revision != 30 || len(h) != 30 {
		t.Fatalf("%d writers won, revision %d, %d history entries; want 30 of each", won, b.Revision, len(h))
	}
	if last := h[len(h)-1]; len(b.Policies) != 1 || !reflect.DeepEqual(&b.Policies[0], last.To) {
		t.Errorf("the stored policy %+v is not the last writer's %+v: an update was lost", b.Policies, last.To)
	}
}

func testPolicyChangeErrors(t *testing.T, s Store) {
	p := testPolicy("p", 1)
	for name, c := range map[string]store.Change{
		"unnamed policy":          {Policies: []model.Policy{{}}},
		"policy written twice":    {Policies: []model.Policy{p, p}},
		"written and deleted":     {Policies: []model.Policy{p}, DeletePolicies: []string{"p"}},
		"unnamed delete":          {DeletePolicies: []string{""}},
		"unnamed history":         {PolicyLog: []model.PolicyChange{{Action: model.PolicyCreated}}},
		"unknown event of a book": {Policies: []model.Policy{p}, Events: []model.Event{{Type: "policy.renamed"}}},
	} {
		if err := s.Commit(t.Context(), c); err == nil || errors.Is(err, store.ErrStale) {
			t.Errorf("Commit of a change with an %s = %v, want an error", name, err)
		}
	}
	if b := book(t, s); len(b.Policies) != 0 || b.Revision != 0 {
		t.Errorf("book after refused changes = %+v, want empty", b)
	}
}
