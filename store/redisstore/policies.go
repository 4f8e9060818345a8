package redisstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/dispatchd/dispatchd/model"
	"github.com/dispatchd/dispatchd/store"
	"github.com/redis/go-redis/v9"
)

// PolicyBook returns the policy book as it stands, with its revision: the
// policies hash, the active name and the revision read in one MULTI/EXEC,
// so that the three agree (one round trip).
func (s *Store) PolicyBook(ctx context.Context) (store.PolicyBook, error) {
	const doing = "reading the policy book"
	var all *redis.MapStringStringCmd
	var active, rev *redis.StringCmd
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		all = p.HGetAll(ctx, s.key("policies"))
		active = p.Get(ctx, s.key("policy-active"))
		rev = p.HGet(ctx, s.key("revs"), store.PoliciesKey)
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return store.PolicyBook{}, wrap(doing, err)
	}
	book := store.PolicyBook{Policies: make([]model.Policy, 0, len(all.Val())), Active: active.Val()}
	if v := rev.Val(); v != "" {
		if book.Revision, err = strconv.ParseInt(v, 10, 64); err != nil {
			return store.PolicyBook{}, fmt.Errorf("redisstore: %s: revision %q: %w", doing, v, err)
		}
	}
	for name, data := range all.Val() {
		var p model.Policy
		if err := json.Unmarshal([]byte(data), &p); err != nil {
			return store.PolicyBook{}, fmt.Errorf("redisstore: %s: decoding policy %s: %w", doing, name, err)
		}
		book.Policies = append(book.Policies, p)
	}
	slices.SortFunc(book.Policies, func(a, b model.Policy) int { return strings.Compare(a.Name, b.Name) })
	return book, nil
}

// PolicyHistory returns the policy book's changes, oldest first, numbered
// from 1: the newest limit of them, or all when limit is 0 or less (one
// LRANGE, and an LLEN to number them when limited).
func (s *Store) PolicyHistory(ctx context.Context, limit int) ([]model.PolicyChange, error) {
	const doing = "reading the policy history"
	start := int64(0)
	var vals []string
	var n int64
	if limit > 0 {
		var lr *redis.StringSliceCmd
		var ll *redis.IntCmd
		_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
			ll = p.LLen(ctx, s.key("policy-history"))
			lr = p.LRange(ctx, s.key("policy-history"), -int64(limit), -1)
			return nil
		})
		if err != nil {
			return nil, wrap(doing, err)
		}
		vals, n = lr.Val(), ll.Val()
		start = n - int64(len(vals))
	} else {
		var err error
		if vals, err = s.rdb.LRange(ctx, s.key("policy-history"), 0, -1).Result(); err != nil {
			return nil, wrap(doing, err)
		}
	}
	out := make([]model.PolicyChange, len(vals))
	for i, v := range vals {
		if err := json.Unmarshal([]byte(v), &out[i]); err != nil {
			return nil, fmt.Errorf("redisstore: %s: decoding entry %d: %w", doing, start+int64(i)+1, err)
		}
		out[i].Seq = int(start) + i + 1
	}
	return out, nil
}
