package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/dispatchd/dispatchd/api"
	"github.com/dispatchd/dispatchd/bench"
	"github.com/dispatchd/dispatchd/model"
	"github.com/dispatchd/dispatchd/store"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// serveConfig is what `dispatchd serve` runs with.
type serveConfig struct {
	addr            string
	demo            bool
	shutdownTimeout time.Duration
	// listening, if set, is told the address once the listener is open
	// (tests serve on port 0).
	listening func(addr string)
}

func runServe(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	const synopsis = "dispatchd serve [--addr :8080] [--demo] [--shutdown-timeout 30s]"
	fs := flagSet("serve")
	cfg := serveConfig{}
	fs.StringVar(&cfg.addr, "addr", ":8080", "address to listen on")
	fs.BoolVar(&cfg.demo, "demo", false, "load a generated demo day (20 technicians, 200 work orders, today) into the store")
	fs.DurationVar(&cfg.shutdownTimeout, "shutdown-timeout", 30*time.Second, "how long running requests may take to finish on SIGINT/SIGTERM")
	if _, err := parseFlags(fs, synopsis, args, stdout, 0); err != nil {
		return err
	}
	if cfg.shutdownTimeout <= 0 {
		return usagef("invalid value %v for flag -shutdown-timeout: want a positive duration", cfg.shutdownTimeout)
	}
	if _, _, err := net.SplitHostPort(cfg.addr); err != nil {
		return usagef("invalid value %q for flag -addr: want host:port or :port", cfg.addr)
	}
	return serve(ctx, cfg, slog.New(slog.NewTextHandler(stderr, nil)))
}

// serve runs the service until ctx is done, then shuts down gracefully:
// it stops accepting connections and lets running requests finish within
// the shutdown timeout.
func serve(ctx context.Context, cfg serveConfig, log *slog.Logger) error {
	st := store.NewMemory()
	if cfg.demo {
		if err := loadDemo(ctx, st); err != nil {
			return err
		}
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	handler, err := api.New(api.Options{Store: st, Registry: reg, Logger: log})
	if err != nil {
		return fmt.Errorf("building the API: %w", err)
	}
	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return fmt.Errorf("listening: %w", err)
	}
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	log.Info("dispatchd serving", "addr", ln.Addr().String(), "store", "memory", "demo", cfg.demo)
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
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutting down: %w", err)
	}
	if err := <-done; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serving: %w", err)
	}
	log.Info("stopped")
	return nil
}

// loadDemo fills the store with a generated day for today, so that a
// newcomer has technicians and work orders to call the API with.
func loadDemo(ctx context.Context, st *store.Memory) error {
	p, err := bench.GenerateDay(bench.DayOptions{Orders: 200, Technicians: 20, Seed: 1, Date: model.DateOf(time.Now())})
	if err != nil {
		return fmt.Errorf("generating the demo day: %w", err)
	}
	for _, t := range p.Technicians {
		if err := st.PutTechnician(ctx, t); err != nil {
			return fmt.Errorf("loading the demo day: %w", err)
		}
	}
	for _, w := range p.WorkOrders {
		if err := st.PutWorkOrder(ctx, w); err != nil {
			return fmt.Errorf("loading the demo day: %w", err)
		}
	}
	return nil
}
