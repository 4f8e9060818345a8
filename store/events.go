package store

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/dispatchd/dispatchd/model"
)

// The event log is an ordered, bounded record of what happened (Change's
// Events, and PublishEvents for what is not a commit: positions, plans).
// Both stores keep it alike:
//
//   - The store gives each event its id when it appends it: "ms-seq", the
//     append's time in Unix milliseconds and a sequence within it, so ids
//     grow with every append (model.CompareEventIDs orders them) and every
//     reader, on every replica, sees one order.
//   - It keeps the newest EventRetention events. A reader that resumes
//     after an id whose successors were dropped is told so (EventBatch's
//     Missed) and goes on from the oldest kept.
//   - Consumer groups (ClaimEvents, AckEvents) hand each event to one
//     consumer of the group; an event claimed and not acknowledged within
//     the idle time goes to the next consumer that claims, so that what
//     one process took on and did not finish, another finishes.

// DefaultEventRetention is how many events a store keeps when its options
// name no other: about a busy day's worth of changes at a large depot.
const DefaultEventRetention = 10_000

// EventBatch is what a read of the event log returns.
type EventBatch struct {
	// Events are in the log's order, oldest first.
	Events []model.Event
	// Missed says that events after the id read after are no longer kept:
	// Events start at the oldest kept.
	Missed bool
}

// PlanKey is the revision key of a plan's application: applying a plan
// raises it (Change.Raise), so that a plan is applied once, whichever
// replica is asked.
func PlanKey(id string) string { return "plan:" + id }

// EncodeEvent is the form an event is kept in: JSON without its id, which
// the store gives it.
func EncodeEvent(e model.Event) ([]byte, error) {
	e.ID = ""
	data, err := json.Marshal(e)
	if err != nil {
		return nil, fmt.Errorf("store: encoding a %s event: %w", e.Type, err)
	}
	return data, nil
}

// DecodeEvent reads a kept event and gives it its id.
func DecodeEvent(id string, data []byte) (model.Event, error) {
	var e model.Event
	if err := json.Unmarshal(data, &e); err != nil {
		return model.Event{}, fmt.Errorf("store: decoding event %s: %w", id, err)
	}
	e.ID = id
	return e, nil
}

// CheckEventRead refuses a read a store cannot make: a malformed id to
// read after, or a limit below one.
func CheckEventRead(after string, limit int) error {
	if after != "" {
		if _, _, err := model.ParseEventID(after); err != nil {
			return fmt.Errorf("store: reading events: %w", err)
		}
	}
	if limit < 1 {
		return fmt.Errorf("store: reading events: limit %d, want at least 1", limit)
	}
	return nil
}

// DeliveryLogSize is how many deliveries a webhook's log keeps, besides
// those still pending: the newest.
const DeliveryLogSize = 1000

// CheckDelivery refuses a delivery a store must not keep: no id, no
// webhook, no body.
func CheckDelivery(d model.Delivery) error {
	switch {
	case d.ID == "":
		return fmt.Errorf("store: adding a delivery: no id")
	case d.WebhookID == "":
		return fmt.Errorf("store: adding delivery %s: no webhook", d.ID)
	case len(d.Body) == 0:
		return fmt.Errorf("store: adding delivery %s: no body", d.ID)
	}
	return nil
}

// DeliveryTime is a delivery's time as stores keep it for ordering: Unix
// milliseconds.
func DeliveryTime(t time.Time) int64 { return t.UnixMilli() }
