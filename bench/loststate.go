package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"
)

// LostStateReport is what LostState saw.
type LostStateReport struct {
	// Before is /readyz's status before the restart; After its status and
	// problem title once it changed, Took how long after the restart.
	Before     int
	After      int
	AfterTitle string
	Took       time.Duration
}

// LostState checks that a service notices when its store comes back
// empty: /readyz answers 200, then restart (a Redis restarted without
// persistence) runs, and /readyz is polled until it answers anything but
// 200, for up to a minute.
func LostState(ctx context.Context, url string, restart func() error) (LostStateReport, error) {
	var rep LostStateReport
	client := &http.Client{Timeout: 5 * time.Second}
	ready := func() (int, string, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url+"/readyz", nil)
		if err != nil {
			return 0, "", err
		}
		resp, err := client.Do(req)
		if err != nil {
			return 0, "", err
		}
		defer resp.Body.Close()
		data, _ := io.ReadAll(resp.Body)
		var p struct{ Title string }
		_ = json.Unmarshal(data, &p)
		return resp.StatusCode, p.Title, nil
	}
	code, _, err := ready()
	if err != nil {
		return rep, fmt.Errorf("bench: /readyz before the restart: %w", err)
	}
	rep.Before = code
	if err := restart(); err != nil {
		return rep, fmt.Errorf("bench: restarting the store: %w", err)
	}
	began := time.Now()
	for deadline := began.Add(time.Minute); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		code, title, err := ready()
		if err == nil && code != http.StatusOK {
			rep.After, rep.AfterTitle, rep.Took = code, title, time.Since(began)
			return rep, nil
		}
	}
	return rep, fmt.Errorf("bench: /readyz still answers 200 a minute after the store lost its state")
}
