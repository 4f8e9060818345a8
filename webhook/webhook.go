// Package webhook is dispatchd's webhook wire format and the HTTP client
// that posts deliveries: how a delivery is signed (Sign) and how a
// receiver checks it (Verify).
//
// Every delivery is a POST of a JSON body (dispatch.WebhookBody) with
// these headers:
//
//	Content-Type: application/json
//	Dispatchd-Delivery: <delivery id>     the same on every attempt of a delivery
//	Dispatchd-Event: <event type>
//	Dispatchd-Attempt: <n>                1 for the first attempt
//	Dispatchd-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256>
//
// The signature is HMAC-SHA256, keyed by the webhook's secret, of the
// timestamp in decimal, a full stop, and the body exactly as received:
// "<t>.<body>". A receiver recomputes it and compares in constant time,
// and refuses a timestamp far from its clock (a replayed delivery): that
// is Verify. The timestamp is the attempt's, so each attempt of a
// delivery is signed anew; the delivery id tells repeats apart
// (delivery is at least once).
package webhook

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/dispatchd/dispatchd/dispatch"
)

// The headers of a delivery.
const (
	HeaderSignature = "Dispatchd-Signature"
	HeaderDelivery  = "Dispatchd-Delivery"
	HeaderEvent     = "Dispatchd-Event"
	HeaderAttempt   = "Dispatchd-Attempt"
)

// DefaultTolerance is how far a delivery's timestamp may be from the
// receiver's clock when Verify is given no other.
const DefaultTolerance = 5 * time.Minute

// Sign returns the signature header of a body sent at t.
func Sign(secret string, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + mac(secret, ts, body)
}

func mac(secret, ts string, body []byte) string {
	h := hmac.New(sha256.New, []byte(secret))
	h.Write([]byte(ts))
	h.Write([]byte{'.'})
	h.Write(body)
	return hex.EncodeToString(h.Sum(nil))
}

// The ways a signature fails Verify.
var (
	ErrNoSignature  = errors.New("webhook: no signature")
	ErrBadSignature = errors.New("webhook: the signature does not match the body")
	ErrStale        = errors.New("webhook: the signature's timestamp is too far from now")
)

// Verify checks a signature header against the body received, with the
// webhook's secret: the HMAC must match (compared in constant time) and
// its timestamp be within tolerance of now (zero means
// DefaultTolerance). A header may carry several v1 values (a secret being
// rotated): one matching is enough.
func Verify(secret, header string, body []byte, now time.Time, tolerance time.Duration) error {
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	var ts string
	var sigs []string
	for _, part := range strings.Split(header, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			sigs = append(sigs, v)
		}
	}
	if ts == "" || len(sigs) == 0 {
		return ErrNoSignature
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: timestamp %q", ErrNoSignature, ts)
	}
	if d := now.Sub(time.Unix(sec, 0)); d > tolerance || d < -tolerance {
		return fmt.Errorf("%w: signed %v from now", ErrStale, d.Round(time.Second))
	}
	want := []byte(mac(secret, ts, body))
	for _, s := range sigs {
		if hmac.Equal([]byte(s), want) {
			return nil
		}
	}
	return ErrBadSignature
}

// Client posts deliveries over HTTP: it is a dispatch.Poster.
type Client struct {
	http *http.Client
	now  func() time.Time
}

// NewClient returns a client. Each attempt's time limit is its context's
// deadline; redirects are not followed (a receiver that moved answers
// 3xx, which is an attempt that failed).
func NewClient() *Client {
	return &Client{now: time.Now, http: &http.Client{
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// maxAnswer bounds what is read of a receiver's answer: enough for an
// error message, and the connection can be reused.
const maxAnswer = 4 << 10

// Post signs and posts one attempt, and returns the receiver's status. A
// status other than 2xx is an error that quotes the start of the answer.
func (c *Client) Post(ctx context.Context, p dispatch.Post) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.URL, bytes.NewReader(p.Body))
	if err != nil {
		return 0, fmt.Errorf("webhook: building the request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "dispatchd-webhook/1")
	req.Header.Set(HeaderDelivery, p.DeliveryID)
	req.Header.Set(HeaderEvent, string(p.Type))
	req.Header.Set(HeaderAttempt, strconv.Itoa(p.Attempt))
	req.Header.Set(HeaderSignature, Sign(p.Secret, c.now(), p.Body))
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, fmt.Errorf("webhook: posting to %s: %w", req.URL.Redacted(), err)
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		snippet := strings.TrimSpace(string(answer))
		if len(snippet) > 200 {
			snippet = snippet[:200] + "…"
		}
		if snippet != "" {
			return resp.StatusCode, fmt.Errorf("the receiver answered %d: %s", resp.StatusCode, snippet)
		}
		return resp.StatusCode, fmt.Errorf("the receiver answered %d", resp.StatusCode)
	}
	return resp.StatusCode, nil
}
