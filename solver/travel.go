package solver

import (
	"fmt"
	"math"

	"github.com/dispatchd/dispatchd/geo"
	"github.com/dispatchd/dispatchd/model"
)

// locator numbers the places of a problem for the travel table: rows of
// the caller's matrix as they are, or distinct coordinates in order of
// first appearance.
type locator struct {
	matrix *geo.Matrix
	ids    map[[2]float64]int32
	places []model.Location
	// rows, once a matrix's places are laid out (layout.go), is the
	// matrix row of each place, and slots the place of each row; nil
	// while places are rows.
	rows, slots []int32
}

func newLocator(tr geo.Travel) *locator {
	l := &locator{ids: map[[2]float64]int32{}}
	if m, ok := tr.(*geo.Matrix); ok {
		l.matrix = m
	}
	return l
}

// index returns the table index of a validated location.
func (l *locator) index(loc model.Location) int32 {
	if l.matrix != nil {
		i, err := l.matrix.Index(loc)
		if err != nil {
			// Validation checks every location against the matrix first.
			panic(fmt.Sprintf("solver: unvalidated location %v: %v", loc, err))
		}
		if l.slots != nil {
			return l.slots[i]
		}
		return int32(i)
	}
	key := [2]float64{loc.Lat, loc.Lng}
	if i, ok := l.ids[key]; ok {
		return i
	}
	i := int32(len(l.places))
	l.ids[key] = i
	l.places = append(l.places, model.LatLng(loc.Lat, loc.Lng))
	return i
}

// row returns the matrix row of place i.
func (l *locator) row(i int32) int {
	if l.rows != nil {
		return int(l.rows[i])
	}
	return int(i)
}

func (l *locator) size() int {
	if l.matrix != nil {
		return l.matrix.Size()
	}
	return len(l.places)
}

// denseLimit is the most places whose travel the table precomputes: 4,096²
// entries of 12 bytes is 200 MB. Beyond it legs are computed when asked.
const denseLimit = 4096

// travelTable answers travel time (ms) and arc cost (the objective's
// travel_time and distance terms) between table indices.
type travelTable struct {
	n     int
	durs  []int32 // ms, row-major; nil when lazy
	costs []float64
	// lazy mode
	loc    *locator
	travel geo.Travel
	w      model.Weights
	// places holds every place prepared when travel is haversine, so that
	// a leg does the trigonometry of neither end again; the legs are the
	// same to the last bit.
	hav    geo.Haversine
	places []geo.Prepared
	// symmetric says every leg takes as long both ways (haversine legs
	// always do; a matrix's are checked when the table is dense), so that
	// an insertion scan looks each leg up once.
	symmetric bool
	// guest, in a lazy table's copy for one suggestion (withGuest), is the
	// suggested order's place at index n-1: the state's table, shared by
	// concurrent suggestions, is never changed.
	guest *guestPlace
}

// guestPlace is a place a table's copy knows beyond the locator's.
type guestPlace struct {
	loc      model.Location
	prepared geo.Prepared
}

// withGuest returns a copy of a lazy haversine or coordinate table that
// also knows loc, at the index it returns.
func (t *travelTable) withGuest(loc model.Location) (*travelTable, int32) {
	c := *t
	c.guest = &guestPlace{loc: loc, prepared: geo.Prepare(loc)}
	c.n = t.n + 1
	return &c, int32(t.n)
}

// newLazyTravelTable returns a table that computes every leg when asked:
// a suggestion needs few legs among many places.
func newLazyTravelTable(loc *locator, tr geo.Travel, w model.Weights) *travelTable {
	t := &travelTable{n: loc.size(), loc: loc, travel: tr, w: w}
	t.prepare()
	return t
}

// newTravelTable returns a dense table up to denseLimit places and a lazy
// one beyond. Should the budget run out while it fills the dense table,
// it returns a lazy one, which answers the same.
func newTravelTable(loc *locator, tr geo.Travel, w model.Weights, b *budget) (*travelTable, error) {
	n := loc.size()
	t := &travelTable{n: n, loc: loc, travel: tr, w: w}
	t.prepare()
	if n > denseLimit {
		return t, nil
	}
	t.durs = make([]int32, n*n)
	t.costs = make([]float64, n*n)
	// A leg known to be the same both ways is computed once.
	for i := range n {
		if b.searchSpent() {
			t.durs, t.costs = nil, nil
			return t, nil
		}
		first := 0
		if t.symmetric {
			first = i
		}
		for j := first; j < n; j++ {
			d, c, err := t.compute(int32(i), int32(j))
			if err != nil {
				return nil, err
			}
			t.durs[i*n+j], t.costs[i*n+j] = d, c
			if t.symmetric {
				t.durs[j*n+i], t.costs[j*n+i] = d, c
			}
		}
	}
	if t.symmetric {
		return t, nil // haversine: known before
	}
	t.symmetric = true
	for a := 0; a < n && t.symmetric; a++ {
		for b := a + 1; b < n; b++ {
			if t.durs[a*n+b] != t.durs[b*n+a] {
				t.symmetric = false
				break
			}
		}
	}
	return t, nil
}

// prepare readies the places of haversine travel; the locator must hold
// every place by now.
func (t *travelTable) prepare() {
	h, ok := t.travel.(geo.Haversine)
	if !ok || t.loc.matrix != nil {
		return
	}
	t.hav = h
	t.symmetric = true // the same both ways, to the bit
	t.places = make([]geo.Prepared, len(t.loc.places))
	for i, l := range t.loc.places {
		t.places[i] = geo.Prepare(l)
	}
}

// compute returns the travel time (ms) and cost from a to b. A leg longer
// than an int32 of milliseconds (24 days) is an error, which the dense
// table reports; the lazy table, which cannot, gets the longest leg it
// holds, so that such a leg stays as infeasible as it is rather than free.
func (t *travelTable) compute(a, b int32) (int32, float64, error) {
	leg, err := t.leg(a, b)
	if err != nil {
		return 0, 0, err
	}
	ms := leg.Duration.Milliseconds()
	if ms > math.MaxInt32 {
		err = fmt.Errorf("solver: a leg of %v is longer than the solver handles (24 days)", leg.Duration)
		ms = math.MaxInt32
	}
	return int32(ms), t.w.TravelTime*float64(ms)/msPerMi + t.w.Distance*leg.Meters/1000, err
}

func (t *travelTable) leg(a, b int32) (geo.Leg, error) {
	if m := t.loc.matrix; m != nil {
		return m.LegByIndex(t.loc.row(a), t.loc.row(b)), nil
	}
	if t.places != nil {
		return t.hav.LegPrepared(t.prepared(a), t.prepared(b)), nil
	}
	leg, err := t.travel.Leg(t.place(a), t.place(b))
	if err != nil {
		return geo.Leg{}, fmt.Errorf("solver: travel: %w", err)
	}
	return leg, nil
}

// place and prepared return place i, the guest's beyond the locator's.
func (t *travelTable) place(i int32) model.Location {
	if t.guest != nil && int(i) == t.n-1 {
		return t.guest.loc
	}
	return t.loc.places[i]
}

func (t *travelTable) prepared(i int32) geo.Prepared {
	if t.guest != nil && int(i) == t.n-1 {
		return t.guest.prepared
	}
	return t.places[i]
}

// dur returns the travel time from a to b in ms.
func (t *travelTable) dur(a, b int32) int64 {
	if t.durs != nil {
		return int64(t.durs[int(a)*t.n+int(b)])
	}
	return t.lazyDur(a, b)
}

// cost returns the weighted travel cost from a to b. Hot loops call it
// directly or through a closure, which the compiler inlines, never through
// the method value t.cost: that indirect call made every local-search
// iteration twice as dear.
func (t *travelTable) cost(a, b int32) float64 {
	if t.costs != nil {
		return t.costs[int(a)*t.n+int(b)]
	}
	return t.lazyCost(a, b)
}

// arc returns both the travel time (ms) and the cost from a to b: one
// computation where a lazy table would make two of dur and cost.
func (t *travelTable) arc(a, b int32) (int64, float64) {
	if t.durs != nil {
		i := int(a)*t.n + int(b)
		return int64(t.durs[i]), t.costs[i]
	}
	d, c, _ := t.compute(a, b)
	return int64(d), c
}

// The lazy paths are kept out of line so that dur and cost, called in the
// innermost loops of the local search and of insertion, are inlined
// there.
//
//go:noinline
func (t *travelTable) lazyDur(a, b int32) int64 {
	d, _, _ := t.compute(a, b)
	return int64(d)
}

//go:noinline
func (t *travelTable) lazyCost(a, b int32) float64 {
	_, c, _ := t.compute(a, b)
	return c
}
