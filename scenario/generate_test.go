package scenario

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"testing"
	"time"

	"github.com/dispatchd/dispatchd/geo"
	"github.com/dispatchd/dispatchd/model"
)

var update = flag.Bool("update", false, "rewrite golden files")

func generate(t *testing.T, opts DayOptions) *model.Problem {
	t.Helper()
	p, err := GenerateDay(opts)
	if err != nil {
		t.Fatalf("GenerateDay(%+v): %v", opts, err)
	}
	return p
}

func encode(t *testing.T, p *model.Problem) []byte {
	t.Helper()
	data, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestGenerateDayValidates(t *testing.T) {
	for _, size := range []struct{ orders, techs int }{{0, 1}, {1, 1}, {20, 3}, {200, 20}, {1000, 100}} {
		for seed := range uint64(5) {
			p := generate(t, DayOptions{Orders: size.orders, Technicians: size.techs, Seed: seed})
			if err := p.Validate(); err != nil {
				t.Fatalf("%d orders, %d technicians, seed %d: %v", size.orders, size.techs, seed, err)
			}
			if len(p.WorkOrders) != size.orders || len(p.Technicians) != size.techs {
				t.Fatalf("got %d orders and %d technicians", len(p.WorkOrders), len(p.Technicians))
			}
		}
	}
}

func TestGenerateDayDeterministic(t *testing.T) {
	opts := DayOptions{Orders: 200, Technicians: 20, Seed: 1}
	a, b := encode(t, generate(t, opts)), encode(t, generate(t, opts))
	if !bytes.Equal(a, b) {
		t.Fatal("two runs with seed 1 differ")
	}
	opts.Seed = 2
	if bytes.Equal(a, encode(t, generate(t, opts))) {
		t.Fatal("seeds 1 and 2 gave the same day")
	}
}

// TestGenerateDayGolden pins the generator's output: a change to it must be
// deliberate (go test ./scenario -update).
func TestGenerateDayGolden(t *testing.T) {
	got := encode(t, generate(t, DayOptions{Orders: 12, Technicians: 3, Seed: 7}))
	const golden = "testdata/day-12x3-seed7.json"
	if *update {
		if err := os.WriteFile(golden, append(got, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test ./scenario -update to create it)", err)
	}
	if !bytes.Equal(append(got, '\n'), want) {
		t.Errorf("generated day differs from %s; if the change is meant, rerun with -update", golden)
	}
}

// TestGenerateDayIsRealistic checks the shape a dispatcher would recognise.
func TestGenerateDayIsRealistic(t *testing.T) {
	date := model.Date{Year: 2026, Month: time.March, Day: 10}
	p := generate(t, DayOptions{Orders: 1000, Technicians: 100, Seed: 3, Date: date})
	center := model.LatLng(39.7392, -104.9903)
	zone, _ := time.LoadLocation("America/Denver")

	expired, certs, inactive := 0, 0, 0
	for _, tech := range p.Technicians {
		shift := tech.Shift.End.Sub(tech.Shift.Start)
		if shift < 8*time.Hour || shift > 10*time.Hour {
			t.Errorf("%s: shift of %v, want 8–10 h", tech.ID, shift)
		}
		if model.DateOf(tech.Shift.Start) != date || tech.Shift.Start.Location().String() != zone.String() {
			t.Errorf("%s: shift starts %v, want on %v in America/Denver", tech.ID, tech.Shift.Start, date)
		}
		if len(tech.Breaks) != 1 || tech.Breaks[0].Duration < 1800 || tech.Breaks[0].Earliest.Hour() < 11 {
			t.Errorf("%s: breaks %+v, want one lunch break from 11:00", tech.ID, tech.Breaks)
		}
		if len(tech.Skills) == 0 {
			t.Errorf("%s has no skills", tech.ID)
		}
		for _, c := range tech.Certifications {
			certs++
			if !c.ValidOn(date) {
				expired++
			}
		}
		if !tech.IsActive() {
			inactive++
		}
		if d := geo.GreatCircleMeters(geo.Point(center), geo.Point(tech.Start)); d > 20_000 {
			t.Errorf("%s starts %.1f km from the centre", tech.ID, d/1000)
		}
	}
	if frac := float64(expired) / float64(certs); frac < 0.05 || frac > 0.25 {
		t.Errorf("%d of %d certifications expired on %v; want some, not most", expired, certs, date)
	}
	if inactive == 0 || inactive > 10 {
		t.Errorf("%d of 100 technicians inactive; want a few", inactive)
	}

	windows, sla, crews, certified, tooled := 0, 0, 0, 0, 0
	prio := map[model.Priority]int{}
	for _, w := range p.WorkOrders {
		prio[w.Priority]++
		if d := geo.GreatCircleMeters(geo.Point(center), geo.Point(w.Location)); d > 20_000 {
			t.Errorf("%s is %.1f km from the centre, outside a 40 km metro", w.ID, d/1000)
		}
		if w.Duration < 30*60 || w.Duration > 4*3600 {
			t.Errorf("%s lasts %ds", w.ID, w.Duration)
		}
		if len(w.TimeWindows) > 0 {
			windows++
		}
		for _, tw := range w.TimeWindows {
			if d := tw.Duration(); d < 2*time.Hour || d > 4*time.Hour {
				t.Errorf("%s: window of %v, want 2–4 h", w.ID, d)
			}
		}
		if w.SLADeadline != nil {
			sla++
		}
		if w.Crew() > 1 {
			crews++
		}
		if len(w.RequiredCertifications) > 0 {
			certified++
		}
		if len(w.RequiredTools) > 0 {
			tooled++
		}
	}
	for _, pr := range model.Priorities {
		if prio[pr] == 0 {
			t.Errorf("no %s orders in 1000", pr)
		}
	}
	if prio[model.PriorityEmergency] > prio[model.PriorityLow] {
		t.Errorf("more emergencies (%d) than low-priority orders (%d)", prio[model.PriorityEmergency], prio[model.PriorityLow])
	}
	if windows < 650 || windows > 850 {
		t.Errorf("%d of 1000 orders have a customer window, want most (about 75%%)", windows)
	}
	if sla < 100 || sla > 500 {
		t.Errorf("%d of 1000 orders have an SLA deadline, want some", sla)
	}
	if crews == 0 || certified < 100 || tooled < 100 {
		t.Errorf("crew orders %d, with certifications %d, with tools %d", crews, certified, tooled)
	}
}

func TestGenerateDayRefusesBadOptions(t *testing.T) {
	for _, opts := range []DayOptions{
		{Orders: -1, Technicians: 1},
		{Orders: 1, Technicians: 0},
		{Orders: MaxGenerated + 1, Technicians: 1},
		{Orders: 1, Technicians: 1, RadiusMeters: -5},
	} {
		if _, err := GenerateDay(opts); err == nil {
			t.Errorf("GenerateDay(%+v) succeeded", opts)
		}
	}
}

// qualifies reports whether a technician passes the static checks of an
// order on a day: active, skills, certifications valid that day, tools,
// not excluded.
func qualifies(tech *model.Technician, w *model.WorkOrder, day model.Date) bool {
	if !tech.IsActive() || w.Excludes(tech.ID) {
		return false
	}
	for s, lvl := range w.RequiredSkills {
		if tech.Skills[s] < lvl {
			return false
		}
	}
	for _, name := range w.RequiredCertifications {
		if c, ok := tech.Certification(name); !ok || !c.ValidOn(day) {
			return false
		}
	}
	for _, tool := range w.RequiredTools {
		if !tech.HasTool(tool) {
			return false
		}
	}
	return true
}

// TestGenerateDayIsMostlyDoable checks that a small crew is staffed for
// the work: only specialist jobs, lapsed certifications and the like leave
// an order with nobody qualified.
func TestGenerateDayIsMostlyDoable(t *testing.T) {
	for seed := range uint64(8) {
		p := generate(t, DayOptions{Orders: 200, Technicians: 20, Seed: seed})
		undoable := 0
		for i := range p.WorkOrders {
			w := &p.WorkOrders[i]
			n := 0
			for j := range p.Technicians {
				if qualifies(&p.Technicians[j], w, DefaultDate) {
					n++
				}
			}
			if n < w.Crew() {
				undoable++
			}
		}
		if undoable == 0 || undoable > 20 {
			t.Errorf("seed %d: %d of 200 orders have nobody qualified; want a few, at most 10%%", seed, undoable)
		}
	}
}
