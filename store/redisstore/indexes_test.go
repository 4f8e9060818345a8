package redisstore_test

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

// checkIndexes reports every way the indexes under a prefix (id sets, cell
// sets, route sets, wo-routes sets, the plans set) disagree with the
// records. Readers re-check records, so a stale index entry does not show
// in their answers; only a look at the keys catches it.
func checkIndexes(ctx context.Context, rdb *redis.Client, prefix string) error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	keys := map[string][]string{} // kind -> the rest of each key of that kind
	iter := rdb.Scan(ctx, 0, prefix+"*", 500).Iterator()
	for iter.Next(ctx) {
		rest := strings.TrimPrefix(iter.Val(), prefix)
		kind, name, _ := strings.Cut(rest, ":")
		keys[kind] = append(keys[kind], name)
	}
	if err := iter.Err(); err != nil {
		return err
	}
	members := func(key string) []string {
		m, err := rdb.SMembers(ctx, prefix+key).Result()
		if err != nil {
			bad("SMEMBERS %s: %v", key, err)
		}
		slices.Sort(m)
		return m
	}
	sorted := func(s []string) []string { s = slices.Clone(s); slices.Sort(s); return s }
	if got, want := members("techs"), sorted(keys["tech"]); !slices.Equal(got, want) {
		bad("techs = %v, tech keys %v", got, want)
	}
	if got, want := members("wos"), sorted(keys["wo"]); !slices.Equal(got, want) {
		bad("wos = %v, wo keys %v", got, want)
	}
	if got, want := members("lives"), sorted(keys["live"]); !slices.Equal(got, want) {
		bad("lives = %v, live keys %v", got, want)
	}
	for _, id := range keys["live"] {
		h, err := rdb.HGetAll(ctx, prefix+"live:"+id).Result()
		if err != nil {
			bad("HGETALL live:%s: %v", id, err)
			continue
		}
		if !slices.Contains(keys["tech"], id) {
			bad("live state of %q, who is not a technician", id)
		}
		lat, _ := strconv.ParseFloat(h["lat"], 64)
		lng, _ := strconv.ParseFloat(h["lng"], 64)
		if c, err := store.LiveCell(model.LatLng(lat, lng)); err != nil || c != h["cell"] {
			bad("live:%s says cell %s, its position is in %s (%v)", id, h["cell"], c, err)
		}
		if _, err := strconv.ParseInt(h["at"], 10, 64); err != nil {
			bad("live:%s at = %q, want Unix milliseconds", id, h["at"])
		}
		if !slices.Contains(members("cell:"+h["cell"]), id) {
			bad("%q is missing from cell:%s", id, h["cell"])
		}
	}
	for _, c := range keys["cell"] {
		for _, id := range members("cell:" + c) {
			if got := rdb.HGet(ctx, prefix+"live:"+id, "cell").Val(); got != c {
				bad("cell:%s holds %q, whose live cell is %q", c, id, got)
			}
		}
	}
	orders := map[string]model.WorkOrder{}
	for _, id := range keys["wo"] {
		var w model.WorkOrder
		if err := json.Unmarshal([]byte(rdb.Get(ctx, prefix+"wo:"+id).Val()), &w); err != nil {
			bad("decoding wo:%s: %v", id, err)
		}
		orders[id] = w
		var want []string
		if day, ok := store.RouteDay(w); ok {
			for _, tech := range w.TechnicianIDs {
				want = append(want, prefix+"route:"+tech+":"+day.String())
			}
		}
		slices.Sort(want)
		if got := members("wo-routes:" + id); !slices.Equal(got, want) && len(got)+len(want) > 0 {
			bad("wo-routes:%s = %v, the order belongs in %v", id, got, want)
		}
	}
	for _, id := range keys["wo-routes"] {
		if _, ok := orders[id]; !ok {
			bad("wo-routes:%s of a missing order", id)
		}
	}
	for _, name := range keys["route"] {
		tech, day := name[:len(name)-len(":2006-01-02")], name[len(name)-len("2006-01-02"):]
		zs, err := rdb.ZRangeWithScores(ctx, prefix+"route:"+name, 0, -1).Result()
		if err != nil {
			bad("ZRANGE route:%s: %v", name, err)
		}
		for _, z := range zs {
			id := z.Member.(string)
			w, ok := orders[id]
			d, scheduled := store.RouteDay(w)
			if !ok || !scheduled || d.String() != day || !slices.Contains(w.TechnicianIDs, tech) {
				bad("route:%s holds %q, which does not belong there", name, id)
				continue
			}
			if int64(z.Score) != w.ScheduledStart.UnixMilli() {
				bad("route:%s scores %q %v, its start is %d", name, id, z.Score, w.ScheduledStart.UnixMilli())
			}
		}
	}
	for _, id := range keys["plan"] {
		if err := rdb.ZScore(ctx, prefix+"plans", id).Err(); err != nil {
			bad("plan:%s is not in plans: %v", id, err)
		}
	}
	if got, want := members("webhooks"), sorted(keys["webhook"]); !slices.Equal(got, want) {
		bad("webhooks = %v, webhook keys %v", got, want)
	}
	logged := map[string]bool{}
	for _, hook := range keys["hooklog"] {
		if !slices.Contains(keys["webhook"], hook) {
			bad("hooklog:%s of a missing webhook", hook)
		}
		for _, id := range rdb.ZRange(ctx, prefix+"hooklog:"+hook, 0, -1).Val() {
			logged[id] = true
			if !slices.Contains(keys["delivery"], id) {
				bad("hooklog:%s holds %q, which is no delivery", hook, id)
			}
		}
	}
	for _, id := range keys["delivery"] {
		if !logged[id] {
			bad("delivery:%s is in no webhook's log", id)
		}
	}
	for _, id := range rdb.ZRange(ctx, prefix+"due", 0, -1).Val() {
		if !slices.Contains(keys["delivery"], id) {
			bad("due holds %q, which is no delivery", id)
		}
	}
	return errors.Join(errs...)
}
