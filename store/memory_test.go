package store_test

import (
	"testing"

	"github.com/dispatchd/dispatchd/store"
	"github.com/dispatchd/dispatchd/store/storetest"
)

func TestMemoryConformance(t *testing.T) {
	storetest.Run(t, func(*testing.T) storetest.Store { return store.NewMemory() })
}
