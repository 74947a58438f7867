// Package local is authgate's own identity provider: accounts whose
// argon2id password hashes live in the users table (identity.UserStore).
package local

import (
	"log/slog"
	"time"

	"github.com/authgate/authgate/identity"
	"github.com/authgate/authgate/password"
)

// Provider implements identity.Provider over a UserStore. Build it with New
// or as a struct literal with Users and Hasher set.
//
// New accounts get a uid from identity.NewID: 128 random bits, 22
// characters of URL-safe base64. It is as unguessable as a Firebase uid (28
// characters), safe in a URL path and an HTTP header, and cannot collide
// with the uids of a database that came from the Flask service.
type Provider struct {
	// Users keeps the accounts.
	Users identity.UserStore
	// Hasher hashes and verifies passwords with bounded concurrency.
	Hasher *password.Hasher
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Logger receives failures that do not fail the call (a rehash that
	// could not be stored, a stored hash that cannot be read). Nil
	// discards them. Nothing logged carries a password or a hash.
	Logger *slog.Logger
}

var _ identity.Provider = (*Provider)(nil)

// New returns a Provider over users with hasher.
func New(users identity.UserStore, hasher *password.Hasher) *Provider {
	return &Provider{Users: users, Hasher: hasher}
}

// Name returns "local".
func (p *Provider) Name() string { return "local" }

func (p *Provider) now() time.Time {
	if p.Now != nil {
		return p.Now()
	}
	return time.Now()
}

func (p *Provider) log() *slog.Logger {
	if p.Logger != nil {
		return p.Logger
	}
	return slog.New(slog.DiscardHandler)
}

// withoutHash returns u with the password hash cleared: nobody above the
// provider needs it, so it does not travel further.
func withoutHash(u *identity.User) *identity.User {
	u.PasswordHash = ""
	return u
}
