package api

import (
	"context"
	"fmt"
	"math"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/dispatchd/dispatchd/auth"
	"github.com/dispatchd/dispatchd/dispatch"
	"github.com/dispatchd/dispatchd/model"
	"github.com/go-chi/chi/v5"
)

// callerKey is the context key of the request's caller.
type callerKey struct{}

// caller is who a request came from, once authenticated: observe puts an
// empty one in the context before the route runs, authorize fills it, so
// that the request's log line can name the key.
type caller struct {
	key auth.Key
	ok  bool
}

// actor is the dispatch actor of an authenticated request; routes open to
// anyone have none (the zero actor).
func actor(r *http.Request) dispatch.Actor {
	if c, _ := r.Context().Value(callerKey{}).(*caller); c != nil && c.ok {
		return dispatch.ActorOf(c.key)
	}
	return dispatch.Actor{}
}

// checkRules refuses a route table in which a route has no access rule,
// or a /v1 route is open to anyone: a route nobody thought about must not
// be served.
func checkRules(routes []route) error {
	for _, rt := range routes {
		switch {
		case len(rt.allow) == 0:
			return fmt.Errorf("api: route %s %s has no access rule: say which permissions may call it", rt.method, rt.pattern)
		case strings.HasPrefix(rt.pattern, "/v1/") && slices.Contains(rt.allow, auth.Anyone):
			return fmt.Errorf("api: route %s %s is open to anyone: every /v1 route needs a key", rt.method, rt.pattern)
		}
		for _, p := range rt.allow {
			if len(auth.RolesFor([]auth.Permission{p})) == 0 {
				return fmt.Errorf("api: route %s %s names the permission %q, which no role has", rt.method, rt.pattern, p)
			}
		}
	}
	return nil
}

// authorize lets a request in only with a valid key whose role has one of
// the route's permissions (none needed for a route open to anyone): a
// missing or bad credential is 401 with WWW-Authenticate, a role without
// the permission 403 naming the roles that have it. Failed credentials
// are counted and, past a budget per client address, answered 429; a
// valid key is never refused for what others sent from its address.
func (s *Server) authorize(rt route, next http.Handler) http.Handler {
	if slices.Contains(rt.allow, auth.Anyone) {
		return next
	}
	roles := auth.RolesFor(rt.allow)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key, err := s.svc.Authenticate(r.Context(), bearer(r))
		if err != nil {
			if model.KindOf(err) == model.ErrUnauthenticated {
				s.metrics.authFailures.WithLabelValues(auth.Reason(err)).Inc()
				if ok, wait := s.limiter.fail(clientAddress(r)); !ok {
					s.metrics.authLimited.Inc()
					w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
					writeProblem(w, r, http.StatusTooManyRequests, "too many failed attempts",
						"too many requests from this address came with bad credentials; retry later with a valid key")
					return
				}
			}
			s.fail(w, r, err)
			return
		}
		if c, _ := r.Context().Value(callerKey{}).(*caller); c != nil {
			c.key, c.ok = key, true
		}
		if !key.Role.CanAny(rt.allow) {
			s.metrics.authForbidden.WithLabelValues(string(key.Role)).Inc()
			p := Problem{Type: "urn:dispatchd:problem:forbidden", Title: "forbidden", Status: http.StatusForbidden, Instance: r.URL.Path,
				Detail: fmt.Sprintf("%s %s needs the %s role; the key %q is a %s key", rt.method, rt.pattern, auth.Spell(roles), key.Name, key.Role)}
			for _, role := range roles {
				p.Roles = append(p.Roles, string(role))
			}
			writeProblemDoc(w, p)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// bearer returns the token of an Authorization: Bearer header, "" when
// there is none, or the header itself when it is of another scheme (which
// then fails as malformed).
func bearer(r *http.Request) string {
	h := r.Header.Get("Authorization")
	scheme, token, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return h
	}
	return strings.TrimSpace(token)
}

// challenge is the WWW-Authenticate of a 401 (RFC 6750).
func challenge(err error) string {
	if auth.Reason(err) == "missing" {
		return `Bearer realm="dispatchd"`
	}
	return `Bearer realm="dispatchd", error="invalid_token"`
}

// clientAddress is whom failed attempts are counted against: the peer's
// IP address, an IPv6 address by its /64 (one host's share of a network).
func clientAddress(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	ip = ip.Unmap()
	if ip.Is6() {
		p, _ := ip.Prefix(64)
		return p.String()
	}
	return ip.String()
}

// failureLimiter budgets failed authentications per client address: a
// token bucket of burst attempts refilled at rate per second.
type failureLimiter struct {
	mu      sync.Mutex
	burst   float64
	rate    float64
	buckets map[string]*bucket
}

type bucket struct {
	tokens float64
	last   time.Time
}

// maxTracked bounds the addresses a limiter remembers: past it, those
// whose budget has refilled are forgotten, and if that is not enough,
// all.
const maxTracked = 1 << 16

func newFailureLimiter(burst int, perSecond float64) *failureLimiter {
	return &failureLimiter{burst: float64(burst), rate: perSecond, buckets: map[string]*bucket{}}
}

// fail charges one failed attempt to addr: it reports false, and how long
// until the next attempt is within budget, when addr has none left.
func (l *failureLimiter) fail(addr string) (bool, time.Duration) {
	now := time.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.buckets[addr]
	if b == nil {
		if len(l.buckets) >= maxTracked {
			l.sweep(now)
		}
		b = &bucket{tokens: l.burst, last: now}
		l.buckets[addr] = b
	}
	b.tokens = min(l.burst, b.tokens+now.Sub(b.last).Seconds()*l.rate)
	b.last = now
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	return false, time.Duration((1 - b.tokens) / l.rate * float64(time.Second))
}

func (l *failureLimiter) sweep(now time.Time) {
	for addr, b := range l.buckets {
		if b.tokens+now.Sub(b.last).Seconds()*l.rate >= l.burst {
			delete(l.buckets, addr)
		}
	}
	if len(l.buckets) >= maxTracked {
		clear(l.buckets)
	}
}

// keyCreated is the answer of POST /v1/keys: the key and, this once, its
// token.
type keyCreated struct {
	auth.Key
	Token string `json:"token"`
}

// keyList is the answer of GET /v1/keys.
type keyList struct {
	Keys []auth.Key `json:"keys"`
}

func (s *Server) createKey(w http.ResponseWriter, r *http.Request) {
	var req auth.Request
	if !s.decodeBody(w, r, &req) {
		return
	}
	key, token, err := s.svc.CreateKey(r.Context(), req, actor(r))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Location", "/v1/keys/"+key.ID)
	s.writeJSON(w, r, http.StatusCreated, keyCreated{Key: key, Token: token})
}

func (s *Server) listKeys(w http.ResponseWriter, r *http.Request) {
	keys, err := s.svc.Keys(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.writeJSON(w, r, http.StatusOK, keyList{keys})
}

func (s *Server) revokeKey(w http.ResponseWriter, r *http.Request) {
	if err := s.svc.RevokeKey(r.Context(), chi.URLParam(r, "id"), actor(r)); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// withCaller gives the request an empty caller for authorize to fill.
func withCaller(r *http.Request) (*http.Request, *caller) {
	c := &caller{}
	return r.WithContext(context.WithValue(r.Context(), callerKey{}, c)), c
}
