package authapi

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"time"

	"github.com/gorilla/mux"

	"github.com/authgate/authgate/httpx"
	"github.com/authgate/authgate/identity"
	"github.com/authgate/authgate/internal/redirect"
)

// DefaultCookieTTL is the lifetime of the sign-in cookie and of its session
// when API.CookieTTL is zero.
const DefaultCookieTTL = 12 * time.Hour

// SignInPath and SignOutPath are the hosted sign-in page (GET) and its
// endpoints (POST), under Prefix.
const (
	SignInPath  = Prefix + "/signin"
	SignOutPath = Prefix + "/signout"
)

// signInRoutes mounts the hosted sign-in page and its endpoints on the
// subrouter of Routes. Without CookieName they answer 404.
func (a *API) signInRoutes(sub *mux.Router) {
	a.route(sub, "/signin", Methods{
		http.MethodGet:  http.HandlerFunc(a.signInPage),
		http.MethodPost: a.wrap(a.signIn),
	})
	a.route(sub, "/signout", Methods{http.MethodPost: a.wrap(a.signOut)})
}

// signInRequest is what the sign-in page's script posts: email and password
// (and totp_code, as /login takes it), or the mfa_ticket of an mfa_required
// answer with a code, as /login/mfa takes them, or only a code for the
// second step of an OAuth sign-in, whose ticket is in a cookie; rd is the
// back-link.
type signInRequest struct {
	Email     string `json:"email"`
	Password  string `json:"password"`
	TOTPCode  string `json:"totp_code"`
	MFATicket string `json:"mfa_ticket"`
	Code      string `json:"code"`
	RD        string `json:"rd"`
}

// signInResponse answers a successful sign-in: the cookie is set; the page
// goes to redirect_to when present (rd was safe), else says so.
type signInResponse struct {
	RedirectTo string         `json:"redirect_to,omitempty"`
	User       *identity.User `json:"user"`
}

// signIn is POST /signin: the same sign-in as /login (and /login/mfa for
// the second step), with its limits, MFA, email verification and audit,
// but the answer is the session cookie instead of a token pair. It takes
// JSON only, so a cross-site form cannot post it (a cross-origin JSON post
// needs a CORS preflight authgate never grants), and a browser must say
// the request is same-origin.
func (a *API) signIn(w http.ResponseWriter, r *http.Request) error {
	if a.CookieName == "" {
		return identity.Errorf(identity.ENOTFOUND, "The sign-in page is not enabled.")
	}
	if !a.sameOrigin(r) {
		return identity.Errorf(identity.EFORBIDDEN, "Cross-site sign-in requests are refused.")
	}
	var req signInRequest
	if err := decode(r, &req, false); err != nil {
		return err
	}
	var (
		u   *identity.User
		amr []string
		err error
	)
	// A pending second step of an OAuth sign-in (oauthSecondStep) ends
	// with this request, whatever its answer, unless a wrong code renews it.
	pending := a.pendingMFATicket(r)
	renewed := false
	switch {
	case req.MFATicket == "" && req.Email == "" && req.Password == "" && req.TOTPCode == "" && req.Code != "":
		// Only a code: the second step of an OAuth sign-in, whose ticket
		// is the cookie's.
		switch {
		case a.TOTP == nil:
			err = identity.Errorf(identity.ENOTFOUND, "Multi-factor sign-in is not enabled.")
		case pending == "":
			err = identity.Errorf(identity.EINVALIDTOKEN, "The sign-in ticket is not valid or has expired; sign in again.")
		default:
			u, amr, err = a.ticketSignIn(r, loginMFARequest{Ticket: pending, Code: req.Code})
		}
		if err != nil {
			renewed, err = a.renewMFATicketCookie(w, err)
		}
	case req.MFATicket != "":
		switch {
		case a.TOTP == nil:
			err = identity.Errorf(identity.ENOTFOUND, "Multi-factor sign-in is not enabled.")
		case req.Email != "" || req.Password != "" || req.TOTPCode != "":
			err = identity.Errorf(identity.EINVALID, "Send either email and password or mfa_ticket and code.")
		default:
			u, amr, err = a.ticketSignIn(r, loginMFARequest{Ticket: req.MFATicket, Code: req.Code})
		}
	case req.Code != "":
		err = &identity.Error{Code: identity.EINVALID, Message: "code goes with mfa_ticket.",
			Fields: map[string]string{"code": "needs mfa_ticket"}}
	default:
		u, amr, err = a.passwordSignIn(r, loginRequest{Email: req.Email, Password: req.Password, TOTPCode: req.TOTPCode})
	}
	if pending != "" && !renewed {
		http.SetCookie(w, a.mfaTicketCookie("", -1))
	}
	if err != nil {
		return err
	}
	ctx := r.Context()
	if u, err = a.touchLogin(ctx, u); err != nil {
		return err
	}
	c, s, err := a.startCookieSession(ctx, r, u, amr)
	if err != nil {
		return err
	}
	a.audit(r, identity.ActionLogin, u.UID, identity.StatusSuccess, s.ID)
	http.SetCookie(w, c)
	resp := signInResponse{User: u}
	if rd, ok := a.backLink(req.RD); ok {
		resp.RedirectTo = rd
	}
	httpx.JSON(w, http.StatusOK, resp)
	return nil
}

// startCookieSession creates a session for u that lives as long as its one
// token, the cookie's value: CookieTTL when CookieTokens signs tokens of
// that lifetime, else AccessTTL. The session has no refresh token. A
// long-lived token is no weaker against theft-after-logout than a short
// one: every request checks its session, so logout, a revoked session, a
// disabled account and a password change refuse it at once.
func (a *API) startCookieSession(ctx context.Context, r *http.Request, u *identity.User, amr []string) (*http.Cookie, *identity.Session, error) {
	now := a.now()
	s := &identity.Session{
		ID:         identity.NewID(),
		UID:        u.UID,
		CreatedAt:  now,
		ExpiresAt:  now.Add(a.cookieTTL()),
		DeviceInfo: deviceInfo(r.UserAgent()),
		IPAddress:  a.clientIP(r),
		AMR:        amr,
	}
	issuer := a.CookieTokens
	if issuer == nil {
		issuer = a.Tokens
	}
	raw, jti, exp, err := issuer.IssueAccessToken(ctx, u, s, amr)
	if err != nil {
		return nil, nil, fmt.Errorf("authapi: issue cookie token: %w", err)
	}
	s.TokenID = jti
	if exp.Before(s.ExpiresAt) {
		s.ExpiresAt = exp
	}
	if err := a.Sessions.CreateSession(ctx, s, nil); err != nil {
		return nil, nil, fmt.Errorf("authapi: create cookie session: %w", err)
	}
	maxAge := int(math.Floor(s.ExpiresAt.Sub(now).Seconds()))
	if maxAge < 1 {
		maxAge = 1
	}
	return a.cookie(raw, maxAge), s, nil
}

// cookieTTL is CookieTTL (DefaultCookieTTL), never longer than RefreshTTL.
func (a *API) cookieTTL() time.Duration {
	ttl := a.CookieTTL
	if ttl <= 0 {
		ttl = DefaultCookieTTL
	}
	return min(ttl, a.RefreshTTL)
}

// cookie is the session cookie with value; maxAge < 0 deletes it.
func (a *API) cookie(value string, maxAge int) *http.Cookie {
	return &http.Cookie{
		Name: a.CookieName, Value: value, Path: "/", Domain: a.CookieDomain, MaxAge: maxAge,
		HttpOnly: true, Secure: a.PublicURL.Scheme == "https", SameSite: http.SameSiteLaxMode,
	}
}

// redirects is the back-link policy: Redirects, else only PublicURL's host.
func (a *API) redirects() *redirect.Policy {
	if a.Redirects != nil {
		return a.Redirects
	}
	p, err := redirect.New(a.PublicURL, nil)
	if err != nil {
		return nil // Validate has checked PublicURL; nil refuses every link
	}
	return p
}

// backLink returns rd when the redirect policy accepts it.
func (a *API) backLink(rd string) (string, bool) {
	if rd == "" {
		return "", false
	}
	return a.redirects().Check(rd)
}

// signOut is POST /signout: it revokes the cookie's session (when the
// cookie still names one), deletes the cookie and audits the logout. A
// browser must post it from the same site (an app's own "sign out" form on
// another sub-domain is fine), or from an origin the redirect policy
// accepts. Afterwards it answers 303 to the query's rd when that is safe,
// 303 to the sign-in page for a navigation, else 204.
func (a *API) signOut(w http.ResponseWriter, r *http.Request) error {
	if a.CookieName == "" {
		return identity.Errorf(identity.ENOTFOUND, "The sign-in page is not enabled.")
	}
	if !a.sameSiteOrAllowed(r) {
		return identity.Errorf(identity.EFORBIDDEN, "Cross-site sign-out requests are refused.")
	}
	if c, err := r.Cookie(a.CookieName); err == nil && c.Value != "" {
		if p, err := a.verifyToken(r.Context(), c.Value); err == nil && p.SessionID != "" {
			if err := a.Sessions.RevokeSession(r.Context(), p.SessionID, a.now()); err != nil && !identity.IsCode(err, identity.ENOTFOUND) {
				a.auditErr(r, identity.ActionLogout, p.UID, err)
				return fmt.Errorf("authapi: sign out: %w", err)
			}
			a.invalidateSession(r.Context(), p.SessionID)
			a.audit(r, identity.ActionLogout, p.UID, identity.StatusSuccess, p.SessionID)
		} else if err != nil && (identity.ErrorCode(err) == identity.EINTERNAL || identity.ErrorCode(err) == identity.EUNAVAILABLE) {
			return err
		}
	}
	http.SetCookie(w, a.cookie("", -1))
	target, ok := a.backLink(r.URL.Query().Get("rd"))
	if !ok && r.Header.Get("Sec-Fetch-Mode") == "navigate" {
		target, ok = a.PublicURL.String()+SignInPath, true
	}
	if ok {
		w.Header().Set("Location", target)
		w.WriteHeader(http.StatusSeeOther)
		return nil
	}
	httpx.NoContent(w)
	return nil
}

// sameSiteOrAllowed is sameOrigin widened for sign-out: Sec-Fetch-Site
// same-site passes too, and so does an Origin whose host the redirect
// policy accepts.
func (a *API) sameSiteOrAllowed(r *http.Request) bool {
	if site := r.Header.Get("Sec-Fetch-Site"); site == "same-site" {
		return true
	}
	if a.sameOrigin(r) {
		return true
	}
	origin := r.Header.Get("Origin")
	if origin == "" || origin == "null" {
		return false
	}
	u, err := url.Parse(origin)
	if err != nil || u.Path != "" || u.RawQuery != "" {
		return false
	}
	_, ok := a.redirects().Check(origin + "/")
	return ok
}
