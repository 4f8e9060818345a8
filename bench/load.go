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
	// Token is an admin key's token, for a server that asks for keys: it
	// creates the technicians and, for location pings, one technician
	// key per technician, so that each ping comes with its technician's
	// own key as a device's would. Empty sends no credentials.
	Token string
	// Plans are started before the load and cancelled after it, each a
	// generated day of PlanOrders orders with a time limit of PlanTime,
	// posted by PlanKeys dispatcher keys in turn (with a Token; else
	// anonymously): what plans running do to the load.
	Plans, PlanOrders, PlanKeys int
	PlanTime                    time.Duration
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
	// PlanStatuses are the answers to the plans' posts (202 started, 429
	// refused).
	PlanStatuses []int
}

// Load hammers a dispatchd server with one kind of request from
// Concurrency clients for Duration and reports throughput and latency.
// For location pings it first creates the technicians through the API.
func Load(ctx context.Context, opts LoadOptions) (LoadReport, error) {
	client := bearerClient(opts.Token, opts.Concurrency*2)
	var next func(worker, i int) (*http.Request, error)
	rep := LoadReport{Target: opts.Target, Concurrency: opts.Concurrency}
	switch opts.Target {
	case "location":
		day, err := scenario.GenerateDay(scenario.DayOptions{Technicians: opts.Technicians, Seed: opts.Seed})
		if err != nil {
			return rep, err
		}
		keys := make([]string, len(day.Technicians))
		for i, t := range day.Technicians {
			if err := send(ctx, client, http.MethodPut, opts.URL+"/v1/technicians/"+t.ID, t, nil); err != nil {
				return rep, fmt.Errorf("bench: creating the technicians: %w", err)
			}
			if opts.Token != "" {
				var k struct{ Token string }
				if err := send(ctx, client, http.MethodPost, opts.URL+"/v1/keys", map[string]string{"role": "technician",
					"name": "bench " + t.ID, "technician_id": t.ID}, &k); err != nil {
					return rep, fmt.Errorf("bench: creating the technicians' keys: %w", err)
				}
				keys[i] = k.Token
			}
		}
		base := time.Now()
		ping := func(worker, i int) (string, []byte, string) {
			n := (worker*7919 + i) % len(day.Technicians)
			t := day.Technicians[n]
			// Every ping is newer than the last: a microsecond per request
			// per worker, workers interleaved, so that even a million pings
			// stay within a second of the server's clock.
			at := base.Add(time.Duration(i*opts.Concurrency+worker) * time.Microsecond)
			body, _ := json.Marshal(map[string]any{"lat": t.Start.Lat + float64(i%100)*1e-4, "lng": t.Start.Lng, "at": at})
			return opts.URL + "/v1/technicians/" + t.ID + "/location", body, keys[n]
		}
		_, first, _ := ping(0, 0)
		rep.BodyBytes = len(first)
		next = func(worker, i int) (*http.Request, error) {
			url, body, key := ping(worker, i)
			req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
			if err == nil && key != "" {
				req.Header.Set("Authorization", "Bearer "+key)
			}
			return req, err
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
	plans, err := startPlans(ctx, client, opts, &rep)
	if err != nil {
		return rep, err
	}
	defer plans.cancel()
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

// running are the plans a load run started, to cancel when it ends.
type running struct {
	client *http.Client
	url    string
	ids    []string
}

// startPlans posts the plans of a load run, each with the next planner's
// key, and waits until each that was let in has built its first plan and
// is improving it: the load then meets plans at full work. The client's
// own key (an admin's) follows and cancels them.
func startPlans(ctx context.Context, client *http.Client, opts LoadOptions, rep *LoadReport) (*running, error) {
	out := &running{client: client, url: opts.URL}
	if opts.Plans == 0 {
		return out, nil
	}
	day, err := scenario.GenerateDay(scenario.DayOptions{Orders: opts.PlanOrders, Technicians: max(1, opts.PlanOrders/10), Seed: opts.Seed})
	if err != nil {
		return nil, err
	}
	body, err := json.Marshal(map[string]any{"technicians": day.Technicians, "work_orders": day.WorkOrders, "time_limit_s": opts.PlanTime.Seconds()})
	if err != nil {
		return nil, err
	}
	tokens := make([]string, max(1, opts.PlanKeys))
	for i := range tokens {
		if opts.Token == "" {
			continue
		}
		var k struct{ Token string }
		if err := send(ctx, client, http.MethodPost, opts.URL+"/v1/keys", map[string]string{"role": "dispatcher", "name": fmt.Sprintf("bench plans %d", i+1)}, &k); err != nil {
			return nil, fmt.Errorf("bench: creating the planners' keys: %w", err)
		}
		tokens[i] = k.Token
	}
	for i := range opts.Plans {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, opts.URL+"/v1/plans", bytes.NewReader(body))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Content-Type", "application/json")
		token := tokens[i%len(tokens)]
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := client.Do(req)
		if err != nil {
			return nil, fmt.Errorf("bench: posting a plan: %w", err)
		}
		var rec struct{ ID string }
		_ = json.NewDecoder(resp.Body).Decode(&rec)
		resp.Body.Close()
		rep.PlanStatuses = append(rep.PlanStatuses, resp.StatusCode)
		if resp.StatusCode == http.StatusAccepted {
			out.ids = append(out.ids, rec.ID)
		}
	}
	for _, id := range out.ids {
		for {
			var rec struct{ Progress struct{ Iterations int } }
			if err := send(ctx, client, http.MethodGet, opts.URL+"/v1/plans/"+id, nil, &rec); err != nil {
				return nil, fmt.Errorf("bench: following plan %s: %w", id, err)
			}
			if rec.Progress.Iterations > 0 {
				break
			}
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-time.After(100 * time.Millisecond):
			}
		}
	}
	return out, nil
}

func (r *running) cancel() {
	ctx, stop := context.WithTimeout(context.Background(), 10*time.Second)
	defer stop()
	for _, id := range r.ids {
		_ = send(ctx, r.client, http.MethodDelete, r.url+"/v1/plans/"+id, nil, nil)
	}
}

// send sends v as JSON (nil: no body) and decodes the answer into out
// (nil: drops it); an answer of 300 or more is an error.
func send(ctx context.Context, client *http.Client, method, url string, v, out any) error {
	var rd io.Reader
	if v != nil {
		body, err := json.Marshal(v)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return err
	}
	if v != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 {
		return fmt.Errorf("%s %s: %d %s", method, url, resp.StatusCode, data)
	}
	if out != nil {
		return json.Unmarshal(data, out)
	}
	return nil
}

// bearerClient is an HTTP client for conns connections to one host that
// sends the token with every request that carries no Authorization of
// its own (none when the token is empty).
func bearerClient(token string, conns int) *http.Client {
	t := &http.Transport{MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns}
	if token == "" {
		return &http.Client{Transport: t}
	}
	return &http.Client{Transport: bearer{token: token, next: t}}
}

type bearer struct {
	token string
	next  http.RoundTripper
}

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Header.Get("Authorization") == "" {
		r = r.Clone(r.Context())
		r.Header.Set("Authorization", "Bearer "+b.token)
	}
	return b.next.RoundTrip(r)
}

// Write prints the report.
func (r LoadReport) Write(w io.Writer) {
	fmt.Fprintf(w, "%s: %d requests in %v from %d clients (%d-byte bodies): %.0f requests/s, %d errors\n",
		r.Target, r.Requests, r.Duration.Round(time.Millisecond), r.Concurrency, r.BodyBytes, r.PerSecond, r.Errors)
	fmt.Fprintf(w, "latency  p50 %v  p90 %v  p99 %v  max %v\n", us(r.P50), us(r.P90), us(r.P99), us(r.Max))
	if r.FirstError != "" {
		fmt.Fprintf(w, "first error: %s\n", r.FirstError)
	}
	if len(r.PlanStatuses) > 0 {
		fmt.Fprintf(w, "plans posted during the load: answers %v\n", r.PlanStatuses)
	}
}
