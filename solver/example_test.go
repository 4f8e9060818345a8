package solver_test

import (
	"context"
	"fmt"
	"time"

	"github.com/dispatchd/dispatchd/model"
	"github.com/dispatchd/dispatchd/solver"
)

func ExamplePlan() {
	day := func(h, m int) time.Time { return time.Date(2026, 11, 23, h, m, 0, 0, time.FixedZone("MST", -7*3600)) }
	shift := model.Shift{Start: day(8, 0), End: day(17, 0)}
	p := &model.Problem{
		Technicians: []model.Technician{
			{ID: "ana", Skills: model.Skills{"hvac": 3}, Start: model.LatLng(39.74, -104.99), Shift: shift},
			{ID: "ben", Skills: model.Skills{"plumbing": 2}, Start: model.LatLng(39.68, -105.03), Shift: shift},
		},
		WorkOrders: []model.WorkOrder{
			{ID: "rtu-repair", Location: model.LatLng(39.75, -104.98), Duration: 5400, RequiredSkills: model.Skills{"hvac": 2},
				TimeWindows: []model.TimeWindow{{Start: day(10, 0), End: day(12, 0)}}},
			{ID: "leak", Location: model.LatLng(39.69, -105.02), Duration: 3600, RequiredSkills: model.Skills{"plumbing": 1}},
			{ID: "panel", Location: model.LatLng(39.71, -105.00), Duration: 3600, RequiredSkills: model.Skills{"electrical": 2}},
		},
	}
	plan, err := solver.Plan(context.Background(), p, solver.Options{Iterations: 100, Seed: 1})
	if err != nil {
		panic(err)
	}
	for _, r := range plan.Routes {
		for _, s := range r.Stops {
			fmt.Printf("%s: %s %s–%s\n", r.TechnicianID, s.WorkOrderID, s.Start.Format("15:04"), s.End.Format("15:04"))
		}
	}
	for _, u := range plan.Unassigned {
		fmt.Printf("unassigned %s: %s\n", u.WorkOrderID, u.Reasons[0])
	}
	// Output:
	// ana: rtu-repair 10:00–11:30
	// ben: leak 08:03–09:03
	// unassigned panel: no active technician has electrical ≥ 2
}
