package cache_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/authgate/authgate/cache"
	"github.com/authgate/authgate/identity"
)

// fixture is an open Authenticator over fakes, with one user "u1" and one
// active session "s1", and a token "tok-u1" for them valid for 15 minutes.
type fixture struct {
	clock *clock
	next  *fakeVerifier
	store *fakeStore
	reg   *prometheus.Registry
	a     *cache.Authenticator
}

const tok = "tok-u1"

func newFixture(t testing.TB) *fixture {
	t.Helper()
	f := &fixture{clock: newClock(), store: newFakeStore(), reg: prometheus.NewRegistry()}
	f.next = newFakeVerifier(f.clock.Now)
	now := f.clock.Now()
	f.store.putUser(identity.User{UID: "u1", Email: "ada@example.com", DisplayName: "Ada", IsActive: true,
		Roles: []string{"user"}, PasswordHash: "$argon2id$secret", TOTPSecret: "TOTPSECRET"})
	f.store.putSession(identity.Session{ID: "s1", UID: "u1", CreatedAt: now, ExpiresAt: now.Add(720 * time.Hour)})
	f.next.add(tok, identity.Principal{UID: "u1", Email: "old@example.com", Roles: []string{"user"},
		SessionID: "s1", TokenID: "j1", Source: identity.SourceAuthgate,
		IssuedAt: now.Truncate(time.Second), ExpiresAt: now.Add(15 * time.Minute)})
	f.a = &cache.Authenticator{Next: f.next, Users: f.store, Sessions: f.store, Registerer: f.reg, Now: f.clock.Now}
	if err := f.a.Open(context.Background()); err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { f.a.Close() })
	return f
}

// verify verifies and waits until the result is in the cache.
func (f *fixture) verify(t testing.TB, raw string) (*identity.Principal, error) {
	t.Helper()
	p, err := f.a.Verify(context.Background(), raw)
	f.a.Wait()
	return p, err
}

func (f *fixture) mustVerify(t testing.TB, raw string) *identity.Principal {
	t.Helper()
	p, err := f.verify(t, raw)
	if err != nil {
		t.Fatalf("Verify(%q): %v", raw, err)
	}
	return p
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if !identity.IsCode(err, code) {
		t.Fatalf("error = %v, want code %q", err, code)
	}
}

func TestVerifyMissThenHit(t *testing.T) {
	f := newFixture(t)
	p := f.mustVerify(t, tok)
	if p.UID != "u1" || p.SessionID != "s1" {
		t.Fatalf("principal = %+v", p)
	}
	if p.Email != "ada@example.com" || p.Name != "Ada" {
		t.Errorf("email/name = %q/%q, want the current profile's", p.Email, p.Name)
	}
	for range 3 {
		if q := f.mustVerify(t, tok); q.UID != "u1" || q.Email != "ada@example.com" {
			t.Fatalf("cached principal = %+v", q)
		}
	}
	if n := f.next.calls.Load(); n != 1 {
		t.Errorf("Next called %d times, want 1", n)
	}
	if n := f.store.sessionReads.Load(); n != 1 {
		t.Errorf("session read %d times, want 1", n)
	}
	if got := counter(t, f.reg, "authgate_cache_hits_total", "token"); got != 3 {
		t.Errorf("token hits = %v, want 3", got)
	}
	if got := counter(t, f.reg, "authgate_cache_misses_total", "token"); got != 1 {
		t.Errorf("token misses = %v, want 1", got)
	}
	if got := counter(t, f.reg, "authgate_cache_entries", "token"); got != 1 {
		t.Errorf("token entries = %v, want 1", got)
	}
}

func TestVerifyReturnsCopies(t *testing.T) {
	f := newFixture(t)
	p := f.mustVerify(t, tok)
	p.UID = "mallory"
	p.Email = "x"
	if q := f.mustVerify(t, tok); q.UID != "u1" || q.Email != "ada@example.com" {
		t.Fatalf("a caller's change reached the cache: %+v", q)
	}
}

func TestNextErrorPassesThroughAndIsNotCached(t *testing.T) {
	f := newFixture(t)
	cause := identity.Errorf(identity.EINVALIDTOKEN, "The token signature is invalid.")
	f.next.err = cause
	for i := range 2 {
		_, err := f.verify(t, tok)
		if !errors.Is(err, cause) || err != error(cause) {
			t.Fatalf("call %d: error = %v, want Next's error unchanged", i, err)
		}
	}
	if n := f.next.calls.Load(); n != 2 {
		t.Errorf("Next called %d times, want 2 (errors are not cached)", n)
	}
	f.next.err = nil
	if _, err := f.verify(t, tok); err != nil {
		t.Fatalf("after Next recovered: %v", err)
	}
}

func TestUnknownTokenRefused(t *testing.T) {
	f := newFixture(t)
	_, err := f.verify(t, "garbage")
	wantCode(t, err, identity.EINVALIDTOKEN)
	_, err = f.verify(t, "")
	wantCode(t, err, identity.EINVALIDTOKEN)
}

func TestEntryNeverOutlivesTokenExpiry(t *testing.T) {
	f := newFixture(t)
	now := f.clock.Now()
	f.next.add("short", identity.Principal{UID: "u1", SessionID: "s1", Source: identity.SourceAuthgate,
		IssuedAt: now, ExpiresAt: now.Add(10 * time.Second)})
	f.mustVerify(t, "short")
	f.clock.Advance(9 * time.Second)
	f.mustVerify(t, "short")
	if n := f.next.calls.Load(); n != 1 {
		t.Fatalf("Next called %d times before expiry, want 1", n)
	}
	f.clock.Advance(time.Second) // exactly at exp
	_, err := f.verify(t, "short")
	wantCode(t, err, identity.ETOKENEXPIRED)
	if n := f.next.calls.Load(); n != 2 {
		t.Errorf("Next called %d times, want 2: the expired entry must not answer", n)
	}
}

func TestSessionAndProfileTTL(t *testing.T) {
	f := newFixture(t)
	f.mustVerify(t, tok)
	// Revoked in the store, but nobody called InvalidateSession (say,
	// another replica without Redis): SessionTTL bounds the staleness.
	if err := f.store.RevokeSession(context.Background(), "s1", f.clock.Now()); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(cache.DefaultSessionTTL - time.Second)
	f.mustVerify(t, tok)
	f.clock.Advance(time.Second)
	_, err := f.verify(t, tok)
	wantCode(t, err, identity.EINVALIDTOKEN)
}

func TestInvalidateSessionRefusesCachedTokenAtOnce(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.mustVerify(t, tok)
	if err := f.store.RevokeSession(ctx, "s1", f.clock.Now()); err != nil {
		t.Fatal(err)
	}
	f.a.InvalidateSession(ctx, "s1")
	// No Wait, no clock movement: the very next Verify refuses.
	_, err := f.a.Verify(ctx, tok)
	wantCode(t, err, identity.EINVALIDTOKEN)
	_, err = f.a.Verify(ctx, tok)
	wantCode(t, err, identity.EINVALIDTOKEN)
}

func TestInvalidateSessionOfOtherSessionKeepsEntry(t *testing.T) {
	f := newFixture(t)
	f.mustVerify(t, tok)
	f.a.InvalidateSession(context.Background(), "s-other")
	f.mustVerify(t, tok)
	if n := f.next.calls.Load(); n != 1 {
		t.Errorf("Next called %d times, want 1", n)
	}
}

func TestInvalidateUserRoleChangeVisibleAtOnce(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if p := f.mustVerify(t, tok); !slices.Equal(p.Roles, []string{"user"}) {
		t.Fatalf("roles = %v", p.Roles)
	}
	f.store.editUser("u1", func(u *identity.User) { u.Roles = []string{"user", "admin"} })
	f.a.InvalidateUser(ctx, "u1")
	p, err := f.a.Verify(ctx, tok)
	if err != nil {
		t.Fatal(err)
	}
	if !p.HasRole("admin") {
		t.Fatalf("roles after grant = %v", p.Roles)
	}
	f.a.Wait()
	// Removing a role works the same way, although the token still says "user".
	f.store.editUser("u1", func(u *identity.User) { u.Roles = nil })
	f.a.InvalidateUser(ctx, "u1")
	p, err = f.a.Verify(ctx, tok)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Roles) != 0 {
		t.Fatalf("roles after removal = %v, want none", p.Roles)
	}
}

func TestDisabledUserRefused(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.mustVerify(t, tok)
	f.store.editUser("u1", func(u *identity.User) { u.IsActive = false })
	f.a.InvalidateUser(ctx, "u1")
	_, err := f.a.Verify(ctx, tok)
	wantCode(t, err, identity.EUSERDISABLED)

	// A fresh Authenticator (nothing cached) refuses too.
	g := newFixture(t)
	g.store.editUser("u1", func(u *identity.User) { u.IsActive = false })
	_, err = g.verify(t, tok)
	wantCode(t, err, identity.EUSERDISABLED)
}

func TestDeletedUserRefused(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.mustVerify(t, tok)
	_ = f.store.DeleteUser(ctx, "u1")
	f.a.InvalidateUser(ctx, "u1")
	_, err := f.a.Verify(ctx, tok)
	wantCode(t, err, identity.EINVALIDTOKEN)
}

// A password change refuses sessionless tokens (Firebase ID tokens) issued
// before it. Tokens with an authgate session are not judged by the change
// time: the change revokes the other sessions (and the cache hears of it),
// while the session that made the change goes on working.
func TestPasswordChangeRefusesOlderSessionlessTokens(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	const fbTok = "tok-firebase"
	f.next.add(fbTok, identity.Principal{UID: "u1", Source: identity.SourceFirebase,
		IssuedAt: f.clock.Now().Truncate(time.Second), ExpiresAt: f.clock.Now().Add(time.Hour)})
	f.mustVerify(t, fbTok)
	f.mustVerify(t, tok)
	issued := f.clock.Now().Truncate(time.Second)

	f.clock.Advance(3 * time.Second)
	changed := f.clock.Now().Add(250 * time.Millisecond)
	f.store.editUser("u1", func(u *identity.User) { u.PasswordChangedAt = &changed })
	f.a.InvalidateUser(ctx, "u1")
	_, err := f.a.Verify(ctx, fbTok)
	wantCode(t, err, identity.EINVALIDTOKEN)
	if _, err := f.a.Verify(ctx, tok); err != nil {
		t.Errorf("the token of a still-active session was refused after a password change: %v", err)
	}

	// The token handed out with the new password (same second, iat has
	// whole seconds) is accepted; one from the second before is not.
	for _, c := range []struct {
		name string
		iat  time.Time
		ok   bool
	}{
		{"same second", changed.Truncate(time.Second), true},
		{"later", changed.Add(time.Second), true},
		{"second before", changed.Truncate(time.Second).Add(-time.Second), false},
		{"original", issued, false},
		{"no iat", time.Time{}, false},
	} {
		raw := "tok-" + c.name
		f.next.add(raw, identity.Principal{UID: "u1", Source: identity.SourceFirebase,
			IssuedAt: c.iat, ExpiresAt: f.clock.Now().Add(time.Hour)})
		_, err := f.verify(t, raw)
		if c.ok && err != nil {
			t.Errorf("%s: %v, want accepted", c.name, err)
		}
		if !c.ok && !identity.IsCode(err, identity.EINVALIDTOKEN) {
			t.Errorf("%s: %v, want invalid_token", c.name, err)
		}
	}
}

func TestSessionChecks(t *testing.T) {
	f := newFixture(t)
	now := f.clock.Now()
	revoked := now.Add(-time.Minute)
	f.store.putSession(identity.Session{ID: "s-revoked", UID: "u1", ExpiresAt: now.Add(time.Hour), RevokedAt: &revoked})
	f.store.putSession(identity.Session{ID: "s-expired", UID: "u1", ExpiresAt: now.Add(-time.Second)})
	f.store.putSession(identity.Session{ID: "s-other-user", UID: "u2", ExpiresAt: now.Add(time.Hour)})
	for _, sid := range []string{"s-revoked", "s-expired", "s-other-user", "s-missing"} {
		raw := "tok-" + sid
		f.next.add(raw, identity.Principal{UID: "u1", SessionID: sid, Source: identity.SourceAuthgate,
			IssuedAt: now, ExpiresAt: now.Add(time.Hour)})
		_, err := f.verify(t, raw)
		if !identity.IsCode(err, identity.EINVALIDTOKEN) {
			t.Errorf("%s: %v, want invalid_token", sid, err)
		}
	}
}

func TestStoreErrorIsInternalAndNotCached(t *testing.T) {
	f := newFixture(t)
	f.a.Close()
	broken := &brokenSessions{fakeStore: f.store}
	a := &cache.Authenticator{Next: f.next, Users: f.store, Sessions: broken, Now: f.clock.Now}
	if err := a.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	_, err := a.Verify(context.Background(), tok)
	if err == nil || identity.ErrorCode(err) != identity.EINTERNAL || !errors.Is(err, errDiskOnFire) {
		t.Fatalf("error = %v, want an internal error wrapping the store's", err)
	}
}

var errDiskOnFire = errors.New("disk on fire")

type brokenSessions struct{ *fakeStore }

func (b *brokenSessions) FindSessionByID(ctx context.Context, id string) (*identity.Session, error) {
	return nil, errDiskOnFire
}

func TestFirebasePrincipal(t *testing.T) {
	f := newFixture(t)
	now := f.clock.Now()
	fb := identity.Principal{UID: "fb1", Email: "fb@example.com", EmailVerified: true, Roles: []string{"editor"},
		Source: identity.SourceFirebase, IssuedAt: now, ExpiresAt: now.Add(time.Hour)}
	f.next.add("fb-token", fb)

	// No users row yet: accepted on the token's own claims.
	p := f.mustVerify(t, "fb-token")
	if p.UID != "fb1" || p.Email != "fb@example.com" || !p.EmailVerified || !slices.Equal(p.Roles, []string{"editor"}) {
		t.Fatalf("first sight principal = %+v", p)
	}

	// The auth API creates the row and tells the cache; the profile's roles
	// and the custom claim's roles are united.
	f.store.putUser(identity.User{UID: "fb1", Email: "fb@example.com", EmailVerified: true, IsActive: true, Roles: []string{"admin", "editor"}})
	f.a.InvalidateUser(context.Background(), "fb1")
	p = f.mustVerify(t, "fb-token")
	if !slices.Equal(p.Roles, []string{"admin", "editor"}) {
		t.Fatalf("roles = %v, want profile ∪ claim", p.Roles)
	}

	// A disabled Firebase user is refused like any other.
	f.store.editUser("fb1", func(u *identity.User) { u.IsActive = false })
	f.a.InvalidateUser(context.Background(), "fb1")
	_, err := f.verify(t, "fb-token")
	wantCode(t, err, identity.EUSERDISABLED)
}

func TestInvalidationDuringMissIsNotLost(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	// The role changes while the first verification is in flight, after
	// its profile read would have happened in an unlucky interleaving.
	f.next.hook = func() {
		f.next.hook = nil
		f.a.InvalidateUser(ctx, "u1")
	}
	f.mustVerify(t, tok)
	f.mustVerify(t, tok)
	if n := f.next.calls.Load(); n != 2 {
		t.Fatalf("Next called %d times, want 2: an entry cached across an invalidation must be stale", n)
	}
	f.mustVerify(t, tok)
	if n := f.next.calls.Load(); n != 2 {
		t.Fatalf("Next called %d times, want 2: the re-verified entry is good", n)
	}
}

func TestConcurrentVerifySameToken(t *testing.T) {
	f := newFixture(t)
	release := make(chan struct{})
	f.next.hook = func() { <-release }
	const n = 32
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Go(func() {
			p, err := f.a.Verify(context.Background(), tok)
			if err == nil && (p.UID != "u1" || p.Email != "ada@example.com") {
				err = errors.New("wrong principal")
			}
			errs <- err
		})
	}
	close(release)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if c := f.next.calls.Load(); c < 1 || c > n {
		t.Fatalf("Next called %d times", c)
	}
}

func TestProfile(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	u, err := f.a.Profile(ctx, "u1")
	if err != nil {
		t.Fatal(err)
	}
	if u.PasswordHash != "" || u.TOTPSecret != "" {
		t.Fatal("the profile cache must not hold secrets")
	}
	u.Roles[0] = "mutated"
	f.a.Wait()
	v, err := f.a.Profile(ctx, "u1")
	if err != nil {
		t.Fatal(err)
	}
	if v.Roles[0] != "user" {
		t.Fatalf("a caller's change reached the cache: %v", v.Roles)
	}
	if r := f.store.userReads.Load(); r != 1 {
		t.Errorf("user store read %d times, want 1", r)
	}
	_, err = f.a.Profile(ctx, "nobody")
	wantCode(t, err, identity.ENOTFOUND)
}

func TestOpenValidates(t *testing.T) {
	a := &cache.Authenticator{Config: cache.Config{SessionTTL: time.Millisecond, TokenCacheBytes: 10}}
	err := a.Open(context.Background())
	if err == nil {
		t.Fatal("Open accepted a bad configuration")
	}
	for _, want := range []string{"Next", "Users", "Sessions", "session TTL", "token cache size"} {
		if !containsFold(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	if _, err := (&cache.Authenticator{}).Verify(context.Background(), tok); err == nil {
		t.Error("Verify before Open succeeded")
	}
}

func TestMetricsRegisteredOnce(t *testing.T) {
	f := newFixture(t)
	b := &cache.Authenticator{Next: f.next, Users: f.store, Sessions: f.store, Registerer: f.reg}
	if err := b.Open(context.Background()); err == nil {
		b.Close()
		t.Fatal("a second Authenticator registered the same metrics on the same registry")
	}
}
