package storetest

import (
	"bytes"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/dispatchd/dispatchd/store"
)

func testKeyRoundTrip(t *testing.T, s Store) {
	ctx := t.Context()
	if got, err := s.ListKeys(ctx); err != nil || len(got) != 0 {
		t.Fatalf("ListKeys of an empty store = %q, %v; want none", got, err)
	}
	records := map[string][]byte{"b2": []byte(`{"id":"b2"}`), "a1": []byte(`{"id":"a1","hash":"00"}`), "c3": {0, 1, 255}}
	for _, id := range []string{"b2", "a1", "c3"} {
		if err := s.CreateKey(ctx, id, records[id]); err != nil {
			t.Fatalf("CreateKey(%s): %v", id, err)
		}
	}
	if err := s.CreateKey(ctx, "a1", []byte("other")); !errors.Is(err, store.ErrExists) {
		t.Errorf("CreateKey of a taken id: %v, want ErrExists", err)
	}
	if err := s.CreateKey(ctx, "", []byte("x")); err == nil {
		t.Error("CreateKey with no id: no error")
	}
	for id, want := range records {
		if got, err := s.GetKey(ctx, id); err != nil || !bytes.Equal(got, want) {
			t.Errorf("GetKey(%s) = %q, %v; want %q (the first record, not the refused one)", id, got, err, want)
		}
	}
	got, err := s.ListKeys(ctx)
	if err != nil || len(got) != 3 || !bytes.Equal(got[0], records["a1"]) || !bytes.Equal(got[1], records["b2"]) || !bytes.Equal(got[2], records["c3"]) {
		t.Errorf("ListKeys = %q, %v; want the three records by id", got, err)
	}
	// What the caller got is not the store's.
	got[0][0] = 'X'
	if again, _ := s.GetKey(ctx, "a1"); !bytes.Equal(again, records["a1"]) {
		t.Errorf("GetKey after changing a listed copy = %q", again)
	}
	if err := s.DeleteKey(ctx, "b2"); err != nil {
		t.Fatalf("DeleteKey: %v", err)
	}
	if _, err := s.GetKey(ctx, "b2"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetKey of a deleted key: %v, want ErrNotFound", err)
	}
	if err := s.DeleteKey(ctx, "b2"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("DeleteKey twice: %v, want ErrNotFound", err)
	}
	if got, err := s.ListKeys(ctx); err != nil || len(got) != 2 {
		t.Errorf("ListKeys after a delete = %q, %v; want 2", got, err)
	}
	// A deleted id is free again.
	if err := s.CreateKey(ctx, "b2", []byte("again")); err != nil {
		t.Errorf("CreateKey of a deleted id: %v", err)
	}
}

func testConcurrentKeyCreatesOne(t *testing.T, s Store) {
	ctx := t.Context()
	const writers = 16
	var wg sync.WaitGroup
	errs := make([]error, writers)
	for i := range writers {
		wg.Go(func() { errs[i] = s.CreateKey(ctx, "k", fmt.Appendf(nil, "writer %d", i)) })
	}
	wg.Wait()
	won := -1
	for i, err := range errs {
		switch {
		case err == nil && won >= 0:
			t.Errorf("writers %d and %d both created key k", won, i)
		case err == nil:
			won = i
		case !errors.Is(err, store.ErrExists):
			t.Errorf("writer %d: %v, want ErrExists", i, err)
		}
	}
	if won < 0 {
		t.Fatal("no writer created key k")
	}
	if got, err := s.GetKey(ctx, "k"); err != nil || string(got) != fmt.Sprintf("writer %d", won) {
		t.Errorf("GetKey(k) = %q, %v; want the winner's record", got, err)
	}
}
