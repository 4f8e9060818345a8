package model

import (
	"bytes"
	"encoding/json"
	"os"
	"testing"
)

// TestAPIExampleRoundTrip decodes API.md's example technician and work order
// strictly and encodes them back byte for byte: the JSON names are the
// contract's.
func TestAPIExampleRoundTrip(t *testing.T) {
	data, err := os.ReadFile("../testdata/api_example.json")
	if err != nil {
		t.Fatal(err)
	}
	var p Problem
	if err := Decode(data, &p); err != nil {
		t.Fatalf("decoding: %v", err)
	}
	if err := p.Validate(); err != nil {
		t.Fatalf("Validate() = %v", err)
	}
	got, err := json.MarshalIndent(&p, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if want := bytes.TrimSpace(data); !bytes.Equal(got, want) {
		t.Errorf("re-encoded problem differs from ../testdata/api_example.json:\n%s", got)
	}
	wo := p.WorkOrders[0]
	if wo.Duration.Duration().Minutes() != 45 || wo.SLADeadline.Hour() != 16 || wo.TimeWindows[0].Start.Hour() != 10 {
		t.Errorf("decoded work order = %+v", wo)
	}
	if c, ok := p.Technicians[0].Certification("EPA-608"); !ok || c.Expires != (Date{2027, 3, 1}) {
		t.Errorf("certification = %+v, %v", c, ok)
	}
}

func TestWeightsDecodeOnDefaults(t *testing.T) {
	var w Weights
	if err := json.Unmarshal([]byte(`{"travel_time":3,"unassigned":0}`), &w); err != nil {
		t.Fatal(err)
	}
	want := DefaultWeights()
	want.TravelTime, want.Unassigned = 3, 0
	if w != want {
		t.Errorf("decoded weights = %+v, want %+v", w, want)
	}
	if err := json.Unmarshal([]byte(`{"lateness":"high"}`), &w); err == nil {
		t.Error("a string weight decoded without error")
	}
}

func TestUnassignedCost(t *testing.T) {
	w := DefaultWeights()
	tests := []struct {
		p    Priority
		want float64
	}{
		{PriorityLow, 1000}, {PriorityNormal, 11000}, {"", 11000}, {PriorityHigh, 21000}, {PriorityEmergency, 31000},
	}
	for _, tt := range tests {
		if got := w.UnassignedCost(tt.p); got != tt.want {
			t.Errorf("UnassignedCost(%q) = %v, want %v", tt.p, got, tt.want)
		}
	}
}

func TestLocationJSON(t *testing.T) {
	tests := []struct {
		loc  Location
		want string
	}{
		{LatLng(37.77, -122.41), `{"lat":37.77,"lng":-122.41}`},
		{MatrixLocation(3), `{"location_index":3}`},
		{Location{Lat: 1, Lng: 2, Index: ptr(0)}, `{"lat":1,"lng":2,"location_index":0}`},
	}
	for _, tt := range tests {
		got, err := json.Marshal(tt.loc)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != tt.want {
			t.Errorf("Marshal(%v) = %s, want %s", tt.loc, got, tt.want)
		}
		var back Location
		if err := json.Unmarshal(got, &back); err != nil {
			t.Fatal(err)
		}
		if back.String() != tt.loc.String() {
			t.Errorf("round trip of %v gave %v", tt.loc, back)
		}
	}
}

func TestDateJSON(t *testing.T) {
	var d Date
	if err := json.Unmarshal([]byte(`"2026-02-28"`), &d); err != nil || d != (Date{2026, 2, 28}) {
		t.Errorf("Unmarshal = %v, %v", d, err)
	}
	for _, bad := range []string{`"2026-02-30"`, `"28/02/2026"`, `20260228`} {
		if err := json.Unmarshal([]byte(bad), &d); err == nil {
			t.Errorf("Unmarshal(%s) = nil error", bad)
		}
	}
}

func TestCertificationValidOn(t *testing.T) {
	tests := []struct {
		name string
		cert Certification
		day  Date
		want bool
	}{
		{"before expiry", Certification{"EPA-608", Date{2026, 10, 1}}, Date{2026, 9, 30}, true},
		{"on the expiry day", Certification{"EPA-608", Date{2026, 10, 1}}, Date{2026, 10, 1}, true},
		{"the day after", Certification{"EPA-608", Date{2026, 10, 1}}, Date{2026, 10, 2}, false},
		{"a year after", Certification{"EPA-608", Date{2025, 12, 31}}, Date{2026, 1, 1}, false},
		{"never expires", Certification{Name: "OSHA-10"}, Date{2099, 1, 1}, true},
	}
	for _, tt := range tests {
		if got := tt.cert.ValidOn(tt.day); got != tt.want {
			t.Errorf("%s: ValidOn(%v) = %v, want %v", tt.name, tt.day, got, tt.want)
		}
	}
}

func TestTechnicianCertificationPicksLongestValid(t *testing.T) {
	tech := Technician{Certifications: []Certification{
		{"EPA-608", Date{2025, 1, 1}}, {"EPA-608", Date{2027, 1, 1}}, {"NFPA-25", Date{2026, 1, 1}},
	}}
	if c, _ := tech.Certification("EPA-608"); c.Expires != (Date{2027, 1, 1}) {
		t.Errorf("Certification(EPA-608) = %v, want the 2027 one", c)
	}
	if _, ok := tech.Certification("OSHA-30"); ok {
		t.Error("Certification(OSHA-30) found one")
	}
}
