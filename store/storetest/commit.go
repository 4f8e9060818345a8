package storetest

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/dispatchd/dispatchd/model"
	"github.com/dispatchd/dispatchd/store"
)

// revs reads revisions, failing the test on an error.
func revs(t *testing.T, s Store, keys ...string) []int64 {
	t.Helper()
	got, err := s.Revisions(t.Context(), keys...)
	if err != nil {
		t.Fatalf("Revisions(%q): %v", keys, err)
	}
	return got
}

// raised fails the test unless each key's revision rose from before to
// after exactly when want says so.
func raised(t *testing.T, what string, keys []string, before, after []int64, want ...bool) {
	t.Helper()
	for i, k := range keys {
		if rose := after[i] > before[i]; rose != want[i] {
			t.Errorf("%s: %s went %d -> %d, want raised=%v", what, k, before[i], after[i], want[i])
		}
	}
}

func entry(id string, action model.HistoryAction, by string) model.HistoryEntry {
	return model.HistoryEntry{WorkOrderID: id, Action: action, At: at(9), By: by}
}

func testCommitWritesAndRaises(t *testing.T, s Store) {
	ctx := t.Context()
	w := Scheduled("WO-1", at(10), "T1")
	keys := []string{store.OrderKey("WO-1"), store.RouteKey("T1", nov23), store.DayKey(nov23), store.SiteKey("S3"),
		store.RouteKey("T2", nov23), store.DayKey(nov24)}
	before := revs(t, s, keys...)
	if slices.ContainsFunc(before, func(r int64) bool { return r != 0 }) {
		t.Fatalf("revisions of an empty store: %v, want zeros", before)
	}
	c := store.Change{Guards: []store.Guard{{Key: store.OrderKey("WO-1"), Rev: 0}, {Key: store.RouteKey("T1", nov23), Rev: 0}},
		Orders: []model.WorkOrder{w}, History: []model.HistoryEntry{entry("WO-1", model.HistoryCreated, "desk 3")}}
	if err := s.Commit(ctx, c); err != nil {
		t.Fatalf("Commit: %v", err)
	}
	after := revs(t, s, keys...)
	raised(t, "writing WO-1 to T1's 23rd", keys, before, after, true, true, true, true, false, false)
	got, err := s.GetWorkOrder(ctx, "WO-1")
	if err != nil {
		t.Fatal(err)
	}
	sameJSON(t, "the committed order", got, w)
	route, _ := s.Route(ctx, "T1", nov23)
	if ids := orderIDs(route); !slices.Equal(ids, []string{"WO-1"}) {
		t.Errorf("Route(T1) = %v, want WO-1", ids)
	}
	site, err := s.OrdersAtSite(ctx, "S3")
	if err != nil {
		t.Fatal(err)
	}
	if ids := orderIDs(site); !slices.Equal(ids, []string{"WO-1"}) {
		t.Errorf("OrdersAtSite(S3) = %v, want WO-1", ids)
	}
	hist, err := s.History(ctx, "WO-1")
	if err != nil {
		t.Fatal(err)
	}
	want := entry("WO-1", model.HistoryCreated, "desk 3")
	want.Seq = 1
	sameJSON(t, "the history", hist, []model.HistoryEntry{want})

	// Moving the order to T2 on the 24th at another site leaves and joins.
	moved := Scheduled("WO-1", at(10).AddDate(0, 0, 1), "T2")
	moved.SiteID = "S4"
	before = after
	keys = append(keys, store.RouteKey("T2", nov24), store.SiteKey("S4"))
	before = append(before, revs(t, s, keys[len(keys)-2:]...)...)
	if err := s.Commit(ctx, store.Change{Orders: []model.WorkOrder{moved}}); err != nil {
		t.Fatal(err)
	}
	after = revs(t, s, keys...)
	raised(t, "moving WO-1 to T2's 24th at S4", keys, before, after, true, true, true, true, false, true, true, true)
	if site, _ := s.OrdersAtSite(ctx, "S3"); len(site) != 0 {
		t.Errorf("OrdersAtSite(S3) after the move = %v, want none", orderIDs(site))
	}
	if route, _ := s.Route(ctx, "T2", nov24); !slices.Equal(orderIDs(route), []string{"WO-1"}) {
		t.Errorf("Route(T2, 24th) = %v, want WO-1", orderIDs(route))
	}
}

func testCommitStaleWritesNothing(t *testing.T, s Store) {
	ctx := t.Context()
	putOrders(t, s, Scheduled("WO-1", at(10), "T1"))
	keys := []string{store.OrderKey("WO-1"), store.OrderKey("WO-2"), store.RouteKey("T1", nov23), store.DayKey(nov23)}
	before := revs(t, s, keys...)
	c := store.Change{
		Guards:  []store.Guard{{Key: store.OrderKey("WO-2"), Rev: 0}, {Key: store.RouteKey("T1", nov23), Rev: before[2] - 1}},
		Orders:  []model.WorkOrder{Scheduled("WO-2", at(12), "T1")},
		Delete:  []string{"WO-1"},
		History: []model.HistoryEntry{entry("WO-2", model.HistoryCreated, "desk 3")},
	}
	err := s.Commit(ctx, c)
	var stale *store.StaleError
	switch {
	case !errors.Is(err, store.ErrStale) || !errors.As(err, &stale):
		t.Fatalf("Commit with an old route revision = %v, want a *StaleError", err)
	case stale.Key != store.RouteKey("T1", nov23) || stale.Got != before[2] || stale.Want != before[2]-1:
		t.Errorf("StaleError = %+v, want the route at %d, not %d", stale, before[2], before[2]-1)
	case model.KindOf(err) != model.ErrConflict:
		t.Errorf("KindOf(stale) = %q, want conflict", model.KindOf(err))
	}
	raised(t, "a refused commit", keys, before, revs(t, s, keys...), false, false, false, false)
	if _, err := s.GetWorkOrder(ctx, "WO-2"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("WO-2 after a refused commit: %v, want not found", err)
	}
	if _, err := s.GetWorkOrder(ctx, "WO-1"); err != nil {
		t.Errorf("WO-1 after a refused delete: %v", err)
	}
	if h, _ := s.History(ctx, "WO-2"); len(h) != 0 {
		t.Errorf("history after a refused commit: %v, want none", h)
	}
	if err := s.Commit(ctx, store.Change{Orders: []model.WorkOrder{{}}}); err == nil || errors.Is(err, store.ErrStale) {
		t.Errorf("Commit of an order without an id = %v, want an error", err)
	}
}

func testCommitDelete(t *testing.T, s Store) {
	ctx := t.Context()
	putOrders(t, s, Scheduled("WO-1", at(10), "T1", "T2"))
	keys := []string{store.OrderKey("WO-1"), store.RouteKey("T1", nov23), store.RouteKey("T2", nov23), store.SiteKey("S3")}
	before := revs(t, s, keys...)
	if err := s.Commit(ctx, store.Change{Delete: []string{"WO-1"}, History: []model.HistoryEntry{entry("WO-1", model.HistoryStatus, "x")}}); err != nil {
		t.Fatal(err)
	}
	raised(t, "deleting WO-1", keys, before, revs(t, s, keys...), true, true, true, true)
	for _, tech := range []string{"T1", "T2"} {
		if route, _ := s.Route(ctx, tech, nov23); len(route) != 0 {
			t.Errorf("Route(%s) after the delete = %v", tech, orderIDs(route))
		}
	}
	if site, _ := s.OrdersAtSite(ctx, "S3"); len(site) != 0 {
		t.Errorf("OrdersAtSite after the delete = %v", orderIDs(site))
	}
	if list, _ := s.ListWorkOrders(ctx); len(list) != 0 {
		t.Errorf("ListWorkOrders after the delete = %v", orderIDs(list))
	}
}

// testDeleteWorkOrderRaises: DeleteWorkOrder raises what a Commit that
// deletes raises — the order's revision too, so that a commit guarded on
// the order read before the delete cannot write it back, and a cache of
// the day knows it changed.
func testDeleteWorkOrderRaises(t *testing.T, s Store) {
	putOrders(t, s, Scheduled("WO-1", at(10), "T1", "T2"))
	keys := []string{store.OrderKey("WO-1"), store.RouteKey("T1", nov23), store.RouteKey("T2", nov23), store.DayKey(nov23), store.SiteKey("S3")}
	before := revs(t, s, keys...)
	if err := s.DeleteWorkOrder(t.Context(), "WO-1"); err != nil {
		t.Fatal(err)
	}
	raised(t, "DeleteWorkOrder(WO-1)", keys, before, revs(t, s, keys...), true, true, true, true, true)
	stale := store.Change{Guards: []store.Guard{{Key: store.OrderKey("WO-1"), Rev: before[0]}}, Orders: []model.WorkOrder{Scheduled("WO-1", at(11), "T1")}}
	if err := s.Commit(t.Context(), stale); !errors.Is(err, store.ErrStale) {
		t.Errorf("a commit guarded on WO-1 as read before its delete = %v, want ErrStale", err)
	}
}

func testTechnicianRevisions(t *testing.T, s Store) {
	ctx := t.Context()
	keys := []string{store.TechnicianKey("T1"), store.TechnicianKey("T2"), store.TechniciansKey}
	before := revs(t, s, keys...)
	putTechnicians(t, s, "T1")
	mid := revs(t, s, keys...)
	raised(t, "putting T1", keys, before, mid, true, false, true)
	if err := s.DeleteTechnician(ctx, "T1"); err != nil {
		t.Fatal(err)
	}
	after := revs(t, s, keys...)
	raised(t, "deleting T1", keys, mid, after, true, false, true)
	if err := s.DeleteTechnician(ctx, "T1"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("second delete: %v", err)
	}
	raised(t, "deleting nobody", keys, after, revs(t, s, keys...), false, false, false)
	if _, err := s.UpdatePosition(ctx, Position("T2", denver, at(9)), ""); err == nil {
		t.Fatal("a position of an unknown technician was accepted")
	}
}

// testGuardedTechnicianDelete: every order naming a technician written or
// deleted raises their TechnicianOrdersKey (and only theirs), and a
// DeleteTechnician guarded on a revision that moved deletes nothing.
func testGuardedTechnicianDelete(t *testing.T, s Store) {
	ctx := t.Context()
	putTechnicians(t, s, "T1", "T2")
	keys := []string{store.TechnicianOrdersKey("T1"), store.TechnicianOrdersKey("T2")}
	before := revs(t, s, keys...)
	putOrders(t, s, Scheduled("WO-1", at(10), "T1"))
	mid := revs(t, s, keys...)
	raised(t, "dispatching WO-1 to T1", keys, before, mid, true, false)
	moved := Scheduled("WO-1", at(10), "T2")
	moved.ScheduledStart = nil
	putOrders(t, s, moved)
	after := revs(t, s, keys...)
	raised(t, "moving WO-1 to T2, unscheduled", keys, mid, after, true, true)
	err := s.DeleteTechnician(ctx, "T1", store.Guard{Key: keys[0], Rev: before[0]})
	if !errors.Is(err, store.ErrStale) {
		t.Fatalf("a delete guarded on T1's orders as read before WO-1 = %v, want ErrStale", err)
	}
	if _, err := s.GetTechnician(ctx, "T1"); err != nil {
		t.Fatalf("a stale delete deleted T1: %v", err)
	}
	if err := s.DeleteWorkOrder(ctx, "WO-1"); err != nil {
		t.Fatal(err)
	}
	raised(t, "deleting WO-1", keys, after, revs(t, s, keys...), false, true)
	cur := revs(t, s, keys...)
	if err := s.DeleteTechnician(ctx, "T1", store.Guard{Key: keys[0], Rev: cur[0]}); err != nil {
		t.Fatalf("a delete guarded on T1's current orders: %v", err)
	}
}

// testConcurrentGuardedCommits races 50 writers for one technician's day:
// each reads the route's revision and commits its own order guarded by it.
// Exactly one may win; the others are told the day changed.
func testConcurrentGuardedCommits(t *testing.T, s Store) {
	ctx := t.Context()
	rk := store.RouteKey("T1", nov23)
	start := make(chan struct{})
	var wg sync.WaitGroup
	var mu sync.Mutex
	won, stale := 0, 0
	for i := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			r, err := s.Revisions(ctx, rk)
			if err != nil {
				t.Error(err)
				return
			}
			id := fmt.Sprintf("WO-%d", i)
			err = s.Commit(ctx, store.Change{Guards: []store.Guard{{Key: rk, Rev: r[0]}},
				Orders: []model.WorkOrder{Scheduled(id, at(10), "T1")}, History: []model.HistoryEntry{entry(id, model.HistoryDispatched, "d")}})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				won++
			case errors.Is(err, store.ErrStale):
				stale++
			default:
				t.Error(err)
			}
		}()
	}
	close(start)
	wg.Wait()
	route, _ := s.Route(ctx, "T1", nov23)
	if won < 1 || won+stale != 50 || len(route) != won {
		t.Errorf("%d won, %d stale, %d on the route; want the route to hold exactly the winners", won, stale, len(route))
	}
	// Writers that read the revision one after the other all see the
	// winner's raise, so at most those that read before it could win: with
	// one commit per revision, the route's revision counts the winners.
	if r := revs(t, s, rk)[0]; r != int64(won) {
		t.Errorf("route revision %d after %d winning commits", r, won)
	}
}

func testHistoryOrder(t *testing.T, s Store) {
	ctx := t.Context()
	putOrders(t, s, Scheduled("WO-1", at(10), "T1"))
	for i, a := range []model.HistoryAction{model.HistoryCreated, model.HistoryDispatched, model.HistoryStatus} {
		h := entry("WO-1", a, fmt.Sprintf("actor %d", i))
		if err := s.Commit(ctx, store.Change{History: []model.HistoryEntry{h}}); err != nil {
			t.Fatal(err)
		}
	}
	hist, err := s.History(ctx, "WO-1")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, h := range hist {
		got = append(got, fmt.Sprintf("%d %s %s", h.Seq, h.Action, h.By))
	}
	if want := []string{"1 created actor 0", "2 dispatched actor 1", "3 status actor 2"}; !slices.Equal(got, want) {
		t.Errorf("history %q, want %q", got, want)
	}
	if h, err := s.History(ctx, "nobody"); err != nil || len(h) != 0 {
		t.Errorf("History(nobody) = %v, %v; want none", h, err)
	}
}

func testNextID(t *testing.T, s Store) {
	ctx := t.Context()
	var wg sync.WaitGroup
	var mu sync.Mutex
	seen := map[int64]bool{}
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n, err := s.NextID(ctx, "wo")
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			defer mu.Unlock()
			if seen[n] {
				t.Errorf("NextID gave %d twice", n)
			}
			seen[n] = true
		}()
	}
	wg.Wait()
	for n := int64(1); n <= 20; n++ {
		if !seen[n] {
			t.Errorf("NextID skipped %d: %v", n, seen)
		}
	}
	if n, err := s.NextID(ctx, "other"); err != nil || n != 1 {
		t.Errorf("NextID(other) = %d, %v; want 1: sequences are separate", n, err)
	}
	if _, err := s.NextID(ctx, ""); err == nil {
		t.Error("NextID of an unnamed sequence succeeded")
	}
}

func testDayOrders(t *testing.T, s Store) {
	ctx := t.Context()
	crew := Scheduled("WO-2", at(13), "T1", "T2")
	putOrders(t, s, Scheduled("WO-1", at(10), "T1"), crew, Scheduled("WO-3", at(10).AddDate(0, 0, 1), "T1"),
		Scheduled("WO-4", at(11)), Scheduled("WO-5", time.Time{}, "T1"))
	day := func(d model.Date) []string {
		t.Helper()
		orders, err := s.DayOrders(ctx, d)
		if err != nil {
			t.Fatal(err)
		}
		return orderIDs(orders)
	}
	if got := day(nov23); !slices.Equal(got, []string{"WO-1", "WO-2"}) {
		t.Errorf("DayOrders(23rd) = %v, want the routed orders WO-1 and WO-2 (once)", got)
	}
	if got := day(nov24); !slices.Equal(got, []string{"WO-3"}) {
		t.Errorf("DayOrders(24th) = %v, want WO-3", got)
	}
	putOrders(t, s, Scheduled("WO-1", at(10).AddDate(0, 0, 1), "T1"))
	crew.TechnicianIDs = []string{"T2", "T3"}
	putOrders(t, s, crew)
	if got := day(nov23); !slices.Equal(got, []string{"WO-2"}) {
		t.Errorf("DayOrders(23rd) after moving WO-1 = %v, want WO-2", got)
	}
	if got := day(nov24); !slices.Equal(got, []string{"WO-1", "WO-3"}) {
		t.Errorf("DayOrders(24th) after moving WO-1 = %v, want WO-1 and WO-3", got)
	}
	if err := s.DeleteWorkOrder(ctx, "WO-2"); err != nil {
		t.Fatal(err)
	}
	if got := day(nov23); len(got) != 0 {
		t.Errorf("DayOrders(23rd) after deleting WO-2 = %v, want none", got)
	}
}
