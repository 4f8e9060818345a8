package dispatch

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"time"

	"github.com/dispatchd/dispatchd/model"
	"github.com/dispatchd/dispatchd/store"
)

// Webhooks are how notifications reach technicians' phones (through a
// gateway that registers one) and other systems. Deliveries are made from
// the event log, never from the request that made the change: a receiver
// that is down or slow costs a dispatcher nothing. One replica turns each
// event into deliveries (the log's consumer group "webhooks"), the store
// keeps every delivery until its receiver has it, and any replica with a
// Poster claims the due ones and posts them, retrying with exponential
// backoff and jitter until WebhookOptions.GiveUp. A replica that dies
// mid-attempt leaves its claim to run out, and another replica takes the
// delivery: delivery is at least once, and a receiver tells repeats apart
// by the delivery id.

// WebhookRequest registers a webhook.
type WebhookRequest struct {
	// URL is where deliveries are posted: http or https.
	URL string `json:"url"`
	// Types are the event types to receive; none means all.
	Types []model.EventType `json:"types,omitempty"`
	// TechnicianID keeps only what concerns one technician.
	TechnicianID string `json:"technician_id,omitempty"`
	// Secret keys the signature (16 to 256 characters); without one the
	// service makes one and shows it once.
	Secret string `json:"secret,omitempty"`
}

// WebhookView is a webhook as it is shown: never with its secret.
type WebhookView struct {
	ID           string            `json:"id"`
	URL          string            `json:"url"`
	Types        []model.EventType `json:"types"`
	TechnicianID string            `json:"technician_id,omitempty"`
	CreatedAt    time.Time         `json:"created_at"`
	CreatedBy    string            `json:"created_by,omitempty"`
}

// NewWebhook is a webhook just registered, with its secret: the only time
// the secret is shown.
type NewWebhook struct {
	WebhookView
	Secret string `json:"secret"`
}

func viewOf(h model.Webhook) WebhookView {
	types := h.Types
	if types == nil {
		types = []model.EventType{}
	}
	return WebhookView{ID: h.ID, URL: h.URL, Types: types, TechnicianID: h.TechnicianID, CreatedAt: h.CreatedAt, CreatedBy: h.CreatedBy}
}

// WebhookBody is what a delivery posts: the event, and the notification
// it carries for one technician when it carries any (one delivery per
// technician told).
type WebhookBody struct {
	// DeliveryID is the same on every attempt of one delivery: a receiver
	// that saw it already has it.
	DeliveryID   string              `json:"delivery_id"`
	WebhookID    string              `json:"webhook_id"`
	Event        model.Event         `json:"event"`
	Notification *model.Notification `json:"notification,omitempty"`
	// Resent says a dispatcher asked for it again by hand.
	Resent bool `json:"resent,omitempty"`
}

// Limits of a webhook's registration.
const (
	MinSecret = 16
	MaxSecret = 256
	MaxURL    = 2048
)

// RegisterWebhook registers a webhook and returns it with its secret. It
// receives the events appended from now on.
func (s *Service) RegisterWebhook(ctx context.Context, req WebhookRequest, by Actor) (NewWebhook, error) {
	var errs []model.FieldError
	u, err := url.Parse(req.URL)
	switch {
	case req.URL == "":
		errs = append(errs, model.FieldError{Field: "url", Message: "missing"})
	case len(req.URL) > MaxURL:
		errs = append(errs, model.FieldError{Field: "url", Message: fmt.Sprintf("longer than %d characters", MaxURL)})
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		errs = append(errs, model.FieldError{Field: "url", Message: "want an absolute http or https URL"})
	}
	var types []model.EventType
	for i, t := range req.Types {
		switch {
		case model.EventTypeProblem(t) != "":
			errs = append(errs, model.FieldError{Field: fmt.Sprintf("types[%d]", i), Message: model.EventTypeProblem(t)})
		case !slices.Contains(types, t):
			types = append(types, t)
		}
	}
	if p := model.IDProblem(req.TechnicianID); req.TechnicianID != "" && p != "" {
		errs = append(errs, model.FieldError{Field: "technician_id", Message: p})
	}
	secret := req.Secret
	switch {
	case secret == "":
		var b [32]byte
		_, _ = rand.Read(b[:])
		secret = hex.EncodeToString(b[:])
	case len(secret) < MinSecret || len(secret) > MaxSecret:
		errs = append(errs, model.FieldError{Field: "secret", Message: fmt.Sprintf("want %d to %d characters", MinSecret, MaxSecret)})
	}
	if len(errs) > 0 {
		return NewWebhook{}, &model.ValidationError{Errors: errs}
	}
	n, err := s.store.NextID(ctx, "webhook")
	if err != nil {
		return NewWebhook{}, fmt.Errorf("dispatch: numbering a webhook: %w", err)
	}
	after, err := s.store.LastEventID(ctx)
	if err != nil {
		return NewWebhook{}, fmt.Errorf("dispatch: registering a webhook: %w", err)
	}
	h := model.Webhook{ID: fmt.Sprintf("WH-%d", n), URL: req.URL, Types: types, TechnicianID: req.TechnicianID,
		Secret: secret, After: after, CreatedAt: s.now(), CreatedBy: by.Name}
	if err := s.store.PutWebhook(ctx, h); err != nil {
		return NewWebhook{}, fmt.Errorf("dispatch: registering webhook %s: %w", h.ID, err)
	}
	return NewWebhook{WebhookView: viewOf(h), Secret: secret}, nil
}

// Webhooks lists the webhooks, sorted by id.
func (s *Service) Webhooks(ctx context.Context) ([]WebhookView, error) {
	hooks, err := s.store.ListWebhooks(ctx)
	if err != nil {
		return nil, fmt.Errorf("dispatch: listing webhooks: %w", err)
	}
	out := make([]WebhookView, len(hooks))
	for i, h := range hooks {
		out[i] = viewOf(h)
	}
	return out, nil
}

// Webhook returns a webhook.
func (s *Service) Webhook(ctx context.Context, id string) (WebhookView, error) {
	h, err := s.store.GetWebhook(ctx, id)
	if err != nil {
		return WebhookView{}, fmt.Errorf("dispatch: reading webhook %s: %w", id, err)
	}
	return viewOf(h), nil
}

// DeleteWebhook removes a webhook and its deliveries, pending or not.
func (s *Service) DeleteWebhook(ctx context.Context, id string) error {
	if err := s.store.DeleteWebhook(ctx, id); err != nil {
		return fmt.Errorf("dispatch: deleting webhook %s: %w", id, err)
	}
	return nil
}

// DeliveryView is a delivery in a webhook's log.
type DeliveryView struct {
	ID           string               `json:"id"`
	EventID      string               `json:"event_id,omitempty"`
	EventType    model.EventType      `json:"event_type"`
	TechnicianID string               `json:"technician_id,omitempty"`
	Resent       bool                 `json:"resent,omitempty"`
	Status       model.DeliveryStatus `json:"status"`
	Attempts     int                  `json:"attempts"`
	CreatedAt    time.Time            `json:"created_at"`
	NextAttempt  *time.Time           `json:"next_attempt,omitempty"`
	LastAttempt  *time.Time           `json:"last_attempt,omitempty"`
	LastStatus   int                  `json:"last_status,omitempty"`
	LastError    string               `json:"last_error,omitempty"`
	DeliveredAt  *time.Time           `json:"delivered_at,omitempty"`
}

// DeliveryLog is the newest deliveries of a webhook, newest first.
type DeliveryLog struct {
	WebhookID  string         `json:"webhook_id"`
	Deliveries []DeliveryView `json:"deliveries"`
}

// Deliveries returns a webhook's newest deliveries (at most limit; zero
// means store.DeliveryLogSize), newest first.
func (s *Service) Deliveries(ctx context.Context, id string, limit int) (DeliveryLog, error) {
	if limit < 0 || limit > store.DeliveryLogSize {
		return DeliveryLog{}, invalid("limit", "want 1 to %d", store.DeliveryLogSize)
	}
	if limit == 0 {
		limit = store.DeliveryLogSize
	}
	if _, err := s.store.GetWebhook(ctx, id); err != nil {
		return DeliveryLog{}, fmt.Errorf("dispatch: reading webhook %s: %w", id, err)
	}
	ds, err := s.store.Deliveries(ctx, id, limit)
	if err != nil {
		return DeliveryLog{}, fmt.Errorf("dispatch: reading the deliveries of %s: %w", id, err)
	}
	out := DeliveryLog{WebhookID: id, Deliveries: make([]DeliveryView, len(ds))}
	for i, d := range ds {
		v := DeliveryView{ID: d.ID, EventID: d.EventID, EventType: d.EventType, TechnicianID: d.TechnicianID, Resent: d.Resent,
			Status: d.Status, Attempts: d.Attempts, CreatedAt: d.CreatedAt, LastAttempt: d.LastAttempt, LastStatus: d.LastStatus,
			LastError: d.LastError, DeliveredAt: d.DeliveredAt}
		if d.Status == model.DeliveryPending {
			next := d.NextAttempt
			v.NextAttempt = &next
		}
		out.Deliveries[i] = v
	}
	return out, nil
}

// deliveriesOf turns an event into the deliveries its webhooks receive:
// each webhook registered before it that wants its type gets one per
// notification (for its technician, if it names one), or one when the
// event tells nobody anything (if it concerns the webhook's technician).
func deliveriesOf(e model.Event, hooks []model.Webhook, now time.Time, resent bool) ([]model.Delivery, error) {
	var out []model.Delivery
	for _, h := range hooks {
		if !h.Wants(e.Type) || (e.ID != "" && model.CompareEventIDs(e.ID, h.After) <= 0) {
			continue
		}
		deliver := func(id string, n *model.Notification) error {
			if resent {
				var b [6]byte
				_, _ = rand.Read(b[:])
				id = "resend-" + hex.EncodeToString(b[:]) + id
			}
			body, err := json.Marshal(WebhookBody{DeliveryID: id, WebhookID: h.ID, Event: e, Notification: n, Resent: resent})
			if err != nil {
				return fmt.Errorf("dispatch: encoding a delivery of %s to %s: %w", e.Type, h.ID, err)
			}
			d := model.Delivery{ID: id, WebhookID: h.ID, EventID: e.ID, EventType: e.Type, Body: body, Resent: resent,
				Status: model.DeliveryPending, CreatedAt: now, NextAttempt: now}
			if n != nil {
				d.TechnicianID = n.TechnicianID
			}
			out = append(out, d)
			return nil
		}
		base := e.ID + ":" + h.ID
		if len(e.Notifications) == 0 {
			if h.TechnicianID == "" || e.Concerns(h.TechnicianID) {
				if err := deliver(base, nil); err != nil {
					return nil, err
				}
			}
			continue
		}
		for i := range e.Notifications {
			n := e.Notifications[i]
			if h.TechnicianID != "" && n.TechnicianID != h.TechnicianID {
				continue
			}
			if err := deliver(base+":"+n.TechnicianID, &n); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// NotifyResult is what a resend queued.
type NotifyResult struct {
	WorkOrderID   string               `json:"work_order_id"`
	EventType     model.EventType      `json:"event_type"`
	Notifications []model.Notification `json:"notifications"`
	// Queued counts the deliveries queued: one per webhook and technician.
	Queued int `json:"queued"`
}

// Notify sends an order's last notification again, by hand (a technician
// whose phone was off): the latest change of its history that told its
// technicians something, to every webhook that receives its type. An
// order whose changes never told anyone anything is a conflict.
func (s *Service) Notify(ctx context.Context, id string, by Actor) (NotifyResult, error) {
	w, err := s.WorkOrder(ctx, id, by)
	if err != nil {
		return NotifyResult{}, err
	}
	history, err := s.store.History(ctx, id)
	if err != nil {
		return NotifyResult{}, fmt.Errorf("dispatch: reading the history of %s: %w", id, err)
	}
	names := s.namer(ctx)
	var last *model.Event
	for i := len(history) - 1; i >= 0 && last == nil; i-- {
		if e := eventOf(history[i], &w, names); len(e.Notifications) > 0 {
			last = &e
		}
	}
	if last == nil {
		return NotifyResult{}, fmt.Errorf("dispatch: work order %s has told no technician anything yet: nothing to resend: %w", id, model.ErrConflict)
	}
	hooks, err := s.store.ListWebhooks(ctx)
	if err != nil {
		return NotifyResult{}, fmt.Errorf("dispatch: listing webhooks: %w", err)
	}
	// The wall clock, as the deliverer's: a resend is retried and given
	// up by the same timeline as an automatic delivery (Options.Clock).
	ds, err := deliveriesOf(*last, hooks, time.Now(), true)
	if err != nil {
		return NotifyResult{}, err
	}
	n, err := s.store.AddDeliveries(ctx, ds...)
	if err != nil {
		return NotifyResult{}, fmt.Errorf("dispatch: queueing the notification of %s: %w", id, err)
	}
	s.log.Info("notification resent by hand", "work_order", id, "by", by.Name, "deliveries", n)
	if s.hooks != nil {
		s.hooks.poke()
	}
	return NotifyResult{WorkOrderID: id, EventType: last.Type, Notifications: last.Notifications, Queued: n}, nil
}
