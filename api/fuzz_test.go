package api

import (
	"context"
	"encoding/json"
	"os"
	"reflect"
	"testing"
	"time"

	"github.com/dispatchd/dispatchd/auth"
	"github.com/dispatchd/dispatchd/dispatch"
	"github.com/dispatchd/dispatchd/model"
	"github.com/dispatchd/dispatchd/solver"
)

// FuzzDecodeRequests feeds arbitrary bytes to the decoding of every
// request body: it must never panic; whatever DecodeJSON accepts the
// standard library's decoding accepts with the same value (DecodeJSON is
// only stricter); whatever decodes and validates must encode and decode
// again to the same document; and a suggestion, slots or plan request that
// validates must be answerable with an answer that encodes — never a 200
// with an empty body.
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
	f.Add([]byte(`{"role":"technician","name":"van 7","technician_id":"T7","expires":"2027-06-30"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		stricter[dispatch.PlanRequest](t, data)
		stricter[model.Technician](t, data)
		stricter[locationBody](t, data)
		stricter[slotsRequest](t, data)
		stricter[auth.Request](t, data)
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		var plan dispatch.PlanRequest
		if DecodeJSON(data, &plan, model.Limits{}) == nil && plan.Problem.Validate() == nil {
			stable(t, &plan, func() any { return &dispatch.PlanRequest{} })
			if len(plan.WorkOrders) <= 20 && len(plan.Technicians) <= 10 {
				p, err := solver.Plan(ctx, &plan.Problem, solver.Options{Iterations: 5, Seed: 1})
				if err == nil {
					encodes(t, dispatch.PlanRecord{ID: "p", Status: dispatch.PlanDone, Plan: &p})
				}
			}
		}
		var tech model.Technician
		if DecodeJSON(data, &tech, model.Limits{}) == nil && tech.Validate() == nil {
			stable(t, &tech, func() any { return &model.Technician{} })
		}
		var req slotsRequest
		if DecodeJSON(data, &req, model.Limits{}) != nil || req.WorkOrder == nil || req.Technicians == nil {
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
		if out, err := solver.Suggest(ctx, st, *req.WorkOrder, solver.SuggestOptions{}); err == nil {
			encodes(t, out)
		}
		if out, err := solver.Slots(ctx, st, *req.WorkOrder, solver.SlotOptions{Days: 1}); err == nil {
			encodes(t, slotsBody{out})
		}
	})
}

// encodes fails the test if an answer cannot be encoded.
func encodes(t *testing.T, v any) {
	t.Helper()
	if data, err := json.Marshal(v); err != nil || len(data) == 0 {
		t.Fatalf("the answer %+v does not encode: %v", v, err)
	}
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
	if err := DecodeJSON(first, again, model.Limits{}); err != nil {
		t.Fatalf("decoding what was encoded (%s): %v", first, err)
	}
	second, _ := json.Marshal(again)
	if string(first) != string(second) {
		t.Fatalf("not stable:\n%s\n%s", first, second)
	}
}

// stricter checks DecodeJSON against model.Decode on one document: what
// DecodeJSON accepts, model.Decode accepts with the same value.
func stricter[T any](t *testing.T, data []byte) {
	t.Helper()
	var strict, lenient T
	if DecodeJSON(data, &strict, model.Limits{}) != nil {
		return
	}
	if err := model.Decode(data, &lenient); err != nil {
		t.Fatalf("%T from %q: DecodeJSON accepts it, model.Decode says %v", strict, data, err)
	}
	if !reflect.DeepEqual(strict, lenient) {
		t.Fatalf("%T from %q: DecodeJSON gives %+v, model.Decode %+v", strict, data, strict, lenient)
	}
}
