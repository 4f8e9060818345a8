package check

import (
	"math"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dispatchd/dispatchd/geo"
	"github.com/dispatchd/dispatchd/model"
)

// The small day of testdata/plan: three technicians (T3 is an inactive copy
// of T1), six orders and a 5×5 matrix (distances are ten times durations).
//
//	T1 from #0: WO-A 09:00–10:00 (20 min away, waits 40), WO-B 10:10–10:40,
//	   break 11:30–12:00, WO-C 13:00–13:45, home 14:15.
//	T2 from #4: WO-D 09:00–10:00 (pinned: en route), home 10:15, 15 min
//	   after its 10:00 shift end.
//	WO-E (a team order) and WO-F (needs plumbing) are unassigned.
const (
	smallProblem = "testdata/plan/small-problem.json"
	smallPlan    = "testdata/plan/small-plan.json"
)

// pst is the zone of the small day's times.
var pst = time.FixedZone("-0800", -8*3600)

// at returns hh:mm on the small day.
func at(h, m int) time.Time { return time.Date(2026, time.November, 23, h, m, 0, 0, pst) }

func loadProblem(t *testing.T, path string) *model.Problem {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	p, err := model.DecodeProblem(data)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return p
}

func small(t *testing.T) (*model.Problem, model.Plan) {
	t.Helper()
	return loadProblem(t, smallProblem), readPlan(t, smallPlan)
}

// Helpers that find the pieces a test case changes.
func tech(p *model.Problem, id string) *model.Technician {
	for i := range p.Technicians {
		if p.Technicians[i].ID == id {
			return &p.Technicians[i]
		}
	}
	panic("no technician " + id)
}

func order(p *model.Problem, id string) *model.WorkOrder {
	for i := range p.WorkOrders {
		if p.WorkOrders[i].ID == id {
			return &p.WorkOrders[i]
		}
	}
	panic("no order " + id)
}

func route(plan *model.Plan, techID string) *model.Route {
	for i := range plan.Routes {
		if plan.Routes[i].TechnicianID == techID {
			return &plan.Routes[i]
		}
	}
	panic("no route for " + techID)
}

func stop(plan *model.Plan, orderID string) *model.Stop {
	for i := range plan.Routes {
		for j := range plan.Routes[i].Stops {
			if plan.Routes[i].Stops[j].WorkOrderID == orderID {
				return &plan.Routes[i].Stops[j]
			}
		}
	}
	panic("no stop for " + orderID)
}

func breakStop(plan *model.Plan, techID string) *model.Stop {
	r := route(plan, techID)
	for j := range r.Stops {
		if r.Stops[j].IsBreak() {
			return &r.Stops[j]
		}
	}
	panic("no break on " + techID)
}

// moveStop gives a job stop a new start (and the matching end), and drops
// its reported arrival, which no longer holds.
func moveStop(plan *model.Plan, orderID string, start time.Time, d time.Duration) {
	s := stop(plan, orderID)
	s.Start, s.End, s.Arrival = start, start.Add(d), time.Time{}
}

func removeStop(plan *model.Plan, techID, orderID string) {
	r := route(plan, techID)
	r.Stops = slices.DeleteFunc(r.Stops, func(s model.Stop) bool { return s.WorkOrderID == orderID })
}

func removeUnassigned(plan *model.Plan, orderID string) {
	plan.Unassigned = slices.DeleteFunc(plan.Unassigned, func(u model.Unassigned) bool { return u.WorkOrderID == orderID })
}

func TestCheckPlanSmallDay(t *testing.T) {
	p, plan := small(t)
	r := Plan(p, plan)
	if !r.Feasible || len(r.Violations) > 0 {
		t.Fatalf("violations: %v", r.Violations)
	}
	if len(r.Mismatches) > 0 {
		t.Errorf("mismatches with the reported numbers: %q", r.Mismatches)
	}
}

// TestCheckPlanRules changes the small day so that it breaks exactly one
// rule (or, for the valid variants, none).
func TestCheckPlanRules(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(p *model.Problem, plan *model.Plan)
		want   Kind // "" for a variant that stays feasible
	}{
		{"unknown technician", func(p *model.Problem, plan *model.Plan) {
			plan.Routes = append(plan.Routes, model.Route{TechnicianID: "T9"})
		}, KindUnknown},
		{"unknown work order", func(p *model.Problem, plan *model.Plan) {
			r := route(plan, "T2")
			r.Stops = append(r.Stops, model.Stop{WorkOrderID: "WO-Z", Start: at(11, 0), End: at(11, 30)})
		}, KindUnknown},
		{"unknown stop type", func(p *model.Problem, plan *model.Plan) {
			r := route(plan, "T2")
			r.Stops = append(r.Stops, model.Stop{Type: "lunch", Start: at(11, 0), End: at(11, 30)})
		}, KindUnknown},
		{"unknown order listed unassigned", func(p *model.Problem, plan *model.Plan) {
			plan.Unassigned = append(plan.Unassigned, model.Unassigned{WorkOrderID: "WO-Z", Reasons: []string{"gone"}})
		}, KindUnknown},
		{"inactive technician", func(p *model.Problem, plan *model.Plan) {
			route(plan, "T1").TechnicianID = "T3"
		}, KindInactive},
		{"an inactive technician's empty route", func(p *model.Problem, plan *model.Plan) {
			plan.Routes = append(plan.Routes, model.Route{TechnicianID: "T3"})
		}, ""},
		{"two routes for one technician", func(p *model.Problem, plan *model.Plan) {
			plan.Routes = append(plan.Routes, model.Route{TechnicianID: "T1"})
		}, KindDuplicate},
		{"an order done twice", func(p *model.Problem, plan *model.Plan) {
			r := route(plan, "T2")
			r.Stops = append(r.Stops, model.Stop{WorkOrderID: "WO-B", Start: at(10, 0), End: at(10, 30)})
		}, KindDuplicate},
		{"an order listed unassigned twice", func(p *model.Problem, plan *model.Plan) {
			plan.Unassigned = append(plan.Unassigned, plan.Unassigned[0])
		}, KindDuplicate},
		{"a team order assigned", func(p *model.Problem, plan *model.Plan) {
			r := route(plan, "T2")
			r.Stops = append(r.Stops, model.Stop{WorkOrderID: "WO-E", Start: at(10, 0), End: at(10, 30)})
			removeUnassigned(plan, "WO-E")
		}, KindTeam},
		{"skill level too low", func(p *model.Problem, plan *model.Plan) {
			order(p, "WO-B").RequiredSkills["hvac"] = 4
		}, KindSkill},
		{"skill missing", func(p *model.Problem, plan *model.Plan) {
			order(p, "WO-B").RequiredSkills["electrical"] = 1
		}, KindSkill},
		{"certification missing", func(p *model.Problem, plan *model.Plan) {
			tech(p, "T1").Certifications = nil
		}, KindCertification},
		{"certification expired the day before", func(p *model.Problem, plan *model.Plan) {
			tech(p, "T1").Certifications[0].Expires = model.Date{Year: 2026, Month: time.November, Day: 22}
		}, KindCertification},
		{"certification valid through its expiry day", func(p *model.Problem, plan *model.Plan) {}, ""},
		{"certification day in the shift's zone, not the stop's", func(p *model.Problem, plan *model.Plan) {
			// The same instants, but T1 works in UTC+10, where WO-A's
			// 09:00-08:00 is already 24 November.
			s := &tech(p, "T1").Shift
			zone := time.FixedZone("+1000", 10*3600)
			s.Start, s.End = s.Start.In(zone), s.End.In(zone)
		}, KindCertification},
		{"certification valid on the day in the shift's zone", func(p *model.Problem, plan *model.Plan) {
			s := &tech(p, "T1").Shift
			zone := time.FixedZone("+1000", 10*3600)
			s.Start, s.End = s.Start.In(zone), s.End.In(zone)
			tech(p, "T1").Certifications[0].Expires = model.Date{Year: 2026, Month: time.November, Day: 24}
		}, ""},
		{"tool missing", func(p *model.Problem, plan *model.Plan) {
			o := order(p, "WO-A")
			o.RequiredTools = append(o.RequiredTools, "ladder-24ft")
		}, KindTool},
		{"excluded technician", func(p *model.Problem, plan *model.Plan) {
			order(p, "WO-B").ExcludedTechnicians = []string{"T1"}
		}, KindExcluded},
		{"a job without end", func(p *model.Problem, plan *model.Plan) {
			stop(plan, "WO-B").End = time.Time{}
		}, KindTime},
		{"a job without start", func(p *model.Problem, plan *model.Plan) {
			// WO-B is then not done at all: it is neither assigned nor listed.
			stop(plan, "WO-B").Start = time.Time{}
			stop(plan, "WO-C").Arrival = time.Time{} // now reached from WO-A
			plan.Unassigned = append(plan.Unassigned, model.Unassigned{WorkOrderID: "WO-B", Reasons: []string{"x"}})
		}, KindTime},
		{"a break ending before it starts", func(p *model.Problem, plan *model.Plan) {
			b := breakStop(plan, "T1")
			b.End = b.Start.Add(-time.Minute)
			// Shown once more, valid, so that only the time rule breaks.
			r := route(plan, "T1")
			r.Stops = slices.Insert(r.Stops, 3, model.Stop{Type: model.StopBreak, Start: at(11, 30), End: at(12, 0)})
		}, KindTime},
		{"a job shorter than its duration", func(p *model.Problem, plan *model.Plan) {
			stop(plan, "WO-B").End = at(10, 30)
		}, KindDuration},
		{"a job longer than its duration", func(p *model.Problem, plan *model.Plan) {
			stop(plan, "WO-B").End = at(10, 50)
		}, KindDuration},
		{"end one second off is rounding", func(p *model.Problem, plan *model.Plan) {
			stop(plan, "WO-B").End = at(10, 40).Add(time.Second)
		}, ""},
		{"a job before the previous one ends", func(p *model.Problem, plan *model.Plan) {
			moveStop(plan, "WO-B", at(9, 50), 30*time.Minute)
		}, KindOrder},
		{"a job outside its window", func(p *model.Problem, plan *model.Plan) {
			moveStop(plan, "WO-C", at(15, 0).Add(time.Second), 45*time.Minute)
		}, KindWindow},
		{"a job at its window's end", func(p *model.Problem, plan *model.Plan) {
			moveStop(plan, "WO-C", at(15, 0), 45*time.Minute)
		}, ""},
		{"one of several windows", func(p *model.Problem, plan *model.Plan) {
			o := order(p, "WO-C")
			o.TimeWindows = []model.TimeWindow{{Start: at(8, 0), End: at(9, 0)}, {Start: at(15, 30), End: at(16, 0)}}
			moveStop(plan, "WO-C", at(15, 30), 45*time.Minute)
		}, ""},
		{"between two windows", func(p *model.Problem, plan *model.Plan) {
			o := order(p, "WO-C")
			o.TimeWindows = []model.TimeWindow{{Start: at(8, 0), End: at(9, 0)}, {Start: at(15, 30), End: at(16, 0)}}
		}, KindWindow},
		{"first job before shift start + travel", func(p *model.Problem, plan *model.Plan) {
			order(p, "WO-A").TimeWindows = nil
			moveStop(plan, "WO-A", at(8, 20).Add(-2*time.Second), time.Hour)
		}, KindShift},
		{"first job a second early is rounding", func(p *model.Problem, plan *model.Plan) {
			order(p, "WO-A").TimeWindows = nil
			moveStop(plan, "WO-A", at(8, 20).Add(-time.Second), time.Hour)
		}, ""},
		{"shift starting later", func(p *model.Problem, plan *model.Plan) {
			tech(p, "T1").Shift.Start = at(8, 50)
			stop(plan, "WO-A").Arrival = time.Time{}
		}, KindShift},
		{"too little travel between jobs", func(p *model.Problem, plan *model.Plan) {
			moveStop(plan, "WO-B", at(10, 5), 30*time.Minute)
		}, KindTravel},
		{"an impossible reported arrival", func(p *model.Problem, plan *model.Plan) {
			stop(plan, "WO-B").Arrival = at(10, 5)
		}, KindTravel},
		{"an arrival after the start", func(p *model.Problem, plan *model.Plan) {
			stop(plan, "WO-C").Arrival = at(13, 5)
		}, KindTravel},
		{"a break leaving no time to travel", func(p *model.Problem, plan *model.Plan) {
			moveStop(plan, "WO-B", at(11, 0), 30*time.Minute)
			order(p, "WO-B").TimeWindows = nil
			moveStop(plan, "WO-C", at(12, 10), 45*time.Minute)
			order(p, "WO-C").TimeWindows = nil
		}, KindTravel},
		{"a break at the next job's site running into its work", func(p *model.Problem, plan *model.Plan) {
			moveStop(plan, "WO-C", at(11, 50), 45*time.Minute)
			order(p, "WO-C").TimeWindows = nil
		}, KindBreak},
		{"a break at the next job's site, after the drive", func(p *model.Problem, plan *model.Plan) {
			moveStop(plan, "WO-C", at(12, 10), 45*time.Minute)
			order(p, "WO-C").TimeWindows = nil
			stop(plan, "WO-C").Arrival = at(10, 55)
		}, ""},
		{"a break just before leaving", func(p *model.Problem, plan *model.Plan) {
			moveStop(plan, "WO-C", at(12, 15), 45*time.Minute)
			order(p, "WO-C").TimeWindows = nil
		}, ""},
		{"back after shift end + overtime", func(p *model.Problem, plan *model.Plan) {
			t1 := tech(p, "T1")
			t1.Shift.End, t1.Overtime = at(14, 0), 0
		}, KindShiftEnd},
		{"back within overtime", func(p *model.Problem, plan *model.Plan) {
			t1 := tech(p, "T1")
			t1.Shift.End, t1.Overtime = at(14, 0), 15*60
		}, ""},
		{"more jobs than max_jobs", func(p *model.Problem, plan *model.Plan) {
			tech(p, "T1").MaxJobs = 2
		}, KindMaxJobs},
		{"load over capacity", func(p *model.Problem, plan *model.Plan) {
			tech(p, "T1").Capacity = []float64{89}
		}, KindCapacity},
		{"load at capacity", func(p *model.Problem, plan *model.Plan) {
			tech(p, "T1").Capacity = []float64{90}
		}, ""},
		{"a dimension the technician does not list", func(p *model.Problem, plan *model.Plan) {
			order(p, "WO-B").Demand = []float64{30, 1}
		}, KindCapacity},
		{"no capacity is unlimited", func(p *model.Problem, plan *model.Plan) {
			tech(p, "T1").Capacity = nil
			order(p, "WO-B").Demand = []float64{3000, 1}
		}, ""},
		{"a required break not shown", func(p *model.Problem, plan *model.Plan) {
			r := route(plan, "T1")
			r.Stops = slices.DeleteFunc(r.Stops, func(s model.Stop) bool { return s.IsBreak() })
		}, KindBreak},
		{"a break shown twice", func(p *model.Problem, plan *model.Plan) {
			r := route(plan, "T1")
			r.Stops = slices.Insert(r.Stops, 3, model.Stop{Type: model.StopBreak, Start: at(12, 0), End: at(12, 10)})
			stop(plan, "WO-C").Arrival = at(12, 25)
		}, KindBreak},
		{"a break before its earliest", func(p *model.Problem, plan *model.Plan) {
			b := breakStop(plan, "T1")
			b.Start, b.End = at(11, 0), at(11, 30)
		}, KindBreak},
		{"a break after its latest", func(p *model.Problem, plan *model.Plan) {
			moveStop(plan, "WO-C", at(14, 30), 45*time.Minute)
			order(p, "WO-C").TimeWindows = nil
			b := breakStop(plan, "T1")
			b.Start, b.End = at(13, 31), at(14, 1)
		}, KindBreak},
		{"a short break", func(p *model.Problem, plan *model.Plan) {
			breakStop(plan, "T1").End = at(11, 50)
		}, KindBreak},
		{"a break overlapping work", func(p *model.Problem, plan *model.Plan) {
			tech(p, "T1").Breaks[0].Earliest = at(10, 0)
			b := breakStop(plan, "T1")
			b.Start, b.End = at(10, 30), at(11, 0)
		}, KindBreak},
		{"a break ending after shift end + overtime", func(p *model.Problem, plan *model.Plan) {
			t2 := tech(p, "T2")
			t2.Breaks = []model.Break{{Earliest: at(10, 15), Latest: at(10, 50), Duration: 600}}
			r := route(plan, "T2")
			r.Stops = append(r.Stops, model.Stop{Type: model.StopBreak, Start: at(10, 50), End: at(11, 0).Add(time.Minute)})
		}, KindBreak},
		{"a break at the end location after the last job", func(p *model.Problem, plan *model.Plan) {
			tech(p, "T2").Breaks = []model.Break{{Earliest: at(10, 0), Latest: at(10, 30), Duration: 900}}
			r := route(plan, "T2")
			r.Stops = append(r.Stops, model.Stop{Type: model.StopBreak, Start: at(10, 20), End: at(10, 35)})
		}, ""},
		{"a break before the drive home that ends too late", func(p *model.Problem, plan *model.Plan) {
			t2 := tech(p, "T2")
			t2.Overtime = 20 * 60
			t2.Breaks = []model.Break{{Earliest: at(10, 0), Latest: at(10, 30), Duration: 900}}
			r := route(plan, "T2")
			r.Stops = append(r.Stops, model.Stop{Type: model.StopBreak, Start: at(10, 0), End: at(10, 15)})
		}, KindShiftEnd},
		{"a pinned order moved", func(p *model.Problem, plan *model.Plan) {
			moveStop(plan, "WO-D", at(9, 5), time.Hour)
		}, KindPinned},
		{"a pinned order left unassigned", func(p *model.Problem, plan *model.Plan) {
			removeStop(plan, "T2", "WO-D")
			plan.Unassigned = append(plan.Unassigned, model.Unassigned{WorkOrderID: "WO-D", Reasons: []string{"late"}})
		}, KindPinned},
		{"a pinned order on another technician", func(p *model.Problem, plan *model.Plan) {
			o := order(p, "WO-D")
			o.Status, o.Pinned, o.RequiredSkills = model.StatusDispatched, true, nil
			o.TechnicianIDs = []string{"T1"}
			o.Location = model.MatrixLocation(4)
		}, KindPinned},
		{"a dispatched order moved freely", func(p *model.Problem, plan *model.Plan) {
			order(p, "WO-D").Status = model.StatusDispatched
			moveStop(plan, "WO-D", at(9, 5), time.Hour)
		}, ""},
		{"assigned and listed unassigned", func(p *model.Problem, plan *model.Plan) {
			plan.Unassigned = append(plan.Unassigned, model.Unassigned{WorkOrderID: "WO-B", Reasons: []string{"x"}})
		}, KindInconsistent},
		{"neither assigned nor listed", func(p *model.Problem, plan *model.Plan) {
			removeUnassigned(plan, "WO-F")
		}, KindInconsistent},
		{"unassigned without a reason", func(p *model.Problem, plan *model.Plan) {
			plan.Unassigned[1].Reasons = []string{""}
		}, KindReason},
		{"a completed order listed unassigned", func(p *model.Problem, plan *model.Plan) {
			order(p, "WO-F").Status = model.StatusComplete
		}, KindClosed},
		{"a cancelled order left out", func(p *model.Problem, plan *model.Plan) {
			order(p, "WO-F").Status = model.StatusCancelled
			removeUnassigned(plan, "WO-F")
		}, ""},
		{"a cancelled order routed", func(p *model.Problem, plan *model.Plan) {
			order(p, "WO-B").Status = model.StatusCancelled
		}, KindClosed},
		{"times written in another zone", func(p *model.Problem, plan *model.Plan) {
			for i := range plan.Routes {
				for j := range plan.Routes[i].Stops {
					s := &plan.Routes[i].Stops[j]
					s.Arrival, s.Start, s.End = s.Arrival.UTC(), s.Start.UTC(), s.End.UTC()
				}
			}
		}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, plan := small(t)
			tc.change(p, &plan)
			if err := p.Validate(); err != nil {
				t.Fatalf("the changed problem is invalid: %v", err)
			}
			r := Plan(p, plan)
			var want []Kind
			if tc.want != "" {
				want = []Kind{tc.want}
			}
			if got := r.Kinds(); !slices.Equal(got, want) {
				t.Errorf("kinds %q, want %q; violations:\n%s", got, want, violationLines(r.Violations))
			}
			if r.Feasible != (tc.want == "") {
				t.Errorf("feasible %v", r.Feasible)
			}
		})
	}
}

func violationLines(vs []Violation) string {
	var b strings.Builder
	for _, v := range vs {
		b.WriteString("\t" + v.String() + "\n")
	}
	return b.String()
}

// TestCheckPlanObjective recomputes the small day's objective, term by
// term, against numbers worked out by hand.
func TestCheckPlanObjective(t *testing.T) {
	p, plan := small(t)
	r := Plan(p, plan)
	want := model.ObjectiveTerms{
		Unassigned:          1000*(1+10*0) + 1000*(1+10*1), // WO-E (low), WO-F (normal)
		Lateness:            50 * 10,                       // WO-A ends 10:00, 10 min after its 09:50 deadline
		TravelTime:          1 * (75 + 30),                 // T1: 20+10+15+30 min; T2: 15+15 min
		Distance:            0.5 * 63,                      // 63 km: ten metres a second
		Overtime:            2 * 15,                        // T2 is back 10:15, shift end 10:00
		SkillSurplus:        0.2 * (1 + 2 + 2 + 0),         // hvac 3 on WO-A (2), WO-B (1), WO-C (1); T2's 2 on WO-D (2)
		PreferredTechnician: 5 * 1,                         // WO-B prefers T2, done by T1
		WorkloadBalance:     0.5 * (37.5 + 37.5),           // work 135 and 60 min, mean 97.5; T3 is inactive
		PlanChange:          2 * 1,                         // WO-C was dispatched to T2, done by T1
	}
	if r.Terms != want {
		t.Errorf("terms\n got %+v\nwant %+v", r.Terms, want)
	}
	if r.Objective != 12712 {
		t.Errorf("objective %v, want 12712", r.Objective)
	}
	wantKPIs := model.KPIs{Assigned: 4, Unassigned: 2, Travel: 6300, Distance: 63000, Lateness: 600, Overtime: 900,
		Utilisation: (8100 + 3600) / (9*3600 + 2*3600.0), TechniciansUsed: 2}
	if r.KPIs != wantKPIs {
		t.Errorf("KPIs\n got %+v\nwant %+v", r.KPIs, wantKPIs)
	}
}

// TestCheckPlanMismatches checks that numbers a plan misreports are listed.
func TestCheckPlanMismatches(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(plan *model.Plan)
		want   string
	}{
		{"stop travel", func(plan *model.Plan) { stop(plan, "WO-B").Travel = 700 }, "route T1 stop WO-B: travel_s reported 700, recomputed 600"},
		{"stop distance", func(plan *model.Plan) { stop(plan, "WO-B").Distance = 6001 }, "route T1 stop WO-B: distance_m reported 6001, recomputed 6000"},
		{"stop lateness", func(plan *model.Plan) { stop(plan, "WO-A").Lateness = 0 }, "route T1 stop WO-A: lateness_s reported 0, recomputed 600"},
		{"stop wait", func(plan *model.Plan) { stop(plan, "WO-A").Wait = 0 }, "route T1 stop WO-A: wait_s reported 0, start − arrival is 40m0s"},
		{"route travel", func(plan *model.Plan) { route(plan, "T1").Travel = 4400 }, "route T1: travel_s reported 4400, recomputed 4500"},
		{"route work", func(plan *model.Plan) { route(plan, "T2").Work = 0 }, "route T2: work_s reported 0, recomputed 3600"},
		{"route overtime", func(plan *model.Plan) { route(plan, "T2").Overtime = 0 }, "route T2: overtime_s reported 0, recomputed 900"},
		{"route end", func(plan *model.Plan) { route(plan, "T2").End = at(10, 0) },
			"route T2: end reported 2026-11-23T10:00:00-08:00, back at the end location 2026-11-23T10:15:00-08:00"},
		{"route start", func(plan *model.Plan) { route(plan, "T2").Start = at(8, 50) },
			"route T2: start reported 2026-11-23T08:50:00-08:00, not between 2026-11-23T08:00:00-08:00 and 2026-11-23T09:00:00-08:00 − 15m0s travel"},
		{"route load", func(plan *model.Plan) { route(plan, "T1").Load = []float64{80} }, "route T1: load reported [80], recomputed [90]"},
		{"KPI", func(plan *model.Plan) { plan.KPIs.Travel = 6000 }, "kpis.travel_s: reported 6000, recomputed 6300"},
		{"objective term", func(plan *model.Plan) { plan.ObjectiveTerms.WorkloadBalance = 37.51 },
			"objective_terms.workload_balance: reported 37.51, recomputed 37.5"},
		{"objective", func(plan *model.Plan) { plan.Objective = 12713 }, "objective: reported 12713, recomputed 12712"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, plan := small(t)
			tc.change(&plan)
			r := Plan(p, plan)
			if !r.Feasible {
				t.Errorf("violations: %v", r.Violations)
			}
			if len(r.Mismatches) != 1 || r.Mismatches[0] != tc.want {
				t.Errorf("mismatches %q, want exactly %q", r.Mismatches, tc.want)
			}
		})
	}
	t.Run("relative 1e-6 is agreement", func(t *testing.T) {
		p, plan := small(t)
		plan.Objective *= 1 + 0.9e-6
		plan.KPIs.Distance *= 1 - 0.9e-6
		if r := Plan(p, plan); len(r.Mismatches) > 0 {
			t.Errorf("mismatches %q", r.Mismatches)
		}
	})
}

// TestCheckPlanHaversine times a route with the haversine model, which
// rounds legs to whole seconds: the checker must use the very same legs.
func TestCheckPlanHaversine(t *testing.T) {
	home, site := model.LatLng(39.7392, -104.9903), model.LatLng(39.7500, -104.9000)
	travel := &model.Travel{Model: model.TravelHaversine, SpeedKmh: 30, Detour: 1.4}
	there, err := geo.Haversine{SpeedKmh: 30, Detour: 1.4}.Leg(home, site)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		early time.Duration
		want  []Kind
	}{
		{"start on arrival", 0, nil},
		{"a second early is rounding", time.Second, nil},
		{"two seconds early", 2 * time.Second, []Kind{KindShift}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := &model.Problem{
				Technicians: []model.Technician{{ID: "T1", Start: home, Shift: model.Shift{Start: at(8, 0), End: at(17, 0)}}},
				WorkOrders:  []model.WorkOrder{{ID: "W1", Location: site, Duration: 600}},
				Weights:     &model.Weights{TravelTime: 1, Distance: 1},
				Travel:      travel,
			}
			start := at(8, 0).Add(there.Duration - tc.early)
			plan := model.Plan{Routes: []model.Route{{TechnicianID: "T1", Stops: []model.Stop{{WorkOrderID: "W1", Start: start, End: start.Add(10 * time.Minute)}}}}}
			r := Plan(p, plan)
			if got := r.Kinds(); !slices.Equal(got, tc.want) {
				t.Errorf("kinds %q, want %q: %v", got, tc.want, r.Violations)
			}
			back, _ := geo.Haversine{SpeedKmh: 30, Detour: 1.4}.Leg(site, home)
			wantTravel := (there.Duration + back.Duration).Minutes()
			if math.Abs(r.Terms.TravelTime-wantTravel) > 1e-9 || math.Abs(r.Terms.Distance-(there.Meters+back.Meters)/1000) > 1e-9 {
				t.Errorf("travel term %v (want %v), distance term %v", r.Terms.TravelTime, wantTravel, r.Terms.Distance)
			}
		})
	}
}
