package model

import (
	"errors"
	"os"
	"strings"
	"testing"
)

func TestDecodeNamesEveryField(t *testing.T) {
	tests := []struct {
		name string
		body string
		want []string // "field: message substring", in order
	}{
		{"unknown field deep inside", `{"technicians":[],"work_orders":[{"id":"a","location":{"lat":1,"lng":2}},{"id":"b","locaton":{}}]}`,
			[]string{`work_orders[1].locaton: unknown field (did you mean "location"?)`}},
		{"names match exactly", `{"technicians":[{"ID":"T1","Skils":{}}],"work_orders":[]}`,
			[]string{`technicians[0].ID: unknown field (did you mean "id"?)`, `technicians[0].Skils: unknown field (did you mean "skills"?)`}},
		{"wrong type with index", `{"technicians":[],"work_orders":[{"id":"a"},{"id":"b","time_windows":[{"start":"x","end":"2026-11-23T10:00:00Z"}]}]}`,
			[]string{"work_orders[1].time_windows[0].start: want an RFC 3339 time"}},
		{"several at once", `{"technicians":[{"id":7,"skills":{"hvac":"3"},"certifications":[{"name":"EPA","expires":"1/2/2027"}]}],"work_orders":[{"id":"a","duration_s":12.5,"bogus":true}]}`,
			[]string{
				"technicians[0].certifications[0].expires: want a date YYYY-MM-DD",
				"technicians[0].id: want a string, got the number 7",
				`technicians[0].skills.hvac: want an integer, got "3"`,
				"work_orders[0].bogus: unknown field",
				"work_orders[0].duration_s: want an integer, got 12.5",
			}},
		{"unknown weight", `{"technicians":[],"work_orders":[],"weights":{"travel":1}}`,
			[]string{"weights.travel: unknown field"}},
		{"object for array", `{"technicians":{},"work_orders":[]}`,
			[]string{"technicians: want an array, got an object"}},
		{"number out of range", `{"technicians":[],"work_orders":[{"id":"a","demand":[1e999]}]}`,
			[]string{"work_orders[0].demand[0]: number out of range"}},
		{"trailing data", `{"technicians":[],"work_orders":[]} {}`, []string{"more data after the document"}},
		{"not an object", `[1,2]`, []string{": want an object, got an array"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var p Problem
			err := Decode([]byte(tt.body), &p)
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("Decode = %v, want a *ValidationError", err)
			}
			if len(ve.Errors) != len(tt.want) {
				t.Fatalf("got %d errors %v, want %d", len(ve.Errors), ve.Errors, len(tt.want))
			}
			for i, fe := range ve.Errors {
				got := fe.Field + ": " + fe.Message
				if !strings.Contains(got, tt.want[i]) && !strings.Contains(fe.String(), tt.want[i]) {
					t.Errorf("error %d = %q, want it to contain %q", i, got, tt.want[i])
				}
			}
		})
	}
}

// requestBody embeds Problem as the HTTP layer's request types do.
type requestBody struct {
	Problem
	TimeLimit int `json:"time_limit_s"`
}

func TestDecodeEmbeddedStruct(t *testing.T) {
	var r requestBody
	if err := Decode([]byte(`{"technicians":[],"work_orders":[],"time_limit_s":5}`), &r); err != nil || r.TimeLimit != 5 {
		t.Fatalf("Decode = %v, %+v", err, r)
	}
	err := Decode([]byte(`{"technicians":[],"work_orders":[],"time_limit":5}`), &r)
	if err == nil || !strings.Contains(err.Error(), `time_limit: unknown field (did you mean "time_limit_s"?)`) {
		t.Errorf("Decode = %v", err)
	}
}

func TestDecodeProblem(t *testing.T) {
	data, err := os.ReadFile("../testdata/api_example.json")
	if err != nil {
		t.Fatal(err)
	}
	p, err := DecodeProblem(data)
	if err != nil || len(p.WorkOrders) != 1 {
		t.Fatalf("DecodeProblem = %v, %v", p, err)
	}
	bad := strings.Replace(string(data), `"end": "2026-11-23T12:00:00-08:00"`, `"end": "2026-11-23T09:00:00-08:00"`, 1)
	if _, err := DecodeProblem([]byte(bad)); err == nil || !strings.Contains(err.Error(), "work_orders[0].time_windows[0].end: before start") {
		t.Errorf("DecodeProblem(inverted window) = %v", err)
	}
}

func TestEditDistance(t *testing.T) {
	for _, tt := range []struct {
		a, b string
		want int
	}{{"", "", 0}, {"abc", "abc", 0}, {"locaton", "location", 1}, {"kitten", "sitting", 3}, {"", "ab", 2}} {
		if got := editDistance(tt.a, tt.b); got != tt.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}

// TestQuotedValuesCutCleanly: every message that quotes a client's value
// cuts it as Quote does — to a readable length, never inside a UTF-8
// sequence (which would print as \x escapes).
func TestQuotedValuesCutCleanly(t *testing.T) {
	long := strings.Repeat("é", 60)
	for _, tc := range []struct{ name, got string }{
		{"Quote", Quote(long)},
		{"a bad time", describe(long)},
	} {
		if strings.Contains(tc.got, `\x`) || !strings.HasSuffix(tc.got, `"…`) || len(tc.got) > 50 {
			t.Errorf("%s quotes %d bytes of é as %s; want them cut whole, with …", tc.name, len(long), tc.got)
		}
	}
	if got := describe("x"); got != `"x"` {
		t.Errorf("describe(x) = %s", got)
	}
}
