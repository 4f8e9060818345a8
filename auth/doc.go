// Package auth is who may call dispatchd: API keys (generated, stored as
// hashes, verified in constant time) and the vocabulary of roles and the
// permissions they grant. It knows no HTTP: the api package reads the
// bearer token of a request and the permissions its route names, and asks
// this package whether the key behind the token has them; the dispatch
// package holds a key bound to a technician to that technician's records.
//
// A token is shown once, when its key is created. What the store keeps is
// the key's id, name, role, binding, creation and expiry, and the SHA-256
// of its token. Replicas share keys through the store and trust what they
// read for a short time (DefaultCacheTTL), so that a key revoked on one
// replica fails on every other within it.
package auth
