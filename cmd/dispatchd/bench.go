package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"time"

	"github.com/dispatchd/dispatchd/api"
	"github.com/dispatchd/dispatchd/bench"
	"github.com/dispatchd/dispatchd/scenario"
	"github.com/dispatchd/dispatchd/store"
	"github.com/dispatchd/dispatchd/store/redisstore"
)

func runBench(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "suggest" {
		return runBenchSuggest(ctx, args[1:], stdout)
	}
	if len(args) > 0 && args[0] == "http" {
		return runBenchHTTP(ctx, args[1:], stdout, stderr)
	}
	if len(args) > 0 && args[0] == "hostile" {
		return runBenchHostile(ctx, args[1:], stdout)
	}
	if len(args) > 0 && args[0] == "lost-state" {
		return runBenchLostState(ctx, args[1:], stdout, stderr)
	}
	const synopsis = "dispatchd bench --set DIR | dispatchd bench suggest ... | dispatchd bench http ... (see their -h); dispatchd bench --set DIR [--time-limit 10s] [--iterations N] [--seed 1] [--parallel 1] [--threads 1] [--only a,b] [--json FILE]"
	fs := flagSet("bench")
	set := fs.String("set", "", "directory of instances (Solomon text format) and their bks_distance_only.csv")
	budgetFlag := budgetFlags(fs, "budget per instance (default 10s, or none when --iterations is given)",
		"improvement iterations per instance")
	seed := fs.Uint64("seed", 1, "random seed")
	parallel := fs.Int("parallel", 1, "instances solved at once")
	threads := fs.Int("threads", 1, "threads (and cores) each instance is solved on")
	only := fs.String("only", "", "comma-separated instances to run (default: all in the csv)")
	jsonOut := fs.String("json", "", "also write the report as JSON to this file")
	if _, err := parseFlags(fs, synopsis, args, stdout, 0); err != nil {
		return err
	}
	if *set == "" {
		return usagef("--set DIR is required")
	}
	limit, iterations, err := budgetFlag.resolve()
	if err != nil {
		return err
	}
	if *parallel < 1 || *parallel > runtime.NumCPU() {
		return usagef("invalid value %d for flag -parallel: want 1 to %d (the cores here)", *parallel, runtime.NumCPU())
	}
	if *threads < 1 || *parallel**threads > runtime.NumCPU() {
		return usagef("invalid value %d for flag -threads: want 1 to %d (the cores here, over --parallel)", *threads, runtime.NumCPU() / *parallel)
	}
	if st, err := os.Stat(*set); err != nil || !st.IsDir() {
		return usagef("invalid value %q for flag -set: not a directory", *set)
	}
	// Each instance gets --threads cores, by default one, as the
	// published comparisons do; the runtime's helpers stay on the cores
	// the run was given.
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(*parallel * *threads))
	opts := bench.SetOptions{Dir: *set, TimeLimit: limit, Iterations: iterations, Seed: *seed, Parallel: *parallel, Threads: *threads}
	if *only != "" {
		for _, name := range strings.Split(*only, ",") {
			opts.Only = append(opts.Only, strings.ToLower(strings.TrimSpace(name)))
		}
	}
	io.WriteString(stdout, bench.TableHeader)
	opts.Done = func(r bench.Result) { bench.WriteRow(stdout, r) }
	rep, err := bench.RunSet(ctx, opts)
	if err != nil {
		return err
	}
	rep.WriteSummary(stdout)
	if *jsonOut != "" {
		if err := rep.WriteJSON(*jsonOut); err != nil {
			return err
		}
	}
	if rep.Summary.Feasible < rep.Summary.Instances {
		return fmt.Errorf("%d of %d plans are not feasible", rep.Summary.Instances-rep.Summary.Feasible, rep.Summary.Instances)
	}
	return nil
}

func runBenchSuggest(ctx context.Context, args []string, stdout io.Writer) error {
	const synopsis = "dispatchd bench suggest [--technicians 1000] [--stops 8] [--requests 10000] [--seed 1] [--radius-km 20] [--pruned]"
	fs := flagSet("bench suggest")
	opts := bench.SuggestOptions{}
	fs.IntVar(&opts.Technicians, "technicians", 1000, "technicians, each with a full route")
	fs.IntVar(&opts.Stops, "stops", 8, "jobs on each technician's route")
	fs.IntVar(&opts.Requests, "requests", 10000, "suggestions to time, one after the other")
	fs.Uint64Var(&opts.Seed, "seed", 1, "random seed of the day and the orders")
	fs.BoolVar(&opts.Pruned, "pruned", false, "search outward from the order by H3 rings instead of evaluating every technician")
	radiusKm := fs.Float64("radius-km", 20, "radius of the territory the crew and orders spread over")
	if _, err := parseFlags(fs, synopsis, args, stdout, 0); err != nil {
		return err
	}
	switch {
	case opts.Technicians < 1 || opts.Technicians > scenario.MaxGenerated:
		return usagef("invalid value %d for flag -technicians: want 1 to %d", opts.Technicians, scenario.MaxGenerated)
	case opts.Stops < 0 || opts.Stops > scenario.MaxStops:
		return usagef("invalid value %d for flag -stops: want 0 to %d", opts.Stops, scenario.MaxStops)
	case opts.Requests < 1 || opts.Requests > 10_000_000:
		return usagef("invalid value %d for flag -requests: want 1 to 10000000", opts.Requests)
	case !(*radiusKm >= 1 && *radiusKm <= 2000):
		return usagef("invalid value %v for flag -radius-km: want 1 to 2000", *radiusKm)
	}
	opts.RadiusMeters = *radiusKm * 1000
	rep, err := bench.RunSuggest(ctx, opts)
	if err != nil {
		return err
	}
	rep.Write(stdout)
	return nil
}

func runBenchHTTP(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	const synopsis = "dispatchd bench http [--url http://host:port (an admin token in $" + tokenEnv + " if it asks for keys) | --redis redis://…] --target location|suggest|stored-suggest [--concurrency 32] [--duration 10s] [--technicians 200] [--stops 8] [--plans N [--plan-keys 1] [--plan-orders 1000] [--plan-time 600s]]"
	fs := flagSet("bench http")
	opts := bench.LoadOptions{}
	redisURL := fs.String("redis", "", "serve in this process over the Redis at this URL (under a key prefix of its own, deleted afterwards); empty: over memory")
	fs.StringVar(&opts.URL, "url", "", "a running dispatchd to load instead of one served in this process")
	fs.StringVar(&opts.Target, "target", "location", "location (live position pings), suggest (stateless suggestions) or stored-suggest (suggestions for stored orders; served here, the store is seeded with a day of --technicians × --stops around now)")
	fs.IntVar(&opts.Concurrency, "concurrency", 32, "clients sending at once")
	fs.DurationVar(&opts.Duration, "duration", 10*time.Second, "how long to send")
	fs.IntVar(&opts.Technicians, "technicians", 200, "technicians: pinged, or in every suggestion body")
	fs.IntVar(&opts.Stops, "stops", 8, "jobs on each technician's route in a suggestion body")
	fs.Uint64Var(&opts.Seed, "seed", 1, "random seed")
	fs.IntVar(&opts.Plans, "plans", 0, "plans to start before the load (cancelled after it), to measure what they take from it")
	fs.IntVar(&opts.PlanKeys, "plan-keys", 1, "dispatcher keys that post the plans in turn (with keys: each key runs a bounded number)")
	fs.IntVar(&opts.PlanOrders, "plan-orders", 1000, "work orders of each plan's generated day (a technician per ten)")
	fs.DurationVar(&opts.PlanTime, "plan-time", 600*time.Second, "each plan's time limit")
	if _, err := parseFlags(fs, synopsis, args, stdout, 0); err != nil {
		return err
	}
	switch {
	case opts.Plans < 0 || opts.Plans > 64:
		return usagef("invalid value %d for flag -plans: want 0 to 64", opts.Plans)
	case opts.PlanKeys < 1 || opts.PlanKeys > 64:
		return usagef("invalid value %d for flag -plan-keys: want 1 to 64", opts.PlanKeys)
	case opts.PlanOrders < 1 || opts.PlanOrders > scenario.MaxGenerated:
		return usagef("invalid value %d for flag -plan-orders: want 1 to %d", opts.PlanOrders, scenario.MaxGenerated)
	case opts.PlanTime < time.Second:
		return usagef("invalid value %v for flag -plan-time: want at least 1s", opts.PlanTime)
	case opts.Target != "location" && opts.Target != "suggest" && opts.Target != "stored-suggest":
		return usagef("invalid value %q for flag -target: want location, suggest or stored-suggest", opts.Target)
	case opts.Concurrency < 1 || opts.Concurrency > 4096:
		return usagef("invalid value %d for flag -concurrency: want 1 to 4096", opts.Concurrency)
	case opts.Duration <= 0:
		return usagef("invalid value %v for flag -duration: want a positive duration", opts.Duration)
	case opts.Technicians < 1 || opts.Technicians > 100_000:
		return usagef("invalid value %d for flag -technicians: want 1 to 100000", opts.Technicians)
	case opts.Stops < 0 || opts.Stops > scenario.MaxStops:
		return usagef("invalid value %d for flag -stops: want 0 to %d", opts.Stops, scenario.MaxStops)
	case opts.URL != "" && *redisURL != "":
		return usagef("give --url or --redis, not both")
	}
	opts.Token = os.Getenv(tokenEnv)
	if opts.URL == "" {
		var seed *scenario.DayAroundOptions
		if opts.Target == "stored-suggest" {
			seed = &scenario.DayAroundOptions{Technicians: opts.Technicians, Stops: opts.Stops, NewOrders: 50, Seed: opts.Seed}
		}
		url, token, stop, err := serveForLoad(ctx, *redisURL, seed, stderr)
		if err != nil {
			return err
		}
		defer stop()
		opts.URL, opts.Token = url, token
	}
	rep, err := bench.Load(ctx, opts)
	if err != nil {
		return err
	}
	rep.Write(stdout)
	return nil
}

// serveForLoad serves the API in this process on a loopback port, over
// Redis (under a fresh prefix, purged at the end) or memory, with a
// bootstrap admin key of its own, which it returns.
//
// With seed, the store first holds a day of that size laid out around
// now, as serve --demo loads one.
func serveForLoad(ctx context.Context, redisURL string, seed *scenario.DayAroundOptions, stderr io.Writer) (string, string, func(), error) {
	var secret [24]byte
	_, _ = rand.Read(secret[:])
	token := hex.EncodeToString(secret[:])
	var st api.Store = store.NewMemory()
	purge := func() {}
	if redisURL != "" {
		var b [6]byte
		_, _ = rand.Read(b[:])
		rs, err := redisstore.Open(ctx, redisURL, redisstore.Options{Prefix: "dispatchd-bench:" + hex.EncodeToString(b[:]) + ":"})
		if err != nil {
			return "", "", nil, fmt.Errorf("opening the Redis store: %w", err)
		}
		st = rs
		purge = func() {
			pctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			_ = rs.Purge(pctx)
			rs.Close()
		}
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	if seed != nil {
		if err := importDay(ctx, st, *seed, log); err != nil {
			purge()
			return "", "", nil, err
		}
	}
	handler, err := api.New(api.Options{Store: st, BootstrapKey: token, Logger: log})
	if err != nil {
		purge()
		return "", "", nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		purge()
		return "", "", nil, err
	}
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	return "http://" + ln.Addr().String(), token, func() {
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
		_ = handler.Shutdown(sctx)
		purge()
	}, nil
}

func runBenchHostile(ctx context.Context, args []string, stdout io.Writer) error {
	const synopsis = "dispatchd bench hostile --url http://127.0.0.1:PORT (a dispatcher's or admin's token in $" + tokenEnv + ") [--bodies 6] [--orders 10000] [--time-limit 10s] [--seed 1]"
	fs := flagSet("bench hostile")
	opts := bench.HostileOptions{}
	fs.StringVar(&opts.URL, "url", "", "a running dispatchd on this machine (loopback)")
	fs.IntVar(&opts.Bodies, "bodies", 6, "3.9 MB hostile bodies posted at once")
	fs.IntVar(&opts.Orders, "orders", 10_000, "work orders of the planned day")
	fs.DurationVar(&opts.TimeLimit, "time-limit", 10*time.Second, "time_limit_s of the plan")
	fs.Uint64Var(&opts.Seed, "seed", 1, "random seed")
	if _, err := parseFlags(fs, synopsis, args, stdout, 0); err != nil {
		return err
	}
	opts.Token = os.Getenv(tokenEnv)
	if opts.URL == "" || opts.Bodies < 1 || opts.Bodies > 64 || opts.Orders < 1 {
		return usagef("bench hostile needs --url, 1 to 64 --bodies and a positive --orders")
	}
	rep, err := bench.Hostile(ctx, opts)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(stdout, "hostile bodies: %d at once, answers %v, peak RSS %.0f MB\nplan of %d orders, time_limit_s %v: answered in %v (%s)\ncancel: the plan stopped %v after DELETE (%s)\n",
		opts.Bodies, rep.Statuses, rep.PeakRSS/1e6, opts.Orders, opts.TimeLimit.Seconds(), rep.PlanTook.Round(time.Millisecond), rep.PlanStatus,
		rep.CancelTook.Round(time.Millisecond), rep.CancelStatus)
	return err
}

func runBenchLostState(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	const synopsis = "dispatchd bench lost-state [--redis-server PATH]"
	fs := flagSet("bench lost-state")
	bin := fs.String("redis-server", "redis-server", "the redis-server binary to run, without persistence, on a free port")
	if _, err := parseFlags(fs, synopsis, args, stdout, 0); err != nil {
		return err
	}
	path, err := exec.LookPath(*bin)
	if err != nil {
		return fmt.Errorf("bench lost-state runs a Redis of its own: %w (install Debian's redis-server package)", err)
	}
	rs, err := startRedis(ctx, path)
	if err != nil {
		return err
	}
	defer rs.stop()
	st, err := redisstore.Open(ctx, rs.url(), redisstore.Options{})
	if err != nil {
		return fmt.Errorf("opening the Redis store: %w", err)
	}
	defer st.Close()
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelError + 1}))
	handler, err := api.New(api.Options{Store: st, Logger: log})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
		_ = handler.Shutdown(sctx)
	}()
	rep, err := bench.LostState(ctx, "http://"+ln.Addr().String(), func() error {
		rs.stop()
		return rs.start(ctx)
	})
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(stdout, "lost state: /readyz %d before a Redis restart without persistence, %d %q %v after it\n",
		rep.Before, rep.After, rep.AfterTitle, rep.Took.Round(time.Millisecond))
	return err
}

// redisProcess is a redis-server of this command's own, without
// persistence, on a port it picked.
type redisProcess struct {
	bin, port string
	cmd       *exec.Cmd
}

func startRedis(ctx context.Context, bin string) (*redisProcess, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	ln.Close()
	r := &redisProcess{bin: bin, port: port}
	return r, r.start(ctx)
}

func (r *redisProcess) url() string { return "redis://127.0.0.1:" + r.port + "/0" }

// start runs the server and waits until it accepts connections.
func (r *redisProcess) start(ctx context.Context) error {
	dir, err := os.MkdirTemp("", "dispatchd-lost-state")
	if err != nil {
		return err
	}
	r.cmd = exec.Command(r.bin, "--port", r.port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir)
	if err := r.cmd.Start(); err != nil {
		return fmt.Errorf("starting %s: %w", r.bin, err)
	}
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if c, err := net.DialTimeout("tcp", "127.0.0.1:"+r.port, time.Second); err == nil {
			c.Close()
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
	return fmt.Errorf("redis-server on port %s does not accept connections after 10 s", r.port)
}

// stop kills the server: what it held is gone.
func (r *redisProcess) stop() {
	if r.cmd != nil && r.cmd.Process != nil {
		_ = r.cmd.Process.Kill()
		_ = r.cmd.Wait()
		r.cmd = nil
	}
}
