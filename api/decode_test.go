package api

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/dispatchd/dispatchd/dispatch"
	"github.com/dispatchd/dispatchd/model"
)

// TestDecodeJSON holds the decoder to its rules: strict JSON (exact and
// unique names, valid UTF-8, nothing after the document), every bad field
// named, and lists bounded before anything is decoded.
func TestDecodeJSON(t *testing.T) {
	small := model.Limits{WorkOrders: 3, TimeWindows: 2, StopsPerRoute: 2, Stops: 3, Skills: 2, Locations: 2}
	tests := []struct {
		name, body string
		want       []string // "field: message" substrings, in order; none: accepted
	}{
		{"exact names", `{"technicians":[],"work_orders":[{"id":"a","location":{"lat":1,"lng":2}}]}`, nil},
		{"case-mismatched name", `{"technicians":[{"ID":"T1"}],"work_orders":[]}`, []string{`technicians[0].ID: unknown field (did you mean "id"?)`}},
		{"case-mismatched weight", `{"technicians":[],"work_orders":[],"weights":{"Lateness":1}}`, []string{"weights.Lateness: unknown field"}},
		{"duplicate name", `{"technicians":[],"work_orders":[{"id":"a","id":"b"}]}`, []string{`work_orders[0].id: invalid JSON at line 1, column 44: duplicate object member name`}},
		{"duplicate skill", `{"technicians":[{"id":"T","skills":{"hvac":1,"hvac":2}}],"work_orders":[]}`, []string{"technicians[0].skills.hvac: invalid JSON"}},
		{"invalid UTF-8", "{\"technicians\":[],\"work_orders\":[{\"id\":\"a\",\"notes\":\"\xff\"}]}", []string{"work_orders[0].notes: invalid JSON at line 1, column 53: invalid UTF-8"}},
		{"several at once", `{"technicians":[{"id":7,"skills":{"hvac":"3"},"certifications":[{"name":"EPA","expires":"1/2/2027"}]}],"work_orders":[{"id":"a","duration_s":12.5,"bogus":true}]}`,
			[]string{
				"technicians[0].certifications[0].expires: want a date YYYY-MM-DD",
				"technicians[0].id: want a string, got the number 7",
				`technicians[0].skills.hvac: want an integer, got "3"`,
				"work_orders[0].bogus: unknown field",
				"work_orders[0].duration_s: want an integer, got 12.5",
			}},
		{"syntax", "{\"technicians\": [\n  {\"id\": \"T1\",}\n]}", []string{"technicians[0]: invalid JSON at line 2, column 14: invalid character ','"}},
		{"truncated", `{"technicians": [`, []string{"the document ends early"}},
		{"trailing data", `{"technicians":[],"work_orders":[]} {}`, []string{"invalid JSON at line 1, column 37: more data after the document"}},
		{"too many work orders", `{"technicians":[],"work_orders":[{},{},{},{}]}`, []string{"work_orders: more than 3 work orders"}},
		{"too many windows", `{"technicians":[],"work_orders":[{"id":"a","time_windows":[{},{},{}]}]}`, []string{"work_orders[0].time_windows: more than 2 time windows"}},
		{"too many skills", `{"technicians":[{"id":"T","skills":{"a":1,"b":1,"c":1}}],"work_orders":[]}`, []string{"technicians[0].skills: more than 2 skills"}},
		{"too many matrix columns", `{"technicians":[],"work_orders":[],"travel":{"durations_s":[[0,1],[1,0,2]]}}`, []string{"travel.durations_s[1]: more than 2 locations"}},
		{"too many fields", `{"technicians":[],"work_orders":[],"x":{` + manyFields(70) + `}}`, []string{": more than 64 fields"}},
		{"escaped name is the same name", `{"technicians":[],"work_orders":[],"travel":{"durations\u005fs":[[0,1,2]]}}`, []string{"travel.durations_s[0]: more than 2 locations"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var req dispatch.PlanRequest
			err := DecodeJSON([]byte(tt.body), &req, small)
			checkFieldErrors(t, err, tt.want)
		})
	}
	t.Run("stops together", func(t *testing.T) {
		body := `{"work_order":{"id":"W"},"technicians":[],"routes":[{"stops":[{},{}]},{"stops":[{},{}]}]}`
		var req suggestRequest
		checkFieldErrors(t, DecodeJSON([]byte(body), &req, small), []string{"routes[1].stops: more than 3 stops in all lists of stops together"})
	})
}

// manyFields returns n members of distinct names, "f0":0,"f1":1,….
func manyFields(n int) string {
	parts := make([]string, n)
	for i := range parts {
		parts[i] = fmt.Sprintf(`"f%d":%d`, i, i)
	}
	return strings.Join(parts, ",")
}

func checkFieldErrors(t *testing.T, err error, want []string) {
	t.Helper()
	if len(want) == 0 {
		if err != nil {
			t.Fatalf("refused: %v", err)
		}
		return
	}
	var ve *model.ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("error %v, want a *model.ValidationError", err)
	}
	if len(ve.Errors) != len(want) {
		t.Fatalf("got %d errors %v, want %d", len(ve.Errors), ve.Errors, len(want))
	}
	for i, fe := range ve.Errors {
		if got := fe.Field + ": " + fe.Message; !strings.Contains(got, want[i]) {
			t.Errorf("error %d = %q, want it to contain %q", i, got, want[i])
		}
	}
}

// TestTypicalBodiesDecode: the example documents are accepted as they are.
func TestTypicalBodiesDecode(t *testing.T) {
	for _, tt := range []struct {
		file string
		v    any
	}{{"../testdata/api_example.json", &dispatch.PlanRequest{}}, {"testdata/suggest.json", &slotsRequest{}}} {
		data, err := os.ReadFile(tt.file)
		if err != nil {
			t.Fatal(err)
		}
		if err := DecodeJSON(data, tt.v, model.Limits{}); err != nil {
			t.Errorf("%s: refused: %v", tt.file, err)
		}
	}
}
