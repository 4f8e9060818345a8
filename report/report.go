package report

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
)

// Comparison is what a report shows: two or more policies planned on the
// same day, side by side. It is a view of a comparison, not the
// comparison itself, so that whoever ran the plans (the compare engine,
// a test, a notebook) can fill it without the report knowing how they ran.
type Comparison struct {
	// Title heads the page; Subtitle says what was compared (the day, its
	// size, the seed and the budget).
	Title    string
	Subtitle string
	// Policies are the columns of every table and the bars of every chart,
	// in this order.
	Policies []PolicyColumn
	// KPIs are the headline numbers, one value per policy.
	KPIs []KPIRow
	// Objectives[i][j] is the objective of policy i's plan priced under
	// policy j: the diagonal is each plan's own objective, and a column
	// says which plan that policy likes best. Nil draws no matrix; NaN is
	// a plan there is none of.
	Objectives [][]float64
	// Sweeps are sensitivity sweeps: one weight varied, every KPI traced.
	Sweeps []Sweep
	// Maps draw each policy's routes; a plan without coordinates (a
	// travel matrix) has none.
	Maps []RouteMap
	// Unassigned are the orders each policy's plan leaves out, and why.
	Unassigned []UnassignedOrder
}

// PolicyColumn names a policy for the people reading the report.
type PolicyColumn struct {
	Name        string
	Description string
	// Changes say how the policy differs from the defaults, one weight
	// each ("travel_time 4 (default 1)"); WeightChanges writes them.
	Changes []string
}

// Better says which way a KPI should move, so that the report can mark
// the best value.
type Better int

// The directions of a KPI. Neither marks no best value.
const (
	Neither Better = iota
	Lower
	Higher
)

// KPIRow is one headline number across policies (or across the values of
// a sweep).
type KPIRow struct {
	// Name is what people call it ("Travel time"); Unit what its values
	// count ("min").
	Name string
	Unit string
	// Better says which value is best.
	Better Better
	// Values are one per policy, in the order of Comparison.Policies (in a
	// sweep, one per swept value). NaN is a value there is none of (a
	// policy whose plan never ran): no bar, no point, a dash.
	Values []float64
}

// Varies reports whether the row's values are not all the same (values
// there are none of aside): a chart of equal bars or a flat line tells a
// reader nothing the table does not, so the page draws only rows that
// vary and names the others.
func (k KPIRow) Varies() bool {
	first, seen := 0.0, false
	for _, v := range k.Values {
		if math.IsNaN(v) {
			continue
		}
		if seen && v != first {
			return true
		}
		first, seen = v, true
	}
	return false
}

// Sweep is the trade-off curve of one weight: the same day planned with
// that weight set to each of Values, every KPI traced against it.
type Sweep struct {
	// Weight is the weight varied ("travel_time"); Policy the policy it
	// was varied in, if any.
	Weight string
	Policy string
	// Values are the weight's values, the x axis, in increasing order.
	Values []float64
	// KPIs have one value per element of Values.
	KPIs []KPIRow
}

// RouteMap is one policy's plan drawn on the area: routes in order, the
// technicians' depots and the orders left out.
type RouteMap struct {
	Policy string
	Routes []MapRoute
	// Depots are where technicians start, used or not.
	Depots []Depot
	// Unassigned are the orders left out, where they are.
	Unassigned []MapOrder
}

// MapRoute is one technician's day as a line: from Start through Stops to
// End. Start and End are nil when the plan does not say.
type MapRoute struct {
	TechnicianID string
	Start, End   *Point
	Stops        []MapOrder
}

// Depot is where a technician's day begins.
type Depot struct {
	TechnicianID string
	Point
}

// MapOrder is a work order on the map.
type MapOrder struct {
	WorkOrderID string
	Point
}

// Point is a place in WGS84 degrees.
type Point struct {
	Lat, Lng float64
}

// UnassignedOrder is an order a policy's plan leaves undone, and why.
type UnassignedOrder struct {
	Policy      string
	WorkOrderID string
	// Priority is the order's priority, if known.
	Priority string
	Reasons  []string
}

// Write renders the comparison as one self-contained HTML page: inline
// CSS and SVG, no script, nothing fetched. It writes nothing when the
// comparison does not hold together, and says what is wrong.
func Write(w io.Writer, c Comparison) error {
	if err := c.Validate(); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	var buf bytes.Buffer
	if err := page.Execute(&buf, layout(c)); err != nil {
		return fmt.Errorf("report: rendering the page: %w", err)
	}
	if _, err := w.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("report: writing the page: %w", err)
	}
	return nil
}

// Validate reports every way the comparison's parts disagree in size, or
// carry numbers a chart cannot draw.
func (c Comparison) Validate() error {
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	n := len(c.Policies)
	if n == 0 {
		bad("no policies to compare")
	}
	for i, p := range c.Policies {
		if p.Name == "" {
			bad("policies[%d]: no name", i)
		}
	}
	for i, k := range c.KPIs {
		checkRow(bad, fmt.Sprintf("kpis[%d]", i), k, n, "policies")
	}
	if c.Objectives != nil {
		if len(c.Objectives) != n {
			bad("objectives: %d rows for %d policies", len(c.Objectives), n)
		}
		for i, row := range c.Objectives {
			if len(row) != n {
				bad("objectives[%d]: %d columns for %d policies", i, len(row), n)
			}
			for j, v := range row {
				if math.IsInf(v, 0) {
					bad("objectives[%d][%d]: %v is not a number a table can show", i, j, v)
				}
			}
		}
	}
	for i, s := range c.Sweeps {
		where := fmt.Sprintf("sweeps[%d]", i)
		if s.Weight == "" {
			bad("%s: no weight", where)
		}
		if len(s.Values) < 2 {
			bad("%s: %d values; a sweep needs two or more", where, len(s.Values))
		}
		for j, v := range s.Values {
			if !finite(v) {
				bad("%s.values[%d]: %v is not a finite number", where, j, v)
			} else if j > 0 && v <= s.Values[j-1] {
				bad("%s.values[%d]: %v does not increase", where, j, v)
			}
		}
		for j, k := range s.KPIs {
			checkRow(bad, fmt.Sprintf("%s.kpis[%d]", where, j), k, len(s.Values), "swept values")
		}
	}
	for i, m := range c.Maps {
		where := fmt.Sprintf("maps[%d]", i)
		if m.Policy == "" {
			bad("%s: no policy", where)
		}
		eachPoint(m, func(what string, p Point) {
			if !finite(p.Lat) || !finite(p.Lng) || math.Abs(p.Lat) > 85 || math.Abs(p.Lng) > 180 {
				bad("%s: %s at (%v, %v) cannot be drawn", where, what, p.Lat, p.Lng)
			}
		})
	}
	return errors.Join(errs...)
}

func checkRow(bad func(string, ...any), where string, k KPIRow, n int, of string) {
	if k.Name == "" {
		bad("%s: no name", where)
	}
	if len(k.Values) != n {
		bad("%s (%s): %d values for %d %s", where, k.Name, len(k.Values), n, of)
	}
	for j, v := range k.Values {
		if math.IsInf(v, 0) {
			bad("%s (%s).values[%d]: %v is not a number a chart can draw", where, k.Name, j, v)
		}
	}
	if k.Better < Neither || k.Better > Higher {
		bad("%s (%s): better is %d, not Neither, Lower or Higher", where, k.Name, k.Better)
	}
}

// eachPoint calls f with every point of a map, saying what it is.
func eachPoint(m RouteMap, f func(what string, p Point)) {
	for _, r := range m.Routes {
		if r.Start != nil {
			f(r.TechnicianID+"'s start", *r.Start)
		}
		for _, s := range r.Stops {
			f(s.WorkOrderID, s.Point)
		}
		if r.End != nil {
			f(r.TechnicianID+"'s end", *r.End)
		}
	}
	for _, d := range m.Depots {
		f(d.TechnicianID+"'s depot", d.Point)
	}
	for _, u := range m.Unassigned {
		f(u.WorkOrderID, u.Point)
	}
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
