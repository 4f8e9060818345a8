package report

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/dispatchd/dispatchd/dispatch"
	"github.com/dispatchd/dispatchd/model"
)

// FromCompare is the report of a compare run (dispatch.Compare): its
// table of KPIs, its objective matrix, its sweep as line charts, and the
// routes and orders left out of each plan. The depots and the places of
// the orders left out come from the problem, or, when it is nil (a
// compare's record keeps no problem), from the comparison's own Depots
// and LeftOut.
//
// The columns are the compare's policies; a compare that is only a sweep
// has its points as columns. A policy whose plan never ran (a cancelled
// compare) keeps its column, with dashes. The caller sets Title and
// Subtitle.
func FromCompare(c *dispatch.Comparison, p *model.Problem) (Comparison, error) {
	if c == nil {
		return Comparison{}, fmt.Errorf("report: no comparison")
	}
	points := 0
	if c.Sweep != nil {
		points = len(c.Sweep.Values)
	}
	cols := make([]int, 0, len(c.Order))
	for i := range len(c.Order) - points {
		cols = append(cols, i)
	}
	if len(cols) == 0 {
		for i := range c.Order {
			cols = append(cols, i)
		}
	}
	out := Comparison{Title: "Policy comparison"}
	for _, i := range cols {
		name := c.Order[i]
		col := PolicyColumn{Name: name}
		if o := c.Policies[name]; o != nil {
			col.Description, col.Changes = o.Policy.Description, WeightChanges(o.Policy)
			if note := statusNote(o); note != "" {
				col.Description = strings.TrimSpace(col.Description + " (" + note + ")")
			}
		}
		out.Policies = append(out.Policies, col)
	}
	for _, row := range c.Table {
		out.KPIs = append(out.KPIs, kpiRowOf(row, cols))
	}
	if len(c.Matrix) == len(c.Order) {
		for _, i := range cols {
			row := make([]float64, len(cols))
			for k, j := range cols {
				if j < len(c.Matrix[i]) {
					row[k] = float64(c.Matrix[i][j])
				} else {
					row[k] = math.NaN()
				}
			}
			out.Objectives = append(out.Objectives, row)
		}
	}
	if sw := c.Sweep; sw != nil {
		// The sweep's values come in the order they were given; its charts
		// read left to right.
		order := make([]int, len(sw.Values))
		for i := range order {
			order[i] = i
		}
		slices.SortStableFunc(order, func(a, b int) int {
			switch {
			case sw.Values[a] < sw.Values[b]:
				return -1
			case sw.Values[a] > sw.Values[b]:
				return 1
			}
			return 0
		})
		s := Sweep{Weight: sw.Weight, Policy: sw.Base}
		for _, i := range order {
			s.Values = append(s.Values, sw.Values[i])
		}
		for _, row := range sw.Series {
			s.KPIs = append(s.KPIs, kpiRowOf(row, order))
		}
		out.Sweeps = append(out.Sweeps, s)
	}
	if p == nil {
		p = problemOf(c)
	}
	drawable := true
	for _, i := range cols {
		o := c.Policies[c.Order[i]]
		if o == nil || o.Plan == nil {
			continue
		}
		out.Unassigned = append(out.Unassigned, UnassignedOf(c.Order[i], *o.Plan, p)...)
		if !drawable {
			continue
		}
		m, err := MapOf(c.Order[i], *o.Plan, p)
		if err != nil {
			// A plan on a travel matrix has nothing to draw; the page says
			// so in place of the maps.
			drawable, out.Maps = false, nil
			continue
		}
		out.Maps = append(out.Maps, m)
	}
	if err := out.Validate(); err != nil {
		return Comparison{}, fmt.Errorf("report: the comparison of %d policies: %w", len(c.Order), err)
	}
	return out, nil
}

// problemOf is as much of a compare's problem as its report needs: the
// technicians' depots and the orders left out, with their priorities and
// places.
func problemOf(c *dispatch.Comparison) *model.Problem {
	p := &model.Problem{}
	for _, d := range c.Depots {
		p.Technicians = append(p.Technicians, model.Technician{ID: d.TechnicianID, Start: d.Location})
	}
	ids := make([]string, 0, len(c.LeftOut))
	for id := range c.LeftOut {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		o := c.LeftOut[id]
		p.WorkOrders = append(p.WorkOrders, model.WorkOrder{ID: id, Priority: o.Priority, Location: o.Location})
	}
	return p
}

// kpiRowOf takes the columns cols of a compare's table row.
func kpiRowOf(row dispatch.KPIRow, cols []int) KPIRow {
	k := KPIRow{Name: sentence(row.Label), Unit: row.Unit}
	if k.Name == "" {
		k.Name = row.Key
	}
	switch row.Better {
	case "lower":
		k.Better = Lower
	case "higher":
		k.Better = Higher
	}
	for _, i := range cols {
		v := math.NaN()
		if i < len(row.Values) {
			v = float64(row.Values[i])
		}
		k.Values = append(k.Values, v)
	}
	return k
}

// sentence trims a table label (the terminal table indents its sub-rows)
// and capitalises it, as the report's headings are.
func sentence(s string) string {
	s = strings.TrimSpace(s)
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 {
		return s
	}
	return string(unicode.ToUpper(r)) + s[n:]
}

// statusNote says why a policy's column is short of a finished plan, or
// returns "".
func statusNote(o *dispatch.PolicyOutcome) string {
	switch {
	case o.Status == dispatch.CompareDone:
		return ""
	case o.Plan == nil && o.Status == dispatch.ComparePending:
		return "no plan: the compare was cancelled before it ran"
	case o.Plan == nil:
		return "no plan: " + o.Status
	case o.Status == dispatch.CompareCancelled:
		return "cancelled: the best plan found by then"
	}
	return o.Status
}
