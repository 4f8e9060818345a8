package redisstore

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/dispatchd/dispatchd/geo"
	"github.com/dispatchd/dispatchd/model"
	"github.com/dispatchd/dispatchd/store"
	"github.com/redis/go-redis/v9"
)

// updatePositionScript files a live position, atomically: the profile
// must exist (else -1), a position not newer than the stored one changes
// nothing (0), and a new cell takes the id from the old cell's set (1).
// Every check comes before the first write, so an error cannot leave a
// half-done update.
//
// KEYS: tech:<id>, live:<id>, cell:<new cell>, lives.
// ARGV: id, at (Unix ms), lat, lng, new cell, status ("" keeps it), the
// cell keys' prefix.
var updatePositionScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
local prev = redis.call('HMGET', KEYS[2], 'at', 'cell')
if prev[1] and tonumber(prev[1]) >= tonumber(ARGV[2]) then return 0 end
if prev[2] and prev[2] ~= ARGV[5] then redis.call('SREM', ARGV[7] .. prev[2], ARGV[1]) end
redis.call('HSET', KEYS[2], 'lat', ARGV[3], 'lng', ARGV[4], 'at', ARGV[2], 'cell', ARGV[5])
if ARGV[6] ~= '' then redis.call('HSET', KEYS[2], 'status', ARGV[6]) end
redis.call('SADD', KEYS[3], ARGV[1])
redis.call('SADD', KEYS[4], ARGV[1])
return 1
`)

// deleteTechnicianScript removes a technician with their live state and
// its cell-set entry, atomically; it returns {1, how many profiles it
// deleted}, or {0, key, revision} at the first guard that moved, having
// deleted nothing.
//
// It raises the technician's revisions (store.TechnicianKey and
// store.TechniciansKey) when it deletes one.
//
// KEYS: tech:<id>, techs, live:<id>, lives, revs. ARGV: id, the cell keys'
// prefix, the two revision fields, the guards as JSON [[key, rev], …].
var deleteTechnicianScript = redis.NewScript(`
for _, g in ipairs(cjson.decode(ARGV[5])) do
	local got = tonumber(redis.call('HGET', KEYS[5], g[1]) or '0')
	if got ~= g[2] then return {0, g[1], got} end
end
local cell = redis.call('HGET', KEYS[3], 'cell')
if cell then redis.call('SREM', ARGV[2] .. cell, ARGV[1]) end
redis.call('DEL', KEYS[3])
redis.call('SREM', KEYS[4], ARGV[1])
redis.call('SREM', KEYS[2], ARGV[1])
local n = redis.call('DEL', KEYS[1])
if n > 0 then
	redis.call('HINCRBY', KEYS[5], ARGV[3], 1)
	redis.call('HINCRBY', KEYS[5], ARGV[4], 1)
end
return {1, n}
`)

// UpdatePosition records technician p.TechnicianID's live position, and
// status unless status is empty (which keeps the previous one), in one
// round trip (a Lua script). A position not newer than the stored one
// (compared in whole milliseconds) changes nothing and returns applied =
// false. It returns an error wrapping store.ErrNotFound for an unknown
// technician, and one wrapping the position's *model.ValidationError for an
// invalid position.
func (s *Store) UpdatePosition(ctx context.Context, p model.Position, status string) (applied bool, err error) {
	if err := store.ValidatePosition(p); err != nil {
		return false, err
	}
	doing := "updating the position of technician " + p.TechnicianID
	cell, err := store.LiveCell(p.Location())
	if err != nil {
		return false, fmt.Errorf("redisstore: %s: %w", doing, err)
	}
	id := p.TechnicianID
	n, err := updatePositionScript.Run(ctx, s.rdb,
		[]string{s.key("tech", id), s.key("live", id), s.key("cell", cell), s.key("lives")},
		id, p.At.UnixMilli(), formatFloat(p.Lat), formatFloat(p.Lng), cell, status, s.key("cell", "")).Int()
	switch {
	case err != nil:
		return false, wrap(doing, err)
	case n < 0:
		return false, fmt.Errorf("redisstore: %s: %w", doing, store.ErrNotFound)
	}
	return n == 1, nil
}

// formatFloat writes a coordinate so that parsing it gives the same float.
func formatFloat(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

// liveFields are the fields of a live:<id> hash that Live reads, in order.
var liveFields = []string{"lat", "lng", "at", "cell", "status"}

// Live returns the live state of the technicians with the given ids, or
// of every technician with a known position when no id is given.
// Technicians without a position (or unknown ones) are absent from the
// map. Positions' times are in UTC, to the millisecond.
func (s *Store) Live(ctx context.Context, ids ...string) (map[string]store.Live, error) {
	const doing = "reading live positions"
	if len(ids) == 0 {
		all, err := s.rdb.SMembers(ctx, s.key("lives")).Result()
		if err != nil {
			return nil, wrap(doing, err)
		}
		ids = all
	}
	ids = slices.DeleteFunc(slices.Clone(ids), func(id string) bool { return id == "" })
	out := make(map[string]store.Live, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	cmds := make([]*redis.SliceCmd, len(ids))
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, id := range ids {
			cmds[i] = p.HMGet(ctx, s.key("live", id), liveFields...)
		}
		return nil
	})
	if err != nil {
		return nil, wrap(doing, err)
	}
	for i, id := range ids {
		l, ok, err := decodeLive(id, cmds[i].Val())
		if err != nil {
			return nil, fmt.Errorf("redisstore: %s: %w", doing, err)
		}
		if ok {
			out[id] = l
		}
	}
	return out, nil
}

// decodeLive reads a live:<id> hash's fields, as liveFields lists them;
// ok is false when the hash does not exist (no position, or deleted since
// its id was listed).
func decodeLive(id string, vals []any) (l store.Live, ok bool, err error) {
	str := make([]string, len(liveFields))
	for i, v := range vals {
		str[i], _ = v.(string)
	}
	if str[2] == "" {
		return store.Live{}, false, nil
	}
	lat, err1 := strconv.ParseFloat(str[0], 64)
	lng, err2 := strconv.ParseFloat(str[1], 64)
	ms, err3 := strconv.ParseInt(str[2], 10, 64)
	if err := errors.Join(err1, err2, err3); err != nil {
		return store.Live{}, false, fmt.Errorf("decoding the live state of %q: %w", id, err)
	}
	return store.Live{
		TechnicianID: id,
		Position:     model.Position{TechnicianID: id, Lat: lat, Lng: lng, At: time.UnixMilli(ms).UTC()},
		Cell:         str[3],
		Status:       str[4],
	}, true, nil
}

// Near returns the ids, sorted, of the technicians whose last position is
// within meters (great-circle) of loc. One SUNION over the per-cell sets
// that can hold them (store.NearCells) finds the candidates, and one
// pipeline reads their positions to measure them; a circle too wide for
// that reads every position instead.
func (s *Store) Near(ctx context.Context, loc model.Location, meters float64) ([]string, error) {
	cells, all, err := store.NearCells(loc, meters)
	if err != nil {
		return nil, err
	}
	doing := fmt.Sprintf("finding technicians within %v m of %v", meters, loc)
	var candidates []string
	if all {
		candidates, err = s.rdb.SMembers(ctx, s.key("lives")).Result()
	} else {
		keys := make([]string, len(cells))
		for i, c := range cells {
			keys[i] = s.key("cell", c)
		}
		candidates, err = s.rdb.SUnion(ctx, keys...).Result()
	}
	if err != nil {
		return nil, wrap(doing, err)
	}
	ids := []string{}
	if len(candidates) == 0 {
		return ids, nil
	}
	cmds := make([]*redis.SliceCmd, len(candidates))
	_, err = s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, id := range candidates {
			cmds[i] = p.HMGet(ctx, s.key("live", id), "lat", "lng")
		}
		return nil
	})
	if err != nil {
		return nil, wrap(doing, err)
	}
	// The origin's trigonometry, once: MetersTo then measures exactly as
	// GreatCircleMeters does.
	from := geo.Prepare(loc)
	for i, id := range candidates {
		vals := cmds[i].Val()
		latS, _ := vals[0].(string)
		lngS, _ := vals[1].(string)
		if latS == "" || lngS == "" {
			continue // moved or deleted since the union
		}
		lat, err1 := strconv.ParseFloat(latS, 64)
		lng, err2 := strconv.ParseFloat(lngS, 64)
		if err := errors.Join(err1, err2); err != nil {
			return nil, fmt.Errorf("redisstore: %s: decoding the position of %q: %w", doing, id, err)
		}
		if from.MetersTo(geo.Prepare(model.LatLng(lat, lng))) <= meters {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids, nil
}
