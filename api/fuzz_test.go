package api

import (
	"context"
	"encoding/json"
	"os"
	"reflect"
	"testing"
	"time"

	"github.com/dispatchd/dispatchd/model"
	"github.com/dispatchd/dispatchd/solver"
)

// FuzzDecodeRequests feeds arbitrary bytes to the decoding of every
// request body: it must never panic; whatever decodes and validates must
// encode and decode again to the same document; and a suggestion request
// that validates must be answerable.
//
//	go test ./api -run '^$' -fuzz FuzzDecodeRequests -fuzztime 60s
func FuzzDecodeRequests(f *testing.F) {
	for _, file := range []string{"../testdata/api_example.json", "testdata/suggest.json"} {
		if data, err := os.ReadFile(file); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte(`{"technicians":[],"work_orders":[],"time_limit_s":1}`))
	f.Add([]byte(`{"lat":39.7,"lng":-104.9,"at":"2026-11-23T09:00:00-07:00"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		fastAgrees[planRequest](t, data)
		fastAgrees[model.Technician](t, data)
		fastAgrees[locationBody](t, data)
		fastAgrees[slotsRequest](t, data)
		var plan planRequest
		if decodeJSON(data, &plan) == nil && plan.Problem.Validate() == nil {
			stable(t, &plan, func() any { return &planRequest{} })
		}
		var tech model.Technician
		if decodeJSON(data, &tech) == nil && tech.Validate() == nil {
			stable(t, &tech, func() any { return &model.Technician{} })
		}
		var req slotsRequest
		if decodeJSON(data, &req) != nil || req.WorkOrder == nil || req.Technicians == nil {
			return
		}
		day, errs := req.day()
		if len(errs) > 0 || len(req.Technicians) > 50 {
			return
		}
		st, err := solver.NewState(day)
		if err != nil {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_, _ = solver.Suggest(ctx, st, *req.WorkOrder, solver.SuggestOptions{})
		_, _ = solver.Slots(ctx, st, *req.WorkOrder, solver.SlotOptions{Days: 1})
	})
}

// stable checks that encoding v and decoding the result gives v's
// encoding again.
func stable(t *testing.T, v any, fresh func() any) {
	t.Helper()
	first, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("encoding %+v: %v", v, err)
	}
	again := fresh()
	if err := model.Decode(first, again); err != nil {
		t.Fatalf("decoding what was encoded (%s): %v", first, err)
	}
	second, _ := json.Marshal(again)
	if string(first) != string(second) {
		t.Fatalf("not stable:\n%s\n%s", first, second)
	}
}

// fastAgrees checks decodeJSON against model.Decode on one document: both
// accept it with the same value, or both refuse it with the same errors.
func fastAgrees[T any](t *testing.T, data []byte) {
	t.Helper()
	var fast, slow T
	errFast, errSlow := decodeJSON(data, &fast), model.Decode(data, &slow)
	switch {
	case (errFast == nil) != (errSlow == nil):
		t.Fatalf("%T from %q: decodeJSON says %v, model.Decode says %v", fast, data, errFast, errSlow)
	case errFast != nil && errFast.Error() != errSlow.Error():
		t.Fatalf("%T from %q: decodeJSON says %v, model.Decode says %v", fast, data, errFast, errSlow)
	case errFast == nil && !reflect.DeepEqual(fast, slow):
		t.Fatalf("%T from %q: decodeJSON gives %+v, model.Decode %+v", fast, data, fast, slow)
	}
}
