package model

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"
)

var zone = time.FixedZone("PST", -8*3600)

func at(hour, minute int) time.Time { return time.Date(2026, 11, 23, hour, minute, 0, 0, zone) }

func ptr[T any](v T) *T { return &v }

// validProblem returns a small problem that passes validation; each test case
// breaks one thing in a fresh copy.
func validProblem() *Problem {
	return &Problem{
		Technicians: []Technician{
			{
				ID: "T1", Name: "Ana Ruiz", Active: ptr(true),
				Skills:         Skills{"hvac": 3, "refrigeration": 2},
				Certifications: []Certification{{Name: "EPA-608", Expires: Date{2027, 3, 1}}},
				Tools:          []string{"lift"},
				Start:          LatLng(37.77, -122.41),
				Shift:          Shift{Start: at(8, 0), End: at(17, 0)},
				Breaks:         []Break{{Earliest: at(11, 30), Latest: at(13, 30), Duration: 1800}},
				MaxJobs:        8, Capacity: []float64{500}, CostPerHour: 45, Overtime: 3600,
			},
			{ID: "T2", Start: LatLng(37.70, -122.45), Shift: Shift{Start: at(7, 0), End: at(15, 0)}},
		},
		WorkOrders: []WorkOrder{
			{
				ID: "WO-1", Priority: PriorityHigh, Location: LatLng(37.78, -122.40), Duration: 2700,
				RequiredSkills: Skills{"hvac": 2}, RequiredCertifications: []string{"EPA-608"},
				TimeWindows:          []TimeWindow{{Start: at(10, 0), End: at(12, 0)}},
				SLADeadline:          ptr(at(16, 0)),
				PreferredTechnicians: []string{"T1"}, Demand: []float64{20},
			},
			{ID: "WO-2", Location: LatLng(37.75, -122.42), Duration: 1800},
		},
	}
}

func TestProblemValidate(t *testing.T) {
	tests := []struct {
		name   string
		break_ func(p *Problem)
		field  string
		msg    string
	}{
		{"technician id missing", func(p *Problem) { p.Technicians[1].ID = "" }, "technicians[1].id", "missing"},
		{"duplicate technician id", func(p *Problem) { p.Technicians[1].ID = "T1" }, "technicians[1].id", "duplicate id"},
		{"work order id missing", func(p *Problem) { p.WorkOrders[0].ID = "" }, "work_orders[0].id", "missing"},
		{"duplicate work order id", func(p *Problem) { p.WorkOrders[1].ID = "WO-1" }, "work_orders[1].id", "duplicate id"},
		{"inverted window", func(p *Problem) { p.WorkOrders[0].TimeWindows[0].End = at(9, 0) }, "work_orders[0].time_windows[0].end", "before start"},
		{"window without end", func(p *Problem) { p.WorkOrders[0].TimeWindows[0].End = time.Time{} }, "work_orders[0].time_windows[0].end", "missing"},
		{"window without start", func(p *Problem) { p.WorkOrders[0].TimeWindows[0].Start = time.Time{} }, "work_orders[0].time_windows[0].start", "missing"},
		{"shift end before start", func(p *Problem) { p.Technicians[0].Shift.End = at(7, 0) }, "technicians[0].shift.end", "before start"},
		{"shift missing", func(p *Problem) { p.Technicians[1].Shift = Shift{} }, "technicians[1].shift.start", "missing"},
		{"shift of a year", func(p *Problem) { p.Technicians[1].Shift.End = at(7, 0).AddDate(1, 0, 0) }, "technicians[1].shift.end", "at most 168h"},
		{"negative duration", func(p *Problem) { p.WorkOrders[1].Duration = -5 }, "work_orders[1].duration_s", "negative"},
		{"negative capacity", func(p *Problem) { p.Technicians[0].Capacity = []float64{-1} }, "technicians[0].capacity[0]", "negative"},
		{"negative demand", func(p *Problem) { p.WorkOrders[0].Demand = []float64{3, -2} }, "work_orders[0].demand[1]", "negative"},
		{"negative max jobs", func(p *Problem) { p.Technicians[0].MaxJobs = -1 }, "technicians[0].max_jobs", "negative"},
		{"negative overtime", func(p *Problem) { p.Technicians[0].Overtime = -60 }, "technicians[0].overtime_s", "negative"},
		{"negative break duration", func(p *Problem) { p.Technicians[0].Breaks[0].Duration = -1 }, "technicians[0].breaks[0].duration_s", "negative"},
		{"break latest before earliest", func(p *Problem) { p.Technicians[0].Breaks[0].Latest = at(11, 0) }, "technicians[0].breaks[0].latest", "before earliest"},
		{"break before shift", func(p *Problem) { p.Technicians[0].Breaks[0].Earliest = at(6, 0) }, "technicians[0].breaks[0].earliest", "before shift start"},
		{"break after shift", func(p *Problem) {
			p.Technicians[0].Breaks[0].Earliest = at(17, 50)
			p.Technicians[0].Breaks[0].Latest = at(18, 0)
		}, "technicians[0].breaks[0].earliest", "cannot end"},
		{"unknown priority", func(p *Problem) { p.WorkOrders[0].Priority = "urgent" }, "work_orders[0].priority", `unknown priority "urgent"`},
		{"unknown status", func(p *Problem) { p.WorkOrders[0].Status = "done" }, "work_orders[0].status", `unknown status "done"`},
		{"latitude out of range", func(p *Problem) { p.WorkOrders[1].Location.Lat = 91 }, "work_orders[1].location.lat", "out of range"},
		{"longitude out of range", func(p *Problem) { p.Technicians[0].Start.Lng = -181 }, "technicians[0].start.lng", "out of range"},
		{"end location out of range", func(p *Problem) { p.Technicians[0].End = ptr(LatLng(0, 200)) }, "technicians[0].end.lng", "out of range"},
		{"location missing", func(p *Problem) { p.WorkOrders[1].Location = Location{} }, "work_orders[1].location", "missing"},
		{"unknown preferred technician", func(p *Problem) { p.WorkOrders[0].PreferredTechnicians = []string{"T1", "T9"} }, "work_orders[0].preferred_technicians[1]", `unknown technician "T9"`},
		{"unknown excluded technician", func(p *Problem) { p.WorkOrders[1].ExcludedTechnicians = []string{"X"} }, "work_orders[1].excluded_technicians[0]", `unknown technician "X"`},
		{"unknown assigned technician", func(p *Problem) { p.WorkOrders[1].TechnicianIDs = []string{"T7"} }, "work_orders[1].technician_ids[0]", `unknown technician "T7"`},
		{"pinned without technician", func(p *Problem) { p.WorkOrders[1].Pinned = true }, "work_orders[1].technician_ids", "required"},
		{"on site without start", func(p *Problem) {
			p.WorkOrders[1].Status = StatusOnSite
			p.WorkOrders[1].TechnicianIDs = []string{"T2"}
		}, "work_orders[1].scheduled_start", "required"},
		{"crew size mismatch", func(p *Problem) {
			p.WorkOrders[1].TechniciansNeeded = 2
			p.WorkOrders[1].TechnicianIDs = []string{"T2"}
		}, "work_orders[1].technician_ids", "the order needs 2"},
		{"negative technicians needed", func(p *Problem) { p.WorkOrders[1].TechniciansNeeded = -1 }, "work_orders[1].technicians_needed", "negative"},
		{"skill level zero", func(p *Problem) { p.Technicians[0].Skills["hvac"] = 0 }, "technicians[0].skills.hvac", "levels start at 1"},
		{"required skill level zero", func(p *Problem) { p.WorkOrders[0].RequiredSkills["hvac"] = 0 }, "work_orders[0].required_skills.hvac", "levels start at 1"},
		{"certification without name", func(p *Problem) { p.Technicians[0].Certifications[0].Name = "" }, "technicians[0].certifications[0].name", "missing"},
		{"empty required tool", func(p *Problem) { p.WorkOrders[0].RequiredTools = []string{""} }, "work_orders[0].required_tools[0]", "empty"},
		{"negative weight", func(p *Problem) { p.Weights = &Weights{TravelTime: -1} }, "weights.travel_time", "negative"},
		{"weight not finite", func(p *Problem) { p.Weights = &Weights{Lateness: math.Inf(1)} }, "weights.lateness", "not a finite number"},
		{"every weight zero", func(p *Problem) { p.Weights = &Weights{} }, "weights", "every weight is zero"},
		{"priority the only weight", func(p *Problem) { p.Weights = &Weights{Priority: 3} }, "weights", "every weight is zero"},
		{"unknown travel model", func(p *Problem) { p.Travel = &Travel{Model: "teleport"} }, "travel.model", "unknown model"},
		{"detour below one", func(p *Problem) { p.Travel = &Travel{Detour: 0.5} }, "travel.detour", "below 1"},
		{"negative speed", func(p *Problem) { p.Travel = &Travel{SpeedKmh: -3} }, "travel.speed_kmh", "positive"},
		{"index without matrix", func(p *Problem) { p.WorkOrders[1].Location = MatrixLocation(0) }, "work_orders[1].location.location_index", "travel has no matrix"},
		{"matrix too few rows", func(p *Problem) {
			p.Travel = squareMatrix(4)
			p.Travel.Durations = p.Travel.Durations[:3]
		}, "travel.durations_s", "3 rows for 4 locations"},
		{"matrix short row", func(p *Problem) {
			p.Travel = squareMatrix(4)
			p.Travel.Durations[2] = p.Travel.Durations[2][:3]
		}, "travel.durations_s[2]", "3 columns for 4 locations"},
		{"distance matrix shape", func(p *Problem) {
			p.Travel = squareMatrix(4)
			p.Travel.Distances = p.Travel.Distances[:2]
		}, "travel.distances_m", "2 rows for 4 locations"},
		{"matrix rows without locations", func(p *Problem) {
			p.Travel = squareMatrix(4)
			p.Travel.Locations = p.Travel.Locations[:3]
		}, "travel.durations_s", "4 rows for 3 locations"},
		{"negative matrix entry", func(p *Problem) {
			p.Travel = squareMatrix(4)
			p.Travel.Durations[1][3] = -7
		}, "travel.durations_s[1][3]", "non-negative"},
		{"index out of range", func(p *Problem) {
			p.Travel = squareMatrix(4)
			p.WorkOrders[1].Location = MatrixLocation(4)
		}, "work_orders[1].location.location_index", "4 out of range"},
		{"coordinates not in matrix", func(p *Problem) {
			p.Travel = squareMatrix(4)
			p.WorkOrders[1].Location = LatLng(1, 1)
		}, "work_orders[1].location", "not in travel.locations"},
		{"matrix model without durations", func(p *Problem) { p.Travel = &Travel{Model: TravelMatrix} }, "travel.durations_s", "missing"},
	}
	if err := validProblem().Validate(); err != nil {
		t.Fatalf("the base problem must be valid: %v", err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := validProblem()
			tt.break_(p)
			err := p.Validate()
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("Validate() = %v, want a *ValidationError", err)
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("errors.Is(err, ErrInvalid) = false")
			}
			for _, fe := range ve.Errors {
				if fe.Field == tt.field && strings.Contains(fe.Message, tt.msg) {
					return
				}
			}
			t.Errorf("Validate() = %v\nwant an error on %s containing %q", err, tt.field, tt.msg)
		})
	}
}

// squareMatrix returns an n×n matrix travel model and points the first
// locations of validProblem at its rows.
func squareMatrix(n int) *Travel {
	tr := &Travel{}
	for i := range n {
		tr.Locations = append(tr.Locations, MatrixLocation(i))
		row, dist := make([]float64, n), make([]float64, n)
		for j := range n {
			row[j] = float64(60 * (i + j))
			dist[j] = float64(500 * (i + j))
		}
		tr.Durations = append(tr.Durations, row)
		tr.Distances = append(tr.Distances, dist)
	}
	return tr
}

func TestZeroWidthWindowIsAnAppointment(t *testing.T) {
	p := validProblem()
	p.WorkOrders[0].TimeWindows[0].End = p.WorkOrders[0].TimeWindows[0].Start
	if err := p.Validate(); err != nil {
		t.Errorf("a window [10:00, 10:00] is refused: %v", err)
	}
}

func TestProblemValidateMatrix(t *testing.T) {
	p := validProblem()
	p.Travel = squareMatrix(4)
	p.Technicians[0].Start = MatrixLocation(0)
	p.Technicians[1].Start = MatrixLocation(1)
	p.WorkOrders[0].Location = MatrixLocation(2)
	p.WorkOrders[1].Location = MatrixLocation(3)
	if err := p.Validate(); err != nil {
		t.Fatalf("Validate() = %v, want nil", err)
	}
	// Coordinates that appear in travel.locations find their row without an index.
	p.Travel.Locations[3] = LatLng(37.75, -122.42)
	p.WorkOrders[1].Location = LatLng(37.75, -122.42)
	if err := p.Validate(); err != nil {
		t.Fatalf("Validate() with coordinates in travel.locations = %v, want nil", err)
	}
}

func TestProblemValidateReportsEverything(t *testing.T) {
	p := validProblem()
	p.WorkOrders[0].TimeWindows[0].End = at(9, 0)
	p.WorkOrders[1].Priority = "urgent"
	p.Technicians[1].Shift.End = at(6, 0)
	p.Technicians[0].Capacity = []float64{-1}
	var ve *ValidationError
	if !errors.As(p.Validate(), &ve) {
		t.Fatal("want a *ValidationError")
	}
	want := []string{
		"technicians[0].capacity[0]",
		"technicians[1].shift.end",
		"work_orders[0].time_windows[0].end",
		"work_orders[1].priority",
	}
	var got []string
	for _, fe := range ve.Errors {
		got = append(got, fe.Field)
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("fields = %v, want %v (in document order)", got, want)
	}
}

func TestValidationErrorCapsHugeDocuments(t *testing.T) {
	p := validProblem()
	p.Travel = squareMatrix(60)
	for i := range p.Travel.Durations {
		for j := range p.Travel.Durations[i] {
			p.Travel.Durations[i][j] = -1
		}
	}
	var ve *ValidationError
	if !errors.As(p.Validate(), &ve) {
		t.Fatal("want a *ValidationError")
	}
	if len(ve.Errors) != MaxErrors+1 {
		t.Fatalf("%d errors, want %d listed and one summary", len(ve.Errors), MaxErrors)
	}
	if last := ve.Errors[MaxErrors].Message; !strings.Contains(last, "more problems not listed") {
		t.Errorf("last error = %q, want a count of the rest", last)
	}
}

func TestValidationErrorMessage(t *testing.T) {
	err := &ValidationError{Errors: []FieldError{
		{"a", "one"}, {"b", "two"}, {"c", "three"}, {"d", "four"}, {"e", "five"}, {"f", "six"}, {"g", "seven"},
	}}
	want := "model: invalid: a: one; b: two; c: three; d: four; e: five; and 2 more"
	if got := err.Error(); got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if got := err.Prefix("technician").Errors[0].Field; got != "technician.a" {
		t.Errorf("Prefix: field = %q, want technician.a", got)
	}
}

func TestTechnicianAndWorkOrderValidateAlone(t *testing.T) {
	p := validProblem()
	tech := p.Technicians[0]
	tech.Shift.End = at(7, 0)
	if err := tech.Validate(); err == nil || !strings.Contains(err.Error(), "shift.end: before start") {
		t.Errorf("Technician.Validate() = %v, want shift.end: before start", err)
	}
	wo := p.WorkOrders[0]
	wo.Duration = -1
	if err := wo.Validate(); err == nil || !strings.Contains(err.Error(), "duration_s: negative") {
		t.Errorf("WorkOrder.Validate() = %v, want duration_s: negative", err)
	}
}
