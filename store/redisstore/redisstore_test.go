package redisstore_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/dispatchd/dispatchd/store"
	"github.com/dispatchd/dispatchd/store/redisstore"
	"github.com/dispatchd/dispatchd/store/redistest"
	"github.com/dispatchd/dispatchd/store/storetest"
	"github.com/redis/go-redis/v9"
)

// openStore opens a store under a key prefix of its own, and when the test
// ends checks that the store's indexes match its records, then deletes
// every key under the prefix.
func openStore(t *testing.T) *redisstore.Store {
	t.Helper()
	s, _, _ := openStoreWith(t, redisstore.Options{})
	return s
}

// openStoreWith is openStore with options (whose prefix it replaces). It
// returns the store's own client too, for tests that look at keys or send
// commands of their own, and the prefix.
func openStoreWith(t *testing.T, opts redisstore.Options) (*redisstore.Store, *redis.Client, string) {
	t.Helper()
	opts.Prefix = redistest.Prefix("")
	s, rdb := redistest.OpenWithClient(t, "", opts)
	t.Cleanup(func() { // runs first
		if err := checkIndexes(context.Background(), rdb, opts.Prefix); err != nil {
			t.Errorf("indexes disagree with records:\n%v", err)
		}
	})
	return s, rdb, opts.Prefix
}

var _ storetest.Store = (*redisstore.Store)(nil)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Store { return openStore(t) })
}

func TestRetention(t *testing.T) {
	storetest.RunRetention(t, func(t *testing.T, retention int) storetest.Store {
		s, _, _ := openStoreWith(t, redisstore.Options{EventRetention: retention})
		return s
	})
}

func TestKeysStayUnderPrefix(t *testing.T) {
	s := openStore(t)
	ctx := t.Context()
	if _, err := s.PutTechnician(ctx, storetest.Technician("T1")); err != nil {
		t.Fatal(err)
	}
	// Another store with another prefix on the same database sees nothing.
	other := redistest.Open(t, "other", redisstore.Options{})
	list, err := other.ListTechnicians(ctx)
	if err != nil || len(list) != 0 {
		t.Errorf("a store under another prefix lists %v, %v", list, err)
	}
}

func TestUnreachableRedisIsUnavailable(t *testing.T) {
	addr := redistest.FreeAddr(t)
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	_, err := redisstore.Open(ctx, "redis://"+addr+"/0", redisstore.Options{})
	if !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("Open of a closed port: err = %v, want ErrUnavailable", err)
	}
	if _, err := redisstore.Open(ctx, "http://nope", redisstore.Options{}); err == nil || errors.Is(err, store.ErrUnavailable) {
		t.Errorf("Open of a bad URL: err = %v, want a parse error", err)
	}
}
