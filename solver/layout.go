package solver

import (
	"cmp"
	"slices"

	"github.com/dispatchd/dispatchd/geo"
	"github.com/dispatchd/dispatchd/model"
)

// Places are numbered in the travel table so that places near each other
// get numbers near each other. The local search prices every move by
// looking up the legs between a job, its route neighbours and its nearest
// neighbours — all close by — and on 1,000 customers the dense table is
// 12 MB, far beyond the caches: numbered in the order they come (matrix
// rows, first appearance), each lookup is a cache miss; numbered by
// place, most of one job's lookups fall in a few cache lines of a few
// rows. Jobs keep their numbers, and nothing in the search depends on a
// place's number but the table's layout, so the plans are the same.
//
// The order needs no coordinates (a matrix's places may have none): it
// bisects the places by travel time recursively, as a metric tree does —
// two far-apart places a and b split a set into the half nearer a and the
// half nearer b — and numbers the leaves in turn.

// layoutLeaf is the size of set the bisection no longer splits: the
// places of one cache line of a row (eight float64 costs).
const layoutLeaf = 8

// layOut renumbers the locator's places by place and returns the new
// number of each old one, or nil when it left them as they were (a lazy
// table, which holds no legs to lay out, or a travel model that could not
// give a leg). dist is the travel time between two places by their old
// numbers.
func layOut(l *locator, dist func(a, b int32) (int64, bool)) []int32 {
	n := l.size()
	if n <= layoutLeaf || n > denseLimit {
		return nil
	}
	order := placeOrder(n, dist)
	if order == nil {
		return nil
	}
	return l.renumber(order)
}

// placeOrder orders n places by place (bisectOrder); tests give other
// orders, to show that the plans do not depend on the numbering.
var placeOrder = bisectOrder

// bisectOrder returns places 0..n-1 in the order of recursive bisection,
// or nil when dist could not give a leg.
func bisectOrder(n int, dist func(a, b int32) (int64, bool)) []int32 {
	order := make([]int32, n)
	for i := range order {
		order[i] = int32(i)
	}
	if !bisect(order, make([]int64, n), dist) {
		return nil
	}
	return order
}

// bisect orders set so that each half of it, recursively, holds the places
// nearer one of two far-apart places of it; it reports false when dist
// could not give a leg.
func bisect(set []int32, key []int64, dist func(a, b int32) (int64, bool)) bool {
	if len(set) <= layoutLeaf {
		return true
	}
	farthest := func(from int32) (int32, bool) {
		best, far := set[0], int64(-1)
		for _, x := range set {
			d, ok := dist(from, x)
			if !ok {
				return 0, false
			}
			if d > far {
				best, far = x, d
			}
		}
		return best, true
	}
	a, ok := farthest(set[0])
	if !ok {
		return false
	}
	b, ok := farthest(a)
	if !ok {
		return false
	}
	for _, x := range set {
		da, okA := dist(x, a)
		db, okB := dist(x, b)
		if !okA || !okB {
			return false
		}
		key[x] = da - db
	}
	// Ties by number keep the order deterministic.
	slices.SortFunc(set, func(x, y int32) int {
		if c := cmp.Compare(key[x], key[y]); c != 0 {
			return c
		}
		return cmp.Compare(x, y)
	})
	half := len(set) / 2
	return bisect(set[:half], key, dist) && bisect(set[half:], key, dist)
}

// renumber gives place order[k] the number k and returns the new number
// of each old one. Places indexed later get the numbers after these.
func (l *locator) renumber(order []int32) []int32 {
	moved := make([]int32, len(order))
	for k, old := range order {
		moved[old] = int32(k)
	}
	if l.matrix != nil {
		rows := make([]int32, len(order))
		for k, old := range order {
			rows[k] = int32(l.row(old))
		}
		l.rows = rows
		l.slots = make([]int32, len(rows))
		for k, r := range rows {
			l.slots[r] = int32(k)
		}
		return moved
	}
	places := make([]model.Location, len(order))
	for k, old := range order {
		places[k] = l.places[old]
		l.ids[[2]float64{places[k].Lat, places[k].Lng}] = int32(k)
	}
	l.places = places
	return moved
}

// legTime returns the travel time between two places of the locator, for
// layOut, before any table is built.
func legTime(l *locator, tr geo.Travel) func(a, b int32) (int64, bool) {
	probe := &travelTable{n: l.size(), loc: l, travel: tr}
	return func(a, b int32) (int64, bool) {
		leg, err := probe.leg(a, b)
		return leg.Duration.Milliseconds(), err == nil
	}
}
