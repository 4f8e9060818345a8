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

func ExampleSuggest() {
	day := func(h, m int) time.Time { return time.Date(2026, 11, 23, h, m, 0, 0, time.FixedZone("MST", -7*3600)) }
	shift := model.Shift{Start: day(8, 0), End: day(17, 0)}
	st, err := solver.NewState(solver.Day{
		Now: day(10, 0),
		Technicians: []model.Technician{
			{ID: "ana", Skills: model.Skills{"hvac": 3}, Start: model.LatLng(39.74, -104.99), Shift: shift,
				Certifications: []model.Certification{{Name: "EPA-608", Expires: model.Date{Year: 2026, Month: 10, Day: 1}}}},
			{ID: "ben", Skills: model.Skills{"hvac": 2}, Start: model.LatLng(39.70, -105.03), Shift: shift,
				Certifications: []model.Certification{{Name: "EPA-608"}}},
			{ID: "cai", Skills: model.Skills{"hvac": 4}, Start: model.LatLng(39.77, -104.95), Shift: shift,
				Certifications: []model.Certification{{Name: "EPA-608"}}},
		},
	})
	if err != nil {
		panic(err)
	}
	order := model.WorkOrder{ID: "leak", Location: model.LatLng(39.73, -105.00), Duration: 3600,
		RequiredSkills: model.Skills{"hvac": 2}, RequiredCertifications: []string{"EPA-608"}}
	s, err := solver.Suggest(context.Background(), st, order, solver.SuggestOptions{})
	if err != nil {
		panic(err)
	}
	for _, c := range s.Candidates {
		fmt.Printf("%d. %s score %.1f, there at %s (%v away)\n", c.Rank, c.TechnicianID, c.Score, c.ETA.Format("15:04"), c.Travel.Duration())
	}
	for _, r := range s.Rejected {
		fmt.Printf("not %s: %s\n", r.TechnicianID, r.Reasons[0])
	}
	// Output:
	// 1. ben score 75.5, there at 10:09 (9m23s away)
	// 2. cai score 71.7, there at 10:13 (13m45s away)
	// not ana: EPA-608 certification expired 2026-10-01
}
