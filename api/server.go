package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/dispatchd/dispatchd/auth"
	"github.com/dispatchd/dispatchd/dispatch"
	"github.com/dispatchd/dispatchd/model"
	"github.com/dispatchd/dispatchd/store"
	"github.com/dispatchd/dispatchd/webhook"
	"github.com/go-chi/chi/v5"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Store is all the state the service keeps: what the dispatch workflow
// needs, and what /readyz and the metrics read. store.Memory and
// redisstore.Store are two.
type Store interface {
	dispatch.Store
	Ping(ctx context.Context) error
	Stats(ctx context.Context) (store.Stats, error)
}

// Registry is where the service's metrics are registered and gathered from;
// a *prometheus.Registry is one.
type Registry interface {
	prometheus.Registerer
	prometheus.Gatherer
}

// Options configure a Server. Zero values take the defaults documented on
// each field.
type Options struct {
	// Store is required.
	Store Store
	// Registry receives the service's metrics and backs /metrics; nil means
	// a new registry with the Go runtime and process collectors.
	Registry Registry
	// Logger receives one line per request; nil means slog.Default().
	Logger *slog.Logger
	// ReadyTimeout bounds the store ping of /readyz; zero means 2 s.
	ReadyTimeout time.Duration
	// MaxBodyBytes caps request bodies; zero means DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// Limits bound the lists of a request body (model.Limits); zero
	// fields take model.DefaultLimits.
	Limits model.Limits
	// RequestTimeout bounds every request but a plan waited for, from its
	// arrival to its answer, reading the body included; zero means 30 s.
	RequestTimeout time.Duration
	// WriteTimeout is how long a client has to read an answer once it is
	// ready (after RequestTimeout, or after a plan waited for ends); a
	// slower reader is cut off. Zero means 30 s.
	WriteTimeout time.Duration
	// MaxPlans bounds the plans this process runs at once; a plan beyond
	// it is refused with 429. Zero means dispatch.DefaultMaxRunning: one
	// per core but one, so that plans never take every core from requests.
	MaxPlans int
	// PlanThreads is how many threads each plan searches on; zero means
	// one. MaxPlans × PlanThreads is the cores plans may keep busy.
	PlanThreads int
	// DefaultPlanTime is a plan's time limit when its request names none;
	// zero means 30 s. MaxPlanTime caps what a request may ask; zero means
	// 10 min.
	DefaultPlanTime time.Duration
	MaxPlanTime     time.Duration
	// PlanTTL is how long finished plans are kept; zero means
	// store.DefaultPlanTTL.
	PlanTTL time.Duration
	// Travel is the travel model for schedules read from the store; nil
	// means haversine with geo's defaults.
	Travel *model.Travel
	// Clock tells the time: the now of suggestions against the store, and
	// what a position's timestamp may not run ahead of. Nil means
	// time.Now; tests fix it.
	Clock func() time.Time
	// MaxClockSkew is how far ahead of the Clock a reported time (a
	// position, an on-site time) may be; zero means
	// dispatch.DefaultMaxClockSkew.
	MaxClockSkew time.Duration
	// PlansPerKey bounds the plans one key runs at once on this process;
	// zero means dispatch.DefaultPlansPerKey.
	PlansPerKey int
	// BootstrapKey, when not empty, is a token that is an admin key
	// without being stored (DISPATCHD_BOOTSTRAP_KEY).
	BootstrapKey string
	// KeyCacheTTL is how long a key read from the store is trusted (a key
	// revoked on another replica fails here within it); zero means
	// auth.DefaultCacheTTL.
	KeyCacheTTL time.Duration
	// MetricsAuth guards /metrics with a key (any role that reads);
	// otherwise it is open, like /healthz and /readyz.
	MetricsAuth bool
	// FailureBurst and FailureRate budget failed authentications per
	// client address: FailureBurst at once, refilled at FailureRate per
	// second; past it they are answered 429. Zero means
	// DefaultFailureBurst and DefaultFailureRate.
	FailureBurst int
	FailureRate  float64
	// EventKeepAlive is how often an idle event stream gets a keep-alive
	// comment; zero means DefaultKeepAlive. EventBuffer bounds how far a
	// live subscriber may fall behind before it is dropped; zero means
	// dispatch.DefaultSubscriberBuffer.
	EventKeepAlive time.Duration
	EventBuffer    int
	// LocationEvery is how often at most a technician's position is
	// published as an event; zero means dispatch.DefaultLocationEvery.
	LocationEvery time.Duration
	// Webhooks configure the delivery of webhooks; a nil Poster means
	// webhook.NewClient(), and the Observer is the server's metrics.
	Webhooks dispatch.WebhookOptions
}

// The budget of failed authentications per client address when Options
// names none: twenty at once, then one every three seconds — enough for a
// person mistyping and a device retrying a revoked key with backoff.
const (
	DefaultFailureBurst = 20
	DefaultFailureRate  = 1.0 / 3
)

// Server is dispatchd's HTTP handler: it decodes, calls the dispatch
// service (or the solver, for stateless routes), and encodes.
type Server struct {
	router  chi.Router
	store   Store
	svc     *dispatch.Service
	log     *slog.Logger
	metrics *metrics
	limiter *failureLimiter
	opts    Options
	routes  []route
	// patterns are the routes' patterns: the only route labels of the
	// metrics.
	patterns map[string]bool
	// openapi is the OpenAPI document of routes, built on first request.
	openapiOnce sync.Once
	openapiDoc  map[string]any
	// closing ends the event streams at shutdown, which otherwise never
	// let the HTTP server's Shutdown finish.
	closing   chan struct{}
	closeOnce sync.Once
}

// New returns a server, or an error if its travel model is invalid or its
// metrics cannot be registered (for instance twice in one registry). Call
// Shutdown to stop the plans it runs.
func New(opts Options) (*Server, error) {
	if opts.Store == nil {
		return nil, errors.New("api: New: Options.Store is nil")
	}
	if opts.Registry == nil {
		r := prometheus.NewRegistry()
		r.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
		opts.Registry = r
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.ReadyTimeout == 0 {
		opts.ReadyTimeout = 2 * time.Second
	}
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if opts.RequestTimeout == 0 {
		opts.RequestTimeout = 30 * time.Second
	}
	if opts.WriteTimeout == 0 {
		opts.WriteTimeout = 30 * time.Second
	}
	opts.Limits = opts.Limits.WithDefaults()
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	if opts.FailureBurst <= 0 {
		opts.FailureBurst = DefaultFailureBurst
	}
	if opts.FailureRate <= 0 {
		opts.FailureRate = DefaultFailureRate
	}
	if opts.EventKeepAlive <= 0 {
		opts.EventKeepAlive = DefaultKeepAlive
	}
	if opts.Webhooks.Poster == nil {
		opts.Webhooks.Poster = webhook.NewClient()
	}
	m, err := newMetrics(opts.Registry, opts.Store)
	if err != nil {
		return nil, err
	}
	opts.Webhooks.Observer = deliveryObserver{m}
	s := &Server{store: opts.Store, log: opts.Logger, metrics: m, opts: opts, closing: make(chan struct{}),
		limiter: newFailureLimiter(opts.FailureBurst, opts.FailureRate)}
	svc, err := dispatch.New(dispatch.Options{Store: opts.Store, Clock: opts.Clock, Travel: opts.Travel, Logger: opts.Logger,
		MaxClockSkew: opts.MaxClockSkew, BootstrapKey: opts.BootstrapKey, KeyCacheTTL: opts.KeyCacheTTL,
		Plans: dispatch.PlanOptions{MaxRunning: opts.MaxPlans, Threads: opts.PlanThreads, PerKey: opts.PlansPerKey, DefaultTime: opts.DefaultPlanTime,
			MaxTime: opts.MaxPlanTime, TTL: opts.PlanTTL, Observer: planObserver{m}},
		LocationEvery: opts.LocationEvery, Events: eventObserver{m}, Webhooks: opts.Webhooks})
	if err != nil {
		return nil, fmt.Errorf("api: New: %w", err)
	}
	s.svc = svc
	if err := m.watch(opts.Registry, svc); err != nil {
		_ = svc.Shutdown(context.Background())
		return nil, err
	}
	s.routes = s.table()
	if s.router, err = s.mount(s.routes); err != nil {
		_ = svc.Shutdown(context.Background())
		return nil, err
	}
	s.patterns = map[string]bool{}
	for _, rt := range s.routes {
		s.patterns[rt.pattern] = true
	}
	return s, nil
}

// mount routes a route table, each route behind its access rule, or
// refuses a table in which a route has none (checkRules).
func (s *Server) mount(routes []route) (chi.Router, error) {
	if err := checkRules(routes); err != nil {
		return nil, err
	}
	r := chi.NewRouter()
	r.Use(requestID, s.observe, s.recoverPanics)
	r.NotFound(func(w http.ResponseWriter, r *http.Request) {
		writeProblem(w, r, http.StatusNotFound, "no such route", r.Method+" "+r.URL.Path+" is not part of the API")
	})
	r.MethodNotAllowed(func(w http.ResponseWriter, r *http.Request) {
		writeProblem(w, r, http.StatusMethodNotAllowed, "method not allowed", r.Method+" is not allowed on "+r.URL.Path)
	})
	for _, rt := range routes {
		h := http.Handler(rt.handler)
		if strings.Contains(rt.pattern, "{id}") || strings.Contains(rt.pattern, "{name}") {
			h = pathID(h)
		}
		// The key is checked first, so that a caller without one learns
		// nothing of ids or bodies; within the request's time limit, since
		// it may read the store.
		h = s.authorize(rt, h)
		if rt.long {
			h = s.deadlines(0, h)
		} else {
			h = s.deadlines(s.opts.RequestTimeout, h)
		}
		r.Method(rt.method, rt.pattern, h)
	}
	return r, nil
}

// deadlines bound a request by d (zero: a plan waited for, bounded by its
// own time limit): its context ends after d, so that store calls and
// suggestions give up and the handler answers 503; its body must arrive
// by then; and its answer must be read within WriteTimeout after that.
// A waited plan sets its write deadline when the plan ends
// (extendWrite).
func (s *Server) deadlines(d time.Duration, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc := http.NewResponseController(w)
		if d == 0 {
			// Until the plan ends, nothing is written; its body must still
			// arrive in time.
			_ = rc.SetReadDeadline(time.Now().Add(s.opts.RequestTimeout))
			_ = rc.SetWriteDeadline(time.Time{})
			next.ServeHTTP(w, r)
			return
		}
		end := time.Now().Add(d)
		_ = rc.SetReadDeadline(end)
		_ = rc.SetWriteDeadline(end.Add(s.opts.WriteTimeout))
		ctx, cancel := context.WithDeadline(r.Context(), end)
		defer cancel()
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// extendWrite gives a client WriteTimeout from now to read an answer
// that took long to prepare (a plan waited for).
func (s *Server) extendWrite(w http.ResponseWriter) {
	_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(s.opts.WriteTimeout))
}

// pathID decodes the {id} (or a policy's {name}, an id too) of a route's
// path and refuses an invalid one (400 naming "id" or "name"), so that
// every handler sees the id the client meant: chi matches the raw path,
// in which a:b may arrive as a%3Ab.
func pathID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc := chi.RouteContext(r.Context())
		for i, key := range rc.URLParams.Keys {
			if key != "id" && key != "name" {
				continue
			}
			id, err := url.PathUnescape(rc.URLParams.Values[i])
			problem := model.IDProblem(id)
			if err != nil {
				problem = "not a valid percent-encoded path segment"
			}
			if problem != "" {
				writeProblemDoc(w, Problem{Type: "urn:dispatchd:problem:invalid", Title: "invalid request", Status: http.StatusBadRequest,
					Detail: key + ": " + problem, Instance: r.URL.Path, Errors: []model.FieldError{{Field: key, Message: problem}}})
				return
			}
			rc.URLParams.Values[i] = id
		}
		next.ServeHTTP(w, r)
	})
}

// ServeHTTP serves a request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.router.ServeHTTP(w, r) }

// Shutdown ends the event streams, stops taking plans, lets the running
// ones finish until ctx is done, then cancels them (each stores the best
// plan it found), and stops delivering webhooks.
func (s *Server) Shutdown(ctx context.Context) error {
	s.closeOnce.Do(func() { close(s.closing) })
	return s.svc.Shutdown(ctx)
}

// route is one endpoint: who may call it, how it is served and how the
// OpenAPI document describes it.
type route struct {
	method, pattern string
	// allow lists the permissions that let a caller in (any one of them);
	// auth.Anyone needs no key. A route without any is refused by New.
	allow    []auth.Permission
	handler  http.HandlerFunc
	summary  string
	request  any // the body's type (a zero value), or nil
	response any // the success body's type, or nil for none
	status   int // the success status
	query    []param
	errors   []int  // problem statuses it may answer
	long     bool   // exempt from RequestTimeout (plans waited for)
	raw      string // a response content type other than JSON
	waited   any    // the 200 body's type with ?wait=true, or nil
	optional bool   // the body may be left out (options only)
}

// param is a query parameter.
type param struct {
	name, typ, doc string
	required       bool
}

// table lists every route of the API.
func (s *Server) table() []route {
	bad := []int{http.StatusBadRequest, http.StatusRequestEntityTooLarge, http.StatusUnsupportedMediaType, http.StatusServiceUnavailable}
	change := append(bad, http.StatusNotFound, http.StatusConflict)
	// The access rules: which permissions let a caller in. "Own" rules
	// let a technician's key in too, for their own records, which the
	// dispatch layer holds them to.
	anyone, scrape := []auth.Permission{auth.Anyone}, []auth.Permission{auth.Anyone}
	if s.opts.MetricsAuth {
		scrape = []auth.Permission{auth.Read}
	}
	read, readOwn := []auth.Permission{auth.Read}, []auth.Permission{auth.Read, auth.Field}
	desk, moveOwn, field := []auth.Permission{auth.Dispatch}, []auth.Permission{auth.Dispatch, auth.Field}, []auth.Permission{auth.Field}
	manage, policy := []auth.Permission{auth.Manage}, []auth.Permission{auth.Policy}
	return []route{
		{method: "GET", pattern: "/healthz", allow: anyone, handler: s.healthz, summary: "The process is alive.", response: statusBody{}, status: 200},
		{method: "GET", pattern: "/readyz", allow: anyone, handler: s.readyz, summary: "The store is reachable and holds its state.", response: statusBody{}, status: 200, errors: []int{503}},
		{method: "GET", pattern: "/metrics", allow: scrape, handler: promhttp.HandlerFor(s.opts.Registry, promhttp.HandlerOpts{Registry: s.opts.Registry}).ServeHTTP,
			summary: "Prometheus metrics.", status: 200, raw: "text/plain"},
		{method: "GET", pattern: "/openapi.json", allow: anyone, handler: s.openapi, summary: "This document.", status: 200, raw: "application/json"},

		{method: "GET", pattern: "/v1/technicians", allow: read, handler: s.listTechnicians, summary: "List technicians, filtered.", response: technicianList{}, status: 200,
			query: []param{{"skill", "string", "only technicians with this skill", false}, {"active", "boolean", "only active (true) or inactive (false) technicians", false},
				{"near", "string", "lat,lng: only technicians whose last position is within radius_m", false}, {"radius_m", "number", "radius for near, metres (default 5000)", false}},
			errors: []int{400, 503}},
		{method: "PUT", pattern: "/v1/technicians/{id}", allow: manage, handler: s.putTechnician, summary: "Create or replace a technician; a replacement answers the conflicts it gives the orders already on their day.", request: model.Technician{}, response: dispatch.TechnicianView{}, status: 200, errors: bad},
		{method: "GET", pattern: "/v1/technicians/{id}", allow: readOwn, handler: s.getTechnician, summary: "A technician with their live state.", response: dispatch.TechnicianView{}, status: 200, errors: []int{400, 404, 503}},
		{method: "DELETE", pattern: "/v1/technicians/{id}", allow: manage, handler: s.deleteTechnician, summary: "Delete a technician and their live state.", status: 204, errors: []int{400, 404, 503}},
		{method: "POST", pattern: "/v1/technicians/{id}/location", allow: field, handler: s.postLocation, summary: "Record a live position; an older one never overwrites a newer.", request: locationBody{}, response: locationResult{}, status: 200, errors: append(bad, 404)},
		{method: "GET", pattern: "/v1/technicians/{id}/schedule", allow: readOwn, handler: s.schedule, summary: "A technician's day: stops with planned and actual times, breaks, travel, statuses, conflicts.", response: dispatch.Schedule{}, status: 200,
			query: []param{{"date", "string", "YYYY-MM-DD (default: the day of the technician's shift)", false}}, errors: []int{400, 404, 503}},

		{method: "POST", pattern: "/v1/workorders", allow: desk, handler: s.createWorkOrder, summary: "Take in a work order (201); a likely duplicate of an open order is 409 unless allow_duplicate.", request: dispatch.Intake{}, response: model.WorkOrder{}, status: 201, errors: append(bad, 409)},
		{method: "GET", pattern: "/v1/workorders", allow: readOwn, handler: s.listWorkOrders, summary: "List work orders, filtered, a page at a time.", response: dispatch.OrderPage{}, status: 200,
			query: []param{{"status", "string", "only orders in these statuses (comma-separated)", false}, {"date", "string", "YYYY-MM-DD: orders scheduled (or, unscheduled, wanted) that day", false},
				{"technician_id", "string", "only orders assigned to this technician", false}, {"site_id", "string", "only orders at this site", false},
				{"limit", "integer", fmt.Sprintf("page size, 1 to %d (default %d)", dispatch.MaxPageSize, dispatch.DefaultPageSize), false},
				{"cursor", "string", "the next of the previous page", false}},
			errors: []int{400, 503}},
		{method: "GET", pattern: "/v1/workorders/{id}", allow: readOwn, handler: s.getWorkOrder, summary: "A work order.", response: model.WorkOrder{}, status: 200, errors: []int{400, 404, 503}},
		{method: "PATCH", pattern: "/v1/workorders/{id}", allow: desk, handler: s.patchWorkOrder, summary: "Change fields of an open order (a JSON merge patch); a dispatched order's new conflicts are reported; a new site, equipment or job type that makes it a likely duplicate is 409 unless allow_duplicate.", request: patchBody{}, response: dispatch.UpdateResult{}, status: 200, errors: change},
		{method: "POST", pattern: "/v1/workorders/{id}/dispatch", allow: desk, handler: s.dispatchWorkOrder, summary: "Dispatch a created order; conflicts are 409 unless override.", request: dispatch.DispatchRequest{}, response: model.WorkOrder{}, status: 200, errors: change},
		{method: "POST", pattern: "/v1/workorders/{id}/reassign", allow: desk, handler: s.reassignWorkOrder, summary: "Give a dispatched order other technicians or another start; checked like dispatch.", request: dispatch.ReassignRequest{}, response: model.WorkOrder{}, status: 200, errors: change},
		{method: "POST", pattern: "/v1/workorders/{id}/status", allow: moveOwn, handler: s.setStatus, summary: "Move an order along its lifecycle; complete needs an outcome.", request: dispatch.StatusUpdate{}, response: model.WorkOrder{}, status: 200, errors: change},
		{method: "GET", pattern: "/v1/workorders/{id}/history", allow: read, handler: s.history, summary: "Every change of an order: who, when, why, from and to.", response: historyBody{}, status: 200, errors: []int{400, 404, 503}},
		{method: "GET", pattern: "/v1/workorders/{id}/suggestions", allow: desk, handler: s.suggestions, summary: "Rank technicians for a stored order against the stored day.", response: model.Suggestions{}, status: 200,
			query:  []param{{"limit", "integer", "candidates to return (default 5)", false}, {"policy", "string", "price by this stored policy instead of the active one (this request only)", false}},
			errors: []int{400, 404, 409, 503}},

		{method: "POST", pattern: "/v1/suggest", allow: desk, handler: s.suggest, summary: "Rank technicians for one work order; without technicians in the body, against the stored day (then routes, positions, work_orders and travel are refused).", request: suggestRequest{}, response: model.Suggestions{}, status: 200, errors: bad},
		{method: "POST", pattern: "/v1/slots", allow: desk, handler: s.slots, summary: "Arrival windows to offer a customer.", request: slotsRequest{}, response: slotsBody{}, status: 200, errors: bad},

		{method: "POST", pattern: "/v1/plans", allow: desk, handler: s.postPlan, summary: "Plan a problem in the background (202), or at once with ?wait=true (200).", request: dispatch.PlanRequest{}, response: dispatch.PlanRecord{}, status: 202,
			query: []param{{"wait", "boolean", "answer when the plan is done, with 200", false}}, errors: append(bad, 429), long: true, waited: dispatch.PlanRecord{}},
		{method: "GET", pattern: "/v1/plans/{id}", allow: read, handler: s.getPlan, summary: "A plan's status, progress and, when done, the plan.", response: dispatch.PlanRecord{}, status: 200, errors: []int{400, 404, 503}},
		{method: "DELETE", pattern: "/v1/plans/{id}", allow: desk, handler: s.deletePlan, summary: "Cancel a running plan; it keeps the best plan found.", response: dispatch.PlanRecord{}, status: 202, errors: []int{400, 404, 409, 503}},
		{method: "GET", pattern: "/v1/plans/{id}/geojson", allow: read, handler: s.planGeoJSON, summary: "A plan's routes and stops as a GeoJSON FeatureCollection.", status: 200, raw: "application/geo+json", errors: []int{400, 404, 409, 503}},
		{method: "POST", pattern: "/v1/plans/{id}/apply", allow: desk, handler: s.applyPlan, summary: "Dispatch every order a finished plan of the stored day assigned, at the plan's times, conflict-checked; all or nothing (409 listing what changed since the plan) unless partial; once.",
			request: dispatch.ApplyRequest{}, optional: true, response: dispatch.Application{}, status: 200, errors: change},

		{method: "GET", pattern: "/v1/policies", allow: read, handler: s.listPolicies, summary: "The policy book: every scheduling policy, the built-in default among them, and the active one's name.", response: dispatch.PolicyBook{}, status: 200, errors: []int{503}},
		{method: "GET", pattern: "/v1/policies/history", allow: read, handler: s.policyHistory, summary: "Every change of the policy book, oldest first: who, when, what, from and to.", response: policyHistoryBody{}, status: 200,
			query: []param{{"limit", "integer", "only the newest this many changes (default all)", false}}, errors: []int{400, 503}},
		{method: "GET", pattern: "/v1/policies/{name}", allow: read, handler: s.getPolicy, summary: "A scheduling policy, and whether it is the active one.", response: policyView{}, status: 200, errors: []int{400, 404, 503}},
		{method: "PUT", pattern: "/v1/policies/{name}", allow: policy, handler: s.putPolicy, summary: "Create (201) or replace (200) a scheduling policy; weights left out are the defaults. Replacing the active policy takes effect on every replica at once.",
			request: policyBody{}, response: policyView{}, status: 200, errors: append(bad, 404, 409)},
		{method: "DELETE", pattern: "/v1/policies/{name}", allow: policy, handler: s.deletePolicy, summary: "Delete a policy; the built-in default and the active policy are 409.", status: 204, errors: []int{400, 404, 409, 503}},
		{method: "POST", pattern: "/v1/policies/{name}/activate", allow: policy, handler: s.activatePolicy, summary: "Make a policy the one suggestions and plans use when a request names none, on every replica from its next request.", response: policyView{}, status: 200, errors: []int{400, 404, 409, 503}},
		{method: "GET", pattern: "/v1/weights", allow: read, handler: s.getWeights, summary: "The active policy.", response: policyView{}, status: 200, errors: []int{503}},
		{method: "PUT", pattern: "/v1/weights", allow: policy, handler: s.putWeights, summary: "Replace the active policy's weights (weights left out are the defaults); the simple form of PUT /v1/policies/{name}.", request: model.Weights{}, response: policyView{}, status: 200, errors: append(bad, 409)},
		{method: "POST", pattern: "/v1/policies/compare", allow: policy, handler: s.postCompare, summary: "Compare policies (and a sweep of one weight) on a problem or the stored day: one plan each, same seed and budget, side by side; in the background (202), or at once with ?wait=true (200).",
			request: dispatch.CompareRequest{}, response: dispatch.CompareRecord{}, status: 202, waited: dispatch.CompareRecord{},
			query: []param{{"wait", "boolean", "answer when the compare is done, with 200", false}}, errors: append(bad, 429), long: true},
		{method: "GET", pattern: "/v1/policies/compare/{id}", allow: read, handler: s.getCompare, summary: "A compare's status, progress and, when done, the comparison: KPIs, objective matrix, sweep, plans.", response: dispatch.CompareRecord{}, status: 200, errors: []int{400, 404, 503}},
		{method: "GET", pattern: "/v1/policies/compare/{id}/report", allow: read, handler: s.compareReport, summary: "A compare's report: one self-contained HTML page (no script, nothing fetched) of a chart per KPI, the sweep, each policy's routes on a map and the orders left out.", status: 200, raw: "text/html", errors: []int{400, 404, 409, 503}},
		{method: "DELETE", pattern: "/v1/policies/compare/{id}", allow: policy, handler: s.deleteCompare, summary: "Cancel a running compare; its plans keep the best they found.", response: dispatch.CompareRecord{}, status: 202, errors: []int{400, 404, 409, 503}},
		{method: "POST", pattern: "/v1/weights/compare", allow: policy, handler: s.postWeightsCompare, summary: "Compare weights by policy name (API.md's simple form); answers when done, as POST /v1/policies/compare?wait=true.",
			request: dispatch.WeightsCompareRequest{}, response: dispatch.CompareRecord{}, status: 200, errors: append(bad, 429), long: true},

		{method: "POST", pattern: "/v1/keys", allow: manage, handler: s.createKey, summary: "Create an API key (201): its token is in this answer and never again.", request: auth.Request{}, response: keyCreated{}, status: 201, errors: append(bad, 404)},
		{method: "GET", pattern: "/v1/keys", allow: manage, handler: s.listKeys, summary: "List the API keys, never their tokens.", response: keyList{}, status: 200, errors: []int{503}},
		{method: "DELETE", pattern: "/v1/keys/{id}", allow: manage, handler: s.revokeKey, summary: "Revoke an API key: it fails at once here and within a second on every replica.", status: 204, errors: []int{400, 404, 409, 503}},

		{method: "GET", pattern: "/v1/events", allow: readOwn, handler: s.events, summary: "Server-sent events of every change, from every replica, in one order: id, event type, JSON data. Resume with the Last-Event-ID header (or last_event_id); keep-alive comments; a slow reader gets stream.dropped.",
			status: 200, raw: "text/event-stream", long: true, errors: []int{400, 503},
			query: []param{{"types", "string", "only events of these types (comma-separated): " + model.Spell(model.EventTypes), false}, {"technician_id", "string", "only events that concern this technician", false},
				{"last_event_id", "string", "resume after this event id (as the Last-Event-ID header)", false}}},

		{method: "POST", pattern: "/v1/webhooks", allow: manage, handler: s.createWebhook, summary: "Register a webhook (201): url, event types, technician, secret; the secret is shown once.", request: dispatch.WebhookRequest{}, response: dispatch.NewWebhook{}, status: 201, errors: bad},
		{method: "GET", pattern: "/v1/webhooks", allow: read, handler: s.listWebhooks, summary: "List webhooks (without their secrets).", response: webhookList{}, status: 200, errors: []int{503}},
		{method: "GET", pattern: "/v1/webhooks/{id}", allow: read, handler: s.getWebhook, summary: "A webhook (without its secret).", response: dispatch.WebhookView{}, status: 200, errors: []int{400, 404, 503}},
		{method: "DELETE", pattern: "/v1/webhooks/{id}", allow: manage, handler: s.deleteWebhook, summary: "Delete a webhook with its deliveries.", status: 204, errors: []int{400, 404, 503}},
		{method: "GET", pattern: "/v1/webhooks/{id}/deliveries", allow: read, handler: s.deliveries, summary: "A webhook's newest deliveries: status, attempts, last answer and error.", response: dispatch.DeliveryLog{}, status: 200,
			query: []param{{"limit", "integer", fmt.Sprintf("deliveries to list, 1 to %d (default all kept)", store.DeliveryLogSize), false}}, errors: []int{400, 404, 503}},
		{method: "POST", pattern: "/v1/workorders/{id}/notify", allow: desk, handler: s.notify, summary: "Send an order's last notification again, to every webhook of its type.", response: dispatch.NotifyResult{}, status: 200, errors: change},
	}
}

// statusBody is the answer of /healthz and /readyz.
type statusBody struct {
	Status string `json:"status"`
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	s.writeJSON(w, r, http.StatusOK, statusBody{"ok"})
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), s.opts.ReadyTimeout)
	defer cancel()
	if err := s.store.Ping(ctx); err != nil {
		s.fail(w, r, err)
		return
	}
	s.writeJSON(w, r, http.StatusOK, statusBody{"ready"})
}
