package redisstore

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/dispatchd/dispatchd/model"
	"github.com/dispatchd/dispatchd/store"
	"github.com/redis/go-redis/v9"
)

// The event log is the stream "events": one entry per event, its one
// field "e" the event's JSON without its id, which is the entry's.
// Appends are exact-MAXLEN trimmed in the same script that adds, which
// first remembers in "events-dropped" the newest id it drops, so that a
// reader resuming after an older id is told it missed some (Redis's own
// max-deleted-entry-id does not count trimming).

// appendEventsLua appends ARGV-given events to the stream and trims it;
// scripts that append include it. It defines append_events(stream,
// dropped, max, events).
const appendEventsLua = `
local function append_events(stream, dropped, max, events)
	if #events == 0 then return end
	for _, e in ipairs(events) do
		redis.call('XADD', stream, '*', 'e', e)
	end
	local over = redis.call('XLEN', stream) - max
	if over > 0 then
		local old = redis.call('XRANGE', stream, '-', '+', 'COUNT', over)
		redis.call('SET', dropped, old[#old][1])
		redis.call('XTRIM', stream, 'MAXLEN', max)
	end
end
`

// publishScript appends events. KEYS: events, events-dropped. ARGV: the
// retention, then each event's JSON.
var publishScript = redis.NewScript(appendEventsLua + `
local events = {}
for i = 2, #ARGV do events[#events + 1] = ARGV[i] end
append_events(KEYS[1], KEYS[2], tonumber(ARGV[1]), events)
return #events
`)

// encodeEvents encodes events as the stream keeps them.
func encodeEvents(events []model.Event) ([]string, error) {
	out := make([]string, len(events))
	for i, e := range events {
		if !e.Type.Known() {
			return nil, fmt.Errorf("redisstore: appending an event of unknown type %q", e.Type)
		}
		data, err := store.EncodeEvent(e)
		if err != nil {
			return nil, err
		}
		out[i] = string(data)
	}
	return out, nil
}

// PublishEvents appends events that are no part of a commit (positions,
// plans) to the event log, in one script.
func (s *Store) PublishEvents(ctx context.Context, events ...model.Event) error {
	if len(events) == 0 {
		return nil
	}
	encoded, err := encodeEvents(events)
	if err != nil {
		return err
	}
	args := make([]any, 0, 1+len(encoded))
	args = append(args, s.retention)
	for _, e := range encoded {
		args = append(args, e)
	}
	return wrap("publishing events", publishScript.Run(ctx, s.rdb, []string{s.key("events"), s.key("events-dropped")}, args...).Err())
}

// decodeMessages turns stream entries into events.
func decodeMessages(msgs []redis.XMessage) ([]model.Event, error) {
	out := make([]model.Event, 0, len(msgs))
	for _, m := range msgs {
		data, _ := m.Values["e"].(string)
		e, err := store.DecodeEvent(m.ID, []byte(data))
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

// maxBlock bounds how long one read waits for events, under the store's
// command timeout: a reader that wants to wait longer reads again.
func (s *Store) maxBlock(block time.Duration) time.Duration {
	return min(block, s.timeout/2)
}

// ReadEvents returns up to limit events after the id after ("" reads from
// the oldest kept), oldest first: one MULTI of GET and XRANGE, so that
// what it says was dropped and what it returns agree. With none there
// yet, it waits up to block (at most half the command timeout) in an
// XREAD for the first to come.
func (s *Store) ReadEvents(ctx context.Context, after string, limit int, block time.Duration) (store.EventBatch, error) {
	const doing = "reading events"
	if err := store.CheckEventRead(after, limit); err != nil {
		return store.EventBatch{}, err
	}
	from := "-"
	if after != "" {
		from = "(" + after
	}
	var dropped *redis.StringCmd
	var msgs *redis.XMessageSliceCmd
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		dropped = p.Get(ctx, s.key("events-dropped"))
		msgs = p.XRangeN(ctx, s.key("events"), from, "+", int64(limit))
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return store.EventBatch{}, wrap(doing, err)
	}
	events, err := decodeMessages(msgs.Val())
	if err != nil {
		return store.EventBatch{}, err
	}
	b := store.EventBatch{Events: events, Missed: model.CompareEventIDs(after, dropped.Val()) < 0}
	if len(events) > 0 || block <= 0 {
		return b, nil
	}
	id := after
	if id == "" {
		id = "0-0"
	}
	streams, err := s.rdb.XRead(ctx, &redis.XReadArgs{Streams: []string{s.key("events"), id}, Count: int64(limit), Block: s.maxBlock(block)}).Result()
	switch {
	case errors.Is(err, redis.Nil):
		return b, nil
	case err != nil:
		return store.EventBatch{}, wrap(doing, err)
	}
	for _, st := range streams {
		more, err := decodeMessages(st.Messages)
		if err != nil {
			return store.EventBatch{}, err
		}
		b.Events = append(b.Events, more...)
	}
	return b, nil
}

// LastEventID returns the id of the newest event, or "" when there is
// none: where a reader starts that wants only what comes next.
func (s *Store) LastEventID(ctx context.Context) (string, error) {
	const doing = "reading the last event id"
	msgs, err := s.rdb.XRevRangeN(ctx, s.key("events"), "+", "-", 1).Result()
	if err != nil {
		return "", wrap(doing, err)
	}
	if len(msgs) > 0 {
		return msgs[0].ID, nil
	}
	dropped, err := s.rdb.Get(ctx, s.key("events-dropped")).Result()
	if err != nil && !errors.Is(err, redis.Nil) {
		return "", wrap(doing, err)
	}
	return dropped, nil
}

// groups remembers the consumer groups this store has made, so that a
// claim does not send XGROUP CREATE every time.
type groups struct {
	mu   sync.Mutex
	made map[string]bool
}

// ensureGroup makes a consumer group on the event stream, reading from its
// oldest event, unless it exists.
func (s *Store) ensureGroup(ctx context.Context, group string) error {
	s.groups.mu.Lock()
	made := s.groups.made[group]
	s.groups.mu.Unlock()
	if made {
		return nil
	}
	err := s.rdb.XGroupCreateMkStream(ctx, s.key("events"), group, "0").Err()
	if err != nil && !strings.HasPrefix(err.Error(), "BUSYGROUP") {
		return wrap("making the consumer group "+group, err)
	}
	s.groups.mu.Lock()
	if s.groups.made == nil {
		s.groups.made = map[string]bool{}
	}
	s.groups.made[group] = true
	s.groups.mu.Unlock()
	return nil
}

// ClaimEvents hands consumer of group up to limit events: first those
// another consumer claimed more than idle ago and did not acknowledge
// (XAUTOCLAIM), then new ones (XREADGROUP). A group is made at its first
// claim, reading from the oldest event kept. With nothing to hand out, it
// waits up to block (at most half the command timeout).
func (s *Store) ClaimEvents(ctx context.Context, group, consumer string, limit int, block, idle time.Duration) ([]model.Event, error) {
	doing := "claiming events for " + group
	if group == "" || consumer == "" || limit < 1 {
		return nil, errors.New("redisstore: claiming events: want a group, a consumer and a limit of at least 1")
	}
	if err := s.ensureGroup(ctx, group); err != nil {
		return nil, err
	}
	key := s.key("events")
	msgs, _, err := s.rdb.XAutoClaim(ctx, &redis.XAutoClaimArgs{Stream: key, Group: group, Consumer: consumer,
		MinIdle: idle, Start: "0-0", Count: int64(limit)}).Result()
	if err != nil {
		if strings.HasPrefix(err.Error(), "NOGROUP") {
			s.forgetGroup(group) // the stream went (a purge): make it again next time
		}
		return nil, wrap(doing, err)
	}
	out, err := decodeMessages(msgs)
	if err != nil {
		return nil, err
	}
	if len(out) == limit {
		return out, nil
	}
	wait := time.Duration(-1)
	if len(out) == 0 && block > 0 {
		wait = s.maxBlock(block)
	}
	streams, err := s.rdb.XReadGroup(ctx, &redis.XReadGroupArgs{Group: group, Consumer: consumer, Streams: []string{key, ">"},
		Count: int64(limit - len(out)), Block: wait}).Result()
	switch {
	case errors.Is(err, redis.Nil):
		return out, nil
	case err != nil:
		return nil, wrap(doing, err)
	}
	for _, st := range streams {
		more, err := decodeMessages(st.Messages)
		if err != nil {
			return nil, err
		}
		out = append(out, more...)
	}
	return out, nil
}

func (s *Store) forgetGroup(group string) {
	s.groups.mu.Lock()
	delete(s.groups.made, group)
	s.groups.mu.Unlock()
}

// AckEvents tells a group that its consumers are done with the events
// (XACK): they are handed out no more.
func (s *Store) AckEvents(ctx context.Context, group string, ids ...string) error {
	if len(ids) == 0 {
		return nil
	}
	return wrap("acknowledging events of "+group, s.rdb.XAck(ctx, s.key("events"), group, ids...).Err())
}
