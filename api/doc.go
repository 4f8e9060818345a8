// Package api is dispatchd's HTTP/JSON layer: the chi router, strict
// decoding, errors as application/problem+json (RFC 9457) naming the field,
// handlers that call the solver and the store, Prometheus metrics and the
// service endpoints (/healthz, /readyz, /metrics).
//
// The interfaces it needs from the store are declared here, small, and
// satisfied by store.Memory and redisstore.Store; cmd/dispatchd passes the
// concrete types in.
package api
