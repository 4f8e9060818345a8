package api_test

import (
	"testing"

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
	return redistest.Open(t, "api", redisstore.Options{})
}

// stores runs a test on the memory store and on a real Redis.
func stores(t *testing.T, test func(t *testing.T, st api.Store)) {
	t.Run("memory", func(t *testing.T) { test(t, store.NewMemory()) })
	t.Run("redis", func(t *testing.T) { test(t, openRedis(t)) })
}
