package geo

import (
	"fmt"
	"math"
	"slices"

	"github.com/dispatchd/dispatchd/model"
	"github.com/uber/h3-go/v4"
)

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
