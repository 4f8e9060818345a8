package api_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net"
	"os"
	"testing"
	"time"

	"github.com/dispatchd/dispatchd/api"
	"github.com/dispatchd/dispatchd/store"
	"github.com/dispatchd/dispatchd/store/redisstore"
)

// redisURL returns the Redis the tests use: $REDIS_URL (which `make test`
// sets, starting a server when none runs), else one answering on
// 127.0.0.1:6379. Without either the test fails: it is never skipped.
func redisURL(t *testing.T) string {
	t.Helper()
	if u := os.Getenv("REDIS_URL"); u != "" {
		return u
	}
	conn, err := net.DialTimeout("tcp", "127.0.0.1:6379", time.Second)
	if err != nil {
		t.Fatalf("no Redis for this test: REDIS_URL is not set and 127.0.0.1:6379 does not answer (%v); run the tests with `make test`, which starts one", err)
	}
	conn.Close()
	return "redis://127.0.0.1:6379/0"
}

// openRedis opens a Redis store under a key prefix of its own and deletes
// every key under it when the test ends.
func openRedis(t *testing.T) *redisstore.Store {
	t.Helper()
	var b [6]byte
	_, _ = rand.Read(b[:])
	prefix := "dispatchd-test:api-" + hex.EncodeToString(b[:]) + ":"
	s, err := redisstore.Open(t.Context(), redisURL(t), redisstore.Options{Prefix: prefix})
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
