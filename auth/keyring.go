package auth

import (
	"cmp"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/dispatchd/dispatchd/model"
)

// Store keeps key records, opaque to it; store.Memory and
// redisstore.Store are two. A record holds the hash of its token, never
// the token.
type Store interface {
	// CreateKey stores a record under a new id; an id already taken is an
	// error of kind model.ErrConflict.
	CreateKey(ctx context.Context, id string, record []byte) error
	// GetKey returns the record of id, or an error of kind
	// model.ErrNotFound.
	GetKey(ctx context.Context, id string) ([]byte, error)
	// ListKeys returns every record.
	ListKeys(ctx context.Context) ([][]byte, error)
	// DeleteKey removes the record of id, or returns an error of kind
	// model.ErrNotFound.
	DeleteKey(ctx context.Context, id string) error
}

// Key is an API key as it is shown: never with its token.
type Key struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	Role Role   `json:"role"`
	// TechnicianID binds a technician key to the one technician it acts
	// for.
	TechnicianID string    `json:"technician_id,omitempty"`
	Created      time.Time `json:"created"`
	// CreatedBy is the name of the key that created it.
	CreatedBy string `json:"created_by,omitempty"`
	// Expires, when set, is when the key stops working.
	Expires *time.Time `json:"expires,omitempty"`
	// Bootstrap marks the key DISPATCHD_BOOTSTRAP_KEY gives: in no store,
	// not revocable but by unsetting it.
	Bootstrap bool `json:"bootstrap,omitempty"`
}

// Expired reports whether the key has stopped working at now.
func (k *Key) Expired(now time.Time) bool { return k.Expires != nil && !now.Before(*k.Expires) }

// record is a key as the store keeps it: with the SHA-256 of its token,
// in hexadecimal.
type record struct {
	Key
	Hash string `json:"hash"`
}

// Request asks for a new key.
type Request struct {
	Role Role   `json:"role"`
	Name string `json:"name"`
	// TechnicianID is required of a technician key and refused of any
	// other.
	TechnicianID string `json:"technician_id,omitempty"`
	// Expires is YYYY-MM-DD (the key works through that day, UTC) or an
	// RFC 3339 time; empty means never.
	Expires string `json:"expires,omitempty"`
}

// Validate checks a request at now and returns when the key would expire
// (nil: never), naming every bad field.
func (req *Request) Validate(now time.Time) (*time.Time, error) {
	var errs []model.FieldError
	if !req.Role.Known() {
		errs = append(errs, model.FieldError{Field: "role", Message: fmt.Sprintf("want one of %s", Spell(Roles))})
	}
	if p := model.NameProblem(req.Name); p != "" {
		errs = append(errs, model.FieldError{Field: "name", Message: p})
	}
	switch {
	case req.Role == Technician && req.TechnicianID == "":
		errs = append(errs, model.FieldError{Field: "technician_id", Message: "required of a technician key: the technician it acts for"})
	case req.Role == Technician:
		if p := model.IDProblem(req.TechnicianID); p != "" {
			errs = append(errs, model.FieldError{Field: "technician_id", Message: p})
		}
	case req.TechnicianID != "":
		errs = append(errs, model.FieldError{Field: "technician_id", Message: "only a technician key is bound to a technician"})
	}
	var expires *time.Time
	if req.Expires != "" {
		t, err := ParseExpiry(req.Expires)
		switch {
		case err != nil:
			errs = append(errs, model.FieldError{Field: "expires", Message: err.Error()})
		case !t.After(now):
			errs = append(errs, model.FieldError{Field: "expires", Message: fmt.Sprintf("%s has passed", t.Format(time.RFC3339))})
		default:
			expires = &t
		}
	}
	if len(errs) > 0 {
		return nil, &model.ValidationError{Errors: errs}
	}
	return expires, nil
}

// ParseExpiry reads an expiry: YYYY-MM-DD is the end of that day in UTC
// (the key works through it), anything else must be an RFC 3339 time.
func ParseExpiry(s string) (time.Time, error) {
	if d, err := time.Parse(time.DateOnly, s); err == nil {
		return d.AddDate(0, 0, 1), nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, errors.New("want YYYY-MM-DD or an RFC 3339 time")
	}
	return t.UTC(), nil
}

// The reasons a credential is refused; each is of kind
// model.ErrUnauthenticated.
var (
	ErrMissing   = model.KindError(model.ErrUnauthenticated, "auth: no credentials")
	ErrMalformed = model.KindError(model.ErrUnauthenticated, "auth: not a bearer token of this service")
	ErrUnknown   = model.KindError(model.ErrUnauthenticated, "auth: the token is no key of this service (never was, or revoked)")
	ErrExpired   = model.KindError(model.ErrUnauthenticated, "auth: the key has expired")
)

// ErrBootstrapKey says the bootstrap key cannot be revoked through the
// API: it comes from the environment of every replica.
var ErrBootstrapKey = model.KindError(model.ErrConflict,
	"auth: the bootstrap key comes from DISPATCHD_BOOTSTRAP_KEY: unset it and restart every replica")

// Reason names why a credential was refused, for metrics: missing,
// malformed, unknown or expired; "" for any other error.
func Reason(err error) string {
	switch {
	case errors.Is(err, ErrMissing):
		return "missing"
	case errors.Is(err, ErrMalformed):
		return "malformed"
	case errors.Is(err, ErrUnknown):
		return "unknown"
	case errors.Is(err, ErrExpired):
		return "expired"
	}
	return ""
}

// BootstrapID is the id of the bootstrap key.
const BootstrapID = "bootstrap"

// DefaultCacheTTL is how long a replica trusts a key it read from the
// store: a key revoked elsewhere fails here this long after at most. Half
// a second costs a busy replica a store read per key twice a second.
const DefaultCacheTTL = 500 * time.Millisecond

// Options configure a Keyring. Zero values take the defaults documented
// on each field.
type Options struct {
	// Store is required.
	Store Store
	// Clock tells the time keys expire by and are created at; nil means
	// time.Now.
	Clock func() time.Time
	// Bootstrap, when not empty, is a token that is an admin key without
	// being stored (DISPATCHD_BOOTSTRAP_KEY): how a deployment gets its
	// first key.
	Bootstrap string
	// CacheTTL is how long a key read from the store is trusted; zero
	// means DefaultCacheTTL.
	CacheTTL time.Duration
}

// Keyring creates, lists, revokes and verifies API keys. Every replica
// has one over the shared store; it caches what it reads for CacheTTL. It
// is safe for concurrent use.
type Keyring struct {
	store   Store
	clock   func() time.Time
	ttl     time.Duration
	boot    *[sha256.Size]byte
	bootKey Key

	mu    sync.RWMutex
	cache map[string]cached
}

// cached is a key read from the store, with its hash, and when.
type cached struct {
	key  Key
	hash [sha256.Size]byte
	read time.Time
}

// NewKeyring returns a keyring over a store.
func NewKeyring(opts Options) (*Keyring, error) {
	if opts.Store == nil {
		return nil, errors.New("auth: NewKeyring: Options.Store is nil")
	}
	if len(opts.Bootstrap) > MaxTokenLength {
		return nil, fmt.Errorf("auth: NewKeyring: the bootstrap key is %d characters; at most %d", len(opts.Bootstrap), MaxTokenLength)
	}
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	k := &Keyring{store: opts.Store, clock: opts.Clock, ttl: cmp.Or(opts.CacheTTL, DefaultCacheTTL), cache: map[string]cached{}}
	if opts.Bootstrap != "" {
		h := hashToken(opts.Bootstrap)
		k.boot = &h
		k.bootKey = Key{ID: BootstrapID, Name: "bootstrap", Role: Admin, Created: k.clock().UTC(),
			CreatedBy: "DISPATCHD_BOOTSTRAP_KEY", Bootstrap: true}
	}
	return k, nil
}

// Create makes a key for a valid request, created by the named actor, and
// returns it with its token: the only time the token is seen.
func (k *Keyring) Create(ctx context.Context, req Request, by string) (Key, string, error) {
	now := k.clock().UTC().Truncate(time.Millisecond)
	expires, err := req.Validate(now)
	if err != nil {
		return Key{}, "", err
	}
	// 64-bit ids do not meet by chance; if one ever did, draw again.
	for attempt := 0; ; attempt++ {
		id, token := newToken()
		h := hashToken(token)
		key := Key{ID: id, Name: req.Name, Role: req.Role, TechnicianID: req.TechnicianID, Created: now, CreatedBy: by, Expires: expires}
		data, err := json.Marshal(record{Key: key, Hash: hex.EncodeToString(h[:])})
		if err != nil {
			return Key{}, "", fmt.Errorf("auth: encoding a key: %w", err)
		}
		err = k.store.CreateKey(ctx, id, data)
		if errors.Is(err, model.ErrConflict) && attempt < 3 {
			continue
		}
		if err != nil {
			return Key{}, "", fmt.Errorf("auth: creating a key: %w", err)
		}
		return key, token, nil
	}
}

// List returns every key, the bootstrap key first, then by creation.
func (k *Keyring) List(ctx context.Context) ([]Key, error) {
	records, err := k.store.ListKeys(ctx)
	if err != nil {
		return nil, fmt.Errorf("auth: listing keys: %w", err)
	}
	out := make([]Key, 0, len(records)+1)
	for _, data := range records {
		var rec record
		if err := json.Unmarshal(data, &rec); err != nil {
			return nil, fmt.Errorf("auth: decoding a stored key: %w", err)
		}
		out = append(out, rec.Key)
	}
	slices.SortFunc(out, func(a, b Key) int { return cmp.Or(a.Created.Compare(b.Created), cmp.Compare(a.ID, b.ID)) })
	if k.boot != nil {
		out = append([]Key{k.bootKey}, out...)
	}
	return out, nil
}

// Revoke deletes a key: it fails at once on this replica and within
// CacheTTL on every other. An unknown id is an error of kind
// model.ErrNotFound; the bootstrap key is ErrBootstrapKey.
func (k *Keyring) Revoke(ctx context.Context, id string) error {
	if id == BootstrapID && k.boot != nil {
		return ErrBootstrapKey
	}
	err := k.store.DeleteKey(ctx, id)
	k.mu.Lock()
	delete(k.cache, id)
	k.mu.Unlock()
	if err != nil {
		return fmt.Errorf("auth: revoking key %s: %w", id, err)
	}
	return nil
}

// Verify returns the key a token belongs to. A token that is no key's
// (malformed, unknown, revoked, its secret wrong) or an expired key's is
// an error of kind model.ErrUnauthenticated (ErrMalformed, ErrUnknown,
// ErrExpired); a store out of reach is of kind model.ErrUnavailable. The
// token is compared by its hash in constant time; its id is public.
func (k *Keyring) Verify(ctx context.Context, token string) (Key, error) {
	if token == "" {
		return Key{}, ErrMissing
	}
	if len(token) > MaxTokenLength {
		return Key{}, ErrMalformed
	}
	h := hashToken(token)
	if k.boot != nil && subtle.ConstantTimeCompare(h[:], k.boot[:]) == 1 {
		return k.bootKey, nil
	}
	id, ok := tokenID(token)
	if !ok {
		return Key{}, ErrMalformed
	}
	c, err := k.lookup(ctx, id)
	if err != nil {
		return Key{}, err
	}
	if subtle.ConstantTimeCompare(h[:], c.hash[:]) != 1 {
		return Key{}, ErrUnknown
	}
	if c.key.Expired(k.clock()) {
		return Key{}, ErrExpired
	}
	return c.key, nil
}

// lookup returns a key by id: from the cache if read within the TTL, else
// from the store.
func (k *Keyring) lookup(ctx context.Context, id string) (cached, error) {
	k.mu.RLock()
	c, ok := k.cache[id]
	k.mu.RUnlock()
	if ok && time.Since(c.read) < k.ttl {
		return c, nil
	}
	data, err := k.store.GetKey(ctx, id)
	if errors.Is(err, model.ErrNotFound) {
		k.mu.Lock()
		delete(k.cache, id)
		k.mu.Unlock()
		return cached{}, ErrUnknown
	}
	if err != nil {
		return cached{}, fmt.Errorf("auth: reading key %s: %w", id, err)
	}
	var rec record
	if err := json.Unmarshal(data, &rec); err != nil {
		return cached{}, fmt.Errorf("auth: decoding key %s: %w", id, err)
	}
	c = cached{key: rec.Key, read: time.Now()}
	if n, err := hex.Decode(c.hash[:], []byte(rec.Hash)); err != nil || n != sha256.Size {
		return cached{}, fmt.Errorf("auth: key %s has a damaged hash", id)
	}
	k.mu.Lock()
	k.cache[id] = c
	k.mu.Unlock()
	return c, nil
}
