package storetest

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/dispatchd/dispatchd/model"
	"github.com/dispatchd/dispatchd/store"
)

// Scheduled returns WorkOrder(id) assigned to the technicians and
// starting at start; a zero start leaves it unscheduled.
func Scheduled(id string, start time.Time, technicianIDs ...string) model.WorkOrder {
	w := WorkOrder(id)
	w.TechnicianIDs = technicianIDs
	w.TechniciansNeeded = max(len(technicianIDs), 1)
	w.ScheduledStart = nil
	if !start.IsZero() {
		w.ScheduledStart = &start
	}
	return w
}

var (
	nov22 = model.Date{Year: 2026, Month: time.November, Day: 22}
	nov23 = model.Date{Year: 2026, Month: time.November, Day: 23}
	nov24 = model.Date{Year: 2026, Month: time.November, Day: 24}
)

// orderIDs returns the ids of orders, in their order.
func orderIDs(orders []model.WorkOrder) []string {
	ids := make([]string, len(orders))
	for i, w := range orders {
		ids[i] = w.ID
	}
	return ids
}

// putOrders puts work orders, failing the test on an error.
func putOrders(t *testing.T, s Store, orders ...model.WorkOrder) {
	t.Helper()
	for _, w := range orders {
		if err := s.PutWorkOrder(t.Context(), w); err != nil {
			t.Fatalf("PutWorkOrder(%s): %v", w.ID, err)
		}
	}
}

func testWorkOrderDelete(t *testing.T, s Store) {
	ctx := t.Context()
	putOrders(t, s, Scheduled("WO-1", at(9), "T7"), Scheduled("WO-2", at(10), "T7"))
	if err := s.DeleteWorkOrder(ctx, "WO-1"); err != nil {
		t.Fatalf("DeleteWorkOrder(WO-1) = %v", err)
	}
	if _, err := s.GetWorkOrder(ctx, "WO-1"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetWorkOrder after delete: %v, want ErrNotFound", err)
	}
	if err := s.DeleteWorkOrder(ctx, "WO-1"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("second DeleteWorkOrder(WO-1) = %v, want ErrNotFound", err)
	}
	if list, err := s.ListWorkOrders(ctx); err != nil || !slices.Equal(orderIDs(list), []string{"WO-2"}) {
		t.Errorf("ListWorkOrders after delete = %v, %v; want [WO-2]", orderIDs(list), err)
	}
	if route, err := s.Route(ctx, "T7", nov23); err != nil || !slices.Equal(orderIDs(route), []string{"WO-2"}) {
		t.Errorf("Route after delete = %v, %v; want [WO-2]", orderIDs(route), err)
	}
	// A deleted order put again starts afresh.
	putOrders(t, s, Scheduled("WO-1", at(8), "T8"))
	if route, err := s.Route(ctx, "T7", nov23); err != nil || !slices.Equal(orderIDs(route), []string{"WO-2"}) {
		t.Errorf("Route of T7 after putting WO-1 back for T8 = %v, %v; want [WO-2]", orderIDs(route), err)
	}
}

// testRoute files orders of several technicians, days and zones, and
// reads the days back.
func testRoute(t *testing.T, s Store) {
	ctx := t.Context()
	tokyo := time.FixedZone("JST", 9*3600)
	late := time.Date(2026, 11, 23, 23, 30, 0, 0, zone) // 24 Nov in UTC
	orders := []model.WorkOrder{
		Scheduled("WO-A", at(10), "T7"),
		Scheduled("WO-C", at(8), "T7"), // same start as WO-B: by id
		Scheduled("WO-B", at(8), "T7"),
		Scheduled("WO-D", late, "T7", "T8"),
		Scheduled("WO-E", time.Date(2026, 11, 24, 0, 30, 0, 0, zone), "T7"),
		Scheduled("WO-F", time.Time{}, "T7"), // not scheduled: no day
		Scheduled("WO-G", at(9)),             // nobody assigned
		// 7:00 on the 23rd in Tokyo is 22 Nov in UTC and in Denver, and
		// starts before all the others: the start's own zone decides.
		Scheduled("WO-H", time.Date(2026, 11, 23, 7, 0, 0, 0, tokyo), "T7"),
	}
	putOrders(t, s, orders...)
	byID := map[string]model.WorkOrder{}
	for _, w := range orders {
		byID[w.ID] = w
	}
	tests := []struct {
		name string
		tech string
		day  model.Date
		want []string
	}{
		{"a full day by start, then id", "T7", nov23, []string{"WO-H", "WO-B", "WO-C", "WO-A", "WO-D"}},
		{"a crew member", "T8", nov23, []string{"WO-D"}},
		{"the next day", "T7", nov24, []string{"WO-E"}},
		{"a day without orders", "T7", nov22, []string{}},
		{"a technician without orders", "T9", nov23, []string{}},
		{"no technician", "", nov23, []string{}},
	}
	for _, tt := range tests {
		route, err := s.Route(ctx, tt.tech, tt.day)
		if err != nil {
			t.Fatalf("%s: Route: %v", tt.name, err)
		}
		if route == nil {
			t.Errorf("%s: Route returned nil, want an empty list", tt.name)
		}
		if got := orderIDs(route); !slices.Equal(got, tt.want) {
			t.Errorf("%s: Route(%s, %s) = %v, want %v", tt.name, tt.tech, tt.day, got, tt.want)
			continue
		}
		for _, w := range route {
			sameJSON(t, tt.name+": "+w.ID, w, byID[w.ID])
		}
	}
}

// testRouteFollowsRewrites rewrites one order step by step (reassigned,
// rescheduled, unassigned, deleted): after each step it must be in exactly
// the routes its latest version belongs to, as that version.
func testRouteFollowsRewrites(t *testing.T, s Store) {
	ctx := t.Context()
	nextDay := at(9).AddDate(0, 0, 1)
	steps := []struct {
		name   string
		order  model.WorkOrder // put unless deleted
		delete bool
		want   []string // "tech/day" it is filed under
	}{
		{"dispatched", Scheduled("WO-1", at(9), "T7"), false, []string{"T7/2026-11-23"}},
		{"reassigned", Scheduled("WO-1", at(9), "T8"), false, []string{"T8/2026-11-23"}},
		{"rescheduled to the next day", Scheduled("WO-1", nextDay, "T8"), false, []string{"T8/2026-11-24"}},
		{"a crew of two", Scheduled("WO-1", nextDay, "T7", "T8"), false, []string{"T7/2026-11-24", "T8/2026-11-24"}},
		{"start cleared", Scheduled("WO-1", time.Time{}, "T7", "T8"), false, nil},
		{"scheduled again", Scheduled("WO-1", at(14), "T7"), false, []string{"T7/2026-11-23"}},
		{"technicians cleared", Scheduled("WO-1", at(14)), false, nil},
		{"dispatched once more", Scheduled("WO-1", at(15), "T8"), false, []string{"T8/2026-11-23"}},
		{"deleted", model.WorkOrder{}, true, nil},
	}
	for i, st := range steps {
		st.order.Notes = fmt.Sprintf("version %d", i)
		if st.delete {
			if err := s.DeleteWorkOrder(ctx, "WO-1"); err != nil {
				t.Fatalf("%s: DeleteWorkOrder: %v", st.name, err)
			}
		} else {
			putOrders(t, s, st.order)
		}
		for _, tech := range []string{"T7", "T8"} {
			for _, day := range []model.Date{nov23, nov24} {
				route, err := s.Route(ctx, tech, day)
				if err != nil {
					t.Fatalf("%s: Route: %v", st.name, err)
				}
				filed := slices.Contains(st.want, tech+"/"+day.String())
				switch {
				case !filed && len(route) != 0:
					t.Errorf("%s: Route(%s, %s) = %v, want empty", st.name, tech, day, orderIDs(route))
				case filed && len(route) != 1:
					t.Errorf("%s: Route(%s, %s) = %v, want [WO-1]", st.name, tech, day, orderIDs(route))
				case filed:
					sameJSON(t, st.name+": the routed order", route[0], st.order)
				}
			}
		}
	}
}

// testConcurrentReassignments rewrites one order from many goroutines,
// each time to another technician and day: the route index must end
// consistent with whichever version was written last.
func testConcurrentReassignments(t *testing.T, s Store) {
	ctx := t.Context()
	techs := []string{"T1", "T2", "T3", "T4"}
	days := []time.Time{at(9), at(9).AddDate(0, 0, 1), at(9).AddDate(0, 0, 2)}
	const writers, each = 12, 15
	var wg sync.WaitGroup
	errs := make(chan error, writers*each)
	for w := range writers {
		r := rand.New(rand.NewPCG(uint64(w), 99))
		wg.Go(func() {
			for i := range each {
				crew := []string{techs[r.IntN(len(techs))]}
				if r.IntN(3) == 0 {
					crew = nil // unassigned now and then
				}
				wo := Scheduled("WO-1", days[r.IntN(len(days))].Add(time.Duration(w)*time.Minute), crew...)
				wo.Notes = fmt.Sprintf("writer %d, write %d", w, i)
				if err := s.PutWorkOrder(ctx, wo); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	final, err := s.GetWorkOrder(ctx, "WO-1")
	if err != nil {
		t.Fatal(err)
	}
	finalDay, _ := store.RouteDay(final)
	for _, tech := range techs {
		for _, d := range days {
			day := model.DateOf(d)
			route, err := s.Route(ctx, tech, day)
			if err != nil {
				t.Fatal(err)
			}
			filed := day == finalDay && slices.Contains(final.TechnicianIDs, tech)
			switch {
			case filed && len(route) == 1:
				sameJSON(t, "the routed order", route[0], final)
			case filed || len(route) != 0:
				t.Errorf("Route(%s, %s) = %v; the final order (%v on %s) says filed = %v", tech, day, orderIDs(route), final.TechnicianIDs, finalDay, filed)
			}
		}
	}
}

// testWorkOrderCopiesNotShared changes orders after putting them and after
// reading them (one by one, listed, routed): the store must not change.
func testWorkOrderCopiesNotShared(t *testing.T, s Store) {
	ctx := t.Context()
	w := WorkOrder("WO-1")
	putOrders(t, s, w)
	w.TechnicianIDs[0] = "changed"
	*w.ScheduledStart = at(3)
	w.RequiredSkills["hvac"] = 9
	got, err := s.GetWorkOrder(ctx, "WO-1")
	if err != nil {
		t.Fatal(err)
	}
	got.TimeWindows[0].Start = at(1)
	*got.SLADeadline = at(2)
	list, _ := s.ListWorkOrders(ctx)
	list[0].Demand[0] = 99
	route, _ := s.Route(ctx, "T7", nov23)
	if len(route) != 1 {
		t.Fatalf("Route(T7) = %v, want WO-1", orderIDs(route))
	}
	route[0].TechnicianIDs[0] = "changed"
	again, err := s.GetWorkOrder(ctx, "WO-1")
	if err != nil {
		t.Fatal(err)
	}
	sameJSON(t, "after changing the caller's copies", again, WorkOrder("WO-1"))
	route, _ = s.Route(ctx, "T7", nov23)
	sameJSON(t, "routed after changing the caller's copies", route, []model.WorkOrder{WorkOrder("WO-1")})
}
