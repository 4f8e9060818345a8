package api_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/dispatchd/dispatchd/api"
	"github.com/dispatchd/dispatchd/dispatch"
	"github.com/dispatchd/dispatchd/scenario"
	"github.com/dispatchd/dispatchd/store"
)

// BenchmarkStoredSuggestions serves GET /v1/workorders/{id}/suggestions
// through a real listener against a stored day of 200 technicians with 8
// jobs each and their live positions, on memory and on a real Redis, and
// reports the latency percentiles of the requests:
//
//	go test ./api -run '^$' -bench StoredSuggestions -benchtime 2000x
func BenchmarkStoredSuggestions(b *testing.B) {
	for _, name := range []string{"memory", "redis"} {
		b.Run("store="+name, func(b *testing.B) {
			var st api.Store = store.NewMemory()
			if name == "redis" {
				st = openRedisTB(b)
			}
			now := time.Now()
			day, err := scenario.GenerateDayAround(now, scenario.DayAroundOptions{Technicians: 200, Stops: 8, NewOrders: 50, Seed: 1})
			if err != nil {
				b.Fatal(err)
			}
			svc, err := dispatch.New(dispatch.Options{Store: st, Clock: func() time.Time { return now }})
			if err != nil {
				b.Fatal(err)
			}
			if err := svc.Import(b.Context(), day.Technicians, day.Orders, day.Positions, dispatch.Actor{Name: "bench"}); err != nil {
				b.Fatal(err)
			}
			_ = svc.Shutdown(context.Background())
			h, err := api.New(api.Options{Store: st, Logger: slog.New(slog.DiscardHandler), Clock: func() time.Time { return now }, BootstrapKey: testAdmin})
			if err != nil {
				b.Fatal(err)
			}
			ts := httptest.NewServer(h)
			defer ts.Close()
			var ids []string
			for _, w := range day.Orders {
				if w.Status == "" || w.Status == "created" {
					ids = append(ids, w.ID)
				}
			}
			lat := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for i := range b.N {
				began := time.Now()
				resp, err := http.Get(ts.URL + "/v1/workorders/" + ids[i%len(ids)] + "/suggestions?limit=5")
				if err != nil {
					b.Fatal(err)
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					b.Fatalf("status %d", resp.StatusCode)
				}
				lat = append(lat, time.Since(began))
			}
			b.StopTimer()
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
			_ = h.Shutdown(context.Background())
		})
	}
}
