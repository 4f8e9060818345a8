package check

import (
	"encoding/json"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dispatchd/dispatchd/model"
	"github.com/dispatchd/dispatchd/scenario"
)

// solomonVerdict is one row of testdata/solomon/verdicts.json: a plan and
// the verdict of an independent Python checker of the DIMACS rules on it
// (solomon_check.py --dimacs, not part of this repository), recorded when
// the fixture was made.
type solomonVerdict struct {
	Instance string   `json:"instance"`
	Plan     string   `json:"plan"`
	Feasible bool     `json:"feasible"`
	Routes   int      `json:"routes"`
	Distance float64  `json:"distance"`
	Kinds    []string `json:"kinds"`
	Note     string   `json:"note"`
}

func readPlan(t *testing.T, path string) model.Plan {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var plan model.Plan
	if err := model.Decode(data, &plan); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return plan
}

// solomonKinds returns the sorted distinct kinds of a report's violations.
func solomonKinds(violations []string) []string {
	var kinds []string
	for _, v := range violations {
		kind, _, _ := strings.Cut(v, ": ")
		if !slices.Contains(kinds, kind) {
			kinds = append(kinds, kind)
		}
	}
	slices.Sort(kinds)
	return kinds
}

func TestCheckSolomonAgreesWithPythonChecker(t *testing.T) {
	data, err := os.ReadFile("testdata/solomon/verdicts.json")
	if err != nil {
		t.Fatal(err)
	}
	var verdicts []solomonVerdict
	if err := json.Unmarshal(data, &verdicts); err != nil {
		t.Fatal(err)
	}
	instances := map[string]*scenario.Solomon{}
	for _, v := range verdicts {
		t.Run(strings.TrimSuffix(strings.TrimPrefix(v.Plan, "plans/"), ".json"), func(t *testing.T) {
			s := instances[v.Instance]
			if s == nil {
				s = readSolomon(t, instancePath(v.Instance))
				instances[v.Instance] = s
			}
			got := Solomon(s, readPlan(t, "testdata/solomon/"+v.Plan))
			if got.Feasible != v.Feasible || got.Routes != v.Routes || got.Distance != v.Distance {
				t.Errorf("feasible %v, %d routes, distance %v; want %v, %d, %v", got.Feasible, got.Routes, got.Distance, v.Feasible, v.Routes, v.Distance)
			}
			if kinds := solomonKinds(got.Violations); !slices.Equal(kinds, v.Kinds) && !(len(kinds) == 0 && len(v.Kinds) == 0) {
				t.Errorf("violation kinds %q, want %q; violations: %q", kinds, v.Kinds, got.Violations)
			}
			if got.Feasible != (len(got.Violations) == 0) || got.Tenths != int64(10*v.Distance+0.5) {
				t.Errorf("feasible %v with %d violations, %d tenths", got.Feasible, len(got.Violations), got.Tenths)
			}
		})
	}
}

// solomonPlan builds a plan from sequences of work order ids, one route per
// technician in order v1, v2, ….
func solomonPlan(routes ...[]string) model.Plan {
	var plan model.Plan
	for i, seq := range routes {
		r := model.Route{TechnicianID: "v" + string(rune('1'+i))}
		for _, id := range seq {
			st := model.Stop{WorkOrderID: id}
			if id == "break" {
				st = model.Stop{Type: model.StopBreak}
			}
			r.Stops = append(r.Stops, st)
		}
		plan.Routes = append(plan.Routes, r)
	}
	return plan
}

// TestCheckSolomonRules covers what the Python checker judges differently
// or not at all, and the exact edges of the time rules.
func TestCheckSolomonRules(t *testing.T) {
	tiny := readSolomon(t, instancePath("tiny.txt"))
	// One customer at (3, 4): 5.0 there and 5.0 back, 10 of service, so a
	// vehicle leaving at 0 is back at 20.
	edge := func(depotDue, due int) *scenario.Solomon {
		t.Helper()
		text := "EDGE\n\nVEHICLE\nNUMBER CAPACITY\n 2 30\n\nCUSTOMER\n" +
			"CUST NO. XCOORD. YCOORD. DEMAND READY TIME DUE DATE SERVICE TIME\n\n" +
			"0 0 0 0 0 " + strconv.Itoa(depotDue) + " 0\n" +
			"1 3 4 5 0 " + strconv.Itoa(due) + " 10\n"
		s, err := scenario.ReadSolomon(strings.NewReader(text))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	feasible := []string{"5", "1", "2"}
	for _, tc := range []struct {
		name  string
		s     *scenario.Solomon
		plan  model.Plan
		want  []string // violation kinds
		dist  float64
		check func(t *testing.T, r SolomonReport)
	}{
		{name: "breaks are ignored", s: tiny, plan: solomonPlan([]string{"break", "5", "1", "break", "2"}, []string{"3", "4", "6", "break"}), dist: 71.6},
		{name: "start exactly at the due date", s: edge(100, 5), plan: solomonPlan([]string{"1"}), dist: 10},
		{name: "a tenth after the due date", s: edge(100, 4), plan: solomonPlan([]string{"1"}), want: []string{"time window"}, dist: 10,
			check: wantViolation("time window: route v1: customer 1 starts at 5.0 > due 4")},
		{name: "back exactly at the depot's due date", s: edge(20, 100), plan: solomonPlan([]string{"1"}), dist: 10},
		{name: "back after the depot's due date", s: edge(19, 100), plan: solomonPlan([]string{"1"}), want: []string{"depot due"}, dist: 10,
			check: wantViolation("depot due: route v1 returns at 20.0 > depot due 19")},
		{name: "ids are canonical numbers", s: tiny, plan: solomonPlan([]string{"5", "01", "2"}, []string{"3", "4", "6", "1"}),
			want: []string{"capacity", "time window", "unknown customer"}, dist: 69.8,
			check: wantViolation(`unknown customer: route v1 visits "01"`)},
		{name: "empty routes do not count", s: tiny, plan: solomonPlan(feasible, nil, []string{"3", "4", "6"}, []string{"break"}), dist: 71.6,
			check: func(t *testing.T, r SolomonReport) {
				if r.Routes != 2 {
					t.Errorf("%d routes, want 2", r.Routes)
				}
			}},
		{name: "a route without technician is named by its index", s: tiny,
			plan: model.Plan{Routes: []model.Route{{Stops: []model.Stop{{WorkOrderID: "7"}}}}}, want: []string{"unknown customer", "unserved"},
			check: wantViolation(`unknown customer: route #0 visits "7"`)},
		{name: "unassigned lists an unknown id", s: tiny,
			plan: model.Plan{Routes: solomonPlan(feasible, []string{"3", "4", "6"}).Routes, Unassigned: []model.Unassigned{{WorkOrderID: "0"}}},
			want: []string{"unknown customer"}, dist: 71.6},
		{name: "nothing served", s: tiny, plan: model.Plan{}, want: []string{"unserved"},
			check: func(t *testing.T, r SolomonReport) {
				wantViolation("unserved: 6 customer(s) not served: 1, 2, 3, 4, 5, 6")(t, r)
				if r.Unserved != 6 || r.Routes != 0 || r.Tenths != 0 {
					t.Errorf("unserved %d, routes %d, tenths %d", r.Unserved, r.Routes, r.Tenths)
				}
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := Solomon(tc.s, tc.plan)
			if kinds := solomonKinds(r.Violations); !slices.Equal(kinds, tc.want) {
				t.Errorf("violation kinds %q, want %q; violations: %q", kinds, tc.want, r.Violations)
			}
			if r.Feasible != (len(tc.want) == 0) {
				t.Errorf("feasible %v with violations %q", r.Feasible, r.Violations)
			}
			if tc.dist != 0 && r.Distance != tc.dist {
				t.Errorf("distance %v, want %v", r.Distance, tc.dist)
			}
			if tc.check != nil {
				tc.check(t, r)
			}
		})
	}
}

func wantViolation(want string) func(*testing.T, SolomonReport) {
	return func(t *testing.T, r SolomonReport) {
		t.Helper()
		if !slices.Contains(r.Violations, want) {
			t.Errorf("violations %q, want one to read %q", r.Violations, want)
		}
	}
}

// timeSolomonPlan times a plan of customer sequences for s.Problem() in
// exact tenths, as a planner would report it: arrival, start and end of
// every stop, route and plan totals, and the objective (the distance).
func timeSolomonPlan(s *scenario.Solomon, seq model.Plan) model.Plan {
	instant := func(tenths int64) time.Time {
		return scenario.SolomonEpoch.Add(time.Duration(tenths) * 100 * time.Millisecond)
	}
	secs := func(tenths int64) model.Seconds { return model.Seconds((tenths + 5) / 10) }
	depot := s.Customers[0]
	plan := model.Plan{Unassigned: []model.Unassigned{}}
	var total, work int64
	for _, r := range seq.Routes {
		out := model.Route{TechnicianID: r.TechnicianID, Start: instant(10 * depot.Ready)}
		t, prev, load, routeWork, routeDist := 10*depot.Ready, 0, int64(0), int64(0), int64(0)
		for _, st := range r.Stops {
			n, _ := strconv.Atoi(st.WorkOrderID)
			c, leg := s.Customers[n], s.ArcTenths(prev, n)
			arrival := t + leg
			start := max(arrival, 10*c.Ready)
			t, prev = start+10*c.Service, n
			load, routeWork, routeDist = load+c.Demand, routeWork+c.Service, routeDist+leg
			out.Stops = append(out.Stops, model.Stop{WorkOrderID: st.WorkOrderID, Arrival: instant(arrival), Start: instant(start),
				End: instant(t), Travel: secs(leg), Distance: float64(leg) / 10, Wait: secs(start - arrival)})
		}
		leg := s.ArcTenths(prev, 0)
		routeDist += leg
		out.End, out.Travel, out.Distance = instant(t+leg), secs(routeDist), float64(routeDist)/10
		out.Work, out.Load = model.Seconds(routeWork), []float64{float64(load)}
		plan.Routes = append(plan.Routes, out)
		total, work = total+routeDist, work+routeWork
	}
	plan.KPIs = model.KPIs{Assigned: len(s.Customers) - 1, Travel: secs(total), Distance: float64(total) / 10,
		Utilisation: float64(work) / float64(int64(len(seq.Routes))*(depot.Due-depot.Ready)), TechniciansUsed: len(seq.Routes)}
	plan.ObjectiveTerms.Distance = float64(total) / 10
	plan.Objective = plan.ObjectiveTerms.Distance
	return plan
}

// TestSolomonProblemAgreesWithCheckSolomon times the fixture plans for the
// converted problem: Plan must find the same feasibility as
// Solomon, an objective equal to the DIMACS distance, and nothing
// misreported.
func TestSolomonProblemAgreesWithCheckSolomon(t *testing.T) {
	for _, tc := range []struct {
		instance, plan string
		want           []Kind
	}{
		{"c101.txt", "c101-greedy.json", nil},
		{"tiny.txt", "tiny-feasible.json", nil},
		{"tiny.txt", "tiny-window.json", []Kind{KindWindow}},
		{"tiny.txt", "tiny-capacity.json", []Kind{KindCapacity}},
	} {
		t.Run(tc.plan, func(t *testing.T) {
			s := readSolomon(t, instancePath(tc.instance))
			seq := readPlan(t, "testdata/solomon/plans/"+tc.plan)
			want := Solomon(s, seq)
			got := Plan(s.Problem(), timeSolomonPlan(s, seq))
			if kinds := got.Kinds(); !slices.Equal(kinds, tc.want) {
				t.Errorf("Plan kinds %q, want %q: %v", kinds, tc.want, got.Violations)
			}
			if got.Feasible != want.Feasible {
				t.Errorf("Plan feasible %v, Solomon %v", got.Feasible, want.Feasible)
			}
			if math.Abs(got.Objective-want.Distance) > 1e-9*want.Distance {
				t.Errorf("objective %v, DIMACS distance %v", got.Objective, want.Distance)
			}
			if len(got.Mismatches) > 0 {
				t.Errorf("mismatches: %q", got.Mismatches)
			}
		})
	}
}

// instancePath finds an instance: the hand-made one in the reader's
// testdata, the published ones in the repository's.
func instancePath(name string) string {
	if strings.HasPrefix(name, "tiny") {
		return "../scenario/testdata/solomon/" + name
	}
	return "../testdata/solomon/" + name
}

func readSolomon(t *testing.T, path string) *scenario.Solomon {
	t.Helper()
	s, err := scenario.ReadSolomonFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
