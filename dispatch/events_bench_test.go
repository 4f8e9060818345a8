package dispatch_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/dispatchd/dispatchd/dispatch"
	"github.com/dispatchd/dispatchd/model"
	"github.com/dispatchd/dispatchd/store"
	"github.com/dispatchd/dispatchd/store/redisstore"
	"github.com/dispatchd/dispatchd/store/redistest"
	"github.com/dispatchd/dispatchd/webhook"
)

// replicas returns n services on one store each — for Redis n stores with
// clients of their own under one prefix, as n replicas would be — and the
// first store.
func replicas(b *testing.B, redis bool, n int, opts dispatch.Options) ([]*dispatch.Service, dispatch.Store) {
	b.Helper()
	prefix := redistest.Prefix("bench")
	var first dispatch.Store
	var out []*dispatch.Service
	shared := store.NewMemory()
	for i := range n {
		var st dispatch.Store = shared
		if redis {
			st = redistest.Open(b, "", redisstore.Options{Prefix: prefix})
		}
		if i == 0 {
			first = st
		}
		o := opts
		o.Store, o.Logger = st, slog.New(slog.DiscardHandler)
		o.Clock = func() time.Time { return at(7, 0) }
		svc, err := dispatch.New(o)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _ = svc.Shutdown(context.Background()) })
		out = append(out, svc)
	}
	return out, first
}

// quantiles reports the 50th and 99th percentiles of durations, in ms.
func quantiles(b *testing.B, name string, ds []time.Duration) {
	b.Helper()
	slices.Sort(ds)
	q := func(p float64) float64 { return float64(ds[min(len(ds)-1, int(p*float64(len(ds))))]) / 1e6 }
	b.ReportMetric(q(0.50), name+"-p50-ms")
	b.ReportMetric(q(0.99), name+"-p99-ms")
}

// BenchmarkEventFanOut measures how long a change made on replica A
// takes to reach live subscribers on replica B: from the start of the
// call that makes it to each subscriber's receipt. With Redis the two
// replicas are two stores with clients of their own (XADD in A's commit,
// XREAD BLOCK in B's reader); with memory one process.
//
//	go test ./dispatch -run '^$' -bench EventFanOut -benchtime 500x -count 5
func BenchmarkEventFanOut(b *testing.B) {
	for _, bc := range []struct {
		name  string
		redis bool
		subs  int
	}{{"memory/1", false, 1}, {"redis/1", true, 1}, {"redis/100", true, 100}} {
		b.Run(bc.name, func(b *testing.B) {
			svcs, _ := replicas(b, bc.redis, 2, dispatch.Options{})
			a, bb := svcs[0], svcs[1]
			var subs []*dispatch.Subscription
			for range bc.subs {
				sub, err := bb.Subscribe(b.Context(), dispatch.SubscribeOptions{Types: []model.EventType{model.EventWorkOrderCreated}, Buffer: 1 << 16}, desk("board"))
				if err != nil {
					b.Fatal(err)
				}
				subs = append(subs, sub)
			}
			var e2e, calls []time.Duration
			b.ResetTimer()
			for i := range b.N {
				in := intake()
				in.SiteID = fmt.Sprintf("S-%d", i)
				began := time.Now()
				if _, err := a.CreateWorkOrder(b.Context(), in, desk("bench")); err != nil {
					b.Fatal(err)
				}
				calls = append(calls, time.Since(began))
				for _, sub := range subs {
					select {
					case <-sub.Events():
						e2e = append(e2e, time.Since(began))
					case <-time.After(10 * time.Second):
						b.Fatal("no event in 10 s")
					}
				}
			}
			b.StopTimer()
			quantiles(b, "change-to-subscriber", e2e)
			quantiles(b, "change-call", calls)
		})
	}
}

// BenchmarkWebhookDelivery measures how long a change takes to reach a
// webhook receiver over loopback HTTP, signed: from the start of the call
// that makes it to the receiver's handler. With Redis the change is made
// on replica A and delivered by replica B, as it may be in production.
//
//	go test ./dispatch -run '^$' -bench WebhookDelivery -benchtime 300x -count 5
func BenchmarkWebhookDelivery(b *testing.B) {
	for _, bc := range []struct {
		name  string
		redis bool
	}{{"memory", false}, {"redis", true}} {
		b.Run(bc.name, func(b *testing.B) {
			got := make(chan time.Time, 1024)
			receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_, _ = io.Copy(io.Discard, r.Body)
				got <- time.Now()
			}))
			defer receiver.Close()
			n := 1
			if bc.redis {
				n = 2
			}
			svcs, st := replicas(b, bc.redis, n, dispatch.Options{})
			a := svcs[0]
			if bc.redis {
				// Only B delivers: A has no Poster.
				bsvc, err := dispatch.New(dispatch.Options{Store: st, Logger: slog.New(slog.DiscardHandler), Clock: func() time.Time { return at(7, 0) },
					Webhooks: dispatch.WebhookOptions{Poster: webhook.NewClient()}})
				if err != nil {
					b.Fatal(err)
				}
				defer bsvc.Shutdown(context.Background())
			} else {
				svc, err := dispatch.New(dispatch.Options{Store: st, Logger: slog.New(slog.DiscardHandler), Clock: func() time.Time { return at(7, 0) },
					Webhooks: dispatch.WebhookOptions{Poster: webhook.NewClient()}})
				if err != nil {
					b.Fatal(err)
				}
				defer svc.Shutdown(context.Background())
				a = svc
			}
			if _, err := a.RegisterWebhook(b.Context(), dispatch.WebhookRequest{URL: receiver.URL, Types: []model.EventType{model.EventWorkOrderCreated}}, desk("admin")); err != nil {
				b.Fatal(err)
			}
			var e2e []time.Duration
			b.ResetTimer()
			for i := range b.N {
				in := intake()
				in.SiteID = fmt.Sprintf("S-%d", i)
				began := time.Now()
				if _, err := a.CreateWorkOrder(b.Context(), in, desk("bench")); err != nil {
					b.Fatal(err)
				}
				select {
				case t := <-got:
					e2e = append(e2e, t.Sub(began))
				case <-time.After(10 * time.Second):
					b.Fatal("no delivery in 10 s")
				}
			}
			b.StopTimer()
			quantiles(b, "change-to-receiver", e2e)
		})
	}
}
