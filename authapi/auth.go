package authapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/authgate/authgate/httpx"
	"github.com/authgate/authgate/identity"
)

// caller is the authenticated request's principal and how it was presented.
type caller struct {
	principal  *identity.Principal
	fromCookie bool
}

// callerKey is the context key of the request-scoped *caller.
type callerKey struct{}

// principalFrom returns the principal the authenticated middleware stored.
func principalFrom(ctx context.Context) *identity.Principal {
	if c, ok := ctx.Value(callerKey{}).(*caller); ok {
		return c.principal
	}
	return nil
}

func callerFrom(ctx context.Context) *caller {
	c, _ := ctx.Value(callerKey{}).(*caller)
	return c
}

// credential returns the request's token: the bearer token, or without an
// Authorization header the session cookie. A malformed Authorization header
// is an error, never a fallback to the cookie.
func (a *API) credential(r *http.Request) (raw string, fromCookie bool, err error) {
	if r.Header.Get("Authorization") != "" {
		tok := httpx.BearerToken(r)
		if tok == "" {
			return "", false, identity.Errorf(identity.EINVALIDTOKEN, "The Authorization header must be \"Bearer <token>\".")
		}
		return tok, false, nil
	}
	if a.CookieName != "" {
		if c, err := r.Cookie(a.CookieName); err == nil && c.Value != "" {
			return c.Value, true, nil
		}
	}
	return "", false, identity.Errorf(identity.EUNAUTHENTICATED, "Authentication is required.")
}

// verify checks a raw token with the verifier chain. Any refusal that is not
// an infrastructure failure becomes invalid_token or token_expired.
func (a *API) verifyToken(ctx context.Context, raw string) (*identity.Principal, error) {
	p, err := a.Verifier.Verify(ctx, raw)
	if err != nil {
		switch code := identity.ErrorCode(err); {
		case errors.Is(err, identity.ErrNotResponsible):
			return nil, identity.Wrap(identity.EINVALIDTOKEN, "The token is not valid.", err)
		case code == identity.EINTERNAL || code == identity.EUNAVAILABLE:
			return nil, err
		case code == identity.ETOKENEXPIRED, code == identity.EINVALIDTOKEN, code == identity.EUSERDISABLED:
			return nil, err
		default:
			return nil, identity.Wrap(identity.EINVALIDTOKEN, "The token is not valid.", err)
		}
	}
	if p == nil || p.UID == "" {
		return nil, identity.Errorf(identity.EINVALIDTOKEN, "The token is not valid.")
	}
	return p, nil
}

// authenticated wraps h so that it runs only for a verified caller, whose
// principal is then in the request context.
func (a *API) authenticated(h handlerFunc) http.Handler {
	return a.wrap(func(w http.ResponseWriter, r *http.Request) error {
		raw, fromCookie, err := a.credential(r)
		if err != nil {
			return err
		}
		if fromCookie && !a.sameOrigin(r) {
			return identity.Errorf(identity.EFORBIDDEN, "Cross-site requests with the session cookie are refused.")
		}
		p, err := a.verifyToken(r.Context(), raw)
		if err != nil {
			return err
		}
		ctx := context.WithValue(r.Context(), callerKey{}, &caller{principal: p, fromCookie: fromCookie})
		return h(w, r.WithContext(ctx))
	})
}

// sameOrigin guards cookie-authenticated requests that change state against
// cross-site request forgery: a browser's Sec-Fetch-Site or Origin must say
// the request comes from PublicURL's origin. Safe methods and non-browser
// clients (neither header) pass.
func (a *API) sameOrigin(r *http.Request) bool {
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return true
	}
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" {
		return site == "same-origin" || site == "none"
	}
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	u, err := url.Parse(origin)
	if err != nil {
		return false
	}
	return strings.EqualFold(u.Scheme, a.PublicURL.Scheme) && strings.EqualFold(u.Host, a.PublicURL.Host)
}

// userFor returns the users row of a verified principal, creating it for
// principals of other issuers when EnsureUser is set.
func (a *API) userFor(ctx context.Context, p *identity.Principal) (*identity.User, error) {
	var (
		u   *identity.User
		err error
	)
	if a.EnsureUser != nil && p.Source == identity.SourceFirebase {
		u, err = a.EnsureUser(ctx, p)
	} else {
		u, err = a.Users.FindUserByUID(ctx, p.UID)
	}
	if identity.IsCode(err, identity.ENOTFOUND) {
		return nil, identity.Wrap(identity.EINVALIDTOKEN, "The account of this token no longer exists.", err)
	}
	if err != nil {
		return nil, fmt.Errorf("authapi: load user: %w", err)
	}
	if !u.IsActive {
		return nil, identity.Errorf(identity.EUSERDISABLED, "The account is disabled.")
	}
	return u, nil
}

// authTime returns when the principal last proved a credential: the token's
// auth_time, else its session's creation, else the token's issue time.
func (a *API) authTime(ctx context.Context, p *identity.Principal) (time.Time, error) {
	if !p.AuthTime.IsZero() {
		return p.AuthTime, nil
	}
	if p.SessionID != "" {
		s, err := a.Sessions.FindSessionByID(ctx, p.SessionID)
		if err == nil {
			return s.CreatedAt, nil
		}
		if !identity.IsCode(err, identity.ENOTFOUND) {
			return time.Time{}, fmt.Errorf("authapi: load session: %w", err)
		}
	}
	return p.IssuedAt, nil
}

// requireRecentAuth answers reauthentication_required unless the principal
// signed in within ReauthWindow.
func (a *API) requireRecentAuth(ctx context.Context, p *identity.Principal) error {
	t, err := a.authTime(ctx, p)
	if err != nil {
		return err
	}
	if t.IsZero() || a.now().Sub(t) > a.ReauthWindow {
		return identity.Errorf(identity.EREAUTHREQUIRED, "Confirm your password or sign in again to do this.")
	}
	return nil
}

// expireCookie removes the session cookie from the browser.
func (a *API) expireCookie(w http.ResponseWriter) {
	if a.CookieName == "" {
		return
	}
	http.SetCookie(w, a.cookie("", -1))
}
