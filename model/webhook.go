package model

import (
	"encoding/json"
	"slices"
	"time"
)

// Webhook is a subscriber that dispatchd posts events to: a technician's
// phone gateway, a customer portal, a board in another system.
type Webhook struct {
	ID  string `json:"id"`
	URL string `json:"url"`
	// Types are the event types it receives; none means every type.
	Types []EventType `json:"types,omitempty"`
	// TechnicianID, when set, keeps only the events and notifications
	// that concern that technician.
	TechnicianID string `json:"technician_id,omitempty"`
	// Secret keys the HMAC-SHA256 signature of every delivery. It is
	// stored, never shown after creation.
	Secret string `json:"secret"`
	// After is the id of the last event appended before the webhook was
	// registered: it receives the events after it.
	After     string    `json:"after,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	CreatedBy string    `json:"created_by,omitempty"`
}

// Wants reports whether the webhook receives events of the type.
func (h *Webhook) Wants(t EventType) bool { return len(h.Types) == 0 || slices.Contains(h.Types, t) }

// DeliveryStatus is where a delivery stands.
type DeliveryStatus string

// The statuses of a delivery.
const (
	// DeliveryPending: not yet received; an attempt is due at NextAttempt.
	DeliveryPending DeliveryStatus = "pending"
	// DeliveryDelivered: the receiver answered 2xx.
	DeliveryDelivered DeliveryStatus = "delivered"
	// DeliveryFailed: every attempt failed until the retry time ran out.
	DeliveryFailed DeliveryStatus = "failed"
)

// Delivery is one event (or one technician's notification of it) on its
// way to one webhook, kept by the store until the receiver has it, so that
// it survives the replica delivering it.
type Delivery struct {
	// ID is unique per event, webhook and technician, so that an event
	// turned into deliveries twice (a replica died before saying it was
	// done) is delivered once more at most, not twice more.
	ID        string    `json:"id"`
	WebhookID string    `json:"webhook_id"`
	EventID   string    `json:"event_id,omitempty"`
	EventType EventType `json:"event_type"`
	// TechnicianID is the technician the notification is for, if any.
	TechnicianID string `json:"technician_id,omitempty"`
	// Body is exactly what is posted, every attempt alike.
	Body json.RawMessage `json:"body"`
	// Resent says the delivery was asked for by hand.
	Resent bool           `json:"resent,omitempty"`
	Status DeliveryStatus `json:"status"`
	// Attempts counts the attempts begun; the store raises it when a
	// replica claims the delivery.
	Attempts    int        `json:"attempts"`
	CreatedAt   time.Time  `json:"created_at"`
	NextAttempt time.Time  `json:"next_attempt,omitzero"`
	LastAttempt *time.Time `json:"last_attempt,omitempty"`
	// LastStatus is the receiver's HTTP status at the last attempt (0
	// when it could not be reached); LastError says what went wrong.
	LastStatus  int        `json:"last_status,omitempty"`
	LastError   string     `json:"last_error,omitempty"`
	DeliveredAt *time.Time `json:"delivered_at,omitempty"`
}
