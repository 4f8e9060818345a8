package redisstore

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/dispatchd/dispatchd/store"
	"github.com/redis/go-redis/v9"
)

// PutPlan stores a plan record, opaque to the store, under id for ttl (0
// means store.DefaultPlanTTL), replacing any record and expiry already
// there. The record is a string key with that expiry; the plans sorted set
// remembers the expiry so that Stats can count live plans without scanning
// keys, and loses expired entries whenever a plan is put.
func (s *Store) PutPlan(ctx context.Context, id string, record []byte, ttl time.Duration) error {
	ttl, err := store.PlanTTL(id, ttl)
	if err != nil {
		return err
	}
	now := time.Now()
	_, err = s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Set(ctx, s.key("plan", id), record, ttl)
		p.ZAdd(ctx, s.key("plans"), redis.Z{Score: float64(now.Add(ttl).UnixMilli()), Member: id})
		p.ZRemRangeByScore(ctx, s.key("plans"), "-inf", strconv.FormatInt(now.UnixMilli(), 10))
		return nil
	})
	return wrap("putting plan "+id, err)
}

// GetPlan returns the plan record stored under id, or an error wrapping
// store.ErrNotFound when there is none or it has expired.
func (s *Store) GetPlan(ctx context.Context, id string) ([]byte, error) {
	doing := "getting plan " + id
	data, err := s.rdb.Get(ctx, s.key("plan", id)).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("redisstore: %s: %w", doing, store.ErrNotFound)
	}
	if err != nil {
		return nil, wrap(doing, err)
	}
	return data, nil
}

// RequestCancel asks whoever runs plan id, on any replica, to stop: it
// publishes id on the cancel channel, which every channel CancelRequests
// has returned receives. Nobody listening is not an error.
func (s *Store) RequestCancel(ctx context.Context, id string) error {
	if id == "" {
		return errors.New("redisstore: requesting a plan's cancellation: empty id")
	}
	return wrap("requesting the cancellation of plan "+id, s.rdb.Publish(ctx, s.key("cancel"), id).Err())
}

// CancelRequests subscribes to the cancel channel and returns a channel of
// the ids of plans whose cancellation any replica requested from now on;
// it closes when ctx ends. The subscription is confirmed before
// CancelRequests returns, so no request made after it is missed while the
// connection holds; go-redis resubscribes after a lost connection, and
// requests published while it was lost are lost too (Redis pub/sub keeps
// nothing), so a plan runner should also check the plan's stored state.
func (s *Store) CancelRequests(ctx context.Context) (<-chan string, error) {
	const doing = "subscribing to cancel requests"
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("redisstore: %s: %w", doing, err)
	}
	ps := s.rdb.Subscribe(ctx, s.key("cancel"))
	if _, err := ps.Receive(ctx); err != nil {
		_ = ps.Close()
		return nil, wrap(doing, err)
	}
	msgs := ps.Channel()
	out := make(chan string)
	go func() {
		defer close(out)
		defer ps.Close()
		for {
			select {
			case <-ctx.Done():
				return
			case m, ok := <-msgs:
				if !ok {
					return
				}
				select {
				case out <- m.Payload:
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	return out, nil
}

// Stats counts the technicians, work orders, live plans and known
// positions, in one pipeline. The plan count is as exact as the clocks of
// the replicas that put plans agree with this one's: it counts the plans
// whose expiry, as their writer computed it, is still ahead.
func (s *Store) Stats(ctx context.Context) (store.Stats, error) {
	var techs, wos, plans, lives *redis.IntCmd
	now := strconv.FormatInt(time.Now().UnixMilli(), 10)
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		techs = p.SCard(ctx, s.key("techs"))
		wos = p.SCard(ctx, s.key("wos"))
		plans = p.ZCount(ctx, s.key("plans"), "("+now, "+inf")
		lives = p.SCard(ctx, s.key("lives"))
		return nil
	})
	if err != nil {
		return store.Stats{}, wrap("counting records", err)
	}
	return store.Stats{
		Technicians: int(techs.Val()),
		WorkOrders:  int(wos.Val()),
		Plans:       int(plans.Val()),
		Positions:   int(lives.Val()),
	}, nil
}
