package webhook_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/dispatchd/dispatchd/dispatch"
	"github.com/dispatchd/dispatchd/webhook"
)

var sent = time.Date(2026, 11, 23, 9, 30, 0, 0, time.UTC)

func TestVerify(t *testing.T) {
	body := []byte(`{"delivery_id":"1-0:WH-1:T1"}`)
	good := webhook.Sign("s3cret-s3cret-s3cret", sent, body)
	other := webhook.Sign("another-secret-of-16", sent, body)
	for _, tc := range []struct {
		name, secret, header string
		body                 []byte
		now                  time.Time
		want                 error
	}{
		{"valid", "s3cret-s3cret-s3cret", good, body, sent.Add(time.Minute), nil},
		{"a rotated secret beside", "s3cret-s3cret-s3cret", other + ",v1=" + good[strings.Index(good, "v1=")+3:], body, sent, nil},
		{"another secret", "another-secret-of-16", good, body, sent, webhook.ErrBadSignature},
		{"a changed body", "s3cret-s3cret-s3cret", good, []byte(`{"delivery_id":"1-0:WH-1:T2"}`), sent, webhook.ErrBadSignature},
		{"replayed an hour later", "s3cret-s3cret-s3cret", good, body, sent.Add(time.Hour), webhook.ErrStale},
		{"from the future", "s3cret-s3cret-s3cret", good, body, sent.Add(-time.Hour), webhook.ErrStale},
		{"no header", "s3cret-s3cret-s3cret", "", body, sent, webhook.ErrNoSignature},
		{"no timestamp", "s3cret-s3cret-s3cret", "v1=abc", body, sent, webhook.ErrNoSignature},
		{"a bad timestamp", "s3cret-s3cret-s3cret", "t=noon,v1=abc", body, sent, webhook.ErrNoSignature},
	} {
		if err := webhook.Verify(tc.secret, tc.header, tc.body, tc.now, 0); !errors.Is(err, tc.want) {
			t.Errorf("%s: Verify = %v, want %v", tc.name, err, tc.want)
		}
	}
}

// TestClientPost posts through a real listener: the receiver sees the
// headers and a signature it can verify; a non-2xx answer is an error
// quoting it.
func TestClientPost(t *testing.T) {
	var got *http.Request
	var gotBody []byte
	status := http.StatusNoContent
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r
		gotBody, _ = io.ReadAll(r.Body)
		w.WriteHeader(status)
		if status >= 300 {
			fmt.Fprint(w, "database is down")
		}
	}))
	defer srv.Close()
	c := webhook.NewClient()
	p := dispatch.Post{URL: srv.URL + "/hooks", Secret: "s3cret-s3cret-s3cret", DeliveryID: "1-0:WH-1:T1", Type: "workorder.dispatched", Attempt: 2, Body: []byte(`{"a":1}`)}
	code, err := c.Post(t.Context(), p)
	if err != nil || code != http.StatusNoContent {
		t.Fatalf("Post = %d, %v", code, err)
	}
	if got.Method != http.MethodPost || got.URL.Path != "/hooks" || got.Header.Get("Content-Type") != "application/json" ||
		got.Header.Get(webhook.HeaderDelivery) != p.DeliveryID || got.Header.Get(webhook.HeaderEvent) != "workorder.dispatched" ||
		got.Header.Get(webhook.HeaderAttempt) != "2" || string(gotBody) != `{"a":1}` {
		t.Errorf("the receiver got %s %s %v %s", got.Method, got.URL, got.Header, gotBody)
	}
	if err := webhook.Verify(p.Secret, got.Header.Get(webhook.HeaderSignature), gotBody, time.Now(), 0); err != nil {
		t.Errorf("the receiver cannot verify the signature: %v", err)
	}
	status = http.StatusServiceUnavailable
	if code, err := c.Post(t.Context(), p); code != 503 || err == nil || !strings.Contains(err.Error(), "503: database is down") {
		t.Errorf("a 503: %d, %v", code, err)
	}
	status = http.StatusFound
	if code, err := c.Post(t.Context(), p); code != 302 || err == nil {
		t.Errorf("a redirect: %d, %v; want it not followed and failed", code, err)
	}
	srv.Close()
	if code, err := c.Post(t.Context(), p); code != 0 || err == nil {
		t.Errorf("a receiver that is down: %d, %v", code, err)
	}
}

// A receiver checks each delivery before it believes it.
func ExampleVerify() {
	secret := "s3cret-s3cret-s3cret" // given when the webhook was registered
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			http.Error(w, "cannot read the body", http.StatusBadRequest)
			return
		}
		if err := webhook.Verify(secret, r.Header.Get(webhook.HeaderSignature), body, time.Now(), 0); err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		// Deliveries come at least once: Dispatchd-Delivery tells repeats apart.
		fmt.Println("verified", r.Header.Get(webhook.HeaderDelivery))
	})
	srv := httptest.NewServer(handler)
	defer srv.Close()
	_, _ = webhook.NewClient().Post(context.Background(), dispatch.Post{URL: srv.URL, Secret: secret, DeliveryID: "1764581400000-0:WH-1:T1",
		Type: "workorder.dispatched", Attempt: 1, Body: []byte(`{"delivery_id":"1764581400000-0:WH-1:T1"}`)})
	// Output: verified 1764581400000-0:WH-1:T1
}
