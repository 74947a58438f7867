// Package storetest is the contract test suite of the identity store
// interfaces (UserStore, SessionStore, OneTimeTokenStore, AuditLog,
// KeyStore) as *store.DB implements them. Run it against every database:
//
//	func TestSQLite(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) *store.DB { return openSQLite(t) })
//	}
//
// open must return a migrated, empty database that stays open until the
// test ends.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/authgate/authgate/identity"
	"github.com/authgate/authgate/store"
)

// Run runs every contract test as a subtest, each on a database of its own.
func Run(t *testing.T, open func(t *testing.T) *store.DB) {
	tests := []struct {
		name string
		fn   func(t *testing.T, db *store.DB)
	}{
		{"CreateAndFindUser", testCreateAndFindUser},
		{"CreateUserValidation", testCreateUserValidation},
		{"CreateUserTaken", testCreateUserTaken},
		{"FindUserNotFound", testFindUserNotFound},
		{"UpdateUser", testUpdateUser},
		{"UpdateUserEmailTakenIsAtomic", testUpdateUserEmailTakenIsAtomic},
		{"UpdateUserNotFound", testUpdateUserNotFound},
		{"FindUsers", testFindUsers},
		{"FindUsersPaging", testFindUsersPaging},
		{"DeleteUser", testDeleteUser},
		{"CreateAndFindSession", testCreateAndFindSession},
		{"CreateSessionIsAtomic", testCreateSessionIsAtomic},
		{"FindSessions", testFindSessions},
		{"RevokeSession", testRevokeSession},
		{"RevokeUserSessions", testRevokeUserSessions},
		{"RotateRefreshToken", testRotateRefreshToken},
		{"RotateRefreshTokenInvalid", testRotateRefreshTokenInvalid},
		{"RefreshReuseRevokesSession", testRefreshReuseRevokesSession},
		{"ConcurrentRotate", testConcurrentRotate},
		{"OneTimeTokens", testOneTimeTokens},
		{"ConsumeOneTimeTokenInvalid", testConsumeOneTimeTokenInvalid},
		{"DeleteOneTimeTokens", testDeleteOneTimeTokens},
		{"ConcurrentConsume", testConcurrentConsume},
		{"CountOneTimeTokens", testCountOneTimeTokens},
		{"ConcurrentCreateUserSameEmail", testConcurrentCreateUserSameEmail},
		{"Audit", testAudit},
		{"SigningKeys", testSigningKeys},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.fn(t, open(t))
		})
	}
}

// t0 is the suite's reference time: microsecond precision, far from now so
// that no assertion depends on the wall clock.
var t0 = time.Date(2031, 3, 4, 5, 6, 7, 891011000, time.UTC)

func ctx(t *testing.T) context.Context { return t.Context() }

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := identity.ErrorCode(err); got != code {
		t.Fatalf("error code = %q (err %v), want %q", got, err, code)
	}
}

func mustNil(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func sameTime(t *testing.T, what string, got, want time.Time) {
	t.Helper()
	if !got.Equal(want) {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
	if got.Location() != time.UTC {
		t.Errorf("%s location = %v, want UTC", what, got.Location())
	}
}

func sameTimePtr(t *testing.T, what string, got, want *time.Time) {
	t.Helper()
	switch {
	case got == nil && want == nil:
	case got == nil || want == nil:
		t.Errorf("%s = %v, want %v", what, got, want)
	default:
		sameTime(t, what, *got, *want)
	}
}

func newUser(uid, email string, roles ...string) *identity.User {
	return &identity.User{
		UID: uid, Email: email, DisplayName: "User " + uid, IsActive: true,
		Roles: roles, CreatedAt: t0, UpdatedAt: t0,
	}
}

func mustCreateUser(t *testing.T, db *store.DB, u *identity.User) *identity.User {
	t.Helper()
	mustNil(t, db.CreateUser(ctx(t), u))
	return u
}

func ptr[T any](v T) *T { return &v }

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// newSession returns a session of uid expiring an hour after t0 and its
// first refresh token.
func newSession(uid string) (*identity.Session, *identity.RefreshToken, string) {
	raw, hash := identity.NewSecret()
	s := &identity.Session{
		ID: identity.NewID(), UID: uid, TokenID: "jti-1",
		CreatedAt: t0, ExpiresAt: t0.Add(time.Hour),
		DeviceInfo: map[string]string{"user_agent": "curl/8", "platform": "linux"},
		IPAddress:  "203.0.113.7", AMR: []string{"pwd"},
	}
	rt := &identity.RefreshToken{Hash: hash, CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}
	return s, rt, raw
}

func mustCreateSession(t *testing.T, db *store.DB, uid string) (*identity.Session, *identity.RefreshToken) {
	t.Helper()
	s, rt, _ := newSession(uid)
	mustNil(t, db.CreateSession(ctx(t), s, rt))
	return s, rt
}

func nextToken(expires time.Time) *identity.RefreshToken {
	_, hash := identity.NewSecret()
	return &identity.RefreshToken{Hash: hash, ExpiresAt: expires}
}

func newOTT(uid, purpose string, expires time.Time) (*identity.OneTimeToken, string) {
	raw, hash := identity.NewSecret()
	return &identity.OneTimeToken{Hash: hash, Purpose: purpose, UID: uid, Data: "d:" + uid, CreatedAt: t0, ExpiresAt: expires}, raw
}

func describe(err error) string {
	if err == nil {
		return "success"
	}
	if errors.Is(err, identity.ErrRefreshReuse) {
		return "reuse"
	}
	return fmt.Sprintf("other(%s)", identity.ErrorCode(err))
}
