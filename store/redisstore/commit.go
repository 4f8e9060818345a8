package redisstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/dispatchd/dispatchd/model"
	"github.com/dispatchd/dispatchd/store"
	"github.com/redis/go-redis/v9"
)

// commitScript makes a store.Change atomically. It first compares every
// guard with the revisions hash and returns {0, key, revision} at the
// first that moved, having written nothing. Then, for each order to
// write or delete, it takes the stored version out of the routes it is
// filed under (wo-routes:<id>) and out of its site (read from the stored
// JSON), writes the new version and files it again, raising the
// revision of the order, of every route and day it leaves or joins and
// of every site, and of the orders of every technician either version
// names ("techorders:<tech>"); then it appends the history. It returns
// {1, deleted}.
//
// Revision fields are the store's keys without the prefix ("wo:<id>",
// "route:<tech>:<day>", "day:<day>", "site:<site>"), so a route key's
// field is the key minus the prefix and its day the key's last ten
// characters.
//
// Then it writes the policy book (policies, policy-active,
// policy-history) and raises "policies" if the change touches it.
//
// Last it raises the keys to raise and appends the events
// (appendEventsLua), so that the event log holds exactly the changes made,
// in the order they were made.
//
// KEYS: revs, wos, events, events-dropped. ARGV: the change as JSON
// (commitPayload).
var commitScript = redis.NewScript(appendEventsLua + `
local p = cjson.decode(ARGV[1])
local revs, wos, prefix = KEYS[1], KEYS[2], p.prefix
for _, g in ipairs(p.guards) do
	local got = tonumber(redis.call('HGET', revs, g[1]) or '0')
	if got ~= g[2] then return {0, g[1], got} end
end
local function bump(field) redis.call('HINCRBY', revs, field, 1) end
local function unfile(id)
	local key = prefix .. 'wo:' .. id
	local old = redis.call('GET', key)
	if not old then return 0 end
	local o = cjson.decode(old)
	local site = o.site_id
	if type(site) == 'string' and site ~= '' then
		redis.call('SREM', prefix .. 'site:' .. site, id)
		bump('site:' .. site)
	end
	if type(o.technician_ids) == 'table' then
		for _, tech in ipairs(o.technician_ids) do bump('techorders:' .. tech) end
	end
	local routes = prefix .. 'wo-routes:' .. id
	for _, rk in ipairs(redis.call('SMEMBERS', routes)) do
		local day = string.sub(rk, -10)
		redis.call('ZREM', rk, id)
		redis.call('SREM', prefix .. 'dayorders:' .. day, id)
		bump(string.sub(rk, #prefix + 1))
		bump('day:' .. day)
	end
	redis.call('DEL', key, routes)
	redis.call('SREM', wos, id)
	return 1
end
for _, o in ipairs(p.orders) do
	unfile(o.id)
	redis.call('SET', prefix .. 'wo:' .. o.id, o.json)
	redis.call('SADD', wos, o.id)
	for _, field in ipairs(o.routes) do
		local rk, day = prefix .. field, string.sub(field, -10)
		redis.call('ZADD', rk, o.score, o.id)
		redis.call('SADD', prefix .. 'wo-routes:' .. o.id, rk)
		redis.call('SADD', prefix .. 'dayorders:' .. day, o.id)
		bump(field)
		bump('day:' .. day)
	end
	if o.site ~= '' then
		redis.call('SADD', prefix .. 'site:' .. o.site, o.id)
		bump('site:' .. o.site)
	end
	for _, tech in ipairs(o.techs) do bump('techorders:' .. tech) end
	bump('wo:' .. o.id)
end
local deleted = 0
for _, id in ipairs(p.delete) do
	deleted = deleted + unfile(id)
	bump('wo:' .. id)
end
for _, h in ipairs(p.history) do
	redis.call('RPUSH', prefix .. 'history:' .. h[1], h[2])
end
local book = false
for _, pp in ipairs(p.policies) do
	redis.call('HSET', prefix .. 'policies', pp[1], pp[2])
	book = true
end
for _, name in ipairs(p.delete_policies) do
	redis.call('HDEL', prefix .. 'policies', name)
	book = true
end
if p.activate ~= '' then
	redis.call('SET', prefix .. 'policy-active', p.activate)
	book = true
end
for _, h in ipairs(p.policy_log) do
	redis.call('RPUSH', prefix .. 'policy-history', h)
	book = true
end
if book then bump('policies') end
for _, k in ipairs(p.raise) do bump(k) end
append_events(KEYS[3], KEYS[4], p.retention, p.events)
return {1, deleted}
`)

// commitPayload is a store.Change as commitScript reads it.
type commitPayload struct {
	Prefix  string         `json:"prefix"`
	Guards  [][2]any       `json:"guards"`
	Orders  []payloadOrder `json:"orders"`
	Delete  []string       `json:"delete"`
	History [][2]string    `json:"history"`
	Raise   []string       `json:"raise"`
	Events  []string       `json:"events"`
	// Policies are [name, JSON] pairs; PolicyLog entries JSON.
	Policies       [][2]string `json:"policies"`
	DeletePolicies []string    `json:"delete_policies"`
	Activate       string      `json:"activate"`
	PolicyLog      []string    `json:"policy_log"`
	// Retention is the event stream's MAXLEN.
	Retention int `json:"retention"`
}

type payloadOrder struct {
	ID     string   `json:"id"`
	JSON   string   `json:"json"`
	Score  int64    `json:"score"`
	Routes []string `json:"routes"`
	Site   string   `json:"site"`
	// Techs are the technicians the order names, whose
	// store.TechnicianOrdersKey it raises.
	Techs []string `json:"techs"`
}

// Commit makes a change atomically, in one script: if every guard holds it
// writes the orders (moving them in routes and sites), deletes those to
// delete, appends the history, writes the policy book, raises the keys to raise and appends the
// events, raising the revisions each write touches; if any guard fails it
// writes nothing and returns a *store.StaleError (store.ErrStale).
func (s *Store) Commit(ctx context.Context, c store.Change) error {
	_, err := s.commit(ctx, c)
	return err
}

// commit runs commitScript and returns how many orders it deleted.
func (s *Store) commit(ctx context.Context, c store.Change) (deleted int, err error) {
	const doing = "committing a change"
	if err := store.CheckChange(c); err != nil {
		return 0, err
	}
	p := commitPayload{Prefix: s.prefix, Guards: make([][2]any, len(c.Guards)), Orders: make([]payloadOrder, len(c.Orders)),
		Delete: c.Delete, History: make([][2]string, len(c.History))}
	if p.Delete == nil {
		p.Delete = []string{}
	}
	p.Raise = append([]string{}, c.Raise...)
	p.DeletePolicies = append([]string{}, c.DeletePolicies...)
	p.Activate = c.Activate
	p.Policies, p.PolicyLog = make([][2]string, len(c.Policies)), make([]string, len(c.PolicyLog))
	for i, pol := range c.Policies {
		data, err := json.Marshal(pol)
		if err != nil {
			return 0, fmt.Errorf("redisstore: %s: encoding policy %s: %w", doing, pol.Name, err)
		}
		p.Policies[i] = [2]string{pol.Name, string(data)}
	}
	for i, h := range c.PolicyLog {
		data, err := json.Marshal(h)
		if err != nil {
			return 0, fmt.Errorf("redisstore: %s: encoding the policy history: %w", doing, err)
		}
		p.PolicyLog[i] = string(data)
	}
	if p.Events, err = encodeEvents(c.Events); err != nil {
		return 0, fmt.Errorf("redisstore: %s: %w", doing, err)
	}
	p.Retention = s.retention
	for i, g := range c.Guards {
		p.Guards[i] = [2]any{g.Key, g.Rev}
	}
	for i, w := range c.Orders {
		data, err := json.Marshal(w)
		if err != nil {
			return 0, fmt.Errorf("redisstore: %s: encoding order %s: %w", doing, w.ID, err)
		}
		o := payloadOrder{ID: w.ID, JSON: string(data), Routes: []string{}, Site: w.SiteID, Techs: append([]string{}, w.TechnicianIDs...)}
		if day, ok := store.RouteDay(w); ok {
			o.Score = w.ScheduledStart.UnixMilli()
			for _, tech := range w.TechnicianIDs {
				o.Routes = append(o.Routes, store.RouteKey(tech, day))
			}
		}
		p.Orders[i] = o
	}
	for i, h := range c.History {
		data, err := json.Marshal(h)
		if err != nil {
			return 0, fmt.Errorf("redisstore: %s: encoding history of %s: %w", doing, h.WorkOrderID, err)
		}
		p.History[i] = [2]string{h.WorkOrderID, string(data)}
	}
	arg, err := json.Marshal(p)
	if err != nil {
		return 0, fmt.Errorf("redisstore: %s: encoding: %w", doing, err)
	}
	res, err := commitScript.Run(ctx, s.rdb, []string{s.key("revs"), s.key("wos"), s.key("events"), s.key("events-dropped")}, arg).Slice()
	if err != nil {
		return 0, wrap(doing, err)
	}
	if len(res) == 3 {
		if ok, _ := res[0].(int64); ok == 0 {
			key, _ := res[1].(string)
			got, _ := res[2].(int64)
			want := int64(0)
			for _, g := range c.Guards {
				if g.Key == key {
					want = g.Rev
				}
			}
			return 0, &store.StaleError{Key: key, Want: want, Got: got}
		}
	}
	if len(res) != 2 {
		return 0, fmt.Errorf("redisstore: %s: unexpected reply %v", doing, res)
	}
	n, _ := res[1].(int64)
	return int(n), nil
}

// Revisions returns the revision of each key (0 for a key never written),
// in the keys' order, in one HMGET. Read them before the records a
// decision depends on, and guard the commit with them.
func (s *Store) Revisions(ctx context.Context, keys ...string) ([]int64, error) {
	out := make([]int64, len(keys))
	if len(keys) == 0 {
		return out, nil
	}
	vals, err := s.rdb.HMGet(ctx, s.key("revs"), keys...).Result()
	if err != nil {
		return nil, wrap("reading revisions", err)
	}
	for i, v := range vals {
		if str, ok := v.(string); ok {
			if out[i], err = strconv.ParseInt(str, 10, 64); err != nil {
				return nil, fmt.Errorf("redisstore: reading revisions: %s: %w", keys[i], err)
			}
		}
	}
	return out, nil
}

// History returns a work order's history, oldest first, numbered from 1;
// an order without history (or unknown) has none.
func (s *Store) History(ctx context.Context, id string) ([]model.HistoryEntry, error) {
	doing := "reading the history of work order " + id
	vals, err := s.rdb.LRange(ctx, s.key("history", id), 0, -1).Result()
	if err != nil {
		return nil, wrap(doing, err)
	}
	out := make([]model.HistoryEntry, len(vals))
	for i, v := range vals {
		if err := json.Unmarshal([]byte(v), &out[i]); err != nil {
			return nil, fmt.Errorf("redisstore: %s: decoding entry %d: %w", doing, i+1, err)
		}
		out[i].Seq = i + 1
	}
	return out, nil
}

// DayOrders returns the work orders filed under any technician's route of
// the day (see store.RouteDay), sorted by id.
func (s *Store) DayOrders(ctx context.Context, day model.Date) ([]model.WorkOrder, error) {
	orders, err := list[model.WorkOrder](ctx, s, "reading the orders of "+day.String(), "dayorders:"+day.String(), "wo")
	if err != nil {
		return nil, err
	}
	// An order rewritten between the two reads may have left the day.
	out := orders[:0]
	for _, w := range orders {
		if d, ok := store.RouteDay(w); ok && d == day && len(w.TechnicianIDs) > 0 {
			out = append(out, w)
		}
	}
	return out, nil
}

// OrdersAtSite returns the work orders at a site, sorted by id.
func (s *Store) OrdersAtSite(ctx context.Context, siteID string) ([]model.WorkOrder, error) {
	return list[model.WorkOrder](ctx, s, "reading the orders at site "+siteID, "site:"+siteID, "wo")
}

// NextID returns the next number of a named sequence, from 1 (one INCR):
// ids no two callers share, whichever replica they run on.
func (s *Store) NextID(ctx context.Context, sequence string) (int64, error) {
	if sequence == "" {
		return 0, errors.New("redisstore: next id: empty sequence name")
	}
	n, err := s.rdb.Incr(ctx, s.key("seq", sequence)).Result()
	return n, wrap("taking the next id of "+sequence, err)
}
