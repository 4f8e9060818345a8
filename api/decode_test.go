package api

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	jsonv2 "github.com/go-json-experiment/json"

	"github.com/dispatchd/dispatchd/model"
)

// TestDecodeJSONMatchesModelDecode holds the fast path to encoding/json's
// answers where the two engines differ by default, and on every committed
// fuzz seed.
func TestDecodeJSONMatchesModelDecode(t *testing.T) {
	tests := []struct {
		name, body string
		want       string // in the error; empty: accepted
	}{
		{"exact names", `{"lat":39.7,"lng":-104.9}`, ""},
		{"names ignoring case", `{"LAT":39.7,"Lng":-104.9}`, ""},
		{"duplicate name, last wins", `{"lat":1,"lat":39.7,"lng":-104.9}`, ""},
		{"invalid UTF-8 in a string", "{\"lat\":39.7,\"lng\":-104.9,\"status\":\"\xff\"}", ""},
		{"unknown field", `{"lat":39.7,"lng":-104.9,"speed":3}`, "speed: unknown field"},
		{"wrong type", `{"lat":"north","lng":-104.9}`, "lat: "},
		{"exponent into an integer", `{"work_order":{"id":"W","duration_s":1e3}}`, "work_order.duration_s"},
		{"trailing data", `{"lat":1,"lng":2} {}`, "more data after the document"},
		{"null for a value", `{"lat":null,"lng":-104.9}`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var loc locationBody
			var req suggestRequest
			var err error
			if strings.Contains(tt.body, "work_order") {
				err = decodeJSON([]byte(tt.body), &req)
				fastAgrees[suggestRequest](t, []byte(tt.body))
			} else {
				err = decodeJSON([]byte(tt.body), &loc)
				fastAgrees[locationBody](t, []byte(tt.body))
			}
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("error %v, want one containing %q", err, tt.want)
			}
		})
	}
	seeds, _ := filepath.Glob("testdata/fuzz/FuzzDecodeRequests/*")
	if len(seeds) == 0 {
		t.Fatal("no fuzz seeds")
	}
	for _, file := range append(seeds, "../testdata/api_example.json", "testdata/suggest.json") {
		raw, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		data := raw
		if strings.HasPrefix(string(raw), "go test fuzz v1") {
			data = []byte(seedBytes(t, string(raw)))
		}
		fastAgrees[planRequest](t, data)
		fastAgrees[model.Technician](t, data)
		fastAgrees[locationBody](t, data)
		fastAgrees[slotsRequest](t, data)
	}
}

// seedBytes reads the one []byte value of a corpus file in the format
// `go test -fuzz` writes.
func seedBytes(t *testing.T, file string) string {
	t.Helper()
	_, rest, _ := strings.Cut(file, "\n")
	rest = strings.TrimSpace(rest)
	quoted, ok := strings.CutPrefix(rest, "[]byte(")
	quoted, ok2 := strings.CutSuffix(quoted, ")")
	s, err := strconv.Unquote(quoted)
	if !ok || !ok2 || err != nil {
		t.Fatalf("corpus file %.60q: not one []byte value (%v)", file, err)
	}
	return s
}

// TestTypicalBodiesTakeTheFastPath guards the speed-up: the example
// documents decode without falling back to encoding/json.
func TestTypicalBodiesTakeTheFastPath(t *testing.T) {
	for _, tt := range []struct {
		file string
		v    any
	}{{"../testdata/api_example.json", &planRequest{}}, {"testdata/suggest.json", &slotsRequest{}}} {
		data, err := os.ReadFile(tt.file)
		if err != nil {
			t.Fatal(err)
		}
		if err := jsonv2.Unmarshal(data, tt.v, jsonv2.RejectUnknownMembers(true)); err != nil {
			t.Errorf("%s: the fast path refuses it: %v", tt.file, err)
		}
	}
}
