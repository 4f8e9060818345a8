package solver_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/dispatchd/dispatchd/check"
	"github.com/dispatchd/dispatchd/geo"
	"github.com/dispatchd/dispatchd/model"
	"github.com/dispatchd/dispatchd/scenario"
	"github.com/dispatchd/dispatchd/solver"
)

func busyDay(t *testing.T, techs, stops int, seed uint64, now int) (solver.Day, *solver.State) {
	t.Helper()
	day := generatedBusyDay(t, scenario.BusyDayOptions{Technicians: techs, Stops: stops, Seed: seed, Now: now})
	st, err := solver.NewState(day)
	if err != nil {
		t.Fatal(err)
	}
	return day, st
}

// TestSuggestPrunedEqualsExhaustive compares the H3 search with an
// exhaustive one on hundreds of random days and orders: the same
// candidates, scores and slots, in the same order.
func TestSuggestPrunedEqualsExhaustive(t *testing.T) {
	ctx := context.Background()
	instances, pruned := 0, 0
	for seed := range uint64(110) {
		techs := []int{20, 60, 150, 300}[seed%4]
		stops := 3 + int(seed%6)
		now := []int{7 * 60, 10*60 + 30, 13*60 + 15}[seed%3]
		day, st := busyDay(t, techs, stops, seed, now)
		for k, o := range scenario.GenerateOrders(2, seed+1000, day.Technicians) {
			limit := 1 + int(seed+uint64(k))%8
			got, err := solver.Suggest(ctx, st, o, solver.SuggestOptions{Limit: limit, Pruned: true})
			if err != nil {
				t.Fatal(err)
			}
			want, err := solver.Suggest(ctx, st, o, solver.SuggestOptions{Limit: limit, Exhaustive: true})
			if err != nil {
				t.Fatal(err)
			}
			instances++
			if got.Considered < got.Technicians {
				pruned++
			}
			if !sameCandidates(got.Candidates, want.Candidates) {
				t.Fatalf("seed %d, order %s, limit %d: pruned top-k %s, exhaustive %s", seed, o.ID, limit, summary(got.Candidates), summary(want.Candidates))
			}
		}
	}
	if instances < 200 {
		t.Fatalf("%d instances, want at least 200", instances)
	}
	if pruned == 0 {
		t.Errorf("the search never stopped early in %d instances", instances)
	}
	t.Logf("%d instances, %d stopped before considering every technician", instances, pruned)
}

func sameCandidates(a, b []model.Candidate) bool {
	return slices.EqualFunc(a, b, func(x, y model.Candidate) bool {
		return x.TechnicianID == y.TechnicianID && x.Score == y.Score && x.Start.Equal(y.Start) && x.InsertAfter == y.InsertAfter
	})
}

func summary(cs []model.Candidate) string {
	var parts []string
	for _, c := range cs {
		parts = append(parts, fmt.Sprintf("%s:%.1f@%s", c.TechnicianID, c.Score, c.Start.Format("15:04")))
	}
	return "[" + strings.Join(parts, " ") + "]"
}

// TestSuggestedSlotsAreFeasible inserts every suggested slot into the
// technician's route and checks the whole route with check.Plan,
// which trusts nothing the solver says: the order starts where suggested,
// and every stop keeps its window, the shift and the travel times.
func TestSuggestedSlotsAreFeasible(t *testing.T) {
	ctx := context.Background()
	checked := 0
	for seed := range uint64(12) {
		day, _ := busyDay(t, 40, 5, seed, 5*60) // before the shifts: the whole day is open
		for i := range day.Technicians {
			day.Technicians[i].Breaks = nil
		}
		for i := range day.Routes {
			day.Routes[i].Stops = slices.DeleteFunc(day.Routes[i].Stops, func(s model.Stop) bool { return s.IsBreak() })
		}
		st, err := solver.NewState(day)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range scenario.GenerateOrders(6, seed+77, day.Technicians) {
			s, err := solver.Suggest(ctx, st, o, solver.SuggestOptions{Limit: 3})
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range s.Candidates {
				checkInsertion(t, day, o, c)
				checked++
			}
		}
	}
	if checked < 50 {
		t.Fatalf("only %d candidates checked", checked)
	}
}

// checkInsertion rebuilds a technician's day with the suggested order in
// it, times it independently from the start of the shift, and runs the
// independent checker.
func checkInsertion(t *testing.T, day solver.Day, o model.WorkOrder, c model.Candidate) {
	t.Helper()
	var tech model.Technician
	for _, x := range day.Technicians {
		if x.ID == c.TechnicianID {
			tech = x
		}
	}
	orders := map[string]model.WorkOrder{o.ID: o}
	for _, w := range day.Orders {
		orders[w.ID] = w
	}
	var seq []string
	for _, r := range day.Routes {
		if r.TechnicianID != tech.ID {
			continue
		}
		for _, s := range r.Stops {
			seq = append(seq, s.WorkOrderID)
		}
	}
	at := 0
	if c.InsertAfter != "" {
		at = slices.Index(seq, c.InsertAfter) + 1
	}
	if c.InsertBefore != "" && (at >= len(seq) || seq[at] != c.InsertBefore) {
		t.Fatalf("%s: insert after %q and before %q do not meet in %v", tech.ID, c.InsertAfter, c.InsertBefore, seq)
	}
	seq = slices.Insert(seq, at, o.ID)
	p := &model.Problem{Technicians: []model.Technician{tech}, Travel: day.Travel}
	route := model.Route{TechnicianID: tech.ID}
	hav := geo.Haversine{SpeedKmh: day.Travel.SpeedKmh, Detour: day.Travel.Detour}
	clock, here := tech.Shift.Start, tech.Start
	for _, id := range seq {
		w := orders[id]
		w.Status, w.TechnicianIDs, w.ScheduledStart = model.StatusCreated, nil, nil
		p.WorkOrders = append(p.WorkOrders, w)
		leg, _ := hav.Leg(here, w.Location)
		start := clock.Add(leg.Duration)
		for _, tw := range w.TimeWindows {
			if !start.After(tw.End) {
				if start.Before(tw.Start) {
					start = tw.Start
				}
				break
			}
		}
		if id == o.ID && !start.Equal(c.Start) {
			t.Errorf("%s: %s starts %v when timed independently, suggested %v", tech.ID, o.ID, start, c.Start)
		}
		end := start.Add(w.Duration.Duration())
		route.Stops = append(route.Stops, model.Stop{WorkOrderID: id, Start: start, End: end})
		clock, here = end, w.Location
	}
	rep := check.Plan(p, model.Plan{Routes: []model.Route{route}, Unassigned: []model.Unassigned{}})
	for _, v := range rep.Violations {
		t.Errorf("%s with %s inserted (%s): %v", tech.ID, o.ID, summary([]model.Candidate{c}), v)
	}
	if c.End.Sub(c.Start) != o.Duration.Duration() || c.ETA.After(c.Start) {
		t.Errorf("%s: eta %v, start %v, end %v for a %v job", tech.ID, c.ETA, c.Start, c.End, o.Duration.Duration())
	}
}

func TestSuggestExpiredCertification(t *testing.T) {
	a, b := tech("A"), tech("B")
	a.Certifications = []model.Certification{{Name: "EPA-608", Expires: model.Date{Year: 2026, Month: 10, Day: 1}}}
	b.Certifications = []model.Certification{{Name: "EPA-608", Expires: model.Date{Year: 2027, Month: 1, Day: 1}}}
	b.Start = near(20)
	st, err := solver.NewState(solver.Day{Now: at(7, 0), Technicians: []model.Technician{a, b}})
	if err != nil {
		t.Fatal(err)
	}
	o := order("W", 1)
	o.RequiredCertifications = []string{"EPA-608"}
	s, err := solver.Suggest(context.Background(), st, o, solver.SuggestOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Candidates) != 1 || s.Candidates[0].TechnicianID != "B" {
		t.Fatalf("candidates %s, want only B", summary(s.Candidates))
	}
	if len(s.Rejected) != 1 || s.Rejected[0].TechnicianID != "A" || !slices.Contains(s.Rejected[0].Reasons, "EPA-608 certification expired 2026-10-01") {
		t.Errorf("rejected %+v, want A for its certification expired 2026-10-01", s.Rejected)
	}
}

func TestSuggestReasons(t *testing.T) {
	ok := tech("OK")
	low := tech("LOW")
	low.Skills = model.Skills{"hvac": 1}
	full := tech("FULL")
	full.MaxJobs = 1
	late := tech("LATE")
	late.Shift = model.Shift{Start: at(8, 0), End: at(9, 0)}
	done := order("DONE", 2)
	done.Status, done.TechnicianIDs, done.ScheduledStart = model.StatusComplete, []string{"FULL"}, ptr(at(8, 0))
	st, err := solver.NewState(solver.Day{Now: at(8, 30),
		Technicians: []model.Technician{ok, low, full, late},
		Orders:      []model.WorkOrder{done},
		Routes:      []model.Route{{TechnicianID: "FULL", Stops: []model.Stop{{WorkOrderID: "DONE", Start: at(8, 0), End: at(9, 0)}}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	o := order("W", 3)
	o.RequiredSkills = model.Skills{"hvac": 2}
	o.Duration = 2 * 3600
	s, err := solver.Suggest(context.Background(), st, o, solver.SuggestOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"LOW":  "skill hvac level 1, needs 2",
		"FULL": "max_jobs reached (1)",
		"LATE": "off shift",
	}
	for _, r := range s.Rejected {
		if w, ok := want[r.TechnicianID]; ok && !strings.Contains(strings.Join(r.Reasons, "; "), w) {
			t.Errorf("%s rejected for %v, want %q", r.TechnicianID, r.Reasons, w)
		}
		delete(want, r.TechnicianID)
	}
	if len(want) > 0 || len(s.Candidates) != 1 || s.Candidates[0].TechnicianID != "OK" {
		t.Errorf("not rejected: %v; candidates %s", want, summary(s.Candidates))
	}
}

// TestSuggestScores checks the ranking and the score's arithmetic under
// two policies: cost ascending, ties by id, scores never rising down the
// ranks; the cost the sum of the criteria's, each the policy's weight times
// its value in the weight's unit (distance shown to 0.1 m); score and grades 100 × (1 − cost /
// scale), at least 0.
func TestSuggestScores(t *testing.T) {
	day, st := busyDay(t, 200, 6, 5, 9*60)
	travel := model.Policy{Weights: model.Weights{TravelTime: 1, Distance: 0.5, Overtime: 3}, ScoreScale: 100}
	for _, p := range []model.Policy{model.DefaultPolicy(), travel} {
		perUnit := map[string]float64{ // the weights' units: per minute, per km, per level or order
			model.CriterionTravel: p.Weights.TravelTime / 60, model.CriterionDistance: p.Weights.Distance / 1000,
			model.CriterionLateness: p.Weights.Lateness / 60, model.CriterionOvertime: p.Weights.Overtime / 60,
			model.CriterionSkill: p.Weights.SkillSurplus, model.CriterionPreferred: p.Weights.PreferredTechnician,
			model.CriterionWorkload: p.Weights.WorkloadBalance / 60, model.CriterionPlanChange: p.Weights.PlanChange,
		}
		points := func(cost float64) float64 { return math.Round(1000*math.Max(0, 1-cost/p.Scale())) / 10 }
		for _, o := range scenario.GenerateOrders(20, 6, day.Technicians) {
			s, err := solver.Suggest(context.Background(), st, o, solver.SuggestOptions{Limit: 10, Policy: &p})
			if err != nil {
				t.Fatal(err)
			}
			for i, c := range s.Candidates {
				if c.Rank != i+1 || c.Score != points(c.Cost) {
					t.Errorf("%s: rank %d score %v for cost %v", c.TechnicianID, c.Rank, c.Score, c.Cost)
				}
				if i > 0 {
					if prev := s.Candidates[i-1]; prev.Cost > c.Cost || prev.Cost == c.Cost && prev.TechnicianID > c.TechnicianID || prev.Score < c.Score {
						t.Errorf("%s (%.3f, %.1f) ranks before %s (%.3f, %.1f)", prev.TechnicianID, prev.Cost, prev.Score, c.TechnicianID, c.Cost, c.Score)
					}
				}
				sum := 0.0
				for name, cr := range c.Breakdown {
					if math.Abs(cr.Cost-perUnit[name]*cr.Value) > 1e-4+1e-6*cr.Cost || cr.Grade != points(cr.Cost) || cr.Value < 0 {
						t.Errorf("%s %s: %+v", c.TechnicianID, name, cr)
					}
					sum += cr.Cost
				}
				if len(c.Breakdown) != len(perUnit) || math.Abs(sum-c.Cost) > 1e-6*(1+c.Cost) {
					t.Errorf("%s: cost %v from breakdown %+v", c.TechnicianID, c.Cost, c.Breakdown)
				}
			}
		}
	}
}

// TestSuggestAfterFixedStops checks that nothing goes before a stop the
// technician is on: the order starts after the job under way ends.
func TestSuggestAfterFixedStops(t *testing.T) {
	a := tech("A")
	busy := order("BUSY", 1)
	busy.Status, busy.TechnicianIDs, busy.ScheduledStart = model.StatusOnSite, []string{"A"}, ptr(at(9, 0))
	next := order("NEXT", 6)
	next.Status, next.TechnicianIDs, next.ScheduledStart = model.StatusDispatched, []string{"A"}, ptr(at(14, 0))
	next.TimeWindows = []model.TimeWindow{{Start: at(14, 0), End: at(15, 0)}}
	st, err := solver.NewState(solver.Day{Now: at(9, 30), Technicians: []model.Technician{a},
		Orders: []model.WorkOrder{busy, next},
		Routes: []model.Route{{TechnicianID: "A", Stops: []model.Stop{{WorkOrderID: "BUSY", Start: at(9, 0), End: at(10, 0)}, {WorkOrderID: "NEXT", Start: at(14, 0), End: at(15, 0)}}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	s, err := solver.Suggest(context.Background(), st, order("NEW", 1.5), solver.SuggestOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Candidates) != 1 {
		t.Fatalf("candidates %s", summary(s.Candidates))
	}
	c := s.Candidates[0]
	if c.InsertAfter != "BUSY" || c.InsertBefore != "NEXT" || c.Start.Before(at(10, 0)) {
		t.Errorf("slot %s after %q before %q, want after BUSY ends at 10:00 and before NEXT", c.Start.Format("15:04"), c.InsertAfter, c.InsertBefore)
	}
	if c.Delay != 0 {
		t.Errorf("delays NEXT by %ds, want 0 (it waits for its 14:00 window)", c.Delay)
	}
}

func TestSuggestValidation(t *testing.T) {
	st, err := solver.NewState(solver.Day{Now: at(7, 0), Technicians: []model.Technician{tech("A")}})
	if err != nil {
		t.Fatal(err)
	}
	o := order("W", 1)
	o.Duration = -5
	o.Location = model.MatrixLocation(3)
	_, err = solver.Suggest(context.Background(), st, o, solver.SuggestOptions{})
	var ve *model.ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("err = %v", err)
	}
	fields := map[string]bool{}
	for _, fe := range ve.Errors {
		fields[fe.Field] = true
	}
	if !fields["work_order.duration_s"] || !fields["work_order.location"] {
		t.Errorf("errors %v, want work_order.duration_s and work_order.location", ve.Errors)
	}
	_, err = solver.NewState(solver.Day{Technicians: []model.Technician{tech("A")},
		Routes:    []model.Route{{TechnicianID: "A", Stops: []model.Stop{{WorkOrderID: "GHOST", Start: at(9, 0)}}}, {TechnicianID: "Z"}},
		Positions: []model.Position{{TechnicianID: "A", Lat: 99, At: at(8, 0)}}})
	if !errors.As(err, &ve) {
		t.Fatalf("NewState err = %v", err)
	}
	got := fmt.Sprint(ve.Errors)
	for _, want := range []string{"routes[0].stops[0].work_order_id", "routes[1].technician_id", "positions[0].lat"} {
		if !strings.Contains(got, want) {
			t.Errorf("NewState errors %s lack %s", got, want)
		}
	}
}

// TestSuggestConcurrent asks one state for suggestions from several
// goroutines at once, the first pruned ones racing to build the H3 index:
// every answer is the one asked alone (run with -race).
func TestSuggestConcurrent(t *testing.T) {
	day, st := busyDay(t, 120, 6, 7, 10*60+30)
	orders := scenario.GenerateOrders(24, 70, day.Technicians)
	want := make([]model.Suggestions, len(orders))
	_, alone := busyDay(t, 120, 6, 7, 10*60+30)
	for i, o := range orders {
		s, err := solver.Suggest(context.Background(), alone, o, solver.SuggestOptions{Exhaustive: true})
		if err != nil {
			t.Fatal(err)
		}
		want[i] = s
	}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i, o := range orders {
				got, err := solver.Suggest(context.Background(), st, o, solver.SuggestOptions{Pruned: g%2 == 0})
				if err != nil {
					t.Error(err)
					return
				}
				if !sameCandidates(got.Candidates, want[i].Candidates) {
					t.Errorf("goroutine %d, order %s: %s, want %s", g, o.ID, summary(got.Candidates), summary(want[i].Candidates))
				}
			}
		})
	}
	wg.Wait()
}

// TestSuggestBeyondTheSolversHorizon checks an order further than the
// 24 days of travel the route tables hold (700 km at 1 km/h): the
// technician is rejected, not offered with a drive cut short.
func TestSuggestBeyondTheSolversHorizon(t *testing.T) {
	far := tech("FAR")
	st, err := solver.NewState(solver.Day{Now: at(7, 0), Technicians: []model.Technician{far},
		Travel: &model.Travel{Model: model.TravelHaversine, SpeedKmh: 1, Detour: 1}})
	if err != nil {
		t.Fatal(err)
	}
	s, err := solver.Suggest(context.Background(), st, order("W", 700), solver.SuggestOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Candidates) != 0 {
		t.Fatalf("a technician 700 h away is a candidate: %+v", s.Candidates[0])
	}
	if len(s.Rejected) != 1 || s.Rejected[0].TechnicianID != "FAR" {
		t.Fatalf("rejected = %+v, want FAR", s.Rejected)
	}
}
