package api_test

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/dispatchd/dispatchd/api"
	"github.com/dispatchd/dispatchd/scenario"
	"github.com/dispatchd/dispatchd/store"
)

// BenchmarkSuggestHTTP posts a suggestion for 200 technicians through a
// real listener: with free days (the body is the crew and their positions)
// and with busy days (8 jobs on every route, 1,600 orders in the body).
// Most of the time goes to reading the body, not to suggesting.
func BenchmarkSuggestHTTP(b *testing.B) {
	for _, stops := range []int{0, 8} {
		day := busyDayOf(b, scenario.BusyDayOptions{Technicians: 200, Stops: stops, Seed: 1})
		o := scenario.GenerateOrders(1, 2, day.Technicians)[0]
		body, err := json.Marshal(map[string]any{"work_order": o, "technicians": day.Technicians, "work_orders": day.Orders,
			"routes": day.Routes, "positions": day.Positions, "now": day.Now, "travel": day.Travel})
		if err != nil {
			b.Fatal(err)
		}
		h, err := api.New(api.Options{Store: store.NewMemory(), Logger: slog.New(slog.DiscardHandler), BootstrapKey: testAdmin})
		if err != nil {
			b.Fatal(err)
		}
		ts := httptest.NewServer(h)
		b.Run("stops="+strconv.Itoa(stops), func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				resp, err := http.Post(ts.URL+"/v1/suggest", "application/json", bytes.NewReader(body))
				if err != nil {
					b.Fatal(err)
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					b.Fatalf("status %d", resp.StatusCode)
				}
			}
		})
		ts.Close()
	}
}
