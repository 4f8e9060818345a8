package dispatch_test

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/dispatchd/dispatchd/dispatch"
	"github.com/dispatchd/dispatchd/model"
	"github.com/dispatchd/dispatchd/store"
)

func TestCreateWorkOrder(t *testing.T) {
	stores(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		first := e.create(t, intake())
		in := intake()
		in.SiteID = "S2"
		second := e.create(t, in)
		if first.ID != "WO-1" || second.ID != "WO-2" {
			t.Errorf("generated ids %s, %s; want WO-1, WO-2", first.ID, second.ID)
		}
		if first.Status != model.StatusCreated || first.CreatedAt == nil || !first.CreatedAt.Equal(e.now) {
			t.Errorf("created order: status %q, created_at %v; want created at %v", first.Status, first.CreatedAt, e.now)
		}
		got, err := e.svc.WorkOrder(ctx, "WO-1", dispatch.Actor{})
		if err != nil {
			t.Fatal(err)
		}
		if got.AccessInstructions != "gate code 4411" || got.CustomerName != "Acme" || got.RequiredSkills["hvac"] != 2 {
			t.Errorf("stored order lost intake fields: %+v", got)
		}
		h, err := e.svc.History(ctx, "WO-1")
		if err != nil {
			t.Fatal(err)
		}
		if len(h) != 1 || h[0].Action != model.HistoryCreated || h[0].By != "desk 3" || !h[0].At.Equal(e.now) {
			t.Errorf("history of a new order: %+v", h)
		}

		// The caller's own id, then the same id again.
		in.ID, in.SiteID = "TICKET-7", "S3"
		if w := e.create(t, in); w.ID != "TICKET-7" {
			t.Errorf("id %s, want the caller's TICKET-7", w.ID)
		}
		in.SiteID = "S4"
		var exists *dispatch.ExistsError
		if _, err := e.svc.CreateWorkOrder(ctx, in, desk("x")); !errors.As(err, &exists) || model.KindOf(err) != model.ErrConflict {
			t.Errorf("creating TICKET-7 twice: %v, want an ExistsError (conflict)", err)
		}
		// A number taken by hand is skipped.
		in.ID, in.SiteID = "WO-3", "S5"
		e.create(t, in)
		in.ID, in.SiteID = "", "S6"
		if w := e.create(t, in); w.ID != "WO-4" {
			t.Errorf("next generated id %s, want WO-4 after WO-3 was taken by hand", w.ID)
		}
	})
}

func TestCreateWorkOrderRefusesBadIntake(t *testing.T) {
	stores(t, func(t *testing.T, e *env) {
		before := e.snapshot(t)
		in := intake()
		in.Duration = 0
		in.Priority = "urgent"
		in.Location = model.Location{Index: ptr(3)}
		in.TimeWindows = []model.TimeWindow{{Start: at(12, 0), End: at(10, 0)}}
		_, err := e.svc.CreateWorkOrder(t.Context(), in, desk("x"))
		var ve *model.ValidationError
		if !errors.As(err, &ve) {
			t.Fatalf("bad intake: %v, want a ValidationError", err)
		}
		var got []string
		for _, fe := range ve.Errors {
			got = append(got, fe.Field)
		}
		for _, want := range []string{"duration_s", "priority", "location.location_index", "time_windows[0].end"} {
			if !slices.Contains(got, want) {
				t.Errorf("errors name %q, want %s among them", got, want)
			}
		}
		if after := e.snapshot(t); after != before {
			t.Errorf("a refused intake changed the store:\n%s\n%s", before, after)
		}
	})
}

func TestDuplicateDetection(t *testing.T) {
	base := intake() // S1, RTU-1, repair, 10:00–12:00
	for _, tc := range []struct {
		name     string
		existing func(*dispatch.Intake)
		status   model.Status
		dup      bool
	}{
		{"same equipment, overlapping window", func(in *dispatch.Intake) {
			in.TimeWindows = []model.TimeWindow{{Start: at(11, 0), End: at(13, 0)}}
		}, "", true},
		{"same equipment, windows apart", func(in *dispatch.Intake) {
			in.TimeWindows = []model.TimeWindow{{Start: at(13, 0), End: at(15, 0)}}
		}, "", false},
		{"other equipment", func(in *dispatch.Intake) { in.EquipmentID = "RTU-2" }, "", false},
		{"other site", func(in *dispatch.Intake) { in.SiteID = "S9" }, "", false},
		{"same equipment, no window, same day by deadline", func(in *dispatch.Intake) {
			in.TimeWindows, in.SLADeadline = nil, ptr(at(16, 0))
		}, "", true},
		{"same equipment, no window, other day", func(in *dispatch.Intake) {
			in.TimeWindows, in.SLADeadline = nil, ptr(at(16, 0).AddDate(0, 0, 2))
		}, "", false},
		{"same equipment but complete", func(*dispatch.Intake) {}, model.StatusComplete, false},
		{"same equipment but cancelled", func(*dispatch.Intake) {}, model.StatusCancelled, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stores(t, func(t *testing.T, e *env) {
				ctx := t.Context()
				old := base
				tc.existing(&old)
				first := e.create(t, old)
				switch tc.status {
				case model.StatusCancelled:
					if _, err := e.svc.SetStatus(ctx, first.ID, dispatch.StatusUpdate{Status: model.StatusCancelled}, desk("x")); err != nil {
						t.Fatal(err)
					}
				case model.StatusComplete:
					first.Status = model.StatusComplete
					putRaw(t, e, first)
				}
				before := e.snapshot(t)
				_, err := e.svc.CreateWorkOrder(ctx, base, desk("desk 3"))
				var dup *dispatch.DuplicateError
				switch {
				case tc.dup && (!errors.As(err, &dup) || len(dup.Existing) != 1 || dup.Existing[0].ID != first.ID):
					t.Fatalf("CreateWorkOrder = %v, want a DuplicateError naming %s", err, first.ID)
				case tc.dup && model.KindOf(err) != model.ErrConflict:
					t.Errorf("a duplicate is of kind %q, want conflict", model.KindOf(err))
				case tc.dup && e.snapshot(t) != before:
					t.Error("a refused duplicate changed the store")
				case !tc.dup && err != nil:
					t.Fatalf("CreateWorkOrder = %v, want it created", err)
				}
				if !tc.dup {
					return
				}
				allowed := base
				allowed.AllowDuplicate = true
				w, err := e.svc.CreateWorkOrder(ctx, allowed, desk("desk 4"))
				if err != nil {
					t.Fatalf("allow_duplicate: %v", err)
				}
				h, _ := e.svc.History(ctx, w.ID)
				if len(h) != 1 || !slices.Equal(h[0].DuplicateOf, []string{first.ID}) || h[0].By != "desk 4" {
					t.Errorf("history of an allowed duplicate: %+v, want it to name %s", h, first.ID)
				}
			})
		})
	}
}

// TestConcurrentDuplicates creates the same order 20 times at once: one
// is created, every other one is told it duplicates that one.
func TestConcurrentDuplicates(t *testing.T) {
	stores(t, func(t *testing.T, e *env) {
		var wg sync.WaitGroup
		var mu sync.Mutex
		var created []string
		dups := 0
		for i := range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				w, err := e.svc.CreateWorkOrder(t.Context(), intake(), desk(fmt.Sprintf("desk %d", i)))
				mu.Lock()
				defer mu.Unlock()
				var dup *dispatch.DuplicateError
				switch {
				case err == nil:
					created = append(created, w.ID)
				case errors.As(err, &dup):
					dups++
				default:
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		if len(created) != 1 || dups != 19 {
			t.Errorf("%d created (%v), %d duplicates; want 1 and 19", len(created), created, dups)
		}
	})
}

// putRaw stores an order as it is, for a test's starting state.
func putRaw(t *testing.T, e *env, w model.WorkOrder) {
	t.Helper()
	if err := e.store.Commit(t.Context(), store.Change{Orders: []model.WorkOrder{w}}); err != nil {
		t.Fatal(err)
	}
}

// TestUpdateDuplicateDetection: a patch that moves an order to another
// site, equipment or job type is checked for duplicates as an intake is —
// refused naming the likely duplicates, changing nothing, unless it
// allows the duplicate, which the history records — and a patch of other
// fields of an order already allowed as a duplicate is not refused again.
func TestUpdateDuplicateDetection(t *testing.T) {
	for _, tc := range []struct {
		name  string
		mine  func(*dispatch.Intake)
		patch map[string][]byte
		dup   bool
	}{
		{"site moved onto the same equipment", func(in *dispatch.Intake) { in.SiteID = "S9" }, map[string][]byte{"site_id": []byte(`"S1"`)}, true},
		{"equipment changed to the same", func(in *dispatch.Intake) { in.EquipmentID = "RTU-2" }, map[string][]byte{"equipment_id": []byte(`"RTU-1"`)}, true},
		{"job type changed to the same, no equipment", func(in *dispatch.Intake) { in.EquipmentID, in.JobType = "", "install" },
			map[string][]byte{"job_type": []byte(`"repair"`)}, true},
		{"equipment changed to another", func(in *dispatch.Intake) { in.EquipmentID = "RTU-2" }, map[string][]byte{"equipment_id": []byte(`"RTU-3"`)}, false},
		{"site moved elsewhere", func(in *dispatch.Intake) { in.SiteID = "S9" }, map[string][]byte{"site_id": []byte(`"S8"`)}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stores(t, func(t *testing.T, e *env) {
				ctx := t.Context()
				first := intake() // S1, RTU-1, repair, 10:00–12:00
				if tc.name == "job type changed to the same, no equipment" {
					first.EquipmentID = ""
				}
				existing := e.create(t, first)
				in := intake()
				tc.mine(&in)
				mine := e.create(t, in)
				before := e.snapshot(t)
				_, err := e.svc.UpdateWorkOrder(ctx, mine.ID, dispatch.Update{Patch: patchOf(tc.patch)}, desk("desk 5"))
				var dup *dispatch.DuplicateError
				switch {
				case !tc.dup && err != nil:
					t.Fatalf("UpdateWorkOrder = %v, want it changed", err)
				case !tc.dup:
					return
				case !errors.As(err, &dup) || len(dup.Existing) != 1 || dup.Existing[0].ID != existing.ID:
					t.Fatalf("UpdateWorkOrder = %v, want a DuplicateError naming %s", err, existing.ID)
				case e.snapshot(t) != before:
					t.Fatal("a patch refused as a duplicate changed the store")
				}
				if _, err := e.svc.UpdateWorkOrder(ctx, mine.ID, dispatch.Update{Patch: patchOf(tc.patch), AllowDuplicate: true, Reason: "second unit on the roof"}, desk("desk 5")); err != nil {
					t.Fatalf("allow_duplicate: %v", err)
				}
				h, _ := e.svc.History(ctx, mine.ID)
				if last := h[len(h)-1]; !slices.Equal(last.DuplicateOf, []string{existing.ID}) || last.Reason != "second unit on the roof" {
					t.Errorf("history of a patch allowed as a duplicate: %+v, want it to name %s with the reason", last, existing.ID)
				}
				if _, err := e.svc.UpdateWorkOrder(ctx, mine.ID, dispatch.Update{Patch: patchOf(map[string][]byte{"notes": []byte(`"bring a ladder"`)})}, desk("desk 5")); err != nil {
					t.Errorf("patching the notes of an allowed duplicate: %v", err)
				}
			})
		})
	}
}
