package cache_test

import (
	"context"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/authgate/authgate/cache"
	"github.com/authgate/authgate/identity"
	"github.com/authgate/authgate/store"
)

// TestWithSQLiteStore runs the revocation scenarios against the real store
// on a SQLite file.
func TestWithSQLiteStore(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "auth.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC().Truncate(time.Second)
	u := &identity.User{UID: "uid-sqlite", Email: "grace@example.com", DisplayName: "Grace", IsActive: true, Roles: []string{"user"}}
	if err := db.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	sess := &identity.Session{ID: identity.NewID(), UID: u.UID, CreatedAt: now, ExpiresAt: now.Add(24 * time.Hour)}
	_, hash := identity.NewSecret()
	rt := &identity.RefreshToken{Hash: hash, SessionID: sess.ID, UID: u.UID, CreatedAt: now, ExpiresAt: sess.ExpiresAt}
	if err := db.CreateSession(ctx, sess, rt); err != nil {
		t.Fatal(err)
	}

	next := newFakeVerifier(time.Now)
	next.add("sqlite-token", identity.Principal{UID: u.UID, Roles: []string{"user"}, SessionID: sess.ID,
		Source: identity.SourceAuthgate, IssuedAt: now, ExpiresAt: now.Add(15 * time.Minute)})
	a := &cache.Authenticator{Next: next, Users: db, Sessions: db}
	if err := a.Open(ctx); err != nil {
		t.Fatal(err)
	}
	defer a.Close()

	p, err := a.Verify(ctx, "sqlite-token")
	if err != nil {
		t.Fatal(err)
	}
	if p.Email != "grace@example.com" || p.Name != "Grace" || !slices.Equal(p.Roles, []string{"user"}) {
		t.Fatalf("principal = %+v", p)
	}
	a.Wait()

	roles := []string{"user", "admin"}
	if _, err := db.UpdateUser(ctx, u.UID, identity.UserUpdate{Roles: &roles}); err != nil {
		t.Fatal(err)
	}
	a.InvalidateUser(ctx, u.UID)
	if p, err = a.Verify(ctx, "sqlite-token"); err != nil || !p.HasRole("admin") {
		t.Fatalf("after role change: %+v, %v", p, err)
	}
	a.Wait()

	if err := db.RevokeSession(ctx, sess.ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	a.InvalidateSession(ctx, sess.ID)
	if _, err := a.Verify(ctx, "sqlite-token"); !identity.IsCode(err, identity.EINVALIDTOKEN) {
		t.Fatalf("after revoke: %v, want invalid_token", err)
	}

	// A disabled user's token (on another, active session) is refused.
	sess2 := &identity.Session{ID: identity.NewID(), UID: u.UID, CreatedAt: now, ExpiresAt: now.Add(24 * time.Hour)}
	_, hash2 := identity.NewSecret()
	if err := db.CreateSession(ctx, sess2, &identity.RefreshToken{Hash: hash2, SessionID: sess2.ID, UID: u.UID, CreatedAt: now, ExpiresAt: sess2.ExpiresAt}); err != nil {
		t.Fatal(err)
	}
	next.add("sqlite-token-2", identity.Principal{UID: u.UID, SessionID: sess2.ID,
		Source: identity.SourceAuthgate, IssuedAt: now, ExpiresAt: now.Add(15 * time.Minute)})
	if _, err := a.Verify(ctx, "sqlite-token-2"); err != nil {
		t.Fatal(err)
	}
	a.Wait()
	inactive := false
	if _, err := db.UpdateUser(ctx, u.UID, identity.UserUpdate{IsActive: &inactive}); err != nil {
		t.Fatal(err)
	}
	a.InvalidateUser(ctx, u.UID)
	if _, err := a.Verify(ctx, "sqlite-token-2"); !identity.IsCode(err, identity.EUSERDISABLED) {
		t.Fatalf("after disable: %v, want user_disabled", err)
	}
}
