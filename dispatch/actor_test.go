package dispatch_test

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/dispatchd/dispatchd/auth"
	"github.com/dispatchd/dispatchd/dispatch"
	"github.com/dispatchd/dispatchd/model"
	"github.com/dispatchd/dispatchd/store"
)

// TestTechnicianActsForThemselves: an actor bound to a technician reads
// and moves only that technician's records, and moves orders only through
// the field statuses; whatever it is refused changes nothing.
func TestTechnicianActsForThemselves(t *testing.T) {
	stores(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		e.putTechnicians(t, technician("T1"), technician("T2"))
		mine := e.dispatched(t, "WO-1", "T1", at(10, 0))
		theirs := e.dispatched(t, "WO-2", "T2", at(13, 0))
		t1 := dispatch.Actor{KeyID: "k1", Name: "van 1", Technician: "T1"}
		before := e.snapshot(t)
		forbidden := []struct {
			name string
			call func() error
		}{
			{"another's order", func() error { _, err := e.svc.WorkOrder(ctx, theirs.ID, t1); return err }},
			{"another's schedule", func() error { _, err := e.svc.TechnicianSchedule(ctx, "T2", model.Date{}, t1); return err }},
			{"another's profile", func() error { _, err := e.svc.Technician(ctx, "T2", t1); return err }},
			{"another's position", func() error {
				_, err := e.svc.RecordPosition(ctx, model.Position{TechnicianID: "T2", Lat: 39.7, Lng: -105, At: e.now}, "", t1)
				return err
			}},
			{"another's orders listed", func() error {
				_, err := e.svc.WorkOrders(ctx, dispatch.OrderFilter{TechnicianID: "T2"}, t1)
				return err
			}},
			{"another's order moved", func() error {
				_, err := e.svc.SetStatus(ctx, theirs.ID, dispatch.StatusUpdate{Status: model.StatusAcknowledged}, t1)
				return err
			}},
			{"their own order cancelled", func() error {
				_, err := e.svc.SetStatus(ctx, mine.ID, dispatch.StatusUpdate{Status: model.StatusCancelled}, t1)
				return err
			}},
		}
		for _, f := range forbidden {
			if err := f.call(); model.KindOf(err) != model.ErrForbidden {
				t.Errorf("%s: %v, want forbidden", f.name, err)
			}
		}
		if after := e.snapshot(t); after != before {
			t.Errorf("refused requests changed the store:\nbefore %s\nafter  %s", before, after)
		}
		// Their own, they may.
		if _, err := e.svc.WorkOrder(ctx, mine.ID, t1); err != nil {
			t.Errorf("their own order: %v", err)
		}
		if _, err := e.svc.TechnicianSchedule(ctx, "T1", model.Date{}, t1); err != nil {
			t.Errorf("their own schedule: %v", err)
		}
		if applied, err := e.svc.RecordPosition(ctx, model.Position{TechnicianID: "T1", Lat: 39.7, Lng: -105, At: e.now}, "", t1); err != nil || !applied {
			t.Errorf("their own position: %v, %v", applied, err)
		}
		page, err := e.svc.WorkOrders(ctx, dispatch.OrderFilter{}, t1)
		if err != nil || len(page.WorkOrders) != 1 || page.WorkOrders[0].ID != mine.ID {
			t.Errorf("their list = %+v, %v; want only %s", page.WorkOrders, err, mine.ID)
		}
		got, err := e.svc.SetStatus(ctx, mine.ID, dispatch.StatusUpdate{Status: model.StatusAcknowledged}, t1)
		if err != nil || got.Status != model.StatusAcknowledged {
			t.Fatalf("acknowledging their own order: %+v, %v", got, err)
		}
		h, _ := e.store.History(ctx, mine.ID)
		if last := h[len(h)-1]; last.By != "van 1" || last.ByKey != "k1" {
			t.Errorf("the history names %q (%q), want the key's name and id", last.By, last.ByKey)
		}
	})
}

// TestKeyForAStoredTechnician: a technician key names a stored technician,
// is revoked with a revocation or the technician's deletion.
func TestKeyForAStoredTechnician(t *testing.T) {
	stores(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		e.putTechnicians(t, technician("T1"))
		admin := desk("admin")
		if _, _, err := e.svc.CreateKey(ctx, auth.Request{Role: auth.Technician, Name: "van 9", TechnicianID: "T9"}, admin); !slices.Equal(fields(err), []string{"technician_id"}) {
			t.Errorf("a key for no technician: %v, want technician_id refused", err)
		}
		key, token, err := e.svc.CreateKey(ctx, auth.Request{Role: auth.Technician, Name: "van 1", TechnicianID: "T1"}, admin)
		if err != nil {
			t.Fatal(err)
		}
		got, err := e.svc.Authenticate(ctx, token)
		if err != nil || got.ID != key.ID || dispatch.ActorOf(got).Technician != "T1" || key.CreatedBy != "admin" {
			t.Errorf("Authenticate = %+v, %v; want key %s bound to T1", got, err, key.ID)
		}
		if err := e.svc.RevokeKey(ctx, key.ID, admin); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.Authenticate(ctx, token); model.KindOf(err) != model.ErrUnauthenticated {
			t.Errorf("Authenticate after revoking: %v", err)
		}
		// Deleting a technician revokes their keys, and only theirs.
		_, phone, err := e.svc.CreateKey(ctx, auth.Request{Role: auth.Technician, Name: "van 1 again", TechnicianID: "T1"}, admin)
		if err != nil {
			t.Fatal(err)
		}
		_, desk, err := e.svc.CreateKey(ctx, auth.Request{Role: auth.Dispatcher, Name: "desk"}, admin)
		if err != nil {
			t.Fatal(err)
		}
		if err := e.svc.DeleteTechnician(ctx, "T1", admin); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.Authenticate(ctx, phone); model.KindOf(err) != model.ErrUnauthenticated {
			t.Errorf("the key of a deleted technician: %v", err)
		}
		if _, err := e.svc.Authenticate(ctx, desk); err != nil {
			t.Errorf("a dispatcher's key after a technician's deletion: %v", err)
		}
	})
}

// TestPlansPerKey: one key runs PerKey plans at once; another key still
// gets a slot, and the first key gets one again as soon as its plan ends.
func TestPlansPerKey(t *testing.T) {
	svc, err := dispatch.New(dispatch.Options{Store: store.NewMemory(), Logger: slog.New(slog.DiscardHandler),
		Plans: dispatch.PlanOptions{MaxRunning: 3, PerKey: 1}})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = svc.Shutdown(context.Background()) }()
	ctx := t.Context()
	req := func() *dispatch.PlanRequest {
		return &dispatch.PlanRequest{Problem: model.Problem{Technicians: []model.Technician{technician("T1")},
			WorkOrders: []model.WorkOrder{{ID: "W1", Location: model.LatLng(39.75, -104.98), Duration: 3600}}}, TimeLimit: 30}
	}
	a, b := desk("desk a"), desk("desk b")
	first, err := svc.StartPlan(ctx, req(), a)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.StartPlan(ctx, req(), a); !errors.Is(err, dispatch.ErrKeyBusy) || model.KindOf(err) != model.ErrBusy {
		t.Errorf("a second plan of one key: %v, want ErrKeyBusy", err)
	}
	other, err := svc.StartPlan(ctx, req(), b)
	if err != nil {
		t.Fatalf("another key's plan: %v", err)
	}
	first.Cancel()
	<-first.Done()
	again, err := svc.StartPlan(ctx, req(), a)
	if err != nil {
		t.Fatalf("the first key's next plan, once its first ended: %v", err)
	}
	for _, run := range []*dispatch.PlanRun{other, again} {
		run.Cancel()
		select {
		case <-run.Done():
		case <-time.After(10 * time.Second):
			t.Fatal("a cancelled plan did not end")
		}
	}
}
