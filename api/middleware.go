package api

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/go-chi/chi/v5"
)

type requestIDKey struct{}

// RequestID returns the id of the request a context belongs to, or "".
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// maxRequestIDLen bounds a caller's X-Request-ID, which is echoed and logged.
const maxRequestIDLen = 128

// requestID takes the caller's X-Request-ID (or makes one), echoes it in
// the response and puts it in the request's context.
func requestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Request-ID")
		if id == "" || len(id) > maxRequestIDLen || !printable(id) {
			var b [8]byte
			_, _ = rand.Read(b[:])
			id = hex.EncodeToString(b[:])
		}
		w.Header().Set("X-Request-ID", id)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), requestIDKey{}, id)))
	})
}

func printable(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// statusRecorder remembers the status a handler wrote, and whether the
// answer failed to reach the client.
type statusRecorder struct {
	http.ResponseWriter
	status   int
	writeErr error
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	n, err := s.ResponseWriter.Write(b)
	if err != nil && s.writeErr == nil {
		s.writeErr = err
	}
	return n, err
}

// Unwrap lets http.ResponseController reach the underlying writer (for
// flushing server-sent events, and for deadlines).
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// knownMethods are the methods counted under their own name; any other
// is counted as "other", so that invented methods cannot grow the
// metrics without bound.
var knownMethods = map[string]bool{
	http.MethodGet: true, http.MethodHead: true, http.MethodPost: true, http.MethodPut: true,
	http.MethodPatch: true, http.MethodDelete: true, http.MethodOptions: true,
}

// otherLabel is the metrics label of a method or route the API does not
// know.
const otherLabel = "other"

// observe logs one line per request, naming the key it came with (its id,
// never its token), and counts and times it by chi's route pattern, so
// that /v1/technicians/T1 and /v1/technicians/T2 are one series.
// Only the API's methods and patterns are labels; the rest are "other". An
// answer the client did not take — it left, or read too slowly — is
// recorded as 499, whatever the handler meant to say.
func (s *Server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w}
		r, who := withCaller(r)
		// The server cancels the request's context when the client hangs
		// up; noted while the handler runs, that is a request nobody took
		// the answer of, even if its bytes went into a socket buffer
		// without an error.
		var left atomic.Bool
		stop := context.AfterFunc(r.Context(), func() { left.Store(true) })
		next.ServeHTTP(rec, r)
		stop()
		elapsed := time.Since(start)
		route := otherLabel
		if rc := chi.RouteContext(r.Context()); rc != nil && s.patterns[rc.RoutePattern()] {
			route = rc.RoutePattern()
		}
		method := r.Method
		if !knownMethods[method] {
			method = otherLabel
		}
		status := rec.status
		switch {
		case rec.writeErr != nil, left.Load():
			status = StatusClientClosedRequest
		case status == 0 && r.Context().Err() != nil:
			status = StatusClientClosedRequest
		case status == 0:
			status = http.StatusOK
		}
		s.metrics.requests.WithLabelValues(route, method, strconv.Itoa(status)).Inc()
		s.metrics.latency.WithLabelValues(route, method).Observe(elapsed.Seconds())
		level := slog.LevelInfo
		if status >= 500 {
			level = slog.LevelError
		}
		attrs := []slog.Attr{
			slog.String("request_id", RequestID(r.Context())),
			slog.String("method", method),
			slog.String("route", route),
			slog.String("path", logPath(r.URL.Path)),
			slog.Int("status", status),
			slog.Duration("duration", elapsed),
		}
		if who.ok {
			attrs = append(attrs, slog.String("key", who.key.ID))
		}
		if status == StatusClientClosedRequest && rec.writeErr != nil {
			attrs = append(attrs, slog.String("err", rec.writeErr.Error()))
		}
		s.log.LogAttrs(r.Context(), level, "request", attrs...)
	})
}

// logPath cuts a path for the log: a client chooses it, and a 100 kB path
// must not make a 100 kB line.
func logPath(p string) string {
	const most = 256
	if len(p) > most {
		return p[:most] + "…"
	}
	return p
}

// recoverPanics turns a handler's panic into a 500 problem: a broken
// invariant must not take the process down with every request in flight.
func (s *Server) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.ErrorContext(r.Context(), "panic", "request_id", RequestID(r.Context()), "panic", v, "stack", string(debug.Stack()))
				writeProblem(w, r, http.StatusInternalServerError, "internal error", "the request failed inside the service")
			}
		}()
		next.ServeHTTP(w, r)
	})
}
