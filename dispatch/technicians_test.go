package dispatch_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dispatchd/dispatchd/model"
)

// TestPositionStatus: the status a device posts with its position is one
// of model.LiveStatuses (or none, which keeps the last); anything else is
// refused naming status, and nothing is kept.
func TestPositionStatus(t *testing.T) {
	stores(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		e.putTechnicians(t, technician("T1"))
		at := e.now.Add(-time.Hour)
		pos := func() model.Position {
			at = at.Add(time.Minute)
			return model.Position{TechnicianID: "T1", Lat: 39.7, Lng: -105, At: at}
		}
		if _, err := e.svc.RecordPosition(ctx, pos(), model.LiveAvailable, desk("T1's phone")); err != nil {
			t.Fatal(err)
		}
		for _, bad := range []model.LiveStatus{"sleeping", "Available", model.LiveStatus(strings.Repeat("x", 10_000))} {
			_, err := e.svc.RecordPosition(ctx, pos(), bad, desk("T1's phone"))
			if f := fields(err); !slices.Equal(f, []string{"status"}) {
				t.Errorf("status %.20q: %v, want an error naming status", bad, err)
			}
		}
		live, err := e.store.Live(ctx, "T1")
		if err != nil {
			t.Fatal(err)
		}
		if l := live["T1"]; l.Status != string(model.LiveAvailable) || !l.Position.At.Before(at.Add(-2*time.Minute)) {
			t.Errorf("live state after refused positions: %+v, want the first one kept", l)
		}
		if _, err := e.svc.RecordPosition(ctx, pos(), "", desk("T1's phone")); err != nil {
			t.Fatal(err)
		}
		if live, _ := e.store.Live(ctx, "T1"); live["T1"].Status != string(model.LiveAvailable) {
			t.Errorf("a position without status made the status %q, want it kept", live["T1"].Status)
		}
	})
}
