package api_test

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dispatchd/dispatchd/api"
	"github.com/dispatchd/dispatchd/model"
	"github.com/dispatchd/dispatchd/store"
	"github.com/dispatchd/dispatchd/store/storetest"
)

// liveCalls is a memory store that records the ids of each Live call.
type liveCalls struct {
	*store.Memory
	mu    sync.Mutex
	calls [][]string
}

func (s *liveCalls) Live(ctx context.Context, ids ...string) (map[string]store.Live, error) {
	s.mu.Lock()
	s.calls = append(s.calls, slices.Clone(ids))
	s.mu.Unlock()
	return s.Memory.Live(ctx, ids...)
}

func (s *liveCalls) take() [][]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.calls
	s.calls = nil
	return c
}

// TestNearReadsOnlyNearbyLive: GET /v1/technicians?near= reads the live
// state of the technicians Near found, not of the whole deployment — and
// none when nobody is near.
func TestNearReadsOnlyNearbyLive(t *testing.T) {
	st := &liveCalls{Memory: store.NewMemory()}
	for i, id := range []string{"T1", "T2", "T3"} {
		if _, err := st.PutTechnician(t.Context(), storetest.Technician(id)); err != nil {
			t.Fatal(err)
		}
		p := model.Position{TechnicianID: id, Lat: 39.75 + float64(i)*0.2, Lng: -104.98, At: at(9, 0)}
		if _, err := st.UpdatePosition(t.Context(), p, "available"); err != nil {
			t.Fatal(err)
		}
	}
	ts := serveWith(t, api.Options{Store: st, Clock: func() time.Time { return at(9, 30) }})
	for _, tt := range []struct {
		query string
		want  string     // the ids listed
		calls [][]string // the Live calls
	}{
		{"", "T1,T2,T3", [][]string{nil}},
		{"?near=39.75,-104.98&radius_m=1000", "T1", [][]string{{"T1"}}},
		{"?near=39.85,-104.98&radius_m=20000", "T1,T2", [][]string{{"T1", "T2"}}},
		{"?near=10,10", "", nil},
	} {
		var list struct {
			Technicians []struct {
				ID   string
				Live *store.Live
			}
		}
		expect(t, "list "+tt.query, do(t, "GET", ts.URL+"/v1/technicians"+tt.query, nil), 200, &list)
		var ids []string
		for _, x := range list.Technicians {
			ids = append(ids, x.ID)
			if x.Live == nil {
				t.Errorf("GET /v1/technicians%s: %s without its live state", tt.query, x.ID)
			}
		}
		if got := strings.Join(ids, ","); got != tt.want {
			t.Errorf("GET /v1/technicians%s = %q, want %q", tt.query, got, tt.want)
		}
		if got := st.take(); !slices.EqualFunc(got, tt.calls, slices.Equal) {
			t.Errorf("GET /v1/technicians%s called Live with %q, want %q", tt.query, got, tt.calls)
		}
	}
}

// TestReplacingATechnicianAnswersConflicts: PUT of a technician whose new
// shift leaves a dispatched order outside it answers 200 with the
// conflict, naming the order, on both stores.
func TestReplacingATechnicianAnswersConflicts(t *testing.T) {
	stores(t, func(t *testing.T, st api.Store) {
		ts := serveWith(t, api.Options{Store: st, Clock: func() time.Time { return at(7, 0) }})
		u := ts.URL
		tech := storetest.Technician("T1")
		tech.Shift = model.Shift{Start: at(8, 0), End: at(17, 0)}
		tech.Breaks, tech.Overtime = nil, 0
		expect(t, "create T1", do(t, "PUT", u+"/v1/technicians/T1", tech), 201, nil)
		var w model.WorkOrder
		expect(t, "create", do(t, "POST", u+"/v1/workorders", map[string]any{"location": map[string]any{"lat": 39.74, "lng": -104.99}, "duration_s": 3600}), 201, &w)
		expect(t, "dispatch", do(t, "POST", u+"/v1/workorders/"+w.ID+"/dispatch", map[string]any{"technician_ids": []string{"T1"}, "scheduled_start": at(15, 0)}), 200, nil)
		tech.Shift.End = at(14, 0)
		var view struct{ Conflicts []model.Conflict }
		expect(t, "shorten T1's shift", do(t, "PUT", u+"/v1/technicians/T1", tech), 200, &view)
		if !slices.ContainsFunc(view.Conflicts, func(c model.Conflict) bool { return c.WorkOrderID == w.ID }) {
			t.Errorf("the replacement answered conflicts %v, want one of %s", view.Conflicts, w.ID)
		}
	})
}
