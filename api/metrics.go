package api

import (
	"context"
	"errors"
	"time"

	"github.com/dispatchd/dispatchd/dispatch"
	"github.com/dispatchd/dispatchd/model"
	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the service's own Prometheus metrics, registered in the
// registry the caller injects.
type metrics struct {
	requests          *prometheus.CounterVec
	latency           *prometheus.HistogramVec
	plansRunning      prometheus.Gauge
	plansFinished     *prometheus.CounterVec
	planDuration      prometheus.Histogram
	planObjective     prometheus.Gauge
	suggestLatency    prometheus.Histogram
	suggestCandidates prometheus.Histogram
	authFailures      *prometheus.CounterVec
	authLimited       prometheus.Counter
	authForbidden     *prometheus.CounterVec
	plansApplied      *prometheus.CounterVec
	planOrdersApplied *prometheus.CounterVec
	eventsPublished   *prometheus.CounterVec
	subscribersGone   *prometheus.CounterVec
	webhookAttempts   *prometheus.CounterVec
	webhookLatency    prometheus.Histogram
	webhookLag        prometheus.Histogram
}

// fastBuckets cover request and suggestion latencies, 0.25 ms to 10 s.
var fastBuckets = []float64{.00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}

func newMetrics(reg prometheus.Registerer, st Store) (*metrics, error) {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dispatchd_http_requests_total",
			Help: "HTTP requests served, by route pattern, method and status.",
		}, []string{"route", "method", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "dispatchd_http_request_duration_seconds",
			Help:    "Time to serve an HTTP request, by route pattern and method.",
			Buckets: fastBuckets,
		}, []string{"route", "method"}),
		plansRunning: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "dispatchd_plans_running",
			Help: "Plans running in this process.",
		}),
		plansFinished: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dispatchd_plans_finished_total",
			Help: "Plans that ended in this process, by status: done, cancelled, failed.",
		}, []string{"status"}),
		planDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "dispatchd_plan_duration_seconds",
			Help:    "Time a plan ran.",
			Buckets: []float64{.1, .5, 1, 2, 5, 10, 30, 60, 120, 300, 600},
		}),
		planObjective: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "dispatchd_plan_objective",
			Help: "Objective of the plan that ended last.",
		}),
		suggestLatency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "dispatchd_suggest_duration_seconds",
			Help:    "Time to rank technicians for a work order, in the solver.",
			Buckets: fastBuckets,
		}),
		suggestCandidates: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "dispatchd_suggest_candidates",
			Help:    "Candidates a suggestion returned.",
			Buckets: []float64{0, 1, 2, 3, 5, 10, 20},
		}),
		authFailures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dispatchd_auth_failures_total",
			Help: "Requests refused for their credentials, by reason: missing, malformed, unknown (never a key, or revoked), expired.",
		}, []string{"reason"}),
		authLimited: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "dispatchd_auth_limited_total",
			Help: "Requests with bad credentials answered 429: their address had used its budget of failed attempts.",
		}),
		authForbidden: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dispatchd_auth_forbidden_total",
			Help: "Requests with a valid key whose role may not call the route, by role.",
		}, []string{"role"}),
		plansApplied: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dispatchd_plans_applied_total",
			Help: "Plans applied (batch dispatch) by this process, by mode: whole or partial.",
		}, []string{"mode"}),
		planOrdersApplied: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dispatchd_plan_orders_total",
			Help: "Orders of plans applied by this process, by outcome: applied (dispatched) or skipped.",
		}, []string{"outcome"}),
		eventsPublished: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dispatchd_events_published_total",
			Help: "Events this process appended to the event log, by type.",
		}, []string{"type"}),
		subscribersGone: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dispatchd_event_subscribers_dropped_total",
			Help: "Live event subscribers this process dropped, by reason (slow: fell a whole buffer behind).",
		}, []string{"reason"}),
		webhookAttempts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dispatchd_webhook_attempts_total",
			Help: "Webhook delivery attempts this process made, by outcome: delivered, retry (failed, to be retried), failed (given up), dropped (webhook deleted).",
		}, []string{"outcome"}),
		webhookLatency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "dispatchd_webhook_attempt_duration_seconds",
			Help:    "Time of a webhook delivery attempt, the receiver's answer included.",
			Buckets: fastBuckets,
		}),
		webhookLag: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "dispatchd_webhook_delivery_lag_seconds",
			Help:    "Time from a webhook delivery's making (its event's fan-out) to its receiver's 2xx, retries included.",
			Buckets: []float64{.001, .005, .01, .05, .1, .5, 1, 5, 30, 60, 300, 1800, 3600, 21600, 86400},
		}),
	}
	for _, c := range []prometheus.Collector{m.requests, m.latency, m.plansRunning, m.plansFinished, m.planDuration,
		m.planObjective, m.suggestLatency, m.suggestCandidates, m.authFailures, m.authLimited, m.authForbidden,
		m.plansApplied, m.planOrdersApplied, m.eventsPublished, m.subscribersGone, m.webhookAttempts, m.webhookLatency,
		m.webhookLag, storeCollector{st}} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// watch registers the gauges read from the running service.
func (m *metrics) watch(reg prometheus.Registerer, svc *dispatch.Service) error {
	return reg.Register(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "dispatchd_event_subscribers",
		Help: "Live event subscribers (GET /v1/events) of this process.",
	}, func() float64 { return float64(svc.Subscribers()) }))
}

// eventObserver counts events published and subscribers dropped.
type eventObserver struct{ m *metrics }

// EventPublished counts an event by type.
func (o eventObserver) EventPublished(t model.EventType) {
	o.m.eventsPublished.WithLabelValues(string(t)).Inc()
}

// SubscriberDropped counts a subscriber dropped.
func (o eventObserver) SubscriberDropped(reason string) {
	o.m.subscribersGone.WithLabelValues(reason).Inc()
}

// deliveryObserver counts webhook attempts by outcome and times them.
type deliveryObserver struct{ m *metrics }

// Attempted counts and times one attempt, and a delivery's lag when it
// is delivered.
func (o deliveryObserver) Attempted(outcome string, took, age time.Duration) {
	o.m.webhookAttempts.WithLabelValues(outcome).Inc()
	o.m.webhookLatency.Observe(took.Seconds())
	if outcome == "delivered" {
		o.m.webhookLag.Observe(age.Seconds())
	}
}

// storeCollector reports the store's size when scraped.
type storeCollector struct{ st Store }

var storeSizeDesc = prometheus.NewDesc("dispatchd_store_records", "Records the state store holds, by kind.", []string{"kind"}, nil)

// Describe sends the collector's one description.
func (c storeCollector) Describe(ch chan<- *prometheus.Desc) { ch <- storeSizeDesc }

// Collect asks the store for its size; an unreachable store reports
// nothing rather than stale numbers.
func (c storeCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	st, err := c.st.Stats(ctx)
	if err != nil {
		return
	}
	for kind, n := range map[string]int{"technicians": st.Technicians, "work_orders": st.WorkOrders, "plans": st.Plans, "positions": st.Positions} {
		ch <- prometheus.MustNewConstMetric(storeSizeDesc, prometheus.GaugeValue, float64(n), kind)
	}
}

// RedisMetrics registers the Redis command metrics and returns the
// observer redisstore.Options.Observe takes: latency and errors by
// command.
func RedisMetrics(reg prometheus.Registerer) (func(command string, took time.Duration, err error), error) {
	latency := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "dispatchd_redis_command_duration_seconds",
		Help:    "Time of Redis commands and pipelines, by command.",
		Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .5, 1},
	}, []string{"command"})
	errs := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "dispatchd_redis_errors_total",
		Help: "Redis commands that failed (not counting a missing key or a caller that went away), by command.",
	}, []string{"command"})
	for _, c := range []prometheus.Collector{latency, errs} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return func(command string, took time.Duration, err error) {
		latency.WithLabelValues(command).Observe(took.Seconds())
		// A request abandoned by its client is not Redis failing.
		if err != nil && !errors.Is(err, context.Canceled) {
			errs.WithLabelValues(command).Inc()
		}
	}, nil
}

// planObserver counts the plans the dispatch service runs.
type planObserver struct{ m *metrics }

// PlanStarted counts a plan as running.
func (o planObserver) PlanStarted() { o.m.plansRunning.Inc() }

// PlanApplied counts a plan applied and the orders it dispatched.
func (o planObserver) PlanApplied(partial bool, applied, skipped int) {
	mode := "whole"
	if partial {
		mode = "partial"
	}
	o.m.plansApplied.WithLabelValues(mode).Inc()
	o.m.planOrdersApplied.WithLabelValues("applied").Add(float64(applied))
	o.m.planOrdersApplied.WithLabelValues("skipped").Add(float64(skipped))
}

// PlanEnded counts a plan by how it ended.
func (o planObserver) PlanEnded(status string, took time.Duration, objective float64, kept bool) {
	o.m.plansRunning.Dec()
	o.m.plansFinished.WithLabelValues(status).Inc()
	o.m.planDuration.Observe(took.Seconds())
	if kept {
		o.m.planObjective.Set(objective)
	}
}

// suggested counts a suggestion that began at began.
func (m *metrics) suggested(began time.Time, out model.Suggestions) {
	m.suggestLatency.Observe(time.Since(began).Seconds())
	m.suggestCandidates.Observe(float64(len(out.Candidates)))
}
