package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/dispatchd/dispatchd/scenario"
)

// LoadOptions configure an HTTP load run against a dispatchd server.
type LoadOptions struct {
	// URL is the server's base URL, like http://127.0.0.1:8080.
	URL string
	// Target is "location" (live position pings), "suggest" (stateless
	// suggestions with Technicians in every body) or "stored-suggest"
	// (GET /v1/workorders/{id}/suggestions for the server's created
	// orders, against its stored day).
	Target      string
	Concurrency int
	Duration    time.Duration
	Technicians int
	// Stops is the number of jobs on each technician's route in a
	// suggestion body (their orders ride along in work_orders).
	Stops int
	Seed  uint64
}

// LoadReport is the outcome of a load run.
type LoadReport struct {
	Target           string
	Concurrency      int
	Requests, Errors int
	Duration         time.Duration
	PerSecond        float64
	Latency
	BodyBytes  int // of one request
	FirstError string
}

// Load hammers a dispatchd server with one kind of request from
// Concurrency clients for Duration and reports throughput and latency.
// For location pings it first creates the technicians through the API.
func Load(ctx context.Context, opts LoadOptions) (LoadReport, error) {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: opts.Concurrency * 2, MaxConnsPerHost: opts.Concurrency * 2}}
	var next func(worker, i int) (*http.Request, error)
	rep := LoadReport{Target: opts.Target, Concurrency: opts.Concurrency}
	switch opts.Target {
	case "location":
		day, err := scenario.GenerateDay(scenario.DayOptions{Technicians: opts.Technicians, Seed: opts.Seed})
		if err != nil {
			return rep, err
		}
		for _, t := range day.Technicians {
			if err := put(ctx, client, opts.URL+"/v1/technicians/"+t.ID, t); err != nil {
				return rep, fmt.Errorf("bench: creating the technicians: %w", err)
			}
		}
		base := time.Now()
		ping := func(worker, i int) (string, []byte) {
			t := day.Technicians[(worker*7919+i)%len(day.Technicians)]
			// Every ping is newer than the last: a microsecond per request
			// per worker, workers interleaved, so that even a million pings
			// stay within a second of the server's clock.
			at := base.Add(time.Duration(i*opts.Concurrency+worker) * time.Microsecond)
			body, _ := json.Marshal(map[string]any{"lat": t.Start.Lat + float64(i%100)*1e-4, "lng": t.Start.Lng, "at": at})
			return opts.URL + "/v1/technicians/" + t.ID + "/location", body
		}
		_, first := ping(0, 0)
		rep.BodyBytes = len(first)
		next = func(worker, i int) (*http.Request, error) {
			url, body := ping(worker, i)
			return http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
		}
	case "suggest":
		day, err := scenario.GenerateBusyDay(scenario.BusyDayOptions{Technicians: opts.Technicians, Stops: opts.Stops, Seed: opts.Seed})
		if err != nil {
			return rep, err
		}
		var bodies [][]byte
		for _, o := range scenario.GenerateOrders(32, opts.Seed+1, day.Technicians) {
			body, err := json.Marshal(map[string]any{"work_order": o, "technicians": day.Technicians, "work_orders": day.Orders,
				"routes": day.Routes, "positions": day.Positions, "now": day.Now, "travel": day.Travel})
			if err != nil {
				return rep, err
			}
			bodies = append(bodies, body)
		}
		rep.BodyBytes = len(bodies[0])
		next = func(worker, i int) (*http.Request, error) {
			return http.NewRequestWithContext(ctx, http.MethodPost, opts.URL+"/v1/suggest", bytes.NewReader(bodies[(worker+i)%len(bodies)]))
		}
	case "stored-suggest":
		ids, err := createdOrders(ctx, client, opts.URL)
		if err != nil {
			return rep, err
		}
		next = func(worker, i int) (*http.Request, error) {
			return http.NewRequestWithContext(ctx, http.MethodGet, opts.URL+"/v1/workorders/"+ids[(worker*7919+i)%len(ids)]+"/suggestions?limit=5", nil)
		}
	default:
		return rep, fmt.Errorf("bench: unknown target %q: want location, suggest or stored-suggest", opts.Target)
	}
	var mu sync.Mutex
	var lat []time.Duration
	var wg sync.WaitGroup
	start := time.Now()
	stop := start.Add(opts.Duration)
	for w := range opts.Concurrency {
		wg.Go(func() {
			var mine []time.Duration
			errs := 0
			first := ""
			for i := 0; time.Now().Before(stop) && ctx.Err() == nil; i++ {
				req, err := next(w, i)
				if err != nil {
					errs++
					continue
				}
				req.Header.Set("Content-Type", "application/json")
				t := time.Now()
				resp, err := client.Do(req)
				if err == nil {
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode >= 300 {
						err = fmt.Errorf("status %d", resp.StatusCode)
					}
				}
				mine = append(mine, time.Since(t))
				if err != nil {
					errs++
					if first == "" {
						first = err.Error()
					}
				}
			}
			mu.Lock()
			lat = append(lat, mine...)
			rep.Errors += errs
			if rep.FirstError == "" {
				rep.FirstError = first
			}
			mu.Unlock()
		})
	}
	wg.Wait()
	rep.Duration = time.Since(start)
	rep.Requests = len(lat)
	if rep.Requests == 0 {
		return rep, fmt.Errorf("bench: no request completed")
	}
	rep.Latency = latencyOf(lat)
	rep.PerSecond = float64(len(lat)) / rep.Duration.Seconds()
	return rep, nil
}

// createdOrders lists the ids of the server's orders waiting to be
// dispatched.
func createdOrders(ctx context.Context, client *http.Client, base string) ([]string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/v1/workorders?status=created&limit=1000", nil)
	if err != nil {
		return nil, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("bench: listing the created orders: %w", err)
	}
	defer resp.Body.Close()
	var page struct {
		WorkOrders []struct{ ID string } `json:"work_orders"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&page); err != nil || resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("bench: listing the created orders: status %d, %v", resp.StatusCode, err)
	}
	if len(page.WorkOrders) == 0 {
		return nil, fmt.Errorf("bench: the server has no created orders to suggest for (serve --demo has some)")
	}
	ids := make([]string, len(page.WorkOrders))
	for i, w := range page.WorkOrders {
		ids[i] = w.ID
	}
	return ids, nil
}

func put(ctx context.Context, client *http.Client, url string, v any) error {
	body, err := json.Marshal(v)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		data, _ := io.ReadAll(resp.Body)
		return fmt.Errorf("PUT %s: %d %s", url, resp.StatusCode, data)
	}
	return nil
}

// Write prints the report.
func (r LoadReport) Write(w io.Writer) {
	fmt.Fprintf(w, "%s: %d requests in %v from %d clients (%d-byte bodies): %.0f requests/s, %d errors\n",
		r.Target, r.Requests, r.Duration.Round(time.Millisecond), r.Concurrency, r.BodyBytes, r.PerSecond, r.Errors)
	fmt.Fprintf(w, "latency  p50 %v  p90 %v  p99 %v  max %v\n", us(r.P50), us(r.P90), us(r.P99), us(r.Max))
	if r.FirstError != "" {
		fmt.Fprintf(w, "first error: %s\n", r.FirstError)
	}
}
