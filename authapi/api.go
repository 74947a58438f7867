package authapi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/authgate/authgate/httpx"
	"github.com/authgate/authgate/identity"
	"github.com/authgate/authgate/internal/redirect"
	"github.com/authgate/authgate/mfa"
	"github.com/authgate/authgate/oauth"
)

// Defaults for the zero values of API's settings.
const (
	DefaultAccessTTL    = 15 * time.Minute
	DefaultRefreshTTL   = 720 * time.Hour
	DefaultResetTTL     = 30 * time.Minute
	DefaultReauthWindow = 5 * time.Minute
	DefaultVerifyTTL    = 24 * time.Hour
	// DefaultMailWorkers bounds the mail jobs running in the background.
	DefaultMailWorkers = 32
)

// API is the /api/auth handler set. Fill in the fields, then mount it with
// Routes or Handler; do not change the fields afterwards. The zero values of
// the optional fields are documented on each.
type API struct {
	// Provider keeps passwords: the local one or Firebase. A Provider that
	// also implements identity.PasswordResetter sends and confirms reset
	// mail itself; otherwise the API mails its own single-use link.
	Provider identity.Provider
	Users    identity.UserStore
	Sessions identity.SessionStore
	// OneTime keeps password reset tokens. Required unless Provider is an
	// identity.PasswordResetter.
	OneTime identity.OneTimeTokenStore
	Audit   identity.AuditLog
	Tokens  identity.TokenIssuer
	// Verifier is the revocation-aware verifier chain that accepts authgate
	// access tokens and Firebase ID tokens.
	Verifier identity.Verifier
	// Invalidator is told about revoked sessions and changed users, so the
	// change takes effect at once in every cache. Optional (no caches).
	Invalidator identity.Invalidator
	// Mailer sends the reset link. Required unless Provider is an
	// identity.PasswordResetter.
	Mailer identity.Mailer
	// ResetMessage renders the reset mail for a link valid for ttl
	// (mail.PasswordResetMessage fits); nil uses a plain built-in text.
	ResetMessage func(to, link string, ttl time.Duration) identity.Message
	// Limiter throttles sign-in, registration and reset attempts; nil
	// disables every limit. See the Limit* names.
	Limiter identity.Limiter
	// MFA completes the sign-in of users with MFA enabled. Nil with TOTP
	// set uses TOTP; with both nil such users cannot sign in with a
	// password (fail closed).
	MFA SecondFactor
	// TOTP enables the /mfa endpoints and the second sign-in step
	// (/login/mfa); nil answers them 404.
	TOTP *mfa.Service
	// VerificationMessage renders the email verification mail for a link
	// valid for ttl (mail.VerificationMessage fits); nil uses a built-in text.
	VerificationMessage func(to, link string, ttl time.Duration) identity.Message
	// EnsureUser returns (creating or updating it) the users row of a
	// principal from another issuer (Firebase). Without it such principals
	// must already have a row.
	EnsureUser func(ctx context.Context, p *identity.Principal) (*identity.User, error)
	// PasswordRules checks a new password for the account with email (which
	// may be empty when not yet known) before anything changes, so that a
	// weak password never consumes a reset token; password.Check fits.
	// Optional: the Provider enforces its rules in Register and SetPassword
	// anyway.
	PasswordRules func(password, email string) error

	// Trusted are the proxies whose X-Forwarded-For is believed.
	Trusted httpx.TrustedProxies
	// PublicURL is the external base URL, for links in mail and the
	// same-origin check of cookie-authenticated requests. Required.
	PublicURL *url.URL
	// Lifetimes; zero means the Default* value.
	AccessTTL    time.Duration
	RefreshTTL   time.Duration
	ResetTTL     time.Duration
	ReauthWindow time.Duration
	VerifyTTL    time.Duration // email verification links (DefaultVerifyTTL)
	// CookieName is the sign-in session cookie accepted as a credential when
	// a request has no Authorization header; empty disables cookies and the
	// hosted sign-in page (/signin, /signout answer 404).
	CookieName string
	// CookieDomain is the Domain attribute of the session cookie
	// (".example.com" lets the gateway on every sub-domain see it); empty
	// makes it a host-only cookie of PublicURL's host.
	CookieDomain string
	// CookieTokens signs the token that is the session cookie's value, with
	// the cookie's lifetime (CookieTTL). Nil uses Tokens, so the cookie
	// lives only AccessTTL. Long-lived cookie tokens stay revocable: every
	// request checks the token's session.
	CookieTokens identity.TokenIssuer
	// CookieTTL is the lifetime of the session cookie and of its session
	// (DefaultCookieTTL), capped at RefreshTTL; it should be the TTL of
	// CookieTokens.
	CookieTTL time.Duration
	// Redirects decides where the sign-in page may send the browser back
	// to (the rd parameter); nil allows only PublicURL's host.
	Redirects *redirect.Policy
	// OAuth enables sign-in with outside providers (Google, Apple,
	// Facebook, OpenID Connect) under /oauth; it needs CookieName, and its
	// Redirects should be this Redirects. Nil answers those paths 404.
	OAuth *oauth.Flow
	// RequireEmailVerification makes register answer without tokens: the
	// account can sign in once its address is verified.
	RequireEmailVerification bool
	// MailWorkers bounds concurrent background mail jobs (DefaultMailWorkers).
	MailWorkers int

	// Now is the clock (time.Now).
	Now func() time.Time
	// Log receives errors and one line per audit event (slog.Default()).
	Log *slog.Logger

	initOnce sync.Once
	mailSlot chan struct{}
	bg       sync.WaitGroup
	// hits deduplicates the audit rows of rate-limit hits (ratelimit.go).
	hits limitHits
}

func (a *API) init() {
	a.initOnce.Do(func() {
		if err := a.Validate(); err != nil {
			panic("authapi: " + err.Error())
		}
		if a.AccessTTL <= 0 {
			a.AccessTTL = DefaultAccessTTL
		}
		if a.RefreshTTL <= 0 {
			a.RefreshTTL = DefaultRefreshTTL
		}
		if a.ResetTTL <= 0 {
			a.ResetTTL = DefaultResetTTL
		}
		if a.ReauthWindow <= 0 {
			a.ReauthWindow = DefaultReauthWindow
		}
		if a.VerifyTTL <= 0 {
			a.VerifyTTL = DefaultVerifyTTL
		}
		if a.MailWorkers <= 0 {
			a.MailWorkers = DefaultMailWorkers
		}
		if a.Now == nil {
			a.Now = time.Now
		}
		if a.Log == nil {
			a.Log = slog.Default()
		}
		a.mailSlot = make(chan struct{}, a.MailWorkers)
	})
}

// Validate reports every missing required dependency at once.
func (a *API) Validate() error {
	var missing []string
	check := func(ok bool, name string) {
		if !ok {
			missing = append(missing, name)
		}
	}
	check(a.Provider != nil, "Provider")
	check(a.Users != nil, "Users")
	check(a.Sessions != nil, "Sessions")
	check(a.Audit != nil, "Audit")
	check(a.Tokens != nil, "Tokens")
	check(a.Verifier != nil, "Verifier")
	check(a.PublicURL != nil, "PublicURL")
	if _, ok := a.Provider.(identity.PasswordResetter); !ok {
		check(a.OneTime != nil, "OneTime")
		check(a.Mailer != nil, "Mailer")
	}
	if len(missing) > 0 {
		return fmt.Errorf("missing dependencies: %s", strings.Join(missing, ", "))
	}
	if a.PublicURL.Scheme != "http" && a.PublicURL.Scheme != "https" || a.PublicURL.Host == "" {
		return errors.New("PublicURL must be an absolute http(s) URL")
	}
	if a.TOTP != nil {
		if err := a.TOTP.Validate(); err != nil {
			return fmt.Errorf("TOTP: %w", err)
		}
	}
	return nil
}

// Shutdown waits until the background mail jobs have finished or ctx ends.
func (a *API) Shutdown(ctx context.Context) error {
	done := make(chan struct{})
	go func() { a.bg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("authapi: shutdown: %w", ctx.Err())
	}
}

func (a *API) now() time.Time { return a.Now() }

func (a *API) invalidateSession(ctx context.Context, sid string) {
	if a.Invalidator != nil && sid != "" {
		a.Invalidator.InvalidateSession(ctx, sid)
	}
}

func (a *API) invalidateUser(ctx context.Context, uid string) {
	if a.Invalidator != nil && uid != "" {
		a.Invalidator.InvalidateUser(ctx, uid)
	}
}

// revokeAll revokes every session of uid but exceptSID and tells the caches.
func (a *API) revokeAll(ctx context.Context, uid, exceptSID string) error {
	ids, err := a.Sessions.RevokeUserSessions(ctx, uid, exceptSID, a.now())
	if err != nil {
		return fmt.Errorf("authapi: revoke sessions: %w", err)
	}
	for _, id := range ids {
		a.invalidateSession(ctx, id)
	}
	return nil
}
