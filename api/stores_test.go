package api_test

import (
	"context"
	"testing"
	"time"

	"github.com/dispatchd/dispatchd/api"
	"github.com/dispatchd/dispatchd/store"
	"github.com/dispatchd/dispatchd/store/redisstore"
	"github.com/dispatchd/dispatchd/store/redistest"
)

// openRedis opens a Redis store under a key prefix of its own and deletes
// every key under it when the test ends.
func openRedis(t *testing.T) *redisstore.Store { return openRedisTB(t) }

// openRedisTB is openRedis for tests and benchmarks.
func openRedisTB(t testing.TB) *redisstore.Store {
	t.Helper()
	s, err := redisstore.Open(t.Context(), redistest.URL(t), redisstore.Options{Prefix: redistest.Prefix("api")})
	if err != nil {
		t.Fatalf("opening the Redis store: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := s.Purge(ctx); err != nil {
			t.Errorf("deleting the test's keys: %v", err)
		}
		s.Close()
	})
	return s
}

// stores runs a test on the memory store and on a real Redis.
func stores(t *testing.T, test func(t *testing.T, st api.Store)) {
	t.Run("memory", func(t *testing.T) { test(t, store.NewMemory()) })
	t.Run("redis", func(t *testing.T) { test(t, openRedis(t)) })
}
