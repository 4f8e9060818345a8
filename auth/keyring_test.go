package auth_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dispatchd/dispatchd/auth"
	"github.com/dispatchd/dispatchd/model"
	"github.com/dispatchd/dispatchd/store"
)

// clock is a settable time for expiry tests.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func newKeyring(t *testing.T, st auth.Store, opts auth.Options) *auth.Keyring {
	t.Helper()
	opts.Store = st
	k, err := auth.NewKeyring(opts)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestCreateVerifyRevoke(t *testing.T) {
	ctx := t.Context()
	st := store.NewMemory()
	k := newKeyring(t, st, auth.Options{})
	key, token, err := k.Create(ctx, auth.Request{Role: auth.Dispatcher, Name: "desk 3"}, "admin")
	if err != nil {
		t.Fatal(err)
	}
	if key.Role != auth.Dispatcher || key.Name != "desk 3" || key.CreatedBy != "admin" || key.ID == "" || !strings.Contains(token, key.ID) {
		t.Errorf("created %+v with token %q", key, token)
	}
	got, err := k.Verify(ctx, token)
	if err != nil || got.ID != key.ID || got.Role != auth.Dispatcher {
		t.Fatalf("Verify = %+v, %v; want key %s", got, err, key.ID)
	}
	// The store keeps the hash, never the token or its secret.
	rec, err := st.GetKey(ctx, key.ID)
	if err != nil {
		t.Fatal(err)
	}
	secret := token[len("dk_")+16+1:] // dk_, the id, _, the secret
	if bytes.Contains(rec, []byte(token)) || bytes.Contains(rec, []byte(secret)) {
		t.Errorf("the stored record %s holds the token", rec)
	}
	if err := k.Revoke(ctx, key.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := k.Verify(ctx, token); !errors.Is(err, auth.ErrUnknown) {
		t.Errorf("Verify of a revoked key on its own keyring: %v, want ErrUnknown at once", err)
	}
	if err := k.Revoke(ctx, key.ID); model.KindOf(err) != model.ErrNotFound {
		t.Errorf("Revoke twice: %v, want not found", err)
	}
}

func TestVerifyRefuses(t *testing.T) {
	ctx := t.Context()
	k := newKeyring(t, store.NewMemory(), auth.Options{})
	_, token, err := k.Create(ctx, auth.Request{Role: auth.Viewer, Name: "wall"}, "admin")
	if err != nil {
		t.Fatal(err)
	}
	// The same id with another secret of the right shape.
	flipped := token[:len(token)-1] + "A"
	if strings.HasSuffix(token, "A") {
		flipped = token[:len(token)-1] + "B"
	}
	for _, tc := range []struct {
		name, token string
		want        error
	}{
		{"nothing", "", auth.ErrMissing},
		{"not ours", "hunter2", auth.ErrMalformed},
		{"too long", strings.Repeat("a", auth.MaxTokenLength+1), auth.ErrMalformed},
		{"a wrong secret", flipped, auth.ErrUnknown},
		{"an unknown id", "dk_0123456789abcdef" + token[19:], auth.ErrUnknown},
		{"a cut token", token[:len(token)-1], auth.ErrMalformed},
		{"an upper-case id", "dk_" + strings.ToUpper(token[3:19]) + token[19:], auth.ErrMalformed},
	} {
		_, err := k.Verify(ctx, tc.token)
		if !errors.Is(err, tc.want) || model.KindOf(err) != model.ErrUnauthenticated {
			t.Errorf("%s: Verify error %v, want %v (unauthenticated)", tc.name, err, tc.want)
		}
		if auth.Reason(err) == "" {
			t.Errorf("%s: no reason for %v", tc.name, err)
		}
	}
}

func TestTokensAreRandom(t *testing.T) {
	ctx := t.Context()
	k := newKeyring(t, store.NewMemory(), auth.Options{})
	seen := map[string]bool{}
	for range 50 {
		key, token, err := k.Create(ctx, auth.Request{Role: auth.Viewer, Name: "v"}, "admin")
		if err != nil {
			t.Fatal(err)
		}
		secret := token[len("dk_")+16+1:] // dk_, the id, _, the secret
		// 32 bytes in base64url: 43 characters, 256 bits.
		if len(secret) != 43 || seen[secret] || seen[key.ID] {
			t.Fatalf("token %q: secret of %d characters, or drawn twice", token, len(secret))
		}
		seen[secret], seen[key.ID] = true, true
	}
}

func TestExpiry(t *testing.T) {
	ctx := t.Context()
	c := &clock{now: time.Date(2027, 6, 30, 22, 0, 0, 0, time.UTC)}
	k := newKeyring(t, store.NewMemory(), auth.Options{Clock: c.Now})
	key, token, err := k.Create(ctx, auth.Request{Role: auth.Viewer, Name: "temp", Expires: "2027-06-30"}, "admin")
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2027, 7, 1, 0, 0, 0, 0, time.UTC); key.Expires == nil || !key.Expires.Equal(want) {
		t.Errorf("expires %v, want the end of 2027-06-30 UTC, %v", key.Expires, want)
	}
	if _, err := k.Verify(ctx, token); err != nil {
		t.Fatalf("Verify before expiry: %v", err)
	}
	c.Add(2 * time.Hour)
	if _, err := k.Verify(ctx, token); !errors.Is(err, auth.ErrExpired) {
		t.Errorf("Verify after expiry: %v, want ErrExpired", err)
	}
}

func TestRequestValidation(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name   string
		req    auth.Request
		fields []string
	}{
		{"a dispatcher", auth.Request{Role: auth.Dispatcher, Name: "desk 3"}, nil},
		{"a technician", auth.Request{Role: auth.Technician, Name: "van 7", TechnicianID: "T7", Expires: "2027-06-30T18:00:00Z"}, nil},
		{"everything wrong", auth.Request{Role: "root", Name: "", Expires: "soon"}, []string{"role", "name", "expires"}},
		{"a technician unbound", auth.Request{Role: auth.Technician, Name: "van"}, []string{"technician_id"}},
		{"a technician with a bad id", auth.Request{Role: auth.Technician, Name: "van", TechnicianID: "T 7"}, []string{"technician_id"}},
		{"a viewer bound", auth.Request{Role: auth.Viewer, Name: "wall", TechnicianID: "T7"}, []string{"technician_id"}},
		{"already expired", auth.Request{Role: auth.Viewer, Name: "wall", Expires: "2026-11-22"}, []string{"expires"}},
		{"a control character", auth.Request{Role: auth.Viewer, Name: "a\nb"}, []string{"name"}},
	} {
		_, err := tc.req.Validate(now)
		var ve *model.ValidationError
		if len(tc.fields) == 0 {
			if err != nil {
				t.Errorf("%s: %v", tc.name, err)
			}
			continue
		}
		if !errors.As(err, &ve) || len(ve.Errors) != len(tc.fields) {
			t.Errorf("%s: %v, want errors in %v", tc.name, err, tc.fields)
			continue
		}
		for i, f := range tc.fields {
			if ve.Errors[i].Field != f {
				t.Errorf("%s: error %d names %q, want %q", tc.name, i, ve.Errors[i].Field, f)
			}
		}
	}
}

func TestBootstrap(t *testing.T) {
	ctx := t.Context()
	const boot = "a-deployment-script-secret-of-40-chars!!"
	k := newKeyring(t, store.NewMemory(), auth.Options{Bootstrap: boot})
	key, err := k.Verify(ctx, boot)
	if err != nil || key.Role != auth.Admin || !key.Bootstrap || key.ID != auth.BootstrapID {
		t.Fatalf("Verify(bootstrap) = %+v, %v; want the bootstrap admin", key, err)
	}
	if _, err := k.Verify(ctx, boot+"x"); !errors.Is(err, auth.ErrMalformed) {
		t.Errorf("Verify of the bootstrap key and more: %v", err)
	}
	keys, err := k.List(ctx)
	if err != nil || len(keys) != 1 || !keys[0].Bootstrap {
		t.Errorf("List = %+v, %v; want the bootstrap key", keys, err)
	}
	if err := k.Revoke(ctx, auth.BootstrapID); !errors.Is(err, auth.ErrBootstrapKey) {
		t.Errorf("Revoke(bootstrap): %v, want ErrBootstrapKey", err)
	}
	if _, err := auth.NewKeyring(auth.Options{Store: store.NewMemory(), Bootstrap: strings.Repeat("x", auth.MaxTokenLength+1)}); err == nil {
		t.Error("a bootstrap key longer than any token is accepted")
	}
}

// TestRevocationReachesOtherReplicas: two keyrings on one store are two
// replicas; a key revoked through one fails on the other within the
// cache's TTL.
func TestRevocationReachesOtherReplicas(t *testing.T) {
	ctx := t.Context()
	st := store.NewMemory()
	const ttl = 50 * time.Millisecond
	a := newKeyring(t, st, auth.Options{CacheTTL: ttl})
	b := newKeyring(t, st, auth.Options{CacheTTL: ttl})
	key, token, err := a.Create(ctx, auth.Request{Role: auth.Viewer, Name: "wall"}, "admin")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Verify(ctx, token); err != nil {
		t.Fatalf("B verifies A's new key: %v", err)
	}
	if err := a.Revoke(ctx, key.ID); err != nil {
		t.Fatal(err)
	}
	revoked := time.Now()
	for {
		_, err := b.Verify(ctx, token)
		if errors.Is(err, auth.ErrUnknown) {
			break
		}
		if time.Since(revoked) > 2*ttl {
			t.Fatalf("B still accepts the key %v after its revocation (TTL %v): %v", time.Since(revoked), ttl, err)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// failing is a store out of reach.
type failing struct{ auth.Store }

func (failing) GetKey(context.Context, string) ([]byte, error) {
	return nil, store.ErrUnavailable
}

func TestStoreDownIsNotUnauthenticated(t *testing.T) {
	ctx := t.Context()
	st := store.NewMemory()
	_, token, err := newKeyring(t, st, auth.Options{}).Create(ctx, auth.Request{Role: auth.Viewer, Name: "wall"}, "admin")
	if err != nil {
		t.Fatal(err)
	}
	_, err = newKeyring(t, failing{st}, auth.Options{}).Verify(ctx, token)
	if model.KindOf(err) != model.ErrUnavailable {
		t.Errorf("Verify with the store away: %v, want unavailable (a 503, not a 401)", err)
	}
}

func TestRoles(t *testing.T) {
	for _, tc := range []struct {
		ps   []auth.Permission
		want string
	}{
		{[]auth.Permission{auth.Read}, "viewer, operator, dispatcher or admin"},
		{[]auth.Permission{auth.Dispatch, auth.Field}, "technician, dispatcher or admin"},
		{[]auth.Permission{auth.Manage}, "admin"},
		{[]auth.Permission{auth.Anyone}, "viewer, technician, operator, dispatcher or admin"},
	} {
		if got := auth.Spell(auth.RolesFor(tc.ps)); got != tc.want {
			t.Errorf("RolesFor(%v) = %s, want %s", tc.ps, got, tc.want)
		}
	}
	if auth.Technician.Can(auth.Read) || !auth.Technician.Can(auth.Field) || auth.Viewer.Can(auth.Dispatch) || !auth.Admin.Can(auth.Manage) {
		t.Error("the grants are not the issue's")
	}
}

// BenchmarkVerify is what authentication adds to a request with a key the
// replica read within its cache's TTL: a hash, a map lookup, a
// constant-time comparison.
func BenchmarkVerify(b *testing.B) {
	ctx := context.Background()
	k, err := auth.NewKeyring(auth.Options{Store: store.NewMemory(), CacheTTL: time.Hour})
	if err != nil {
		b.Fatal(err)
	}
	_, token, err := k.Create(ctx, auth.Request{Role: auth.Technician, Name: "van", TechnicianID: "T1"}, "admin")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := k.Verify(ctx, token); err != nil {
			b.Fatal(err)
		}
	}
}
