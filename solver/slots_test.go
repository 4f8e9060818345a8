package solver_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/dispatchd/dispatchd/model"
	"github.com/dispatchd/dispatchd/solver"
)

func TestSlotsOnEmptyDays(t *testing.T) {
	a := tech("A")
	st, err := solver.NewState(solver.Day{Now: at(15, 30), Technicians: []model.Technician{a}})
	if err != nil {
		t.Fatal(err)
	}
	o := order("W", 2)
	slots, err := solver.Slots(context.Background(), st, o, solver.SlotOptions{Length: 2 * time.Hour, Days: 2, Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(slots) < 4 {
		t.Fatalf("%d slots, want the rest of today and most of tomorrow: %+v", len(slots), slots)
	}
	seen := map[time.Time]bool{}
	var taken []model.TimeWindow
	for _, s := range slots {
		if s.TechnicianID != "A" || s.Window.End.Sub(s.Window.Start) != 2*time.Hour {
			t.Errorf("slot %+v", s)
		}
		if s.Start.Before(s.Window.Start) || s.Start.After(s.Window.End) {
			t.Errorf("starts %v outside its window %v–%v", s.Start, s.Window.Start, s.Window.End)
		}
		if s.Start.Before(at(15, 30)) || s.Window.Start.Minute() != 0 {
			t.Errorf("window %v: in the past or off the hour", s.Window.Start)
		}
		if seen[s.Window.Start] {
			t.Errorf("window %v offered twice", s.Window.Start)
		}
		seen[s.Window.Start] = true
		service := model.TimeWindow{Start: s.Start, End: s.Start.Add(o.Duration.Duration())}
		for _, b := range taken {
			if service.Start.Before(b.End) && b.Start.Before(service.End) {
				t.Errorf("service %v–%v overlaps %v–%v on A's empty day: capacity counted twice", service.Start, service.End, b.Start, b.End)
			}
		}
		taken = append(taken, service)
	}
}

// TestSlotsDoNotCountAGapTwice gives a technician a day with one gap
// between fixed appointments: it can back only one window.
func TestSlotsDoNotCountAGapTwice(t *testing.T) {
	a := tech("A")
	am, pm := order("AM", 1), order("PM", 1)
	// 08:05–10:35 and 14:00–16:30 leave one gap, in which the windows
	// 10–11, 11–12 and 12–13 are each feasible on their own.
	am.TimeWindows = []model.TimeWindow{{Start: at(8, 5), End: at(8, 5)}}
	pm.TimeWindows = []model.TimeWindow{{Start: at(14, 0), End: at(14, 0)}}
	am.Duration, pm.Duration = 2*3600+1800, 2*3600+1800
	for _, w := range []*model.WorkOrder{&am, &pm} {
		w.Status, w.TechnicianIDs, w.ScheduledStart = model.StatusDispatched, []string{"A"}, ptr(w.TimeWindows[0].Start)
	}
	st, err := solver.NewState(solver.Day{Now: at(7, 0), Technicians: []model.Technician{a}, Orders: []model.WorkOrder{am, pm},
		Routes: []model.Route{{TechnicianID: "A", Stops: []model.Stop{{WorkOrderID: "AM", Start: at(8, 5)}, {WorkOrderID: "PM", Start: at(14, 0)}}}}})
	if err != nil {
		t.Fatal(err)
	}
	slots, err := solver.Slots(context.Background(), st, order("W", 1), solver.SlotOptions{Length: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if len(slots) != 1 || slots[0].InsertAfter != "AM" || slots[0].InsertBefore != "PM" {
		t.Errorf("slots %+v, want one window between AM and PM", slots)
	}
	// Each of those windows is offered when asked for alone.
	for _, h := range []int{10, 11, 12} {
		o := order("W", 1)
		o.TimeWindows = []model.TimeWindow{{Start: at(h, 0), End: at(h+1, 0)}}
		if one, _ := solver.Slots(context.Background(), st, o, solver.SlotOptions{Length: time.Hour}); len(one) != 1 {
			t.Errorf("window %d:00 alone: %d slots, want 1", h, len(one))
		}
	}
}

func TestSlotsOptions(t *testing.T) {
	st, err := solver.NewState(solver.Day{Now: at(7, 0), Technicians: []model.Technician{tech("A")}})
	if err != nil {
		t.Fatal(err)
	}
	var ve *model.ValidationError
	for _, opts := range []solver.SlotOptions{{Length: time.Second}, {Days: 40}, {Length: 48 * time.Hour}} {
		if _, err := solver.Slots(context.Background(), st, order("W", 1), opts); !errors.As(err, &ve) {
			t.Errorf("Slots(%+v) err = %v, want a validation error", opts, err)
		}
	}
}

// TestSlotsLaterDayBreaksInAnyOrder lists a technician's breaks lunch
// first: a later day must take them in time order, as today does, and
// offer the same windows as when they are listed in order.
func TestSlotsLaterDayBreaksInAnyOrder(t *testing.T) {
	morning := model.Break{Earliest: at(10, 0), Latest: at(10, 30), Duration: 900}
	lunch := model.Break{Earliest: at(12, 0), Latest: at(13, 0), Duration: 1800}
	slotsWith := func(breaks ...model.Break) []model.Slot {
		t.Helper()
		a := tech("A")
		a.Breaks = breaks
		// After today's shift: every window offered is tomorrow's.
		st, err := solver.NewState(solver.Day{Now: at(18, 0), Technicians: []model.Technician{a}})
		if err != nil {
			t.Fatal(err)
		}
		slots, err := solver.Slots(context.Background(), st, order("W", 2), solver.SlotOptions{Length: 2 * time.Hour, Days: 2, Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		return slots
	}
	want := slotsWith(morning, lunch)
	if len(want) == 0 {
		t.Fatal("no slots tomorrow with the breaks in order")
	}
	got := slotsWith(lunch, morning)
	if len(got) != len(want) {
		t.Fatalf("breaks listed lunch first: %d slots, want %d as in order: %+v", len(got), len(want), got)
	}
	for i := range want {
		if !got[i].Start.Equal(want[i].Start) || !got[i].Window.Start.Equal(want[i].Window.Start) || got[i].Score != want[i].Score {
			t.Errorf("slot %d: %+v, want %+v as with the breaks in order", i, got[i], want[i])
		}
	}
}
