package geo

import (
	"fmt"
	"math"
	"slices"

	"github.com/dispatchd/dispatchd/model"
	"github.com/uber/h3-go/v4"
)

// DefaultResolution is the H3 resolution of an Index whose caller names
// none: resolution 7 cells are about 1.2 km across edge to edge (5 km²), a
// few minutes' drive, so a metro area is a few hundred cells.
const DefaultResolution = 7

// Cell returns the H3 cell that contains a location at a resolution (0–15).
func Cell(l model.Location, res int) (h3.Cell, error) {
	if !l.HasCoordinates() {
		return 0, fmt.Errorf("geo: finding the H3 cell of %v: %w: no coordinates", l, ErrUnknownLocation)
	}
	if res < 0 || res > 15 {
		return 0, fmt.Errorf("geo: H3 resolution %d out of range [0, 15]", res)
	}
	return h3.LatLngToCell(ToLatLng(l), res), nil
}

// Rings returns the cells at grid distance 0, 1, …, k from origin: ring i
// holds the cells exactly i steps away.
func Rings(origin h3.Cell, k int) [][]h3.Cell {
	rings := h3.GridDiskDistances(origin, k)
	for i, ring := range rings {
		// h3 leaves zero cells in the output where the disk crosses a pentagon.
		rings[i] = slices.DeleteFunc(ring, func(c h3.Cell) bool { return c == 0 })
	}
	return rings
}

// RingsCovering returns a number of rings k such that every point within
// radius metres of a location in origin lies in a cell at most k steps from
// origin. It measures origin's own edges rather than a global average,
// because H3 cells of one resolution vary in size across the globe.
func RingsCovering(origin h3.Cell, meters float64) int {
	edge := math.Inf(1)
	for _, e := range origin.DirectedEdges() {
		edge = min(edge, h3.EdgeLengthM(e))
	}
	// Neighbouring centres are √3 edges apart, so each ring reaches at least
	// 1.5 edges further even where cells shrink a little away from origin;
	// one more ring covers the location's offset from its own cell's centre.
	return int(math.Ceil(meters/(1.5*edge))) + 1
}

// Index finds items (technicians, stops) by the H3 cell of their location.
// It is not safe for concurrent use; callers that share one guard it.
type Index struct {
	res   int
	cells map[h3.Cell][]string
	where map[string]indexed
}

type indexed struct {
	cell h3.Cell
	loc  model.Location
}

// NewIndex returns an empty index at an H3 resolution (0–15).
func NewIndex(res int) (*Index, error) {
	if res < 0 || res > 15 {
		return nil, fmt.Errorf("geo: H3 resolution %d out of range [0, 15]", res)
	}
	return &Index{res: res, cells: map[h3.Cell][]string{}, where: map[string]indexed{}}, nil
}

// Resolution returns the index's H3 resolution.
func (x *Index) Resolution() int { return x.res }

// Len returns the number of items in the index.
func (x *Index) Len() int { return len(x.where) }

// Set puts an item at a location, moving it if it is already indexed.
func (x *Index) Set(id string, l model.Location) error {
	c, err := Cell(l, x.res)
	if err != nil {
		return fmt.Errorf("indexing %q: %w", id, err)
	}
	old, ok := x.where[id]
	x.where[id] = indexed{cell: c, loc: l}
	if ok && old.cell == c {
		return nil
	}
	if ok {
		x.removeFrom(old.cell, id)
	}
	x.cells[c] = append(x.cells[c], id)
	return nil
}

// Remove takes an item out of the index; removing an absent item does
// nothing.
func (x *Index) Remove(id string) {
	if e, ok := x.where[id]; ok {
		x.removeFrom(e.cell, id)
		delete(x.where, id)
	}
}

func (x *Index) removeFrom(c h3.Cell, id string) {
	ids := slices.DeleteFunc(x.cells[c], func(s string) bool { return s == id })
	if len(ids) == 0 {
		delete(x.cells, c)
		return
	}
	x.cells[c] = ids
}

// CellOf returns the cell an item is indexed in.
func (x *Index) CellOf(id string) (h3.Cell, bool) {
	e, ok := x.where[id]
	return e.cell, ok
}

// Location returns where an item is indexed.
func (x *Index) Location(id string) (model.Location, bool) {
	e, ok := x.where[id]
	return e.loc, ok
}

// In returns the items in one cell, sorted.
func (x *Index) In(c h3.Cell) []string {
	ids := slices.Clone(x.cells[c])
	slices.Sort(ids)
	return ids
}

// Near returns the items in cells at most k rings from the cell of l,
// sorted. Callers that need a distance filter it themselves.
func (x *Index) Near(l model.Location, k int) ([]string, error) {
	origin, err := Cell(l, x.res)
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, ring := range Rings(origin, k) {
		for _, c := range ring {
			ids = append(ids, x.cells[c]...)
		}
	}
	slices.Sort(ids)
	return ids, nil
}

// Within returns the items within radius metres (great-circle) of l,
// sorted; it looks only at cells that can hold them.
func (x *Index) Within(l model.Location, meters float64) ([]string, error) {
	origin, err := Cell(l, x.res)
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, ring := range Rings(origin, RingsCovering(origin, meters)) {
		for _, c := range ring {
			for _, id := range x.cells[c] {
				if GreatCircleMeters(Point(l), Point(x.where[id].loc)) <= meters {
					ids = append(ids, id)
				}
			}
		}
	}
	slices.Sort(ids)
	return ids, nil
}
