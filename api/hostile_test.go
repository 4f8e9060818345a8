package api_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"runtime/metrics"
	"strings"
	"testing"

	"github.com/dispatchd/dispatchd/api"
	"github.com/dispatchd/dispatchd/store"
)

// hostileBody repeats elem (comma-separated) inside prefix…suffix until
// the body is about size bytes.
func hostileBody(prefix, elem, suffix string, size int) []byte {
	var b bytes.Buffer
	b.Grow(size + 64)
	b.WriteString(prefix)
	for i := 0; b.Len() < size-len(suffix)-len(elem)-1; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strings.ReplaceAll(elem, "#", fmt.Sprint(i)))
	}
	b.WriteString(suffix)
	return b.Bytes()
}

// allocated returns the bytes the process has allocated on the heap so
// far: a difference of two bounds the heap growth between them.
func allocated() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// TestHostileBodiesStayBounded posts 3.9 MB bodies (under the 4 MiB cap)
// of empty elements in every list a request has, through a real listener:
// each is refused naming the list, with a short answer, and serving it
// allocates less than 10 times the body (issue 10: 1.3 M {} work orders
// took the process from 274 MB to 1.6 GB).
func TestHostileBodiesStayBounded(t *testing.T) {
	ts := serveWith(t, api.Options{Store: store.NewMemory()})
	const size = 3_900_000
	day := `"technicians":[{"id":"T","start":{"lat":39.7,"lng":-105},"shift":{"start":"2026-11-23T08:00:00Z","end":"2026-11-23T17:00:00Z"}}]`
	tests := []struct {
		name, path string
		body       []byte
		field      string
	}{
		{"work orders", "/v1/plans", hostileBody(`{"technicians":[],"work_orders":[`, `{}`, `]}`, size), "work_orders"},
		{"technicians", "/v1/plans", hostileBody(`{"work_orders":[],"technicians":[`, `{}`, `]}`, size), "technicians"},
		{"positions", "/v1/suggest", hostileBody(`{"work_order":{"id":"W"},`+day+`,"positions":[`, `{}`, `]}`, size), "positions"},
		{"routes", "/v1/suggest", hostileBody(`{"work_order":{"id":"W"},`+day+`,"routes":[`, `{}`, `]}`, size), "routes"},
		{"stops", "/v1/suggest", hostileBody(`{"work_order":{"id":"W"},`+day+`,"routes":[{"technician_id":"T","stops":[`, `{}`, `]}]}`, size), "routes[0].stops"},
		{"stops of many routes", "/v1/suggest", hostileBody(`{"work_order":{"id":"W"},`+day+`,"routes":[`, `{"stops":[{},{},{},{},{},{},{},{},{},{}]}`, `]}`, size), "routes[2000].stops"},
		{"time windows", "/v1/plans", hostileBody(`{"technicians":[],"work_orders":[{"id":"W","time_windows":[`, `{}`, `]}]}`, size), "work_orders[0].time_windows"},
		{"breaks", "/v1/plans", hostileBody(`{"work_orders":[],"technicians":[{"id":"T","breaks":[`, `{}`, `]}]}`, size), "technicians[0].breaks"},
		{"skills", "/v1/plans", hostileBody(`{"work_orders":[],"technicians":[{"id":"T","skills":{`, `"s#":1`, `}}]}`, size), "technicians[0].skills"},
		{"tools", "/v1/plans", hostileBody(`{"work_orders":[],"technicians":[{"id":"T","tools":[`, `"x"`, `]}]}`, size), "technicians[0].tools"},
		{"matrix row", "/v1/plans", hostileBody(`{"work_orders":[],"technicians":[],"travel":{"durations_s":[[`, `0`, `]]}}`, size), "travel.durations_s[0]"},
		// Within every bound: 9,900 orders of 8 windows each decode, and
		// are refused by validation (no ids), errors capped. A {} becomes a
		// 48-byte window, so no count can keep this sparse body under 10×
		// its own size; it stays under 10× the body cap (see the check).
		{"orders of windows within bounds", "/v1/plans", hostileBody(`{"technicians":[],"work_orders":[`, `{"time_windows":[{},{},{},{},{},{},{},{}]}`, `]}`, 9_900*39), "work_orders[0].id"},
		{"unknown fields", "/v1/plans", hostileBody(`{"work_orders":[],"technicians":[],"x":{`, `"f#":1`, `}}`, size), "x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			runtime.GC()
			before := allocated()
			req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, ts.URL+tt.path, bytes.NewReader(tt.body))
			req.Header.Set("Content-Type", "application/json")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			data, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			grew := allocated() - before
			t.Logf("%d-byte body: %d, %d-byte answer, %.1f MB allocated (%.1f× the body)", len(tt.body), resp.StatusCode, len(data),
				float64(grew)/1e6, float64(grew)/float64(len(tt.body)))
			r := response{resp.StatusCode, resp.Header, string(data)}
			expectProblem(t, tt.name, r, http.StatusBadRequest, tt.field)
			if len(data) > 256<<10 { // 1,000 errors at most
				t.Errorf("the answer is %d bytes", len(data))
			}
			most := 10 * uint64(len(tt.body))
			if strings.Contains(tt.name, "within bounds") {
				most = 10 * api.DefaultMaxBodyBytes
			}
			if grew > most {
				t.Errorf("serving a %d-byte body allocated %d bytes, more than %d", len(tt.body), grew, most)
			}
		})
	}
}
