package api

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/dispatchd/dispatchd/model"
	"github.com/go-chi/chi/v5"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// TechnicianReader reads technicians.
type TechnicianReader interface {
	GetTechnician(ctx context.Context, id string) (model.Technician, error)
	ListTechnicians(ctx context.Context) ([]model.Technician, error)
}

// WorkOrderReader reads work orders.
type WorkOrderReader interface {
	GetWorkOrder(ctx context.Context, id string) (model.WorkOrder, error)
	ListWorkOrders(ctx context.Context) ([]model.WorkOrder, error)
}

// Store is the state the service reads; Ping tells /readyz whether it is
// reachable.
type Store interface {
	TechnicianReader
	WorkOrderReader
	Ping(ctx context.Context) error
}

// Registry is where the service's metrics are registered and gathered from;
// a *prometheus.Registry is one.
type Registry interface {
	prometheus.Registerer
	prometheus.Gatherer
}

// Options configure a Server.
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
}

// Server is dispatchd's HTTP handler.
type Server struct {
	router  chi.Router
	store   Store
	log     *slog.Logger
	metrics *metrics
	ready   time.Duration
	maxBody int64
}

// New returns a server, or an error if its metrics cannot be registered
// (for instance twice in one registry).
func New(opts Options) (*Server, error) {
	if opts.Store == nil {
		return nil, errors.New("api: New: Options.Store is nil")
	}
	reg := opts.Registry
	if reg == nil {
		r := prometheus.NewRegistry()
		r.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
		reg = r
	}
	m, err := newMetrics(reg)
	if err != nil {
		return nil, err
	}
	s := &Server{
		store:   opts.Store,
		log:     opts.Logger,
		metrics: m,
		ready:   opts.ReadyTimeout,
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.ready == 0 {
		s.ready = 2 * time.Second
	}
	s.maxBody = opts.MaxBodyBytes
	if s.maxBody <= 0 {
		s.maxBody = DefaultMaxBodyBytes
	}

	r := chi.NewRouter()
	r.Use(requestID, s.observe, s.recoverPanics)
	r.NotFound(func(w http.ResponseWriter, r *http.Request) {
		writeProblem(w, r, http.StatusNotFound, "no such route", r.Method+" "+r.URL.Path+" is not part of the API")
	})
	r.MethodNotAllowed(func(w http.ResponseWriter, r *http.Request) {
		writeProblem(w, r, http.StatusMethodNotAllowed, "method not allowed", r.Method+" is not allowed on "+r.URL.Path)
	})
	r.Get("/healthz", s.healthz)
	r.Get("/readyz", s.readyz)
	r.Method(http.MethodGet, "/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
	r.Route("/v1", func(r chi.Router) {
		r.Get("/technicians", s.listTechnicians)
		r.Get("/technicians/{id}", s.getTechnician)
		r.Get("/workorders", s.listWorkOrders)
		r.Get("/workorders/{id}", s.getWorkOrder)
		r.Post("/suggest", s.suggest)
		r.Post("/slots", s.slots)
	})
	s.router = r
	return s, nil
}

// ServeHTTP serves a request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.router.ServeHTTP(w, r) }

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), s.ready)
	defer cancel()
	if err := s.store.Ping(ctx); err != nil {
		s.log.WarnContext(ctx, "store not ready", "err", err)
		writeProblem(w, r, http.StatusServiceUnavailable, "store unavailable", err.Error())
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

func (s *Server) listTechnicians(w http.ResponseWriter, r *http.Request) {
	techs, err := s.store.ListTechnicians(r.Context())
	if err != nil {
		s.storeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"technicians": techs})
}

func (s *Server) getTechnician(w http.ResponseWriter, r *http.Request) {
	t, err := s.store.GetTechnician(r.Context(), chi.URLParam(r, "id"))
	if err != nil {
		s.storeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, t)
}

func (s *Server) listWorkOrders(w http.ResponseWriter, r *http.Request) {
	orders, err := s.store.ListWorkOrders(r.Context())
	if err != nil {
		s.storeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"work_orders": orders})
}

func (s *Server) getWorkOrder(w http.ResponseWriter, r *http.Request) {
	wo, err := s.store.GetWorkOrder(r.Context(), chi.URLParam(r, "id"))
	if err != nil {
		s.storeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, wo)
}
