package dispatch_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/dispatchd/dispatchd/dispatch"
	"github.com/dispatchd/dispatchd/model"
	"github.com/dispatchd/dispatchd/store"
	"github.com/dispatchd/dispatchd/store/redisstore"
	"github.com/dispatchd/dispatchd/store/redistest"
)

var zone = time.FixedZone("-0700", -7*3600)

// at is a time on the test day, 2026-11-23 in Denver's winter zone.
func at(h, m int) time.Time { return time.Date(2026, 11, 23, h, m, 0, 0, zone) }

func ptr[T any](v T) *T { return &v }

// openRedis opens a Redis store under a key prefix of its own and deletes
// every key under it when the test ends.
func openRedis(t testing.TB) *redisstore.Store {
	t.Helper()
	return redistest.Open(t, "dispatch", redisstore.Options{})
}

// env is a service on a store, with its clock at 07:00 on the test day.
type env struct {
	svc    *dispatch.Service
	store  dispatch.Store
	now    time.Time
	placed int // orders placed by order(), each further north
}

// stores runs a test on the memory store and on a real Redis.
func stores(t *testing.T, test func(t *testing.T, e *env)) { storesWith(t, dispatch.Options{}, test) }

// storesWith is stores with a service of those options (but its store,
// clock and logger).
func storesWith(t *testing.T, opts dispatch.Options, test func(t *testing.T, e *env)) {
	for _, name := range []string{"memory", "redis"} {
		t.Run(name, func(t *testing.T) {
			var st dispatch.Store = store.NewMemory()
			if name == "redis" {
				st = openRedis(t)
			}
			e := &env{store: st, now: at(7, 0)}
			opts.Store, opts.Clock, opts.Logger = st, func() time.Time { return e.now }, slog.New(slog.DiscardHandler)
			svc, err := dispatch.New(opts)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = svc.Shutdown(context.Background()) })
			e.svc = svc
			test(t, e)
		})
	}
}

// technician is an HVAC technician working 08:00–17:00 from a depot in
// central Denver, with an EPA-608 certification valid through 2027.
func technician(id string) model.Technician {
	return model.Technician{
		ID: id, Name: "Tech " + id, Skills: model.Skills{"hvac": 3},
		Certifications: []model.Certification{{Name: "EPA-608", Expires: model.Date{Year: 2027, Month: 3, Day: 1}}},
		Tools:          []string{"ladder"},
		Start:          model.LatLng(39.7392, -104.9903),
		Shift:          model.Shift{Start: at(8, 0), End: at(17, 0)},
	}
}

// intake is an HVAC repair at site S1 wanted between 10:00 and 12:00.
func intake() dispatch.Intake {
	return dispatch.Intake{
		CustomerID: "C1", CustomerName: "Acme", SiteID: "S1", EquipmentID: "RTU-1", JobType: "repair",
		Priority: model.PriorityHigh, Location: model.LatLng(39.7500, -104.9800), Address: "1 Main St",
		Duration: 3600, RequiredSkills: model.Skills{"hvac": 2},
		TimeWindows: []model.TimeWindow{{Start: at(10, 0), End: at(12, 0)}},
		Notes:       "rooftop unit", AccessInstructions: "gate code 4411",
	}
}

func (e *env) putTechnicians(t *testing.T, techs ...model.Technician) {
	t.Helper()
	for _, tech := range techs {
		if _, _, err := e.svc.PutTechnician(t.Context(), tech); err != nil {
			t.Fatalf("PutTechnician(%s): %v", tech.ID, err)
		}
	}
}

func (e *env) create(t *testing.T, in dispatch.Intake) model.WorkOrder {
	t.Helper()
	w, err := e.svc.CreateWorkOrder(t.Context(), in, desk("desk 3"))
	if err != nil {
		t.Fatalf("CreateWorkOrder: %v", err)
	}
	return w
}

// dispatched stores an order as already dispatched to a technician at a
// start, as a test's starting state.
func (e *env) dispatched(t *testing.T, id, tech string, start time.Time) model.WorkOrder {
	t.Helper()
	in := intake()
	in.ID = id
	in.SiteID = "site-" + id
	w := e.create(t, in)
	w.Status, w.TechnicianIDs, w.ScheduledStart = model.StatusDispatched, []string{tech}, &start
	if err := e.store.Commit(t.Context(), store.Change{Orders: []model.WorkOrder{w}}); err != nil {
		t.Fatal(err)
	}
	return w
}

// snapshot is everything a store holds about work orders, as JSON, so a
// test can tell that a refused request changed nothing.
func (e *env) snapshot(t *testing.T) string {
	t.Helper()
	ctx := t.Context()
	orders, err := e.store.ListWorkOrders(ctx)
	if err != nil {
		t.Fatal(err)
	}
	all := map[string]any{"orders": orders}
	for _, w := range orders {
		h, err := e.store.History(ctx, w.ID)
		if err != nil {
			t.Fatal(err)
		}
		all["history:"+w.ID] = h
	}
	data, err := json.Marshal(all)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// fields returns the fields a validation error names.
func fields(err error) []string {
	var ve *model.ValidationError
	if !errors.As(err, &ve) {
		return nil
	}
	var out []string
	for _, fe := range ve.Errors {
		out = append(out, fe.Field)
	}
	return out
}

// desk is an actor of a dispatcher's key, named name.
func desk(name string) dispatch.Actor { return dispatch.Actor{KeyID: "key-" + name, Name: name} }
