package store_test

import (
	"testing"

	"github.com/dispatchd/dispatchd/store"
	"github.com/dispatchd/dispatchd/store/storetest"
)

var _ storetest.Store = (*store.Memory)(nil)

// TestMemoryConformance runs the suite, and after every test checks that
// the store's indexes match its records.
func TestMemoryConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Store {
		m := store.NewMemory()
		t.Cleanup(func() {
			if err := store.CheckIndexes(m); err != nil {
				t.Errorf("indexes disagree with records:\n%v", err)
			}
		})
		return m
	})
}

func TestMemoryRetention(t *testing.T) {
	storetest.RunRetention(t, func(t *testing.T, retention int) storetest.Store {
		return store.NewMemoryWith(store.MemoryOptions{EventRetention: retention})
	})
}
