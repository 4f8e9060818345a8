package report_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/dispatchd/dispatchd/dispatch"
	"github.com/dispatchd/dispatchd/model"
	"github.com/dispatchd/dispatchd/report"
	"github.com/dispatchd/dispatchd/solver"
)

// A comparison is a view: fill it by hand, or with FromPlans.
func ExampleWrite() {
	c := report.Comparison{
		Title:    "Two policies",
		Policies: []report.PolicyColumn{{Name: "default"}, {Name: "short-drives", Description: "an hour on the road costs four"}},
		KPIs: []report.KPIRow{
			{Name: "Travel time", Unit: "min", Better: report.Lower, Values: []float64{84.5, 61.2}},
			{Name: "Unassigned", Unit: "orders", Better: report.Lower, Values: []float64{1, 2}},
		},
		Objectives: [][]float64{{1084.5, 1338}, {2061.2, 2244.8}},
	}
	var page bytes.Buffer
	if err := report.Write(&page, c); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(strings.Count(page.String(), `<svg class="kpi-chart"`), "bar charts")
	fmt.Println(strings.Count(page.String(), `<rect class="bar `), "bars")
	fmt.Println(strings.Contains(page.String(), "<script"), "script")

	// A comparison that does not hold together is refused, whole.
	c.KPIs[1].Values = c.KPIs[1].Values[:1]
	fmt.Println(report.Write(&page, c))
	// Output:
	// 2 bar charts
	// 4 bars
	// false script
	// report: kpis[1] (Unassigned): 1 values for 2 policies
}

// Plan one problem under two policies, then write the report of the plans.
func ExampleFromPlans() {
	day := func(h, m int) time.Time { return time.Date(2026, 11, 23, h, m, 0, 0, time.FixedZone("MST", -7*3600)) }
	shift := model.Shift{Start: day(8, 0), End: day(17, 0)}
	p := &model.Problem{
		Technicians: []model.Technician{
			{ID: "ana", Skills: model.Skills{"hvac": 3}, Start: model.LatLng(39.74, -104.99), Shift: shift},
			{ID: "ben", Skills: model.Skills{"plumbing": 2}, Start: model.LatLng(39.68, -105.03), Shift: shift},
		},
		WorkOrders: []model.WorkOrder{
			{ID: "rtu-repair", Location: model.LatLng(39.75, -104.98), Duration: 5400, RequiredSkills: model.Skills{"hvac": 2}},
			{ID: "leak", Location: model.LatLng(39.69, -105.02), Duration: 3600, RequiredSkills: model.Skills{"plumbing": 1}},
			{ID: "panel", Location: model.LatLng(39.71, -105.00), Duration: 3600, RequiredSkills: model.Skills{"electrical": 2}},
		},
	}
	short := model.Policy{Name: "short-drives", Weights: model.DefaultWeights()}
	short.Weights.TravelTime = 4
	policies := []model.Policy{model.DefaultPolicy(), short}
	var plans []model.Plan
	for _, pol := range policies {
		q := *p
		q.Weights = &pol.Weights
		plan, err := solver.Plan(context.Background(), &q, solver.Options{Iterations: 100, Seed: 1})
		if err != nil {
			fmt.Println(err)
			return
		}
		plans = append(plans, plan)
	}
	c, err := report.FromPlans("Two policies on 2026-11-23", policies, plans, p)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, k := range c.KPIs[:3] {
		fmt.Printf("%s (%s): %v\n", k.Name, k.Unit, k.Values)
	}
	fmt.Printf("%d maps, %d unassigned: %s, %s\n", len(c.Maps), len(c.Unassigned), c.Unassigned[0].WorkOrderID, c.Unassigned[0].Reasons[0])
	var page bytes.Buffer // or a file
	if err := report.Write(&page, c); err != nil {
		fmt.Println(err)
	}
	fmt.Println(strings.Count(page.String(), `<svg class="route-map"`), "maps drawn")
	// Output:
	// Assigned (orders): [2 2]
	// Unassigned (orders): [1 1]
	// Travel time (min): [12.5 12.5]
	// 2 maps, 2 unassigned: panel, no active technician has electrical ≥ 2
	// 2 maps drawn
}

// The report of a compare, as dispatchd compare --html writes it.
func ExampleFromCompare() {
	day := func(h, m int) time.Time { return time.Date(2026, 11, 23, h, m, 0, 0, time.FixedZone("MST", -7*3600)) }
	shift := model.Shift{Start: day(8, 0), End: day(17, 0)}
	p := &model.Problem{
		Technicians: []model.Technician{
			{ID: "ana", Skills: model.Skills{"hvac": 3}, Start: model.LatLng(39.74, -104.99), Shift: shift},
			{ID: "ben", Skills: model.Skills{"hvac": 2, "plumbing": 2}, Start: model.LatLng(39.68, -105.03), Shift: shift},
		},
		WorkOrders: []model.WorkOrder{
			{ID: "rtu-repair", Location: model.LatLng(39.75, -104.98), Duration: 5400, RequiredSkills: model.Skills{"hvac": 2}},
			{ID: "leak", Location: model.LatLng(39.69, -105.02), Duration: 3600, RequiredSkills: model.Skills{"plumbing": 1}},
			{ID: "panel", Location: model.LatLng(39.71, -105.00), Duration: 3600, RequiredSkills: model.Skills{"electrical": 2}},
		},
	}
	short := model.Policy{Name: "short-drives", Weights: model.DefaultWeights()}
	short.Weights.TravelTime = 4
	sweep := &dispatch.Sweep{Base: model.DefaultPolicy(), Weight: "lateness", Values: []float64{100, 10}}
	cmp, err := dispatch.Compare(context.Background(), p, []model.Policy{model.DefaultPolicy(), short}, sweep,
		dispatch.CompareOptions{Iterations: 100, Seed: 1})
	if err != nil {
		fmt.Println(err)
		return
	}
	c, err := report.FromCompare(cmp, p)
	if err != nil {
		fmt.Println(err)
		return
	}
	c.Title = "Two policies on 2026-11-23"
	fmt.Println(c.Policies[0].Name, "and", c.Policies[1].Name, c.Policies[1].Changes)
	fmt.Println("sweep of", c.Sweeps[0].Weight, "over", c.Sweeps[0].Values)
	fmt.Println(len(c.Maps), "maps;", c.Unassigned[0].WorkOrderID, "left out:", c.Unassigned[0].Reasons[0])
	var page bytes.Buffer // or a file
	if err := report.Write(&page, c); err != nil {
		fmt.Println(err)
		return
	}
	varying := 0
	for _, k := range c.KPIs {
		if k.Varies() {
			varying++
		}
	}
	fmt.Println(strings.Count(page.String(), `<svg class="kpi-chart"`) == varying, "a chart per row of the table whose values differ")
	// Output:
	// default and short-drives [travel_time 4 (default 1)]
	// sweep of lateness over [10 100]
	// 2 maps; panel left out: no active technician has electrical ≥ 2
	// true a chart per row of the table whose values differ
}
