package report_test

import (
	"bytes"
	"context"
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/dispatchd/dispatchd/dispatch"
	"github.com/dispatchd/dispatchd/model"
	"github.com/dispatchd/dispatchd/report"
	"github.com/dispatchd/dispatchd/scenario"
)

// compared runs a real compare: two policies and a sweep of travel_time
// given out of order, on a generated day, with an iteration budget.
func compared(t *testing.T) (*dispatch.Comparison, *model.Problem) {
	t.Helper()
	p, err := scenario.GenerateDay(scenario.DayOptions{Orders: 24, Technicians: 5, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	short := model.Policy{Name: "short-drives", Weights: model.DefaultWeights()}
	short.Weights.TravelTime = 4
	sweep := &dispatch.Sweep{Base: model.DefaultPolicy(), Weight: "travel_time", Values: []float64{2, 0.5, 1}}
	c, err := dispatch.Compare(context.Background(), p, []model.Policy{model.DefaultPolicy(), short}, sweep,
		dispatch.CompareOptions{Iterations: 100, Seed: 1, Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	return c, p
}

func TestFromCompare(t *testing.T) {
	c, p := compared(t)
	r, err := report.FromCompare(c, p)
	if err != nil {
		t.Fatal(err)
	}
	if names := []string{r.Policies[0].Name, r.Policies[1].Name}; len(r.Policies) != 2 || !slices.Equal(names, c.Order[:2]) {
		t.Fatalf("columns %+v, want the two policies and not the sweep's points", r.Policies)
	}
	if ch := r.Policies[1].Changes; len(ch) != 1 || ch[0] != "travel_time 4 (default 1)" {
		t.Errorf("short-drives changes %q, want travel_time's", ch)
	}
	if len(r.KPIs) != len(c.Table) {
		t.Errorf("%d KPI rows of a table of %d", len(r.KPIs), len(c.Table))
	}
	for i, row := range c.Table {
		k := r.KPIs[i]
		if k.Unit != row.Unit || len(k.Values) != 2 || k.Values[0] != float64(row.Values[0]) || k.Values[1] != float64(row.Values[1]) {
			t.Errorf("row %s: %+v, want %v %s", row.Key, k, row.Values[:2], row.Unit)
		}
		if strings.HasPrefix(k.Name, " ") || k.Name == "" || k.Name[:1] != strings.ToUpper(k.Name[:1]) {
			t.Errorf("row %s is called %q", row.Key, k.Name)
		}
	}
	if k := r.KPIs[1]; k.Better != report.Lower || r.KPIs[0].Better != report.Higher {
		t.Errorf("assigned is %v, unassigned %v: want higher and lower is better", r.KPIs[0].Better, k.Better)
	}
	for i := range 2 {
		for j := range 2 {
			if r.Objectives[i][j] != float64(c.Matrix[i][j]) {
				t.Errorf("objective [%d][%d] = %v, want %v", i, j, r.Objectives[i][j], c.Matrix[i][j])
			}
		}
	}
	if len(r.Sweeps) != 1 {
		t.Fatalf("%d sweeps, want 1", len(r.Sweeps))
	}
	s := r.Sweeps[0]
	if s.Weight != "travel_time" || !slices.Equal(s.Values, []float64{0.5, 1, 2}) || len(s.KPIs) != len(c.Sweep.Series) {
		t.Fatalf("sweep %s over %v with %d rows, want travel_time over 0.5, 1, 2 with %d", s.Weight, s.Values, len(s.KPIs), len(c.Sweep.Series))
	}
	// The points were given as 2, 0.5, 1: sorted, each value keeps its column.
	for i, row := range c.Sweep.Series {
		want := []float64{float64(row.Values[1]), float64(row.Values[2]), float64(row.Values[0])}
		if !slices.Equal(s.KPIs[i].Values, want) {
			t.Errorf("sweep row %s: %v, want %v", row.Key, s.KPIs[i].Values, want)
		}
	}
	if len(r.Maps) != 2 || len(r.Maps[0].Depots) != len(p.Technicians) {
		t.Errorf("%d maps, the first with %d depots: want 2, with every technician's", len(r.Maps), len(r.Maps[0].Depots))
	}
	left := 0
	for _, name := range c.Order[:2] {
		left += len(c.Policies[name].Plan.Unassigned)
	}
	if len(r.Unassigned) != left {
		t.Errorf("%d orders left out in the report, %d in the plans", len(r.Unassigned), left)
	}
	// Without the problem (as the API has it), the comparison's own depots
	// and left-out orders draw the same maps and list the same orders.
	bare, err := report.FromCompare(c, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(bare.Maps, r.Maps) || !reflect.DeepEqual(bare.Unassigned, r.Unassigned) {
		t.Errorf("without the problem: maps %+v, unassigned %+v; want those with it:\n%+v\n%+v", bare.Maps, bare.Unassigned, r.Maps, r.Unassigned)
	}
	var buf bytes.Buffer
	if err := report.Write(&buf, r); err != nil {
		t.Fatal(err)
	}
	varying := 0
	for _, k := range r.KPIs {
		if k.Varies() {
			varying++
		}
	}
	if got := strings.Count(buf.String(), `<svg class="kpi-chart"`); got != varying || varying == 0 {
		t.Errorf("%d KPI charts, want one per row that varies: %d of %d", got, varying, len(c.Table))
	}
}

// TestFromCompareCancelled: a policy that never ran keeps its column,
// with dashes and a note, and no map.
func TestFromCompareCancelled(t *testing.T) {
	c, _ := compared(t)
	o := c.Policies[c.Order[1]]
	o.Plan, o.Status = nil, dispatch.ComparePending
	nan := dispatch.Number(math.NaN())
	for i := range c.Table {
		c.Table[i].Values[1] = nan
	}
	for j := range c.Matrix[1] {
		c.Matrix[1][j] = nan
		c.Matrix[j][1] = nan
	}
	r, err := report.FromCompare(c, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Policies) != 2 || !strings.Contains(r.Policies[1].Description, "no plan") {
		t.Errorf("columns %+v: want both, the second saying it has no plan", r.Policies)
	}
	if len(r.Maps) != 1 || r.Maps[0].Policy != c.Order[0] {
		t.Errorf("%d maps: want the one of the plan there is", len(r.Maps))
	}
	if !math.IsNaN(r.KPIs[0].Values[1]) || !math.IsNaN(r.Objectives[0][1]) {
		t.Errorf("the missing policy's values %v, %v: want NaN", r.KPIs[0].Values[1], r.Objectives[0][1])
	}
	if len(r.Maps[0].Depots) != len(c.Depots) {
		t.Errorf("%d depots of %d, without the problem", len(r.Maps[0].Depots), len(c.Depots))
	}
	if err := report.Write(&bytes.Buffer{}, r); err != nil {
		t.Fatal(err)
	}

	// A compare that is only a sweep: its points are the columns.
	r, err = report.FromCompare(&dispatch.Comparison{Order: c.Order[2:], Policies: c.Policies, Table: sliceTable(c.Table, 2), Sweep: c.Sweep}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Policies) != 3 || r.Policies[0].Name != "travel_time=2" {
		t.Errorf("columns of a sweep %+v, want its three points in the order given", r.Policies)
	}
}

func sliceTable(rows []dispatch.KPIRow, from int) []dispatch.KPIRow {
	out := make([]dispatch.KPIRow, len(rows))
	for i, r := range rows {
		r.Values = r.Values[from:]
		out[i] = r
	}
	return out
}
