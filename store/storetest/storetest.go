// Package storetest is the conformance suite every dispatchd store passes:
// the memory store and the Redis store run the same tests, so that a service
// behaves the same on either.
package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/dispatchd/dispatchd/model"
	"github.com/dispatchd/dispatchd/store"
)

// Store is what the suite exercises: every method a dispatchd store has.
type Store interface {
	Ping(ctx context.Context) error

	PutTechnician(ctx context.Context, t model.Technician) (created bool, err error)
	GetTechnician(ctx context.Context, id string) (model.Technician, error)
	ListTechnicians(ctx context.Context) ([]model.Technician, error)
	DeleteTechnician(ctx context.Context, id string, guards ...store.Guard) error

	UpdatePosition(ctx context.Context, p model.Position, status string) (applied bool, err error)
	Live(ctx context.Context, ids ...string) (map[string]store.Live, error)
	Near(ctx context.Context, loc model.Location, meters float64) ([]string, error)

	PutWorkOrder(ctx context.Context, w model.WorkOrder) error
	GetWorkOrder(ctx context.Context, id string) (model.WorkOrder, error)
	ListWorkOrders(ctx context.Context) ([]model.WorkOrder, error)
	DeleteWorkOrder(ctx context.Context, id string) error
	Route(ctx context.Context, technicianID string, day model.Date) ([]model.WorkOrder, error)

	Revisions(ctx context.Context, keys ...string) ([]int64, error)
	Commit(ctx context.Context, c store.Change) error
	History(ctx context.Context, id string) ([]model.HistoryEntry, error)
	OrdersAtSite(ctx context.Context, siteID string) ([]model.WorkOrder, error)
	DayOrders(ctx context.Context, day model.Date) ([]model.WorkOrder, error)
	NextID(ctx context.Context, sequence string) (int64, error)

	PutPlan(ctx context.Context, id string, record []byte, ttl time.Duration) error
	GetPlan(ctx context.Context, id string) ([]byte, error)
	RequestCancel(ctx context.Context, id string) error
	CancelRequests(ctx context.Context) (<-chan string, error)

	CreateKey(ctx context.Context, id string, record []byte) error
	GetKey(ctx context.Context, id string) ([]byte, error)
	ListKeys(ctx context.Context) ([][]byte, error)
	DeleteKey(ctx context.Context, id string) error

	Stats(ctx context.Context) (store.Stats, error)

	PolicyBook(ctx context.Context) (store.PolicyBook, error)
	PolicyHistory(ctx context.Context, limit int) ([]model.PolicyChange, error)

	PublishEvents(ctx context.Context, events ...model.Event) error
	ReadEvents(ctx context.Context, after string, limit int, block time.Duration) (store.EventBatch, error)
	LastEventID(ctx context.Context) (string, error)
	ClaimEvents(ctx context.Context, group, consumer string, limit int, block, idle time.Duration) ([]model.Event, error)
	AckEvents(ctx context.Context, group string, ids ...string) error

	PutWebhook(ctx context.Context, h model.Webhook) error
	GetWebhook(ctx context.Context, id string) (model.Webhook, error)
	ListWebhooks(ctx context.Context) ([]model.Webhook, error)
	DeleteWebhook(ctx context.Context, id string) error
	AddDeliveries(ctx context.Context, ds ...model.Delivery) (int, error)
	ClaimDeliveries(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]model.Delivery, error)
	SaveDelivery(ctx context.Context, d model.Delivery) (bool, error)
	Deliveries(ctx context.Context, webhookID string, limit int) ([]model.Delivery, error)
}

// Run runs the suite; open returns a new, empty store for each test.
func Run(t *testing.T, open func(t *testing.T) Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s Store)
	}{
		{"Ping", testPing},
		{"TechnicianRoundTrip", testTechnicianRoundTrip},
		{"TechnicianReplace", testTechnicianReplace},
		{"TechnicianNotFound", testTechnicianNotFound},
		{"TechnicianList", testTechnicianList},
		{"TechnicianDelete", testTechnicianDelete},
		{"ConcurrentPuts", testConcurrentPuts},
		{"ConcurrentCreatesOne", testConcurrentCreatesOne},
		{"WorkOrderRoundTrip", testWorkOrderRoundTrip},
		{"WorkOrderList", testWorkOrderList},
		{"WorkOrderDelete", testWorkOrderDelete},
		{"CopiesNotShared", testCopiesNotShared},
		{"WorkOrderCopiesNotShared", testWorkOrderCopiesNotShared},

		{"PositionUpdates", testPositionUpdates},
		{"PositionErrors", testPositionErrors},
		{"PositionTime", testPositionTime},
		{"PositionMovesCell", testPositionMovesCell},
		{"Live", testLive},
		{"Near", testNear},
		{"NearErrors", testNearErrors},
		{"NearMatchesBruteForce", testNearMatchesBruteForce},
		{"DeleteTechnicianClearsLive", testDeleteTechnicianClearsLive},
		{"ConcurrentPositions", testConcurrentPositions},

		{"Route", testRoute},
		{"RouteFollowsRewrites", testRouteFollowsRewrites},
		{"ConcurrentReassignments", testConcurrentReassignments},

		{"CommitWritesAndRaises", testCommitWritesAndRaises},
		{"CommitStaleWritesNothing", testCommitStaleWritesNothing},
		{"CommitDelete", testCommitDelete},
		{"DeleteWorkOrderRaises", testDeleteWorkOrderRaises},
		{"TechnicianRevisions", testTechnicianRevisions},
		{"GuardedTechnicianDelete", testGuardedTechnicianDelete},
		{"ConcurrentGuardedCommits", testConcurrentGuardedCommits},
		{"HistoryOrder", testHistoryOrder},
		{"DayOrders", testDayOrders},
		{"NextID", testNextID},

		{"PlanRoundTrip", testPlanRoundTrip},
		{"PlanErrors", testPlanErrors},
		{"PlanExpiry", testPlanExpiry},
		{"CancelRequests", testCancelRequests},
		{"CancelRequestsClose", testCancelRequestsClose},

		{"KeyRoundTrip", testKeyRoundTrip},
		{"ConcurrentKeyCreatesOne", testConcurrentKeyCreatesOne},

		{"Stats", testStats},

		{"EventsCommitted", testEventsCommitted},
		{"EventErrors", testEventErrors},
		{"Raise", testRaise},
		{"ConcurrentAppends", testConcurrentAppends},
		{"BlockingRead", testBlockingRead},
		{"ConsumerGroups", testConsumerGroups},

		{"PolicyBookEmpty", testPolicyBookEmpty},
		{"PolicyBookWrites", testPolicyBookWrites},
		{"PolicyBookStaleWritesNothing", testPolicyBookStaleWritesNothing},
		{"PolicyHistoryLimit", testPolicyHistoryLimit},
		{"ConcurrentPolicyWriters", testConcurrentPolicyWriters},
		{"PolicyChangeErrors", testPolicyChangeErrors},

		{"Webhooks", testWebhooks},
		{"Deliveries", testDeliveries},
		{"ConcurrentClaims", testConcurrentClaims},
		{"DeliveryLog", testDeliveryLog},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.fn(t, open(t)) })
	}
}

var zone = time.FixedZone("", -7*3600)

func at(hour int) time.Time { return time.Date(2026, 11, 23, hour, 0, 0, 0, zone) }

func ptr[T any](v T) *T { return &v }

// Technician returns a technician that uses every field.
func Technician(id string) model.Technician {
	return model.Technician{
		ID: id, Name: "Ana Ruiz", Active: ptr(true),
		Skills:         model.Skills{"hvac": 3, "refrigeration": 2},
		Certifications: []model.Certification{{Name: "EPA-608", Expires: model.Date{Year: 2027, Month: 3, Day: 1}}},
		Tools:          []string{"lift", "ladder-24ft"},
		Start:          model.LatLng(39.74, -104.99), End: ptr(model.LatLng(39.70, -105.01)),
		Shift:   model.Shift{Start: at(8), End: at(17)},
		Breaks:  []model.Break{{Earliest: at(11), Latest: at(13), Duration: 1800}},
		MaxJobs: 8, Capacity: []float64{500}, CostPerHour: 45, Overtime: 3600,
	}
}

// WorkOrder returns a work order that uses every field.
func WorkOrder(id string) model.WorkOrder {
	return model.WorkOrder{
		ID: id, CustomerID: "C9", SiteID: "S3", EquipmentID: "RTU-7", JobType: "repair",
		Priority: model.PriorityHigh, Location: model.LatLng(39.75, -104.98), Address: "1 Market St",
		Duration: 2700, RequiredSkills: model.Skills{"hvac": 2}, RequiredCertifications: []string{"EPA-608"},
		RequiredTools: []string{"lift"}, TechniciansNeeded: 1,
		TimeWindows:          []model.TimeWindow{{Start: at(10), End: at(12)}},
		SLADeadline:          ptr(at(16)),
		PreferredTechnicians: []string{"T7"}, ExcludedTechnicians: []string{"T8"},
		Demand: []float64{20}, Notes: "gate code 4411", Status: model.StatusDispatched,
		TechnicianIDs: []string{"T7"}, ScheduledStart: ptr(at(10)),
	}
}

// sameJSON fails the test unless got and want encode to the same JSON, which
// is what "the same value" means across stores that serialise.
func sameJSON(t *testing.T, what string, got, want any) {
	t.Helper()
	g, err := json.Marshal(got)
	if err != nil {
		t.Fatal(err)
	}
	w, err := json.Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	if string(g) != string(w) {
		t.Errorf("%s:\n got %s\nwant %s", what, g, w)
	}
}

func testPing(t *testing.T, s Store) {
	if err := s.Ping(t.Context()); err != nil {
		t.Errorf("Ping() = %v", err)
	}
}

func testTechnicianRoundTrip(t *testing.T, s Store) {
	ctx := t.Context()
	want := Technician("T7")
	if _, err := s.PutTechnician(ctx, want); err != nil {
		t.Fatalf("PutTechnician: %v", err)
	}
	got, err := s.GetTechnician(ctx, "T7")
	if err != nil {
		t.Fatalf("GetTechnician: %v", err)
	}
	sameJSON(t, "GetTechnician", got, want)
	if !got.Shift.Start.Equal(want.Shift.Start) {
		t.Errorf("shift start %v, want %v", got.Shift.Start, want.Shift.Start)
	}
}

func testTechnicianReplace(t *testing.T, s Store) {
	ctx := t.Context()
	first := Technician("T7")
	if created, err := s.PutTechnician(ctx, first); err != nil || !created {
		t.Fatalf("first PutTechnician = created %v, %v; want created", created, err)
	}
	second := Technician("T7")
	second.Name, second.Skills = "Ana Ruiz-Lopez", model.Skills{"plumbing": 4}
	if created, err := s.PutTechnician(ctx, second); err != nil || created {
		t.Fatalf("replacing PutTechnician = created %v, %v; want replaced", created, err)
	}
	got, err := s.GetTechnician(ctx, "T7")
	if err != nil {
		t.Fatal(err)
	}
	sameJSON(t, "after replacing", got, second)
	list, err := s.ListTechnicians(ctx)
	if err != nil || len(list) != 1 {
		t.Errorf("ListTechnicians after replacing = %d technicians, %v; want 1", len(list), err)
	}
}

func testTechnicianNotFound(t *testing.T, s Store) {
	if _, err := s.GetTechnician(t.Context(), "nobody"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetTechnician(nobody) error = %v, want ErrNotFound", err)
	}
	if _, err := s.GetWorkOrder(t.Context(), "nothing"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetWorkOrder(nothing) error = %v, want ErrNotFound", err)
	}
}

func testTechnicianList(t *testing.T, s Store) {
	ctx := t.Context()
	list, err := s.ListTechnicians(ctx)
	if err != nil || len(list) != 0 {
		t.Fatalf("ListTechnicians on an empty store = %v, %v", list, err)
	}
	for _, id := range []string{"T3", "T10", "T1"} {
		if _, err := s.PutTechnician(ctx, Technician(id)); err != nil {
			t.Fatal(err)
		}
	}
	list, err = s.ListTechnicians(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, tech := range list {
		ids = append(ids, tech.ID)
	}
	if fmt.Sprint(ids) != "[T1 T10 T3]" {
		t.Errorf("ListTechnicians ids = %v, want [T1 T10 T3] (sorted by id)", ids)
	}
}

func testTechnicianDelete(t *testing.T, s Store) {
	ctx := t.Context()
	for _, id := range []string{"T1", "T2"} {
		if _, err := s.PutTechnician(ctx, Technician(id)); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.DeleteTechnician(ctx, "T1"); err != nil {
		t.Fatalf("DeleteTechnician(T1) = %v", err)
	}
	if _, err := s.GetTechnician(ctx, "T1"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetTechnician after delete: %v, want ErrNotFound", err)
	}
	if err := s.DeleteTechnician(ctx, "T1"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("second DeleteTechnician(T1) = %v, want ErrNotFound", err)
	}
	list, _ := s.ListTechnicians(ctx)
	if len(list) != 1 || list[0].ID != "T2" {
		t.Errorf("ListTechnicians after delete = %v", list)
	}
}

// testConcurrentPuts writes many technicians from many goroutines: none may
// be lost.
func testConcurrentPuts(t *testing.T, s Store) {
	ctx := t.Context()
	const writers, each = 8, 25
	var wg sync.WaitGroup
	errs := make(chan error, writers*each)
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				if _, err := s.PutTechnician(ctx, Technician(fmt.Sprintf("W%d-%d", w, i))); err != nil {
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
	list, err := s.ListTechnicians(ctx)
	if err != nil || len(list) != writers*each {
		t.Errorf("ListTechnicians after concurrent puts = %d, %v; want %d", len(list), err, writers*each)
	}
}

// testConcurrentCreatesOne races writers to create one technician: exactly
// one is told it created it, as exactly one client should get 201.
func testConcurrentCreatesOne(t *testing.T, s Store) {
	ctx := t.Context()
	const writers = 16
	var wg sync.WaitGroup
	var mu sync.Mutex
	creators := 0
	for range writers {
		wg.Go(func() {
			created, err := s.PutTechnician(ctx, Technician("T-RACE"))
			if err != nil {
				t.Error(err)
				return
			}
			if created {
				mu.Lock()
				creators++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if creators != 1 {
		t.Errorf("%d of %d racing writers were told they created the technician; want 1", creators, writers)
	}
}

func testWorkOrderRoundTrip(t *testing.T, s Store) {
	ctx := t.Context()
	want := WorkOrder("WO-1")
	if err := s.PutWorkOrder(ctx, want); err != nil {
		t.Fatalf("PutWorkOrder: %v", err)
	}
	got, err := s.GetWorkOrder(ctx, "WO-1")
	if err != nil {
		t.Fatalf("GetWorkOrder: %v", err)
	}
	sameJSON(t, "GetWorkOrder", got, want)
}

func testWorkOrderList(t *testing.T, s Store) {
	ctx := t.Context()
	list, err := s.ListWorkOrders(ctx)
	if err != nil || list == nil || len(list) != 0 {
		t.Fatalf("ListWorkOrders on an empty store = %v, %v; want an empty list", list, err)
	}
	for _, id := range []string{"WO-2", "WO-10", "WO-1", "WO-2"} {
		if err := s.PutWorkOrder(ctx, WorkOrder(id)); err != nil {
			t.Fatal(err)
		}
	}
	list, err = s.ListWorkOrders(ctx)
	if got := orderIDs(list); err != nil || fmt.Sprint(got) != "[WO-1 WO-10 WO-2]" {
		t.Errorf("ListWorkOrders = %v, %v; want [WO-1 WO-10 WO-2] (sorted by id)", got, err)
	}
}

// testCopiesNotShared changes values after putting and after getting them:
// the stored record must not change.
func testCopiesNotShared(t *testing.T, s Store) {
	ctx := t.Context()
	tech := Technician("T1")
	if _, err := s.PutTechnician(ctx, tech); err != nil {
		t.Fatal(err)
	}
	tech.Skills["hvac"] = 1
	tech.Tools[0] = "changed"
	got, _ := s.GetTechnician(ctx, "T1")
	got.Skills["hvac"] = 2
	*got.Active = false
	again, err := s.GetTechnician(ctx, "T1")
	if err != nil {
		t.Fatal(err)
	}
	sameJSON(t, "after changing the caller's copies", again, Technician("T1"))
}
