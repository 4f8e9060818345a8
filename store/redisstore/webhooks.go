package redisstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/dispatchd/dispatchd/model"
	"github.com/dispatchd/dispatchd/store"
	"github.com/redis/go-redis/v9"
)

// PutWebhook creates or replaces a webhook, with the webhooks set, in one
// MULTI/EXEC.
func (s *Store) PutWebhook(ctx context.Context, h model.Webhook) error {
	_, err := s.put(ctx, "webhook", "webhook", "webhooks", h.ID, h, nil)
	return err
}

// GetWebhook returns the webhook with the id, or an error wrapping
// store.ErrNotFound.
func (s *Store) GetWebhook(ctx context.Context, id string) (model.Webhook, error) {
	var h model.Webhook
	err := s.get(ctx, "getting webhook "+id, s.key("webhook", id), &h)
	return h, err
}

// ListWebhooks returns every webhook, sorted by id.
func (s *Store) ListWebhooks(ctx context.Context) ([]model.Webhook, error) {
	return list[model.Webhook](ctx, s, "listing webhooks", "webhooks", "webhook")
}

// deleteWebhookScript removes a webhook, its log and every delivery in it,
// pending or not. KEYS: webhook, webhooks, hooklog, due. ARGV: the id, the
// delivery key prefix. It returns 0 when there was no webhook.
var deleteWebhookScript = redis.NewScript(`
if redis.call('DEL', KEYS[1]) == 0 then return 0 end
redis.call('SREM', KEYS[2], ARGV[1])
for _, id in ipairs(redis.call('ZRANGE', KEYS[3], 0, -1)) do
	redis.call('DEL', ARGV[2] .. id)
	redis.call('ZREM', KEYS[4], id)
end
redis.call('DEL', KEYS[3])
return 1
`)

// DeleteWebhook removes a webhook with its deliveries, pending or not, in
// one script; or returns an error wrapping store.ErrNotFound.
func (s *Store) DeleteWebhook(ctx context.Context, id string) error {
	doing := "deleting webhook " + id
	n, err := deleteWebhookScript.Run(ctx, s.rdb,
		[]string{s.key("webhook", id), s.key("webhooks"), s.key("hooklog", id), s.key("due")}, id, s.key("delivery", "")).Int()
	if err != nil {
		return wrap(doing, err)
	}
	if n == 0 {
		return fmt.Errorf("redisstore: %s: %w", doing, store.ErrNotFound)
	}
	return nil
}

// addDeliveriesScript keeps new deliveries. For each it skips one whose
// webhook is gone or whose id is kept; else it writes the record with no
// attempts, files it last in its webhook's log and due at its time, and
// trims the log's oldest finished deliveries beyond the log size. KEYS:
// due, delivery-seq. ARGV: the prefix, the log size, then per delivery its
// id, webhook id, due time (ms) and JSON. It returns how many it added.
var addDeliveriesScript = redis.NewScript(`
local prefix, size = ARGV[1], tonumber(ARGV[2])
local added = 0
for i = 3, #ARGV, 4 do
	local id, hook, due, js = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3]
	local key = prefix .. 'delivery:' .. id
	if redis.call('EXISTS', prefix .. 'webhook:' .. hook) == 1 and redis.call('EXISTS', key) == 0 then
		redis.call('HSET', key, 'json', js, 'attempts', 0)
		local log = prefix .. 'hooklog:' .. hook
		redis.call('ZADD', log, redis.call('INCR', KEYS[2]), id)
		redis.call('ZADD', KEYS[1], due, id)
		local over = redis.call('ZCARD', log) - size
		if over > 0 then
			for _, old in ipairs(redis.call('ZRANGE', log, 0, -1)) do
				if over == 0 then break end
				if not redis.call('ZSCORE', KEYS[1], old) then
					redis.call('DEL', prefix .. 'delivery:' .. old)
					redis.call('ZREM', log, old)
					over = over - 1
				end
			end
		end
		added = added + 1
	end
end
return added
`)

// AddDeliveries keeps new deliveries, each pending and due at its
// NextAttempt, in one script, and returns how many it added: a delivery
// whose id is already kept, or whose webhook is gone, is left out. Each
// webhook's log keeps its pending deliveries and the newest
// store.DeliveryLogSize others.
func (s *Store) AddDeliveries(ctx context.Context, ds ...model.Delivery) (int, error) {
	const doing = "adding deliveries"
	if len(ds) == 0 {
		return 0, nil
	}
	args := []any{s.prefix, store.DeliveryLogSize}
	for _, d := range ds {
		if err := store.CheckDelivery(d); err != nil {
			return 0, err
		}
		d.Status, d.Attempts = model.DeliveryPending, 0
		data, err := json.Marshal(d)
		if err != nil {
			return 0, fmt.Errorf("redisstore: %s: encoding %s: %w", doing, d.ID, err)
		}
		args = append(args, d.ID, d.WebhookID, store.DeliveryTime(d.NextAttempt), string(data))
	}
	n, err := addDeliveriesScript.Run(ctx, s.rdb, []string{s.key("due"), s.key("delivery-seq")}, args...).Int()
	return n, wrap(doing, err)
}

// claimScript hands out due deliveries: up to ARGV[3] ids due at ARGV[1]
// (ms), earliest first; each one's attempts is raised and it is due again
// at ARGV[1] + ARGV[2] (the lease). KEYS: due. ARGV: now, lease, limit,
// the delivery key prefix. It returns json, attempts pairs.
var claimScript = redis.NewScript(`
local now, lease = tonumber(ARGV[1]), tonumber(ARGV[2])
local out = {}
for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, ARGV[3])) do
	local key = ARGV[4] .. id
	local js = redis.call('HGET', key, 'json')
	if js then
		out[#out + 1] = js
		out[#out + 1] = redis.call('HINCRBY', key, 'attempts', 1)
		redis.call('ZADD', KEYS[1], now + lease, id)
	else
		redis.call('ZREM', KEYS[1], id)
	end
end
return out
`)

// ClaimDeliveries hands out up to limit pending deliveries due at now,
// earliest first, in one script: each one's Attempts is raised, and it is
// not due again until now plus lease, so that no other claim takes it
// while this attempt runs, and another does if the claimer dies.
func (s *Store) ClaimDeliveries(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]model.Delivery, error) {
	const doing = "claiming deliveries"
	if limit < 1 || lease <= 0 {
		return nil, errors.New("redisstore: claiming deliveries: want a limit of at least 1 and a positive lease")
	}
	res, err := claimScript.Run(ctx, s.rdb, []string{s.key("due")},
		store.DeliveryTime(now), lease.Milliseconds(), limit, s.key("delivery", "")).Slice()
	if err != nil {
		return nil, wrap(doing, err)
	}
	out := make([]model.Delivery, 0, len(res)/2)
	for i := 0; i+1 < len(res); i += 2 {
		js, _ := res[i].(string)
		attempts, _ := res[i+1].(int64)
		var d model.Delivery
		if err := json.Unmarshal([]byte(js), &d); err != nil {
			return nil, fmt.Errorf("redisstore: %s: decoding: %w", doing, err)
		}
		d.Attempts = int(attempts)
		out = append(out, d)
	}
	return out, nil
}

// saveDeliveryScript records an attempt's outcome if the delivery's
// attempts are still the attempt's. KEYS: delivery, due. ARGV: id,
// attempts, JSON, "pending" or not, next due time (ms). It returns 1 when
// saved.
var saveDeliveryScript = redis.NewScript(`
local n = redis.call('HGET', KEYS[1], 'attempts')
if not n or tonumber(n) ~= tonumber(ARGV[2]) then return 0 end
redis.call('HSET', KEYS[1], 'json', ARGV[3])
if ARGV[4] == 'pending' then
	redis.call('ZADD', KEYS[2], ARGV[5], ARGV[1])
else
	redis.call('ZREM', KEYS[2], ARGV[1])
end
return 1
`)

// SaveDelivery records the outcome of the attempt d.Attempts, in one
// script: a pending delivery is due again at d.NextAttempt, a delivered
// or failed one is due no more. It reports false, changing nothing, when
// the delivery was claimed again since (the claimer's lease ran out) or
// is gone.
func (s *Store) SaveDelivery(ctx context.Context, d model.Delivery) (bool, error) {
	doing := "saving delivery " + d.ID
	data, err := json.Marshal(d)
	if err != nil {
		return false, fmt.Errorf("redisstore: %s: encoding: %w", doing, err)
	}
	n, err := saveDeliveryScript.Run(ctx, s.rdb, []string{s.key("delivery", d.ID), s.key("due")},
		d.ID, d.Attempts, string(data), string(d.Status), store.DeliveryTime(d.NextAttempt)).Int()
	if err != nil {
		return false, wrap(doing, err)
	}
	return n == 1, nil
}

// Deliveries returns the newest limit deliveries of a webhook's log,
// newest first: one ZREVRANGE, then one pipeline of HMGETs.
func (s *Store) Deliveries(ctx context.Context, webhookID string, limit int) ([]model.Delivery, error) {
	doing := "reading the deliveries of webhook " + webhookID
	out := []model.Delivery{}
	if limit < 1 {
		return out, nil
	}
	ids, err := s.rdb.ZRevRange(ctx, s.key("hooklog", webhookID), 0, int64(limit-1)).Result()
	if err != nil || len(ids) == 0 {
		return out, wrap(doing, err)
	}
	cmds := make([]*redis.SliceCmd, len(ids))
	_, err = s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, id := range ids {
			cmds[i] = p.HMGet(ctx, s.key("delivery", id), "json", "attempts")
		}
		return nil
	})
	if err != nil {
		return nil, wrap(doing, err)
	}
	for _, c := range cmds {
		vals := c.Val()
		js, ok := vals[0].(string)
		if !ok {
			continue // deleted in between
		}
		var d model.Delivery
		if err := json.Unmarshal([]byte(js), &d); err != nil {
			return nil, fmt.Errorf("redisstore: %s: decoding: %w", doing, err)
		}
		if a, ok := vals[1].(string); ok {
			n, _ := strconv.Atoi(a)
			d.Attempts = n
		}
		out = append(out, d)
	}
	return out, nil
}
