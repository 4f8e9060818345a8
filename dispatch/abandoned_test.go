package dispatch_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"testing"
	"time"

	"github.com/dispatchd/dispatchd/dispatch"
	"github.com/dispatchd/dispatchd/store"
)

// TestAbandonedRunsShowAsFailed: a plan or compare recorded as running
// by a replica that stopped reporting is shown as failed once it is past
// its time limit (a compare's: the limit for each of its plans) and
// PlanGrace, and as running until then.
func TestAbandonedRunsShowAsFailed(t *testing.T) {
	created := at(7, 0)
	for _, c := range []struct {
		name, id string
		record   any
		read     func(*dispatch.Service, string) (string, string, error)
		// alive is still within limit and grace; gone is past them.
		alive, gone time.Duration
	}{
		{"plan", "0123456789abcdef",
			dispatch.PlanRecord{ID: "0123456789abcdef", Status: dispatch.PlanRunning, Created: created, TimeLimit: 60},
			func(s *dispatch.Service, id string) (string, string, error) {
				r, err := s.Plan(context.Background(), id)
				return r.Status, r.Error, err
			},
			time.Minute + dispatch.PlanGrace - time.Second, time.Minute + dispatch.PlanGrace + time.Second},
		{"compare of three", "cmp-0123456789abcdef",
			dispatch.CompareRecord{ID: "cmp-0123456789abcdef", Status: dispatch.PlanRunning, Created: created, TimeLimit: 60,
				Progress: dispatch.CompareProgress{Total: 3}},
			func(s *dispatch.Service, id string) (string, string, error) {
				r, err := s.Comparison(context.Background(), id)
				return r.Status, r.Error, err
			},
			3*time.Minute + dispatch.PlanGrace - time.Second, 3*time.Minute + dispatch.PlanGrace + time.Second},
	} {
		t.Run(c.name, func(t *testing.T) {
			st := store.NewMemory()
			data, err := json.Marshal(c.record)
			if err != nil {
				t.Fatal(err)
			}
			if err := st.PutPlan(context.Background(), c.id, data, time.Hour); err != nil {
				t.Fatal(err)
			}
			for _, tc := range []struct {
				after  time.Duration
				status string
			}{{c.alive, dispatch.PlanRunning}, {c.gone, dispatch.PlanFailed}} {
				now := created.Add(tc.after)
				svc, err := dispatch.New(dispatch.Options{Store: st, Clock: func() time.Time { return now }, Logger: slog.New(slog.DiscardHandler)})
				if err != nil {
					t.Fatal(err)
				}
				status, msg, err := c.read(svc, c.id)
				if err != nil || status != tc.status || (status == dispatch.PlanFailed) != (msg != "") {
					t.Errorf("%v after it was made: status %q, error %q (%v); want %q", tc.after, status, msg, err, tc.status)
				}
			}
		})
	}
}
