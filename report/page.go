package report

import (
	"cmp"
	_ "embed"
	"fmt"
	"html/template"
	"slices"
	"strings"

	"github.com/dispatchd/dispatchd/model"
)

//go:embed page.html.tmpl
var pageSource string

// page is the report's one template; the layout computed in Go fills it.
var page = template.Must(template.New("page").Funcs(template.FuncMap{
	"n": coord,
	"inc": func(i int) int {
		return i + 1
	},
	"join": func(names []string) string { return strings.Join(names, ", ") },
}).Parse(pageSource))

// pageData is the page laid out: every number formatted and every shape
// placed, so that the template only writes them down.
type pageData struct {
	Title, Subtitle string
	Policies        []policyView
	KPITable        []tableRow
	KPICharts       []barChart
	KPIFlat         []string // the figures every policy has alike: no chart
	Objectives      *matrix
	Sweeps          []sweepView
	Maps            []routeMap
	Unassigned      []unassignedView
	UnassignedBy    []unassignedCount
	Colours         []string
}

type policyView struct {
	Name, Description, Class string
	Changes                  []string
}

// tableRow is a KPI across policies, formatted.
type tableRow struct {
	Name, Unit string
	Better     string
	Cells      []cell
}

type cell struct {
	Value string
	Best  bool
	Own   bool
}

// matrix is the objective of each policy's plan under every policy.
type matrix struct {
	Policies []policyView
	Rows     []matrixRow
}

type matrixRow struct {
	Policy policyView
	Cells  []cell
}

type sweepView struct {
	ID, Weight, Policy string
	Values             string
	Charts             []lineChart
	Flat               []string // the figures the weight does not move: no chart
}

// unassignedView is one order some policies leave out: which, and why.
type unassignedView struct {
	WorkOrderID string
	Priority    string
	// LeftOut is one cell per policy: whether its plan leaves the order out.
	LeftOut []bool
	// Reasons are the policies' reasons; one group with no policy when
	// every policy that leaves it out says the same.
	Reasons []reasonGroup
}

type reasonGroup struct {
	Policy  *policyView
	Reasons []string
}

type unassignedCount struct {
	Policy policyView
	Count  int
}

// layout places everything the page shows.
func layout(c Comparison) pageData {
	d := pageData{Title: c.Title, Subtitle: c.Subtitle, Colours: policyColours}
	if d.Title == "" {
		d.Title = "Policy comparison"
	}
	byName := map[string]policyView{}
	for i, p := range c.Policies {
		v := policyView{Name: p.Name, Description: p.Description, Class: policyClass(i), Changes: p.Changes}
		d.Policies = append(d.Policies, v)
		if _, dup := byName[p.Name]; !dup {
			byName[p.Name] = v
		}
	}
	view := func(name string) policyView {
		if v, ok := byName[name]; ok {
			return v
		}
		return policyView{Name: name, Class: "p-other"}
	}
	for i, k := range c.KPIs {
		d.KPITable = append(d.KPITable, tableRowOf(k))
		if !k.Varies() {
			d.KPIFlat = append(d.KPIFlat, k.Name)
			continue
		}
		d.KPICharts = append(d.KPICharts, kpiChart(fmt.Sprintf("kpi-%d", i), k, c.Policies))
	}
	if c.Objectives != nil {
		m := &matrix{Policies: d.Policies}
		var all []float64
		for _, row := range c.Objectives {
			all = append(all, row...)
		}
		format := rowFormat(all)
		for j := range c.Policies {
			col := make([]float64, len(c.Policies))
			for i := range c.Policies {
				col[i] = c.Objectives[i][j]
			}
			best := bestIndex(col, Lower)
			for i := range c.Policies {
				if j == 0 {
					m.Rows = append(m.Rows, matrixRow{Policy: d.Policies[i]})
				}
				m.Rows[i].Cells = append(m.Rows[i].Cells, cell{Value: format(col[i]), Best: best[i], Own: i == j})
			}
		}
		d.Objectives = m
	}
	for i, s := range c.Sweeps {
		sv := sweepView{ID: fmt.Sprintf("sweep-%d", i), Weight: s.Weight, Policy: s.Policy}
		var vals []string
		for _, v := range s.Values {
			vals = append(vals, formatNumber(v))
		}
		sv.Values = strings.Join(vals, ", ")
		for j, k := range s.KPIs {
			if !k.Varies() {
				sv.Flat = append(sv.Flat, k.Name)
				continue
			}
			sv.Charts = append(sv.Charts, sweepChart(fmt.Sprintf("sweep-%d-kpi-%d", i, j), s, k))
		}
		d.Sweeps = append(d.Sweeps, sv)
	}
	d.Maps = layoutMaps(c.Maps)
	d.Unassigned = unassignedRows(c, view)
	counts := map[string]int{}
	for _, u := range c.Unassigned {
		counts[u.Policy]++
	}
	for _, p := range d.Policies {
		d.UnassignedBy = append(d.UnassignedBy, unassignedCount{Policy: p, Count: counts[p.Name]})
	}
	return d
}

// unassignedRows makes one row per order left out by any policy, the most
// urgent first, so that a reader sees at once which policy serves what
// the others drop.
func unassignedRows(c Comparison, view func(string) policyView) []unassignedView {
	index := map[string]int{}
	column := map[string]int{}
	for i, p := range c.Policies {
		if _, dup := column[p.Name]; !dup {
			column[p.Name] = i
		}
	}
	var rows []unassignedView
	for _, u := range c.Unassigned {
		i, ok := index[u.WorkOrderID]
		if !ok {
			i = len(rows)
			index[u.WorkOrderID] = i
			rows = append(rows, unassignedView{WorkOrderID: u.WorkOrderID, Priority: u.Priority, LeftOut: make([]bool, len(c.Policies))})
		}
		r := &rows[i]
		if r.Priority == "" {
			r.Priority = u.Priority
		}
		if j, ok := column[u.Policy]; ok {
			r.LeftOut[j] = true
		}
		v := view(u.Policy)
		r.Reasons = append(r.Reasons, reasonGroup{Policy: &v, Reasons: u.Reasons})
	}
	for i := range rows {
		r := &rows[i]
		same := true
		for _, g := range r.Reasons[1:] {
			same = same && slices.Equal(g.Reasons, r.Reasons[0].Reasons)
		}
		if same {
			r.Reasons = []reasonGroup{{Reasons: r.Reasons[0].Reasons}}
		}
	}
	slices.SortStableFunc(rows, func(a, b unassignedView) int {
		return cmp.Or(
			cmp.Compare(model.Priority(b.Priority).Rank(), model.Priority(a.Priority).Rank()),
			cmp.Compare(a.WorkOrderID, b.WorkOrderID))
	})
	return rows
}

func tableRowOf(k KPIRow) tableRow {
	r := tableRow{Name: k.Name, Unit: k.Unit}
	switch k.Better {
	case Lower:
		r.Better = "lower is better"
	case Higher:
		r.Better = "higher is better"
	}
	best := bestIndex(k.Values, k.Better)
	format := rowFormat(k.Values)
	for i, v := range k.Values {
		r.Cells = append(r.Cells, cell{Value: format(v), Best: best[i]})
	}
	return r
}
