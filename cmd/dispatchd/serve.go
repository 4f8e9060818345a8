package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/dispatchd/dispatchd/api"
	"github.com/dispatchd/dispatchd/auth"
	"github.com/dispatchd/dispatchd/dispatch"
	"github.com/dispatchd/dispatchd/model"
	"github.com/dispatchd/dispatchd/scenario"
	"github.com/dispatchd/dispatchd/store"
	"github.com/dispatchd/dispatchd/store/redisstore"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Both stores serve the API.
var (
	_ api.Store = (*store.Memory)(nil)
	_ api.Store = (*redisstore.Store)(nil)
)

// serveConfig is what `dispatchd serve` runs with.
type serveConfig struct {
	addr            string
	demo            bool
	redisURL        string
	redisPrefix     string
	maxPlans        int
	planThreads     int
	maxBody         int64
	requestTimeout  time.Duration
	writeTimeout    time.Duration
	storeTimeout    time.Duration
	limits          model.Limits
	planTTL         time.Duration
	plansPerKey     int
	shutdownTimeout time.Duration
	// bootstrapKey is DISPATCHD_BOOTSTRAP_KEY: a token that is an admin
	// key in no store.
	bootstrapKey string
	metricsAuth  bool
	// demoKeys is the file the demo's keys are written to; stdout is
	// where they are shown, once (never the log).
	demoKeys       string
	stdout         io.Writer
	eventRetention int
	keepAlive      time.Duration
	locationEvery  time.Duration
	webhooks       dispatch.WebhookOptions
	// policies are the policies of the --policy files, by file, loaded at
	// start; activePolicy is --active-policy.
	policies     []policyFile
	activePolicy string
	// listening, if set, is told the address once the listener is open
	// (tests serve on port 0).
	listening func(addr string)
}

// policyFile is the policies one --policy file holds.
type policyFile struct {
	path     string
	policies []model.Policy
}

// fileList is a flag that may be given more than once, each a file.
type fileList []string

func (l *fileList) String() string     { return strings.Join(*l, ",") }
func (l *fileList) Set(v string) error { *l = append(*l, v); return nil }

// bootstrapEnv names the environment variable of the bootstrap key.
const bootstrapEnv = "DISPATCHD_BOOTSTRAP_KEY"

// tokenEnv names the environment variable of the token the commands that
// call a running server send (keys --url, bench --url): a token in a flag
// would show in ps.
const tokenEnv = "DISPATCHD_TOKEN"

// weakBootstrap is the length under which a bootstrap key is warned about:
// 32 random characters of base64 are 192 bits.
const weakBootstrap = 32

func runServe(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	const synopsis = "dispatchd serve [--addr :8080] [--demo [--demo-keys FILE]] [--redis redis://host:6379/0] [--redis-prefix dispatchd:] [--metrics-auth] [--max-plans N] [--plan-threads 1] [--plans-per-key 1] [--plan-ttl 24h] [--max-body 4194304] [--max-work-orders N …] [--request-timeout 30s] [--write-timeout 30s] [--store-timeout 2s] [--shutdown-timeout 30s] [--event-retention 10000] [--event-keep-alive 15s] [--location-events-every 5s] [--webhook-timeout 10s] [--webhook-backoff 5s] [--webhook-max-backoff 10m] [--webhook-give-up 24h] [--webhook-workers 8] [--policy FILE …] [--active-policy NAME] [--log-level info] [--log-format text|json]"
	fs := flagSet("serve")
	cfg := serveConfig{stdout: stdout, bootstrapKey: os.Getenv(bootstrapEnv)}
	fs.StringVar(&cfg.addr, "addr", ":8080", "address to listen on")
	fs.BoolVar(&cfg.demo, "demo", false, "load the demo day into the store: 20 technicians at work around now, 80 orders done, under way or dispatched, and 30 waiting; and one API key per role, shown once")
	fs.StringVar(&cfg.demoKeys, "demo-keys", "dispatchd-demo-keys.env", "with --demo: the file (mode 0600) the demo's API keys are written to, as shell variables")
	fs.BoolVar(&cfg.metricsAuth, "metrics-auth", false, "ask /metrics for an API key of a role that reads (without it /metrics is open, like /healthz)")
	fs.IntVar(&cfg.plansPerKey, "plans-per-key", dispatch.DefaultPlansPerKey, "plans one API key runs at once on this replica; more get 429")
	fs.StringVar(&cfg.redisURL, "redis", os.Getenv("DISPATCHD_REDIS_URL"), "keep state in the Redis at this URL, shared by replicas (default $DISPATCHD_REDIS_URL; empty: in memory)")
	fs.StringVar(&cfg.redisPrefix, "redis-prefix", redisstore.DefaultPrefix, "prefix of every Redis key, to share a database")
	fs.IntVar(&cfg.planThreads, "plan-threads", 1, "threads each plan searches on; max-plans × plan-threads cores are kept busy by plans")
	fs.IntVar(&cfg.maxPlans, "max-plans", 0, "plans this replica runs at once; more get 429 (default: one per core but one, which stays for requests)")
	fs.Int64Var(&cfg.maxBody, "max-body", api.DefaultMaxBodyBytes, "largest request body, bytes; larger get 413")
	fs.DurationVar(&cfg.requestTimeout, "request-timeout", 30*time.Second, "time limit of a request (not of a plan waited for)")
	fs.DurationVar(&cfg.writeTimeout, "write-timeout", 30*time.Second, "time a client has to read an answer once it is ready; slower readers are cut off")
	fs.DurationVar(&cfg.storeTimeout, "store-timeout", redisstore.DefaultTimeout, "time limit of one Redis command: a stalled Redis answers 503 after it")
	cfg.limits = model.DefaultLimits()
	for _, l := range limitFlags(&cfg.limits) {
		fs.IntVar(l.v, l.name, *l.v, l.help)
	}
	fs.DurationVar(&cfg.planTTL, "plan-ttl", store.DefaultPlanTTL, "how long finished plans are kept")
	fs.DurationVar(&cfg.shutdownTimeout, "shutdown-timeout", 30*time.Second, "on SIGINT/SIGTERM, how long requests and plans may take to finish before plans are cancelled")
	fs.IntVar(&cfg.eventRetention, "event-retention", store.DefaultEventRetention, "events the event log keeps for subscribers that resume (Redis: the stream's MAXLEN; replicas should agree)")
	fs.DurationVar(&cfg.keepAlive, "event-keep-alive", api.DefaultKeepAlive, "how often an idle event stream gets a keep-alive comment")
	fs.DurationVar(&cfg.locationEvery, "location-events-every", dispatch.DefaultLocationEvery, "how often at most a technician's position is published as an event, per replica")
	fs.DurationVar(&cfg.webhooks.Timeout, "webhook-timeout", 10*time.Second, "time limit of one webhook delivery attempt")
	fs.DurationVar(&cfg.webhooks.Backoff, "webhook-backoff", 5*time.Second, "wait before a failed delivery's first retry, doubled each time, with jitter")
	fs.DurationVar(&cfg.webhooks.MaxBackoff, "webhook-max-backoff", 10*time.Minute, "longest wait between two attempts of a delivery")
	fs.DurationVar(&cfg.webhooks.GiveUp, "webhook-give-up", 24*time.Hour, "how long a delivery is retried before it is failed")
	fs.IntVar(&cfg.webhooks.Workers, "webhook-workers", 8, "delivery attempts this replica runs at once")
	var policyFiles fileList
	fs.Var(&policyFiles, "policy", "load the scheduling policies of this JSON file at start — one policy (named after the file unless it names itself) or a list of named ones, as PUT /v1/policies/{name} takes them — creating or replacing them in the store (repeatable)")
	fs.StringVar(&cfg.activePolicy, "active-policy", "", "make this policy (of a --policy file, or already stored) the active one at start")
	logLevel := fs.String("log-level", "info", "least level logged: debug, info (every request), warn or error")
	logFormat := fs.String("log-format", "text", "log lines as text (key=value) or json")
	if _, err := parseFlags(fs, synopsis, args, stdout, 0); err != nil {
		return err
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		return usagef("invalid value %q for flag -log-level: want debug, info, warn or error", *logLevel)
	}
	handlerOpts := &slog.HandlerOptions{Level: level}
	var handler slog.Handler
	switch *logFormat {
	case "text":
		handler = slog.NewTextHandler(stderr, handlerOpts)
	case "json":
		handler = slog.NewJSONHandler(stderr, handlerOpts)
	default:
		return usagef("invalid value %q for flag -log-format: want text or json", *logFormat)
	}
	switch {
	case cfg.shutdownTimeout <= 0:
		return usagef("invalid value %v for flag -shutdown-timeout: want a positive duration", cfg.shutdownTimeout)
	case cfg.maxPlans < 0:
		return usagef("invalid value %d for flag -max-plans: want 0 (one per core but one) or more", cfg.maxPlans)
	case cfg.planThreads < 1 || cfg.planThreads > runtime.NumCPU():
		return usagef("invalid value %d for flag -plan-threads: want 1 to %d (the cores here)", cfg.planThreads, runtime.NumCPU())
	case cfg.plansPerKey < 1:
		return usagef("invalid value %d for flag -plans-per-key: want 1 or more", cfg.plansPerKey)
	case len(cfg.bootstrapKey) > auth.MaxTokenLength || !printableToken(cfg.bootstrapKey):
		return usagef("invalid %s: want at most %d printable characters without spaces", bootstrapEnv, auth.MaxTokenLength)
	case cfg.maxBody < 1024:
		return usagef("invalid value %d for flag -max-body: want at least 1024 bytes", cfg.maxBody)
	case cfg.requestTimeout <= 0:
		return usagef("invalid value %v for flag -request-timeout: want a positive duration", cfg.requestTimeout)
	case cfg.writeTimeout <= 0:
		return usagef("invalid value %v for flag -write-timeout: want a positive duration", cfg.writeTimeout)
	case cfg.storeTimeout <= 0 || cfg.storeTimeout >= cfg.requestTimeout:
		return usagef("invalid value %v for flag -store-timeout: want a positive duration under -request-timeout (%v)", cfg.storeTimeout, cfg.requestTimeout)
	case cfg.planTTL < time.Minute:
		return usagef("invalid value %v for flag -plan-ttl: want at least a minute", cfg.planTTL)
	case cfg.eventRetention < 1:
		return usagef("invalid value %d for flag -event-retention: want at least 1", cfg.eventRetention)
	case cfg.keepAlive <= 0:
		return usagef("invalid value %v for flag -event-keep-alive: want a positive duration", cfg.keepAlive)
	case cfg.locationEvery <= 0:
		return usagef("invalid value %v for flag -location-events-every: want a positive duration", cfg.locationEvery)
	case cfg.webhooks.Timeout <= 0:
		return usagef("invalid value %v for flag -webhook-timeout: want a positive duration", cfg.webhooks.Timeout)
	case cfg.webhooks.Backoff <= 0 || cfg.webhooks.MaxBackoff < cfg.webhooks.Backoff:
		return usagef("invalid values %v and %v for flags -webhook-backoff and -webhook-max-backoff: want a positive backoff no longer than the most", cfg.webhooks.Backoff, cfg.webhooks.MaxBackoff)
	case cfg.webhooks.GiveUp <= 0:
		return usagef("invalid value %v for flag -webhook-give-up: want a positive duration", cfg.webhooks.GiveUp)
	case cfg.webhooks.Workers < 1:
		return usagef("invalid value %d for flag -webhook-workers: want at least 1", cfg.webhooks.Workers)
	}
	for _, l := range limitFlags(&cfg.limits) {
		if *l.v < 1 {
			return usagef("invalid value %d for flag -%s: want at least 1", *l.v, l.name)
		}
	}
	from := map[string]string{}
	for _, path := range policyFiles {
		pf, err := readPolicyFile(path, cfg.limits)
		if err != nil {
			return err
		}
		for _, p := range pf.policies {
			if first, ok := from[p.Name]; ok {
				return usagef("--policy %s: policy %s is also in %s", path, p.Name, first)
			}
			from[p.Name] = path
		}
		cfg.policies = append(cfg.policies, pf)
	}
	if cfg.activePolicy != "" {
		if p := model.IDProblem(cfg.activePolicy); p != "" {
			return usagef("invalid value %q for flag -active-policy: %s", cfg.activePolicy, p)
		}
	}
	if _, _, err := net.SplitHostPort(cfg.addr); err != nil {
		return usagef("invalid value %q for flag -addr: want host:port or :port", cfg.addr)
	}
	log := slog.New(handler)
	redisstore.SetLogger(log)
	return serve(ctx, cfg, log)
}

// serveGCPercent is the service's GOGC unless the environment sets one.
// The live heap is small (technicians, a few plans) while a suggestion
// body of 200 technicians with their day allocates about 8 MB, so at
// Go's default of 100 the collector ran about once a request. At 400,
// over Redis on 2 cores (dispatchd bench http --target suggest, 830 kB
// bodies, 2 clients, 3 runs each): 138 -> 186-200 requests/s, p50
// 14.0 -> 10.2 ms, p99 22.5 -> 18.0 ms. Memory grows with the live heap:
// at most five times it, where the default allows twice.
const serveGCPercent = 400

// serve runs the service until ctx is done, then shuts down gracefully:
// it stops accepting connections, lets running requests and plans finish
// within the shutdown timeout, and cancels the plans still running then
// (each stores the best plan it found).
func serve(ctx context.Context, cfg serveConfig, log *slog.Logger) error {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	st, storeName, closeStore, err := openStore(ctx, cfg, reg, log)
	if err != nil {
		return err
	}
	defer closeStore()
	if cfg.demo {
		if err := loadDemo(ctx, st, cfg, log); err != nil {
			return err
		}
	}
	if err := loadPolicies(ctx, st, cfg, log); err != nil {
		return err
	}
	// Set (and said) once the configuration is known good, so that a bad
	// one is one line on stderr.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(serveGCPercent)
		log.Info("garbage collector", "gogc", serveGCPercent, "why", "small live heap, large request bodies; set GOGC to override")
	}
	handler, err := api.New(api.Options{Store: st, Registry: reg, Logger: log, MaxBodyBytes: cfg.maxBody,
		RequestTimeout: cfg.requestTimeout, WriteTimeout: cfg.writeTimeout, Limits: cfg.limits, MaxPlans: cfg.maxPlans, PlanThreads: cfg.planThreads, PlanTTL: cfg.planTTL,
		PlansPerKey: cfg.plansPerKey, BootstrapKey: cfg.bootstrapKey, MetricsAuth: cfg.metricsAuth,
		EventKeepAlive: cfg.keepAlive, LocationEvery: cfg.locationEvery, Webhooks: cfg.webhooks})
	if err != nil {
		return fmt.Errorf("building the API: %w", err)
	}
	if cfg.bootstrapKey != "" && len(cfg.bootstrapKey) < weakBootstrap {
		log.Warn(bootstrapEnv+" is short: anyone who guesses it is an admin; use 32 random characters or more", "length", len(cfg.bootstrapKey))
	}
	if err := tellFirstKey(ctx, st, storeName, cfg, log); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return fmt.Errorf("listening: %w", err)
	}
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       time.Minute,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	log.Info("dispatchd serving", "addr", ln.Addr().String(), "store", storeName, "demo", cfg.demo)
	if cfg.listening != nil {
		cfg.listening(ln.Addr().String())
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return fmt.Errorf("serving: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down", "timeout", cfg.shutdownTimeout)
	sctx, cancel := context.WithTimeout(context.Background(), cfg.shutdownTimeout)
	defer cancel()
	// Plans and requests end together: a request waiting for a plan
	// returns when the plan ends or is cancelled.
	var wg sync.WaitGroup
	var planErr error
	wg.Go(func() { planErr = handler.Shutdown(sctx) })
	httpErr := srv.Shutdown(sctx)
	wg.Wait()
	if planErr != nil {
		log.Warn("plans cancelled at shutdown", "err", planErr)
	}
	if httpErr != nil {
		return fmt.Errorf("shutting down: %w", httpErr)
	}
	if err := <-done; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serving: %w", err)
	}
	log.Info("stopped")
	return nil
}

// openStore opens the Redis store when a URL is given, else the memory
// store.
func openStore(ctx context.Context, cfg serveConfig, reg prometheus.Registerer, log *slog.Logger) (api.Store, string, func(), error) {
	if cfg.redisURL == "" {
		return store.NewMemoryWith(store.MemoryOptions{EventRetention: cfg.eventRetention}), "memory", func() {}, nil
	}
	observe, err := api.RedisMetrics(reg)
	if err != nil {
		return nil, "", nil, err
	}
	octx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	rs, err := redisstore.Open(octx, cfg.redisURL, redisstore.Options{Prefix: cfg.redisPrefix, Observe: observe, Timeout: cfg.storeTimeout,
		EventRetention: cfg.eventRetention})
	if err != nil {
		return nil, "", nil, fmt.Errorf("opening the Redis store: %w", err)
	}
	warnPersistence(octx, rs, log)
	return rs, "redis", func() { _ = rs.Close() }, nil
}

// warnPersistence warns when Redis would lose the state on a restart (no
// AOF, no RDB) or drop keys when full (a maxmemory-policy other than
// noeviction): the service would carry on, but with lost state.
func warnPersistence(ctx context.Context, rs *redisstore.Store, log *slog.Logger) {
	p, err := rs.Persistence(ctx)
	switch {
	case err != nil:
		log.Warn("cannot read Redis's persistence settings; make sure it keeps its data (appendonly yes or save) and runs with maxmemory-policy noeviction", "err", err)
		return
	case !p.AOF && !p.RDB:
		log.Warn("Redis has neither AOF (appendonly) nor RDB (save) persistence: a restart loses every technician, order, position and plan", "appendonly", p.AOF, "save", p.RDB)
	}
	if p.MaxMemoryPolicy != "noeviction" {
		log.Warn("Redis may evict keys when its memory is full: run it with maxmemory-policy noeviction", "maxmemory_policy", p.MaxMemoryPolicy)
	}
}

// limitFlag is one --max-… flag of the list limits.
type limitFlag struct {
	name, help string
	v          *int
}

// limitFlags lists the flags that set l's fields.
func limitFlags(l *model.Limits) []limitFlag {
	return []limitFlag{
		{"max-technicians", "most technicians in a request body", &l.Technicians},
		{"max-work-orders", "most work orders in a request body", &l.WorkOrders},
		{"max-positions", "most positions in a suggestion body", &l.Positions},
		{"max-routes", "most routes in a suggestion body", &l.Routes},
		{"max-stops-per-route", "most stops of one route", &l.StopsPerRoute},
		{"max-stops", "most stops of all routes of a body together", &l.Stops},
		{"max-time-windows", "most time windows of one work order", &l.TimeWindows},
		{"max-breaks", "most breaks of one technician", &l.Breaks},
		{"max-skills", "most skills of one technician or work order", &l.Skills},
		{"max-names", "most entries of one list of names or ids (tools, certifications, preferred technicians, …)", &l.Names},
		{"max-dimensions", "most dimensions of a capacity or demand", &l.Dimensions},
		{"max-locations", "most locations (rows, columns) of a travel matrix", &l.Locations},
	}
}

// loadDemo fills the store with the demo day, laid out around now: a crew
// at work, with orders done, under way, dispatched and waiting, so that a
// newcomer has something to call every route with; and one API key per
// role (demoKeys).
func loadDemo(ctx context.Context, st dispatch.Store, cfg serveConfig, log *slog.Logger) error {
	day, err := scenario.GenerateDemoDay(time.Now())
	if err != nil {
		return fmt.Errorf("generating the demo day: %w", err)
	}
	if err := load(ctx, st, day, log); err != nil {
		return err
	}
	return demoKeys(ctx, st, day.Technicians[0].ID, cfg, log)
}

// importDay fills the store with a generated day of a size laid out
// around now.
func importDay(ctx context.Context, st dispatch.Store, opts scenario.DayAroundOptions, log *slog.Logger) error {
	day, err := scenario.GenerateDayAround(time.Now(), opts)
	if err != nil {
		return fmt.Errorf("generating a day: %w", err)
	}
	return load(ctx, st, day, log)
}

// demoActor is who loads a day and makes the demo's keys.
var demoActor = dispatch.Actor{Name: "demo"}

// load imports a generated day through the dispatch service, so that its
// orders carry histories like any other.
func load(ctx context.Context, st dispatch.Store, day scenario.DemoDay, log *slog.Logger) error {
	svc, err := dispatch.New(dispatch.Options{Store: st, Logger: log})
	if err != nil {
		return fmt.Errorf("loading a day: %w", err)
	}
	defer func() { _ = svc.Shutdown(ctx) }()
	if err := svc.Import(ctx, day.Technicians, day.Orders, day.Positions, demoActor); err != nil {
		return fmt.Errorf("loading a day: %w", err)
	}
	return nil
}

// demoKeys makes one API key per role (the technician's bound to
// technician), shows them once on stdout — never in the log — and writes
// them to cfg.demoKeys, mode 0600, as shell variables. The keys of an
// earlier demo in the same store are revoked.
func demoKeys(ctx context.Context, st dispatch.Store, technician string, cfg serveConfig, log *slog.Logger) error {
	svc, err := dispatch.New(dispatch.Options{Store: st, Logger: log})
	if err != nil {
		return fmt.Errorf("making the demo's keys: %w", err)
	}
	defer func() { _ = svc.Shutdown(ctx) }()
	old, err := svc.Keys(ctx)
	if err != nil {
		return fmt.Errorf("reading the keys of an earlier demo: %w", err)
	}
	for _, k := range old {
		if k.CreatedBy == demoActor.Name && !k.Bootstrap {
			if err := svc.RevokeKey(ctx, k.ID, demoActor); err != nil {
				return fmt.Errorf("revoking the keys of an earlier demo: %w", err)
			}
		}
	}
	var file, shown strings.Builder
	file.WriteString("# dispatchd demo API keys, one per role: . this file, then curl -H \"Authorization: Bearer $DISPATCHD_DISPATCHER_KEY\" …\n")
	fmt.Fprintf(&shown, "Demo API keys, one per role (shown once; also in %s, mode 0600):\n", cfg.demoKeys)
	for _, role := range auth.Roles {
		req := auth.Request{Role: role, Name: "demo " + string(role)}
		if role == auth.Technician {
			req.TechnicianID = technician
			req.Name += " " + technician
		}
		_, token, err := svc.CreateKey(ctx, req, demoActor)
		if err != nil {
			return fmt.Errorf("creating the demo's %s key: %w", role, err)
		}
		fmt.Fprintf(&file, "DISPATCHD_%s_KEY=%s\n", strings.ToUpper(string(role)), token)
		fmt.Fprintf(&shown, "  %-10s %s  %s\n", role, token, req.TechnicianID)
	}
	if err := writePrivate(cfg.demoKeys, file.String()); err != nil {
		return fmt.Errorf("writing the demo keys: %w", err)
	}
	if cfg.stdout != nil {
		_, _ = io.WriteString(cfg.stdout, shown.String())
	}
	log.Info("demo API keys made, one per role: shown on stdout, not logged", "file", cfg.demoKeys)
	return nil
}

// writePrivate writes a file only its owner may read: created 0600, and
// made 0600 if it was there already. A symbolic link is refused, so that
// nobody can point the keys somewhere else.
func writePrivate(path, content string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC|syscall.O_NOFOLLOW, 0o600)
	if err != nil {
		return err
	}
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return err
	}
	if _, err := io.WriteString(f, content); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// tellFirstKey warns, when the store holds no key and no bootstrap key is
// set, that every /v1 request will be refused, and says how to make the
// first admin key.
func tellFirstKey(ctx context.Context, st auth.Store, storeName string, cfg serveConfig, log *slog.Logger) error {
	if cfg.bootstrapKey != "" {
		return nil
	}
	keys, err := st.ListKeys(ctx)
	if err != nil {
		return fmt.Errorf("reading the API keys: %w", err)
	}
	if len(keys) > 0 {
		return nil
	}
	how := "dispatchd keys create --redis URL --redis-prefix PREFIX --role admin --name NAME (it prints the token once), or set " + bootstrapEnv
	if storeName == "memory" {
		how = "this memory store is in this process alone: set " + bootstrapEnv + " to a secret of 32 characters or more and restart (or run --demo)"
	}
	log.Warn("no API keys yet: every /v1 request is answered 401 until an admin key exists", "first_key", how)
	return nil
}

// printableToken reports whether s is printable ASCII without spaces,
// as a bearer token must be to arrive in a header intact.
func printableToken(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}

// readPolicyFile reads and checks one --policy file; a file that cannot be
// read or holds a bad policy is a usage error naming the file and the
// fields.
func readPolicyFile(path string, limits model.Limits) (policyFile, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return policyFile{}, usagef("--policy %s: %v", path, errors.Unwrap(err))
	}
	ps, err := api.DecodePolicies(data, limits, strings.TrimSuffix(filepath.Base(path), filepath.Ext(path)))
	var ve *model.ValidationError
	if errors.As(err, &ve) {
		return policyFile{}, usagef("--policy %s: %s", path, ve.Summary())
	} else if err != nil {
		return policyFile{}, usagef("--policy %s: %v", path, err)
	}
	for i, p := range ps {
		if slices.Contains(dispatch.ReservedPolicyNames, p.Name) {
			return policyFile{}, usagef("--policy %s: policy %d: name: %q is reserved, a word of the API's paths", path, i+1, p.Name)
		}
	}
	return policyFile{path: path, policies: ps}, nil
}

// policyActor is who loads the --policy files, as the policy history
// records it.
var policyActor = dispatch.Actor{Name: "serve --policy"}

// loadPolicies puts the policies of the --policy files and activates
// --active-policy, in one change: every replica started with the same
// files agrees, and a policy equal to the stored one records nothing, so
// that restarts do not fill the history. A policy changed over HTTP since
// is replaced by its file's at the next start: the files are the
// configuration. An --active-policy that names no policy is a usage
// error (two files naming one policy are refused before, by runServe).
func loadPolicies(ctx context.Context, st dispatch.Store, cfg serveConfig, log *slog.Logger) error {
	if len(cfg.policies) == 0 && cfg.activePolicy == "" {
		return nil
	}
	var all []model.Policy
	for _, pf := range cfg.policies {
		all = append(all, pf.policies...)
	}
	svc, err := dispatch.New(dispatch.Options{Store: st, Logger: log})
	if err != nil {
		return fmt.Errorf("loading policies: %w", err)
	}
	defer func() { _ = svc.Shutdown(ctx) }()
	files := make([]string, len(cfg.policies))
	for i, pf := range cfg.policies {
		files[i] = pf.path
	}
	reason := "loaded at start from " + strings.Join(files, ", ")
	err = svc.LoadPolicies(ctx, all, cfg.activePolicy, policyActor, reason)
	var ve *model.ValidationError
	switch {
	case errors.As(err, &ve) && len(ve.Errors) == 1 && ve.Errors[0].Field == "active":
		return usagef("invalid value %q for flag -active-policy: %s", cfg.activePolicy, ve.Errors[0].Message)
	case errors.As(err, &ve):
		return usagef("--policy: %s", ve.Summary())
	case err != nil:
		return fmt.Errorf("loading policies: %w", err)
	}
	active, err := svc.ActivePolicy(ctx)
	if err != nil {
		return fmt.Errorf("loading policies: %w", err)
	}
	log.Info("policies loaded", "files", strings.Join(files, ","), "policies", len(all), "active", active.Name)
	return nil
}
