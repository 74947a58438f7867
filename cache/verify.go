package cache

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/authgate/authgate/identity"
)

// Verify implements identity.Verifier.
//
// A cached principal is returned while its token has not expired, no entry
// is older than Config.SessionTTL / Config.ProfileTTL, and neither its
// session nor its user was invalidated since it was cached. Otherwise the
// token goes to Next, and then:
//   - a token with a session id needs that session to exist, belong to the
//     token's uid and be active (else invalid_token "session revoked");
//   - the user's current profile is loaded: a disabled user gives
//     user_disabled, a token issued before the last password change gives
//     invalid_token, and a missing user gives invalid_token, except for a
//     Firebase principal: its users row is created by the auth API on its
//     first verification, so until then it is accepted on the token's own
//     claims;
//   - Roles, Email, EmailVerified and Name come from the current profile, so
//     a role change takes effect at once. For a Firebase token the roles of
//     its "roles" custom claim (as Next put them in Roles) are added to the
//     profile's. Removing a role in authgate therefore reaches a Firebase
//     user when its ID token expires (at most an hour), or at once when the
//     mirrored custom claim was also removed and the user signs in again.
//
// Errors of Next pass through unchanged and are never cached.
//
// The returned Principal is a copy the caller may change field by field; its
// Roles, AMR and Claims are shared with the cache and must not be modified.
func (a *Authenticator) Verify(ctx context.Context, raw string) (*identity.Principal, error) {
	if a.tokens == nil {
		return nil, errNotOpen
	}
	if e, ok := a.tokens.Get(raw); ok && sameToken(e.token, raw) {
		if a.tokenFresh(e, a.Now().UnixNano()) {
			a.metrics.tokenHits.Inc()
			return copyPrincipal(e.principal), nil
		}
		a.tokens.Del(raw)
	}
	a.metrics.tokenMisses.Inc()
	return a.flights.do(ctx, raw, func() (*identity.Principal, error) { return a.verify(ctx, raw) })
}

// tokenFresh reports whether a cached entry may still be used.
func (a *Authenticator) tokenFresh(e *tokenEntry, now int64) bool {
	if now >= e.expires || e.epoch < a.floor.Load() {
		return false
	}
	p := e.principal
	if p.SessionID != "" && a.sessRevs.epoch(p.SessionID) > e.epoch {
		return false
	}
	return a.userRevs.epoch(p.UID) <= e.epoch
}

// verify is the miss path: Next, session, profile, merge, cache.
func (a *Authenticator) verify(ctx context.Context, raw string) (*identity.Principal, error) {
	// Read the clock before any data: an invalidation that happens while
	// we read makes the entry stale at once.
	epoch := a.clock.Load()

	p, err := a.Next.Verify(ctx, raw)
	if err != nil {
		return nil, err
	}
	if p == nil || p.UID == "" {
		return nil, fmt.Errorf("cache: verifier returned no principal")
	}
	now := a.Now()
	if !p.ExpiresAt.IsZero() && !now.Before(p.ExpiresAt) {
		return nil, identity.Errorf(identity.ETOKENEXPIRED, "The token has expired.")
	}
	if p.SessionID != "" {
		if err := a.checkSession(ctx, p, now); err != nil {
			return nil, err
		}
	}
	u, err := a.profile(ctx, p.UID, now)
	switch {
	case identity.IsCode(err, identity.ENOTFOUND) && p.Source == identity.SourceFirebase:
		u = nil // first sight of this Firebase user: the auth API creates the row
	case identity.IsCode(err, identity.ENOTFOUND):
		return nil, identity.Errorf(identity.EINVALIDTOKEN, "The account no longer exists.")
	case err != nil:
		return nil, err
	}
	merged, err := merge(p, u)
	if err != nil {
		return nil, err
	}

	// An entry lives no longer than the token, and no longer than the
	// session and profile it was checked against are trusted.
	if !p.ExpiresAt.IsZero() {
		ttl := min(p.ExpiresAt.Sub(now), a.cfg.ProfileTTL)
		if p.SessionID != "" {
			ttl = min(ttl, a.cfg.SessionTTL)
		}
		e := &tokenEntry{token: raw, principal: merged, epoch: epoch, expires: now.Add(ttl).UnixNano()}
		a.tokens.SetWithTTL(raw, e, e.cost(), ttl)
	}
	return merged, nil
}

// checkSession refuses a token whose session is gone, revoked or expired.
func (a *Authenticator) checkSession(ctx context.Context, p *identity.Principal, now time.Time) error {
	s, err := a.Sessions.FindSessionByID(ctx, p.SessionID)
	if identity.IsCode(err, identity.ENOTFOUND) {
		return identity.Errorf(identity.EINVALIDTOKEN, "The session has been revoked.")
	}
	if err != nil {
		return fmt.Errorf("cache: find session: %w", err)
	}
	if s.UID != p.UID || !s.Active(now) {
		return identity.Errorf(identity.EINVALIDTOKEN, "The session has been revoked.")
	}
	return nil
}

// merge applies the current profile u (nil = none yet) to the token's
// principal p and returns a new principal.
func merge(p *identity.Principal, u *identity.User) (*identity.Principal, error) {
	m := *p
	if u == nil {
		m.Roles = cloneStrings(p.Roles)
		return &m, nil
	}
	if !u.IsActive {
		return nil, identity.Errorf(identity.EUSERDISABLED, "The account is disabled.")
	}
	// A password change revokes the user's other authgate sessions, and the
	// session of the change itself stays valid; tokens without a session
	// (Firebase ID tokens) are refused when issued before the change.
	if p.SessionID == "" && u.PasswordChangedAt != nil && issuedBefore(p.IssuedAt, *u.PasswordChangedAt) {
		return nil, identity.Errorf(identity.EINVALIDTOKEN, "The token was issued before the last password change.")
	}
	m.Email = u.Email
	m.EmailVerified = u.EmailVerified
	m.Name = u.DisplayName
	m.Roles = cloneStrings(u.Roles)
	if p.Source == identity.SourceFirebase {
		for _, r := range p.Roles {
			if !slices.Contains(m.Roles, r) {
				m.Roles = append(m.Roles, r)
			}
		}
	}
	if m.Roles == nil {
		m.Roles = []string{}
	}
	return &m, nil
}

// issuedBefore compares at the resolution of the iat claim (whole seconds):
// a token issued in the second of the change (the one handed out with the
// new password) is accepted; a token without iat is refused.
func issuedBefore(iat, changed time.Time) bool {
	return iat.IsZero() || iat.Before(changed.Truncate(time.Second))
}
