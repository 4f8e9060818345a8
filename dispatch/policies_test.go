package dispatch_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dispatchd/dispatchd/dispatch"
	"github.com/dispatchd/dispatchd/model"
	"github.com/dispatchd/dispatchd/solver"
)

// operator is an actor of an operator's key, named name.
func operator(name string) dispatch.Actor { return dispatch.Actor{KeyID: "key-" + name, Name: name} }

// policyWith is a valid policy: the defaults with one weight changed.
func policyWith(name string, change func(w *model.Weights)) model.Policy {
	w := model.DefaultWeights()
	if change != nil {
		change(&w)
	}
	return model.Policy{Name: name, Weights: w}
}

// bookState is everything the store holds about policies, and the events
// it logged, as JSON, so that a test can tell a refusal changed nothing.
func (e *env) bookState(t *testing.T) string {
	t.Helper()
	b, err := e.store.PolicyBook(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	h, err := e.store.PolicyHistory(t.Context(), 0)
	if err != nil {
		t.Fatal(err)
	}
	data, err := json.Marshal(map[string]any{"book": b, "history": h, "events": len(e.logged(t))})
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// TestPolicyValidation puts bad policies and checks that each is refused
// naming its field, and that nothing changed: not the book, not its
// history, no event.
func TestPolicyValidation(t *testing.T) {
	stores(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		if _, _, err := e.svc.PutPolicy(ctx, "keep", policyWith("", func(w *model.Weights) { w.Lateness = 80 }), operator("ops")); err != nil {
			t.Fatal(err)
		}
		before := e.bookState(t)
		for _, tt := range []struct {
			name   string
			path   string
			policy model.Policy
			field  string
		}{
			{"negative weight", "keep", policyWith("", func(w *model.Weights) { w.TravelTime = -1 }), "weights.travel_time"},
			{"NaN", "keep", policyWith("", func(w *model.Weights) { w.Lateness = math.NaN() }), "weights.lateness"},
			{"infinite", "keep", policyWith("", func(w *model.Weights) { w.Overtime = math.Inf(1) }), "weights.overtime"},
			{"too large", "keep", policyWith("", func(w *model.Weights) { w.Unassigned = 1e300 }), "weights.unassigned"},
			{"every weight zero", "keep", model.Policy{}, "weights"},
			{"priority alone", "keep", model.Policy{Weights: model.Weights{Priority: 5}}, "weights"},
			{"negative score scale", "keep", model.Policy{Weights: model.DefaultWeights(), ScoreScale: -1}, "score_scale"},
			{"description too long", "keep", model.Policy{Weights: model.DefaultWeights(), Description: strings.Repeat("x", model.MaxDescription+1)}, "description"},
			{"description not UTF-8", "keep", model.Policy{Weights: model.DefaultWeights(), Description: "\xff"}, "description"},
			{"name disagrees", "keep", policyWith("other", nil), "name"},
			{"bad name", "a b", policyWith("", nil), "name"},
			{"empty name", "", policyWith("", nil), "name"},
			{"reserved name", "history", policyWith("", nil), "name"},
		} {
			_, _, err := e.svc.PutPolicy(ctx, tt.path, tt.policy, operator("ops"))
			if model.KindOf(err) != model.ErrInvalid || !slices.Contains(fields(err), tt.field) {
				t.Errorf("%s: %v (fields %v), want invalid naming %s", tt.name, err, fields(err), tt.field)
			}
			if after := e.bookState(t); after != before {
				t.Errorf("%s changed the book:\n%s\nwas\n%s", tt.name, after, before)
			}
		}
		for _, tt := range []struct {
			name    string
			weights model.Weights
			field   string
		}{
			{"negative", model.Weights{TravelTime: -1, Lateness: 1}, "travel_time"},
			{"all zero", model.Weights{}, ""},
		} {
			if _, err := e.svc.PutActiveWeights(ctx, tt.weights, operator("ops")); model.KindOf(err) != model.ErrInvalid || !slices.Contains(fields(err), tt.field) {
				t.Errorf("weights %s: %v, want invalid naming %q", tt.name, err, tt.field)
			}
			if after := e.bookState(t); after != before {
				t.Errorf("weights %s changed the book", tt.name)
			}
		}
		// Refusals of the state: a conflict or not found, nothing changed.
		if _, err := e.svc.ActivatePolicy(ctx, "keep", operator("ops")); err != nil {
			t.Fatal(err)
		}
		before = e.bookState(t)
		for _, tt := range []struct {
			name string
			do   func() error
			kind model.ErrorKind
		}{
			{"delete the default", func() error { return e.svc.DeletePolicy(ctx, "default", operator("ops")) }, model.ErrConflict},
			{"delete the active", func() error { return e.svc.DeletePolicy(ctx, "keep", operator("ops")) }, model.ErrConflict},
			{"delete unknown", func() error { return e.svc.DeletePolicy(ctx, "gone", operator("ops")) }, model.ErrNotFound},
			{"activate unknown", func() error { _, err := e.svc.ActivatePolicy(ctx, "gone", operator("ops")); return err }, model.ErrNotFound},
			{"load an unknown active", func() error {
				return e.svc.LoadPolicies(ctx, []model.Policy{policyWith("new", nil)}, "gone", operator("serve"), "test")
			}, model.ErrInvalid},
			{"load one bad of two", func() error {
				return e.svc.LoadPolicies(ctx, []model.Policy{policyWith("new", nil), {Name: "bad"}}, "", operator("serve"), "test")
			}, model.ErrInvalid},
			{"load a name twice", func() error {
				return e.svc.LoadPolicies(ctx, []model.Policy{policyWith("new", nil), policyWith("new", nil)}, "", operator("serve"), "test")
			}, model.ErrInvalid},
		} {
			if err := tt.do(); model.KindOf(err) != tt.kind {
				t.Errorf("%s: %v, want %s", tt.name, err, tt.kind)
			}
			if after := e.bookState(t); after != before {
				t.Errorf("%s changed the book:\n%s\nwas\n%s", tt.name, after, before)
			}
		}
	})
}

// TestPolicyChangesRecorded makes every kind of change and checks its
// history entry (who, when, from, to) and its event; changes that change
// nothing record nothing.
func TestPolicyChangesRecorded(t *testing.T) {
	stores(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		ops := operator("ops lead")
		fast := policyWith("", func(w *model.Weights) { w.TravelTime = 4 })
		got, created, err := e.svc.PutPolicy(ctx, "fast", fast, ops)
		if err != nil || !created || got.Name != "fast" || got.ScoreScale != model.DefaultScoreScale {
			t.Fatalf("PutPolicy = %+v, %v, %v; want fast created with the default scale made explicit", got, created, err)
		}
		if _, created, err := e.svc.PutPolicy(ctx, "fast", fast, ops); err != nil || created {
			t.Fatalf("putting the same policy again: created %v, %v", created, err)
		}
		if _, err := e.svc.ActivatePolicy(ctx, "fast", ops); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.ActivatePolicy(ctx, "fast", ops); err != nil {
			t.Fatalf("activating the active policy: %v", err)
		}
		e.now = e.now.Add(time.Minute)
		w := fast.Weights
		w.TravelTime = 6
		if p, err := e.svc.PutActiveWeights(ctx, w, operator("ops 2")); err != nil || p.Name != "fast" || p.Weights.TravelTime != 6 {
			t.Fatalf("PutActiveWeights = %+v, %v", p, err)
		}
		if _, err := e.svc.ActivatePolicy(ctx, "default", ops); err != nil {
			t.Fatal(err)
		}
		if err := e.svc.DeletePolicy(ctx, "fast", ops); err != nil {
			t.Fatal(err)
		}
		h, err := e.svc.PolicyHistory(ctx, 0)
		if err != nil {
			t.Fatal(err)
		}
		type row struct {
			action       model.PolicyAction
			name, by     string
			from, to     string // names, "" for none
			active       bool
			travelBefore float64
		}
		want := []row{
			{model.PolicyCreated, "fast", "ops lead", "", "fast", false, 0},
			{model.PolicyActivated, "fast", "ops lead", "default", "fast", true, 1},
			{model.PolicyUpdated, "fast", "ops 2", "fast", "fast", true, 4},
			{model.PolicyActivated, "default", "ops lead", "fast", "default", true, 6},
			{model.PolicyDeleted, "fast", "ops lead", "fast", "", false, 6},
		}
		if len(h) != len(want) {
			t.Fatalf("history has %d entries, want %d: %+v", len(h), len(want), h)
		}
		name := func(p *model.Policy) string {
			if p == nil {
				return ""
			}
			return p.Name
		}
		for i, c := range h {
			wr := want[i]
			got := row{c.Action, c.Name, c.By, name(c.From), name(c.To), c.Active, 0}
			if c.From != nil {
				got.travelBefore = c.From.Weights.TravelTime
			}
			if got != wr || c.Seq != i+1 || c.ByKey != "key-"+c.By || c.At.IsZero() {
				t.Errorf("history[%d] = %+v (seq %d, key %q, at %v), want %+v", i, got, c.Seq, c.ByKey, c.At, wr)
			}
		}
		if !h[2].At.Equal(at(7, 1)) {
			t.Errorf("the update is recorded at %v, want the service's clock %v", h[2].At, at(7, 1))
		}
		var types []string
		for _, ev := range e.logged(t) {
			types = append(types, string(ev.Type))
			if ev.Policy == nil || ev.Actor == "" || ev.ActorKey == "" || len(ev.TechnicianIDs) != 0 {
				t.Errorf("event %+v: want its change, its actor and no technicians", ev)
			}
		}
		if w := "policy.updated policy.activated policy.updated policy.activated policy.deleted"; strings.Join(types, " ") != w {
			t.Errorf("events %v, want %s", types, w)
		}
	})
}

// TestActivePolicyPrices checks that the active policy prices stored
// suggestions and plans, that a request may name another policy or carry
// weights for itself without changing the active one, and that both
// together, or an unknown name, are refused naming "policy".
func TestActivePolicyPrices(t *testing.T) {
	stores(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		e.putTechnicians(t, technician("T1"))
		w := e.create(t, intake())
		cost := func(what string, c dispatch.PolicyChoice) float64 {
			t.Helper()
			out, err := e.svc.Suggestions(ctx, w.ID, c, solver.SuggestOptions{Limit: 1})
			if err != nil || len(out.Candidates) != 1 {
				t.Fatalf("%s: %+v, %v", what, out, err)
			}
			return out.Candidates[0].Cost
		}
		base := cost("default", dispatch.PolicyChoice{})
		if _, _, err := e.svc.PutPolicy(ctx, "dear", policyWith("", func(w *model.Weights) { w.TravelTime = 10 }), operator("ops")); err != nil {
			t.Fatal(err)
		}
		if c := cost("unchanged", dispatch.PolicyChoice{}); c != base {
			t.Errorf("putting an inactive policy moved the cost %v -> %v", base, c)
		}
		named := cost("named", dispatch.PolicyChoice{Name: "dear"})
		if named <= base {
			t.Errorf("cost %v under dear, %v under the default: want driving at 10 to cost more", named, base)
		}
		own := model.DefaultWeights()
		own.TravelTime = 10
		if c := cost("own weights", dispatch.PolicyChoice{Weights: &own}); c != named {
			t.Errorf("cost %v with the request's own weights, %v under the same policy by name", c, named)
		}
		if _, err := e.svc.ActivatePolicy(ctx, "dear", operator("ops")); err != nil {
			t.Fatal(err)
		}
		if c := cost("active", dispatch.PolicyChoice{}); c != named {
			t.Errorf("cost %v under the active dear, %v when named", c, named)
		}
		if c := cost("default named", dispatch.PolicyChoice{Name: "default"}); c != base {
			t.Errorf("cost %v naming the default while dear is active, want %v", c, base)
		}
		for _, c := range []dispatch.PolicyChoice{{Name: "gone"}, {Name: "dear", Weights: &own}} {
			if _, err := e.svc.Suggestions(ctx, w.ID, c, solver.SuggestOptions{}); !slices.Contains(fields(err), "policy") {
				t.Errorf("Suggestions with %+v: %v, want invalid naming policy", c, err)
			}
			if _, err := e.svc.StoredDay(ctx, e.now, c); !slices.Contains(fields(err), "policy") {
				t.Errorf("StoredDay with %+v: %v, want invalid naming policy", c, err)
			}
			req := dispatch.PlanRequest{Problem: model.Problem{Technicians: []model.Technician{technician("T1")}, Weights: c.Weights}, Policy: c.Name, Iterations: 10}
			if _, err := e.svc.StartPlan(ctx, &req, desk("desk 3")); !slices.Contains(fields(err), "policy") {
				t.Errorf("StartPlan with %+v: %v, want invalid naming policy", c, err)
			}
		}
		if p, _ := e.svc.ActivePolicy(ctx); p.Name != "dear" {
			t.Errorf("the active policy is %s after requests named others, want dear", p.Name)
		}

		// A plan of the stored day is priced by the active policy, and says
		// so; one naming the default by the default.
		rec := e.planDay(t, dispatch.PlanRequest{})
		if rec.Policy != "dear" || rec.ObjectiveTerms.TravelTime != 10*rec.Measures.TravelTime || rec.Measures.TravelTime == 0 {
			t.Errorf("stored-day plan priced by %q: travel term %v for %v minutes, want dear's 10 a minute", rec.Policy, rec.ObjectiveTerms.TravelTime, rec.Measures.TravelTime)
		}
		rec = e.planDay(t, dispatch.PlanRequest{Policy: "default"})
		if rec.Policy != "default" || rec.ObjectiveTerms.TravelTime != rec.Measures.TravelTime {
			t.Errorf("plan naming the default priced by %q: travel term %v for %v minutes", rec.Policy, rec.ObjectiveTerms.TravelTime, rec.Measures.TravelTime)
		}
		rec = e.planDay(t, dispatch.PlanRequest{Problem: model.Problem{Weights: &own}})
		if rec.Policy != "" || rec.ObjectiveTerms.TravelTime != 10*rec.Measures.TravelTime {
			t.Errorf("plan with its own weights records policy %q, travel term %v for %v", rec.Policy, rec.ObjectiveTerms.TravelTime, rec.Measures.TravelTime)
		}
	})
}

// TestPolicyAcrossReplicas runs two services on one store: a policy
// activated or replaced through one prices the next request of the other,
// and operators writing through both at once lose no update.
func TestPolicyAcrossReplicas(t *testing.T) {
	stores(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		other, err := dispatch.New(dispatch.Options{Store: e.store, Clock: func() time.Time { return e.now }, Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = other.Shutdown(context.Background()) })
		e.putTechnicians(t, technician("T1"))
		w := e.create(t, intake())
		cost := func(svc *dispatch.Service) float64 {
			out, err := svc.Suggestions(ctx, w.ID, dispatch.PolicyChoice{}, solver.SuggestOptions{Limit: 1})
			if err != nil || len(out.Candidates) != 1 {
				t.Fatalf("Suggestions: %+v, %v", out, err)
			}
			return out.Candidates[0].Cost
		}
		base := cost(other) // warms other's caches of the day and the book
		if _, _, err := e.svc.PutPolicy(ctx, "dear", policyWith("", func(w *model.Weights) { w.TravelTime = 10 }), operator("ops")); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.ActivatePolicy(ctx, "dear", operator("ops")); err != nil {
			t.Fatal(err)
		}
		dear := cost(other)
		if dear <= base {
			t.Errorf("the other replica's cost %v after dear was activated, %v before", dear, base)
		}
		ww := model.DefaultWeights()
		ww.TravelTime = 20
		if _, err := e.svc.PutActiveWeights(ctx, ww, operator("ops")); err != nil {
			t.Fatal(err)
		}
		if dearer := cost(other); dearer <= dear {
			t.Errorf("the other replica's cost %v after the active weights rose, %v before", dearer, dear)
		}

		// 20 writers on two replicas, each replacing the weights of the
		// active policy and putting a policy of its own.
		var wg sync.WaitGroup
		for i := range 20 {
			svc := []*dispatch.Service{e.svc, other}[i%2]
			wg.Go(func() {
				w := model.DefaultWeights()
				w.Lateness = float64(100 + i)
				if _, err := svc.PutActiveWeights(ctx, w, operator(fmt.Sprint("op ", i))); err != nil {
					t.Error(err)
				}
				if _, _, err := svc.PutPolicy(ctx, fmt.Sprint("p", i), model.Policy{Weights: w}, operator(fmt.Sprint("op ", i))); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		book, err := other.Policies(ctx)
		if err != nil {
			t.Fatal(err)
		}
		h, err := e.svc.PolicyHistory(ctx, 0)
		if err != nil {
			t.Fatal(err)
		}
		// default, dear and the 20; five changes before, 40 after.
		if len(book.Policies) != 22 || len(h) != 2+1+40 {
			t.Fatalf("%d policies and %d changes, want 22 and 43", len(book.Policies), len(h))
		}
		last := h[len(h)-1]
		for i := len(h) - 1; last.Name != "dear"; i-- {
			last = h[i]
		}
		active, _ := other.ActivePolicy(ctx)
		if active.Name != "dear" || active != *last.To {
			t.Errorf("the active policy %+v is not the last update's %+v: an update was lost", active, last.To)
		}
		// Every update of dear starts from the one before it.
		var prev *model.Policy
		for _, c := range h {
			if c.Name != "dear" || c.Action != model.PolicyUpdated {
				continue
			}
			if prev != nil && *c.From != *prev {
				t.Errorf("an update of dear by %s starts from %+v, not from the update before, %+v", c.By, c.From.Weights, prev.Weights)
			}
			prev = c.To
		}
	})
}
