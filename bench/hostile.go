package bench

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/dispatchd/dispatchd/model"
	"github.com/dispatchd/dispatchd/scenario"
)

// HostileOptions configure Hostile, a load test of a running service
// (on loopback) with what an attacker or an unlucky operator sends.
type HostileOptions struct {
	// URL is the service, such as http://127.0.0.1:8080.
	URL string
	// Bodies is how many 3.9 MB hostile bodies are posted at once.
	Bodies int
	// Orders is the size of the planned day; TimeLimit its time_limit_s.
	Orders    int
	TimeLimit time.Duration
	Seed      uint64
	// Token is sent with every request (a dispatcher's or an admin's key),
	// when the service asks for keys.
	Token string
}

// HostileReport is what Hostile measured.
type HostileReport struct {
	// PeakRSS is the most resident memory /metrics reported while the
	// hostile bodies were served, bytes; Statuses their answers.
	PeakRSS  float64
	Statuses []int
	// PlanTook is how long a waited plan of Orders orders took to answer.
	PlanTook   time.Duration
	PlanStatus string
	// CancelTook is how long after its DELETE a running plan ended (by its
	// record's finished time).
	CancelTook   time.Duration
	CancelStatus string
}

// Hostile posts Bodies hostile bodies at once (1.3 M {} work orders each,
// under the 4 MiB cap) while sampling the service's resident memory; then
// plans a generated day of Orders orders with ?wait=true; then starts the
// same plan, cancels it after a second and measures how long it took to
// stop. Every loop is bounded: one round of each.
func Hostile(ctx context.Context, opts HostileOptions) (HostileReport, error) {
	var rep HostileReport
	client := bearerClient(opts.Token, 2*opts.Bodies+4)
	client.Timeout = 5 * time.Minute
	body := hostileOrders(3_900_000)
	stop := make(chan struct{})
	var peak sync.WaitGroup
	peak.Go(func() {
		for {
			if rss, err := residentMemory(ctx, client, opts.URL); err == nil && rss > rep.PeakRSS {
				rep.PeakRSS = rss
			}
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	})
	rep.Statuses = make([]int, opts.Bodies)
	var posts sync.WaitGroup
	for i := range opts.Bodies {
		posts.Go(func() {
			resp, err := post(ctx, client, opts.URL+"/v1/plans", body)
			if err == nil {
				rep.Statuses[i] = resp.StatusCode
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		})
	}
	posts.Wait()
	time.Sleep(100 * time.Millisecond)
	close(stop)
	peak.Wait()

	p, err := scenario.GenerateDay(scenario.DayOptions{Orders: opts.Orders, Technicians: max(1, opts.Orders/10), Seed: opts.Seed,
		Date: model.Date{Year: 2026, Month: 11, Day: 23}})
	if err != nil {
		return rep, err
	}
	plan, err := json.Marshal(map[string]any{"technicians": p.Technicians, "work_orders": p.WorkOrders, "travel": p.Travel,
		"time_limit_s": opts.TimeLimit.Seconds(), "seed": opts.Seed})
	if err != nil {
		return rep, err
	}
	began := time.Now()
	resp, err := post(ctx, client, opts.URL+"/v1/plans?wait=true", plan)
	if err != nil {
		return rep, fmt.Errorf("planning: %w", err)
	}
	var rec struct {
		ID       string     `json:"id"`
		Status   string     `json:"status"`
		Detail   string     `json:"detail"`
		Finished *time.Time `json:"finished"`
	}
	err = json.NewDecoder(resp.Body).Decode(&rec)
	resp.Body.Close()
	rep.PlanTook, rep.PlanStatus = time.Since(began), rec.Status+rec.Detail
	if err != nil {
		return rep, fmt.Errorf("planning: status %d: %w", resp.StatusCode, err)
	}

	resp, err = post(ctx, client, opts.URL+"/v1/plans", plan)
	if err != nil {
		return rep, fmt.Errorf("starting a plan to cancel: %w", err)
	}
	err = json.NewDecoder(resp.Body).Decode(&rec)
	resp.Body.Close()
	if err != nil || rec.ID == "" {
		return rep, fmt.Errorf("starting a plan to cancel: status %d: %v", resp.StatusCode, err)
	}
	time.Sleep(time.Second)
	req, _ := http.NewRequestWithContext(ctx, http.MethodDelete, opts.URL+"/v1/plans/"+rec.ID, nil)
	cancelled := time.Now()
	if resp, err = client.Do(req); err != nil {
		return rep, fmt.Errorf("cancelling: %w", err)
	}
	resp.Body.Close()
	for deadline := time.Now().Add(2 * time.Minute); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, opts.URL+"/v1/plans/"+rec.ID, nil)
		resp, err := client.Do(req)
		if err != nil {
			return rep, err
		}
		err = json.NewDecoder(resp.Body).Decode(&rec)
		resp.Body.Close()
		if err == nil && rec.Status != "running" && rec.Finished != nil {
			rep.CancelTook, rep.CancelStatus = rec.Finished.Sub(cancelled), rec.Status
			break
		}
	}
	return rep, nil
}

// hostileOrders is a plan body of empty work orders, about size bytes.
func hostileOrders(size int) []byte {
	var b bytes.Buffer
	b.WriteString(`{"technicians":[],"work_orders":[{}`)
	for b.Len() < size-3 {
		b.WriteString(",{}")
	}
	b.WriteString("]}")
	return b.Bytes()
}

func post(ctx context.Context, client *http.Client, url string, body []byte) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	return client.Do(req)
}

// residentMemory reads process_resident_memory_bytes from /metrics.
func residentMemory(ctx context.Context, client *http.Client, url string) (float64, error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url+"/metrics", nil)
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "process_resident_memory_bytes "); ok {
			return strconv.ParseFloat(v, 64)
		}
	}
	return 0, fmt.Errorf("no process_resident_memory_bytes in %s/metrics", url)
}
