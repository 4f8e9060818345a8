package dispatch_test

import (
	"context"
	"fmt"

	"github.com/dispatchd/dispatchd/dispatch"
	"github.com/dispatchd/dispatchd/model"
	"github.com/dispatchd/dispatchd/store"
)

// An operator puts a policy that prices lateness four times higher, makes
// it the active one, and reads the history back; suggestions and plans
// that name no policy are priced by it from the next request on, on every
// replica sharing the store.
func ExampleService_ActivatePolicy() {
	ctx := context.Background()
	svc, err := dispatch.New(dispatch.Options{Store: store.NewMemory()})
	if err != nil {
		panic(err)
	}
	defer svc.Shutdown(ctx)
	ops := dispatch.Actor{KeyID: "K7", Name: "ops lead"}

	w := model.DefaultWeights()
	w.Lateness = 200
	if _, _, err := svc.PutPolicy(ctx, "sla-first", model.Policy{Description: "late costs four times more", Weights: w}, ops); err != nil {
		panic(err)
	}
	if _, err := svc.ActivatePolicy(ctx, "sla-first", ops); err != nil {
		panic(err)
	}
	// Refused, naming the field; nothing changes.
	w.TravelTime = -1
	_, _, err = svc.PutPolicy(ctx, "sla-first", model.Policy{Weights: w}, ops)
	fmt.Println(err)

	active, _ := svc.ActivePolicy(ctx)
	fmt.Println("active:", active.Name, active.Weights.Lateness)
	history, _ := svc.PolicyHistory(ctx, 0)
	for _, c := range history {
		fmt.Println(c.Seq, c.Action, c.Name, "by", c.By)
	}
	// Output:
	// model: invalid: weights.travel_time: negative
	// active: sla-first 200
	// 1 created sla-first by ops lead
	// 2 activated sla-first by ops lead
}
