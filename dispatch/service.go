package dispatch

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/dispatchd/dispatchd/auth"
	"github.com/dispatchd/dispatchd/geo"
	"github.com/dispatchd/dispatchd/model"
	"github.com/dispatchd/dispatchd/store"
)

// Store is the state the workflow keeps; store.Memory and
// redisstore.Store are two.
type Store interface {
	PutTechnician(ctx context.Context, t model.Technician) (created bool, err error)
	GetTechnician(ctx context.Context, id string) (model.Technician, error)
	ListTechnicians(ctx context.Context) ([]model.Technician, error)
	DeleteTechnician(ctx context.Context, id string, guards ...store.Guard) error

	UpdatePosition(ctx context.Context, p model.Position, status string) (applied bool, err error)
	Live(ctx context.Context, ids ...string) (map[string]store.Live, error)
	Near(ctx context.Context, loc model.Location, meters float64) ([]string, error)

	GetWorkOrder(ctx context.Context, id string) (model.WorkOrder, error)
	ListWorkOrders(ctx context.Context) ([]model.WorkOrder, error)
	Route(ctx context.Context, technicianID string, day model.Date) ([]model.WorkOrder, error)
	DayOrders(ctx context.Context, day model.Date) ([]model.WorkOrder, error)
	OrdersAtSite(ctx context.Context, siteID string) ([]model.WorkOrder, error)
	History(ctx context.Context, id string) ([]model.HistoryEntry, error)
	Revisions(ctx context.Context, keys ...string) ([]int64, error)
	Commit(ctx context.Context, c store.Change) error
	NextID(ctx context.Context, sequence string) (int64, error)

	PutPlan(ctx context.Context, id string, record []byte, ttl time.Duration) error
	GetPlan(ctx context.Context, id string) ([]byte, error)
	RequestCancel(ctx context.Context, id string) error
	CancelRequests(ctx context.Context) (<-chan string, error)

	PolicyBook(ctx context.Context) (store.PolicyBook, error)
	PolicyHistory(ctx context.Context, limit int) ([]model.PolicyChange, error)

	auth.Store
	PublishEvents(ctx context.Context, events ...model.Event) error
	ReadEvents(ctx context.Context, after string, limit int, block time.Duration) (store.EventBatch, error)
	LastEventID(ctx context.Context) (string, error)
	ClaimEvents(ctx context.Context, group, consumer string, limit int, block, idle time.Duration) ([]model.Event, error)
	AckEvents(ctx context.Context, group string, ids ...string) error

	PutWebhook(ctx context.Context, h model.Webhook) error
	GetWebhook(ctx context.Context, id string) (model.Webhook, error)
	ListWebhooks(ctx context.Context) ([]model.Webhook, error)
	DeleteWebhook(ctx context.Context, id string) error
	AddDeliveries(ctx context.Context, ds ...model.Delivery) (int, error)
	ClaimDeliveries(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]model.Delivery, error)
	SaveDelivery(ctx context.Context, d model.Delivery) (bool, error)
	Deliveries(ctx context.Context, webhookID string, limit int) ([]model.Delivery, error)
}

// Options configure a Service. Zero values take the defaults documented on
// each field.
type Options struct {
	// Store is required.
	Store Store
	// Clock tells the time: the now of suggestions and checks, and the
	// time of every history entry and event. Nil means time.Now; tests
	// fix it. What measures real waits keeps the wall clock: webhook
	// deliveries (their creation, backoff, leases and give-up time, for
	// automatic and resent ones alike), plan runs' records and their
	// liveness. A clock fixed in the past would otherwise make every
	// delivery look older than its give-up time.
	Clock func() time.Time
	// Travel is the travel model of the stored day; nil means haversine
	// with geo's defaults.
	Travel *model.Travel
	// Logger receives what goes wrong in the background; nil means
	// slog.Default().
	Logger *slog.Logger
	// MaxClockSkew is how far ahead of the Clock a reported time (a
	// position, an on-site time) may be; zero means DefaultMaxClockSkew. A
	// device whose clock runs ahead would otherwise pin its technician:
	// no true, older fix could replace the one from the future.
	MaxClockSkew time.Duration
	// Plans configures the plan runner.
	Plans PlanOptions
	// BootstrapKey, when not empty, is a token that is an admin key
	// without being stored (DISPATCHD_BOOTSTRAP_KEY).
	BootstrapKey string
	// KeyCacheTTL is how long a key read from the store is trusted: a key
	// revoked on another replica fails here within it. Zero means
	// auth.DefaultCacheTTL.
	KeyCacheTTL time.Duration
	// LocationEvery is how often at most a technician's position is
	// published as an event, per replica; zero means
	// DefaultLocationEvery.
	LocationEvery time.Duration
	// Events hears of events published and subscribers dropped; nil
	// hears nothing.
	Events EventObserver
	// Webhooks configures the delivery of webhooks; without a Poster
	// this process delivers none (another replica may).
	Webhooks WebhookOptions
}

// DefaultMaxClockSkew is how far ahead of the service's clock a reported
// time may be when Options names no limit.
const DefaultMaxClockSkew = 5 * time.Minute

// Service is the dispatch workflow: technicians, work orders from intake
// to close-out, suggestions and schedules against the stored day, and the
// plans that run in the background. Every change takes its actor as a
// parameter and is atomic against every other, on one process or on many
// sharing one store. It is safe for concurrent use.
type Service struct {
	store  Store
	clock  func() time.Time
	travel geo.Travel
	model  *model.Travel
	log    *slog.Logger
	skew   time.Duration
	days   *dayCache
	book   policyCache
	plans  *planRunner
	keys   *auth.Keyring

	events    EventObserver
	locations *throttle
	hub       hub
	hooks     *deliverer
	// bg ends at shutdown: the background loops (the event reader, the
	// webhook deliverer) run under it, and wg waits for them.
	bg   context.Context
	stop context.CancelFunc
	wg   sync.WaitGroup
}

// New returns a service, or an error if its options are invalid. Call
// Shutdown to stop the plans it runs.
func New(opts Options) (*Service, error) {
	if opts.Store == nil {
		return nil, errors.New("dispatch: New: Options.Store is nil")
	}
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.MaxClockSkew == 0 {
		opts.MaxClockSkew = DefaultMaxClockSkew
	}
	travel, err := geo.New(opts.Travel)
	if err != nil {
		return nil, fmt.Errorf("dispatch: New: Options.Travel: %w", err)
	}
	keys, err := auth.NewKeyring(auth.Options{Store: opts.Store, Clock: opts.Clock, Bootstrap: opts.BootstrapKey, CacheTTL: opts.KeyCacheTTL})
	if err != nil {
		return nil, fmt.Errorf("dispatch: New: %w", err)
	}
	if opts.LocationEvery <= 0 {
		opts.LocationEvery = DefaultLocationEvery
	}
	s := &Service{store: opts.Store, clock: opts.Clock, travel: travel, model: opts.Travel, log: opts.Logger,
		skew: opts.MaxClockSkew, days: newDayCache(), keys: keys, events: opts.Events,
		locations: &throttle{every: opts.LocationEvery, last: map[string]time.Time{}}}
	s.hub.s = s
	s.bg, s.stop = context.WithCancel(context.Background())
	s.plans = newPlanRunner(s, opts.Plans)
	if opts.Webhooks.Poster != nil {
		s.hooks = newDeliverer(s, opts.Webhooks)
		s.hooks.start()
	}
	return s, nil
}

// Shutdown stops taking plans, lets the running ones finish until ctx is
// done, then cancels them; each stores the best plan it found. Then it
// stops the event reader and the webhook deliverer: a delivery cut short
// is retried by whichever replica claims it next.
func (s *Service) Shutdown(ctx context.Context) error {
	err := s.plans.shutdown(ctx)
	s.stop()
	s.wg.Wait()
	return err
}

// now is the service's clock, to the millisecond (what stores keep).
func (s *Service) now() time.Time { return s.clock().Truncate(time.Millisecond) }

// maxAttempts bounds how often a change is decided again after a
// concurrent write moved what it depended on. Each lost race means
// another writer won, so this many means the record is being hammered.
const maxAttempts = 200

// retry runs a read-decide-commit step until its commit holds: a step
// returns the change it decided on (with the guards of what it read), or
// an error that ends the attempt (a conflict found, an invalid request).
// The change is committed with its events (eventsOf): the one place where
// the workflow's changes are published.
// A commit that finds its guards moved is decided again from a fresh
// read, after a short random pause so that racing writers spread out.
func (s *Service) retry(ctx context.Context, doing string, step func() (store.Change, error)) error {
	for attempt := 1; ; attempt++ {
		c, err := step()
		if err != nil {
			return err
		}
		c.Events = s.eventsOf(ctx, c)
		err = s.store.Commit(ctx, c)
		if !errors.Is(err, store.ErrStale) {
			if err != nil {
				return fmt.Errorf("dispatch: %s: %w", doing, err)
			}
			s.published(c.Events)
			return nil
		}
		if attempt == maxAttempts {
			return fmt.Errorf("dispatch: %s: still changing after %d attempts, try again: %w", doing, attempt, err)
		}
		pause := time.Duration(rand.Int64N(int64(min(attempt, 20)) * int64(time.Millisecond)))
		select {
		case <-ctx.Done():
			return fmt.Errorf("dispatch: %s: %w", doing, ctx.Err())
		case <-time.After(pause):
		}
	}
}

// invalid returns a validation error of one field.
func invalid(field, format string, args ...any) error {
	return &model.ValidationError{Errors: []model.FieldError{{Field: field, Message: fmt.Sprintf(format, args...)}}}
}
