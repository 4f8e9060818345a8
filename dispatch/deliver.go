package dispatch

import (
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"time"

	"github.com/dispatchd/dispatchd/model"
	"github.com/dispatchd/dispatchd/store"
)

// Poster posts one delivery to its receiver and returns the receiver's
// status; package webhook's Client signs and posts over HTTP.
type Poster interface {
	Post(ctx context.Context, p Post) (status int, err error)
}

// Post is one attempt of a delivery.
type Post struct {
	URL, Secret string
	DeliveryID  string
	Type        model.EventType
	Attempt     int
	Body        []byte
}

// DeliveryObserver hears how each attempt ended ("delivered", "retry",
// "failed" once retrying ran out, "dropped" for a webhook deleted), how
// long it took, and how long after the delivery was made it ended, so
// that the service's edge can count them.
type DeliveryObserver interface {
	Attempted(outcome string, took, age time.Duration)
}

// WebhookOptions configure the delivery of webhooks. Zero values take the
// defaults documented on each field.
type WebhookOptions struct {
	// Poster posts deliveries; nil means this process delivers none.
	Poster Poster
	// Timeout bounds one attempt; zero means 10 s.
	Timeout time.Duration
	// Backoff is the wait before the first retry, doubling with each
	// failed attempt up to MaxBackoff, each wait drawn between half and
	// all of it (jitter, so that retries of many deliveries to a receiver
	// back up spread out); zero means 5 s and 10 min.
	Backoff    time.Duration
	MaxBackoff time.Duration
	// GiveUp is how long after its creation a delivery is retried; zero
	// means 24 h.
	GiveUp time.Duration
	// Workers bounds the attempts this process runs at once; zero means 8.
	Workers int
	// Observer hears of every attempt; nil hears nothing.
	Observer DeliveryObserver
}

// webhookGroup is the event log's consumer group that turns events into
// deliveries.
const webhookGroup = "webhooks"

// claimIdle is how long an event handed to a replica may stay
// unacknowledged before another replica takes it over.
const claimIdle = 30 * time.Second

// deliverer turns events into deliveries and posts the due ones.
type deliverer struct {
	s        *Service
	opts     WebhookOptions
	consumer string
	slots    chan struct{}
	wake     chan struct{}
}

func newDeliverer(s *Service, opts WebhookOptions) *deliverer {
	if opts.Timeout <= 0 {
		opts.Timeout = 10 * time.Second
	}
	if opts.Backoff <= 0 {
		opts.Backoff = 5 * time.Second
	}
	if opts.MaxBackoff <= 0 {
		opts.MaxBackoff = 10 * time.Minute
	}
	if opts.GiveUp <= 0 {
		opts.GiveUp = 24 * time.Hour
	}
	if opts.Workers <= 0 {
		opts.Workers = 8
	}
	host, _ := os.Hostname()
	var b [4]byte
	_, _ = crand.Read(b[:])
	return &deliverer{s: s, opts: opts, consumer: fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(b[:])),
		slots: make(chan struct{}, opts.Workers), wake: make(chan struct{}, 1)}
}

// start runs the two loops until the service shuts down.
func (d *deliverer) start() {
	d.s.wg.Go(d.fanOut)
	d.s.wg.Go(d.send)
}

// poke wakes the sender: deliveries were added.
func (d *deliverer) poke() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// fanOut claims events for the group and turns each into the deliveries
// its webhooks receive; an event is acknowledged once its deliveries are
// kept, so that a replica that dies between the two leaves it to another
// (which adds the same deliveries again: their ids make that a no-op).
func (d *deliverer) fanOut() {
	ctx, st, log := d.s.bg, d.s.store, d.s.log
	for ctx.Err() == nil {
		events, err := st.ClaimEvents(ctx, webhookGroup, d.consumer, 100, readBlock, claimIdle)
		if err == nil && len(events) > 0 {
			err = d.enqueue(ctx, events)
		}
		if err != nil {
			if ctx.Err() == nil {
				log.Warn("cannot turn events into webhook deliveries; retrying", "err", err)
			}
			sleep(ctx, time.Second)
		}
	}
}

func (d *deliverer) enqueue(ctx context.Context, events []model.Event) error {
	hooks, err := d.s.store.ListWebhooks(ctx)
	if err != nil {
		return err
	}
	now := time.Now()
	var ds []model.Delivery
	ids := make([]string, len(events))
	for i, e := range events {
		ids[i] = e.ID
		more, err := deliveriesOf(e, hooks, now, false)
		if err != nil {
			return err
		}
		ds = append(ds, more...)
	}
	if len(ds) > 0 {
		if _, err := d.s.store.AddDeliveries(ctx, ds...); err != nil {
			return err
		}
		d.poke()
	}
	return d.s.store.AckEvents(ctx, webhookGroup, ids...)
}

// sendTick is how often the sender looks for due deliveries when nothing
// woke it.
const sendTick = 250 * time.Millisecond

// send claims due deliveries, as many as it has free workers, and posts
// each in a worker of its own.
func (d *deliverer) send() {
	ctx := d.s.bg
	lease := d.opts.Timeout + 5*time.Second
	for ctx.Err() == nil {
		free := cap(d.slots) - len(d.slots)
		var due []model.Delivery
		if free > 0 {
			var err error
			due, err = d.s.store.ClaimDeliveries(ctx, time.Now(), lease, free)
			if err != nil && ctx.Err() == nil {
				d.s.log.Warn("cannot claim webhook deliveries; retrying", "err", err)
				sleep(ctx, time.Second)
				continue
			}
		}
		for _, dl := range due {
			d.slots <- struct{}{}
			d.s.wg.Go(func() {
				defer func() { <-d.slots; d.poke() }()
				d.attempt(dl)
			})
		}
		if len(due) == free && free > 0 {
			continue // there may be more due
		}
		t := time.NewTimer(sendTick)
		select {
		case <-ctx.Done():
		case <-d.wake:
		case <-t.C:
		}
		t.Stop()
	}
}

// attempt posts a claimed delivery once and keeps the outcome.
func (d *deliverer) attempt(dl model.Delivery) {
	bg := d.s.bg
	began := time.Now()
	outcome := "delivered"
	h, err := d.s.store.GetWebhook(bg, dl.WebhookID)
	if errors.Is(err, store.ErrNotFound) {
		d.observe("dropped", began, dl.CreatedAt)
		return // its deliveries went with it
	}
	status := 0
	if err == nil {
		ctx, cancel := context.WithTimeout(bg, d.opts.Timeout)
		status, err = d.opts.Poster.Post(ctx, Post{URL: h.URL, Secret: h.Secret, DeliveryID: dl.ID, Type: dl.EventType, Attempt: dl.Attempts, Body: dl.Body})
		cancel()
		if err == nil && (status < 200 || status > 299) {
			err = fmt.Errorf("the receiver answered %d", status)
		}
	}
	if bg.Err() != nil {
		return // shutting down: the claim runs out and a replica tries again
	}
	now := time.Now()
	dl.LastAttempt, dl.LastStatus = &now, status
	switch {
	case err == nil:
		dl.Status, dl.LastError, dl.DeliveredAt = model.DeliveryDelivered, "", &now
	case now.Sub(dl.CreatedAt) >= d.opts.GiveUp:
		dl.Status, dl.LastError, outcome = model.DeliveryFailed, err.Error(), "failed"
		d.s.log.Warn("webhook delivery given up", "delivery", dl.ID, "webhook", dl.WebhookID, "attempts", dl.Attempts, "err", err)
	default:
		dl.Status, dl.LastError, outcome = model.DeliveryPending, err.Error(), "retry"
		dl.NextAttempt = now.Add(d.backoff(dl.Attempts))
	}
	ctx, cancel := context.WithTimeout(bg, 5*time.Second)
	defer cancel()
	if _, err := d.s.store.SaveDelivery(ctx, dl); err != nil {
		d.s.log.Warn("cannot keep a webhook attempt's outcome; it will be attempted again", "delivery", dl.ID, "err", err)
	}
	if dl.Status == model.DeliveryPending {
		// Wake the sender when the retry is due, rather than at its next
		// look round.
		time.AfterFunc(time.Until(dl.NextAttempt), d.poke)
	}
	d.observe(outcome, began, dl.CreatedAt)
}

func (d *deliverer) observe(outcome string, began, created time.Time) {
	if o := d.opts.Observer; o != nil {
		o.Attempted(outcome, time.Since(began), time.Since(created))
	}
}

// backoff is the wait after a failed attempt: Backoff doubled per earlier
// failure, at most MaxBackoff, drawn between half and all of it.
func (d *deliverer) backoff(attempts int) time.Duration {
	wait := d.opts.Backoff
	for i := 1; i < attempts && wait < d.opts.MaxBackoff; i++ {
		wait *= 2
	}
	wait = min(wait, d.opts.MaxBackoff)
	return wait/2 + rand.N(wait/2+1)
}
