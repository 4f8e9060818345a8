package redisstore

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/dispatchd/dispatchd/store"
	"github.com/redis/go-redis/v9"
)

// createKeyScript stores a key record only if its id is free, and files
// the id in the keys set: KEYS key:<id>, keys; ARGV the record, the id.
var createKeyScript = redis.NewScript(`
if not redis.call('SET', KEYS[1], ARGV[1], 'NX') then return 0 end
redis.call('SADD', KEYS[2], ARGV[2])
return 1
`)

// CreateKey stores an API key record under a new id in one atomic script;
// an id already taken is an error wrapping store.ErrExists.
func (s *Store) CreateKey(ctx context.Context, id string, record []byte) error {
	if id == "" {
		return errors.New("redisstore: creating a key: empty id")
	}
	doing := "creating key " + id
	n, err := createKeyScript.Run(ctx, s.rdb, []string{s.key("key", id), s.key("keys")}, record, id).Int()
	if err != nil {
		return wrap(doing, err)
	}
	if n == 0 {
		return fmt.Errorf("redisstore: %s: %w", doing, store.ErrExists)
	}
	return nil
}

// GetKey returns the key record of id, or an error wrapping
// store.ErrNotFound.
func (s *Store) GetKey(ctx context.Context, id string) ([]byte, error) {
	doing := "getting key " + id
	data, err := s.rdb.Get(ctx, s.key("key", id)).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("redisstore: %s: %w", doing, store.ErrNotFound)
	}
	if err != nil {
		return nil, wrap(doing, err)
	}
	return data, nil
}

// ListKeys returns every key record, by id; a key revoked between the two
// reads is left out.
func (s *Store) ListKeys(ctx context.Context) ([][]byte, error) {
	const doing = "listing keys"
	ids, err := s.rdb.SMembers(ctx, s.key("keys")).Result()
	if err != nil {
		return nil, wrap(doing, err)
	}
	out := [][]byte{}
	if len(ids) == 0 {
		return out, nil
	}
	slices.Sort(ids)
	keys := make([]string, len(ids))
	for i, id := range ids {
		keys[i] = s.key("key", id)
	}
	vals, err := s.rdb.MGet(ctx, keys...).Result()
	if err != nil {
		return nil, wrap(doing, err)
	}
	for _, v := range vals {
		if str, ok := v.(string); ok {
			out = append(out, []byte(str))
		}
	}
	return out, nil
}

// DeleteKey removes the key record of id and its entry in the keys set
// together, or returns an error wrapping store.ErrNotFound.
func (s *Store) DeleteKey(ctx context.Context, id string) error {
	doing := "deleting key " + id
	var del *redis.IntCmd
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		del = p.Del(ctx, s.key("key", id))
		p.SRem(ctx, s.key("keys"), id)
		return nil
	})
	if err != nil {
		return wrap(doing, err)
	}
	if del.Val() == 0 {
		return fmt.Errorf("redisstore: %s: %w", doing, store.ErrNotFound)
	}
	return nil
}
