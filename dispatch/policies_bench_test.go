package dispatch_test

import (
	"context"
	"fmt"
	"log/slog"
	"testing"

	"github.com/dispatchd/dispatchd/dispatch"
	"github.com/dispatchd/dispatchd/model"
	"github.com/dispatchd/dispatchd/store"
)

// BenchmarkActivePolicy is what an inline suggestion or plan pays to
// learn the active policy: one revision read of the policy book (an HMGET
// of one field on Redis) and the replica's cached book, with 20 policies
// stored. The stored suggestion path pays no read of its own (the
// revision rides on the stored day's HMGET):
//
//	go test ./dispatch -run '^$' -bench ActivePolicy
func BenchmarkActivePolicy(b *testing.B) {
	for _, name := range []string{"memory", "redis"} {
		b.Run("store="+name, func(b *testing.B) {
			var st dispatch.Store = store.NewMemory()
			if name == "redis" {
				st = openRedis(b)
			}
			svc, err := dispatch.New(dispatch.Options{Store: st, Logger: slog.New(slog.DiscardHandler)})
			if err != nil {
				b.Fatal(err)
			}
			defer svc.Shutdown(context.Background())
			ctx := b.Context()
			for i := range 20 {
				w := model.DefaultWeights()
				w.TravelTime = float64(i + 1)
				if _, _, err := svc.PutPolicy(ctx, fmt.Sprint("p", i), model.Policy{Weights: w}, operator("ops")); err != nil {
					b.Fatal(err)
				}
			}
			if _, err := svc.ActivatePolicy(ctx, "p7", operator("ops")); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				p, err := svc.ResolvePolicy(ctx, dispatch.PolicyChoice{})
				if err != nil || p.Name != "p7" {
					b.Fatal(p.Name, err)
				}
			}
		})
	}
}
