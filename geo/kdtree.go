package geo

import (
	"cmp"
	"fmt"
	"math"

	"github.com/dispatchd/dispatchd/model"
)

// KDTree finds, among a fixed set of locations, those nearest to a point
// by great-circle distance, in O(k log n) for k of n rather than a scan of
// all n: the solver's neighbour lists on a 10,000-order day would
// otherwise sort every place for every order.
//
// It is a k-d tree over the locations as points on the unit sphere, where
// the straight-line (chord) distance orders points exactly as the
// great-circle distance does, so it is right at the poles and across the
// antimeridian without special cases, and it adapts to how densely the
// locations cluster, which a grid of fixed cells does not.
type KDTree struct {
	// pts holds the points in tree order: the node of a range [lo, hi) is
	// pts[(lo+hi)/2], which splits the range on axis[(lo+hi)/2].
	pts  []treePoint
	axis []uint8
}

type treePoint struct {
	x   [3]float64
	idx int
}

// leafSize is the most points a range holds that a query scans rather
// than splits: below it, scanning is cheaper than descending.
const leafSize = 8

// NewKDTree indexes locations; Nearest answers with their positions in
// locs. Every location must have coordinates.
func NewKDTree(locs []model.Location) (*KDTree, error) {
	t := &KDTree{pts: make([]treePoint, len(locs)), axis: make([]uint8, len(locs))}
	for i, l := range locs {
		if !l.HasCoordinates() {
			return nil, fmt.Errorf("geo: indexing location %d (%v): %w: no coordinates", i, l, ErrUnknownLocation)
		}
		t.pts[i] = treePoint{x: unitVector(l), idx: i}
	}
	t.build(0, len(t.pts))
	return t, nil
}

// unitVector places a location on the unit sphere.
func unitVector(l model.Location) [3]float64 {
	const rad = math.Pi / 180
	lat, lng := l.Lat*rad, l.Lng*rad
	return [3]float64{math.Cos(lat) * math.Cos(lng), math.Cos(lat) * math.Sin(lng), math.Sin(lat)}
}

// build arranges pts[lo:hi] as a subtree: the median on the axis of
// widest spread at the middle, smaller coordinates before it.
func (t *KDTree) build(lo, hi int) {
	if hi-lo <= leafSize {
		return
	}
	var low, high [3]float64
	low, high = t.pts[lo].x, t.pts[lo].x
	for _, p := range t.pts[lo+1 : hi] {
		for a := range 3 {
			low[a], high[a] = min(low[a], p.x[a]), max(high[a], p.x[a])
		}
	}
	axis := 0
	for a := 1; a < 3; a++ {
		if high[a]-low[a] > high[axis]-low[axis] {
			axis = a
		}
	}
	mid := (lo + hi) / 2
	t.axis[mid] = uint8(axis)
	t.selectNth(lo, hi, mid, axis)
	t.build(lo, mid)
	t.build(mid+1, hi)
}

// selectNth reorders pts[lo:hi] so that pts[n] is the point that sorting
// them on axis would put there, with no larger one before it and no
// smaller one after it (Hoare's selection, median-of-three pivots).
func (t *KDTree) selectNth(lo, hi, n, axis int) {
	p := t.pts
	key := func(i int) float64 { return p[i].x[axis] }
	hi--
	for lo < hi {
		mid := (lo + hi) / 2
		if key(mid) < key(lo) {
			p[mid], p[lo] = p[lo], p[mid]
		}
		if key(hi) < key(lo) {
			p[hi], p[lo] = p[lo], p[hi]
		}
		if key(hi) < key(mid) {
			p[hi], p[mid] = p[mid], p[hi]
		}
		pivot := key(mid)
		i, j := lo, hi
		for i <= j {
			for key(i) < pivot {
				i++
			}
			for key(j) > pivot {
				j--
			}
			if i <= j {
				p[i], p[j] = p[j], p[i]
				i++
				j--
			}
		}
		switch {
		case n <= j:
			hi = j
		case n >= i:
			lo = i
		default:
			return
		}
	}
}

// Nearest appends to dst the positions (in the locations given to
// NewKDTree) of the k locations nearest to l, nearest first, ties in
// position order, and returns it. Fewer come back when the tree holds
// fewer. l must have coordinates.
func (t *KDTree) Nearest(l model.Location, k int, dst []int) []int {
	if k <= 0 || len(t.pts) == 0 {
		return dst
	}
	q := nearestQuery{t: t, x: unitVector(l), k: min(k, len(t.pts))}
	q.heap = make([]found, 0, q.k)
	q.search(0, len(t.pts))
	// Pop the heap's largest in turn: it fills from the back, nearest first.
	n := len(dst)
	for range q.heap {
		dst = append(dst, 0)
	}
	for i := len(q.heap) - 1; i >= 0; i-- {
		dst[n+i] = q.heap[0].idx
		q.heap[0] = q.heap[i]
		q.heap = q.heap[:i]
		q.down(0)
	}
	return dst
}

// found is a candidate of a query: its squared chord distance and position.
type found struct {
	d2  float64
	idx int
}

// farther orders candidates by distance, then position.
func (a found) farther(b found) bool {
	if c := cmp.Compare(a.d2, b.d2); c != 0 {
		return c > 0
	}
	return a.idx > b.idx
}

// nearestQuery keeps the k nearest found so far in a max-heap, the
// farthest on top.
type nearestQuery struct {
	t    *KDTree
	x    [3]float64
	k    int
	heap []found
}

func (q *nearestQuery) offer(p *treePoint) {
	var d2 float64
	for a := range 3 {
		d := p.x[a] - q.x[a]
		d2 += d * d
	}
	f := found{d2, p.idx}
	if len(q.heap) < q.k {
		q.heap = append(q.heap, f)
		q.up(len(q.heap) - 1)
		return
	}
	if q.heap[0].farther(f) {
		q.heap[0] = f
		q.down(0)
	}
}

// bound is the squared distance a point must not exceed to be taken: the
// farthest kept, once k are kept.
func (q *nearestQuery) bound() float64 {
	if len(q.heap) < q.k {
		return math.Inf(1)
	}
	return q.heap[0].d2
}

func (q *nearestQuery) search(lo, hi int) {
	if hi-lo <= leafSize {
		for i := lo; i < hi; i++ {
			q.offer(&q.t.pts[i])
		}
		return
	}
	mid := (lo + hi) / 2
	p := &q.t.pts[mid]
	axis := q.t.axis[mid]
	d := q.x[axis] - p.x[axis]
	q.offer(p)
	// The near side first; the far side only if the splitting plane is
	// within the bound (equal distances count: ties go by position).
	if d < 0 {
		q.search(lo, mid)
		if d*d <= q.bound() {
			q.search(mid+1, hi)
		}
	} else {
		q.search(mid+1, hi)
		if d*d <= q.bound() {
			q.search(lo, mid)
		}
	}
}

func (q *nearestQuery) up(i int) {
	h := q.heap
	for i > 0 {
		parent := (i - 1) / 2
		if !h[i].farther(h[parent]) {
			return
		}
		h[i], h[parent] = h[parent], h[i]
		i = parent
	}
}

func (q *nearestQuery) down(i int) {
	h := q.heap
	for {
		l := 2*i + 1
		if l >= len(h) {
			return
		}
		c := l
		if r := l + 1; r < len(h) && h[r].farther(h[l]) {
			c = r
		}
		if !h[c].farther(h[i]) {
			return
		}
		h[i], h[c] = h[c], h[i]
		i = c
	}
}
