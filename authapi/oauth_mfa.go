package authapi

import (
	"errors"
	"maps"
	"math"
	"net/http"
	"net/url"
	"time"

	"github.com/authgate/authgate/identity"
	"github.com/authgate/authgate/mfa"
)

// mfaTicketCookieSuffix makes the name of the cookie that carries the
// second step of an OAuth sign-in (CookieName + suffix).
const mfaTicketCookieSuffix = "_mfa"

// The second step of an OAuth sign-in whose account has MFA on travels in
// a cookie, not in the URL: HttpOnly, so no script reads it; limited to the
// sign-in page's path; host-only; and out of the address bar, the history
// (synced to other devices, readable by extensions), server and proxy logs
// and Referer headers, where a URL fragment would sit at least until a
// script removed it. The cookie also binds the step to the browser that
// did the provider's dance: a copied link cannot continue it. It is
// SameSite=Lax so that the top-level navigation that ends the provider's
// redirect chain (cross-site, for a real provider) carries it to the page;
// the page's POST is same-origin anyway.

// mfaTicketCookie is the cookie holding a federated sign-in ticket; an
// empty value with maxAge < 0 deletes it.
func (a *API) mfaTicketCookie(value string, maxAge int) *http.Cookie {
	return &http.Cookie{
		Name: a.CookieName + mfaTicketCookieSuffix, Value: value, Path: SignInPath, MaxAge: maxAge,
		HttpOnly: true, Secure: a.PublicURL.Scheme == "https", SameSite: http.SameSiteLaxMode,
	}
}

// pendingMFATicket returns the ticket of the browser's pending OAuth second
// step, or "".
func (a *API) pendingMFATicket(r *http.Request) string {
	c, err := r.Cookie(a.CookieName + mfaTicketCookieSuffix)
	if err != nil {
		return ""
	}
	return c.Value
}

// oauthSecondStep ends the provider's part of the sign-in of u, whose MFA
// is on, without a session: it issues a single-use MFA ticket that
// remembers the federated first factor, puts it in the ticket cookie and
// sends the browser to the sign-in page, which asks for the code and
// completes the sign-in with amr ["fed", "otp"]. Without TOTP the sign-in
// is refused (fail closed), as before.
func (a *API) oauthSecondStep(w http.ResponseWriter, r *http.Request, u *identity.User, provider, rd string) error {
	if a.TOTP == nil {
		err := identity.Errorf(identity.EFORBIDDEN,
			"This account uses two-step sign-in; sign in with your password and second factor instead.")
		a.oauthFailed(r, provider, u.UID, err)
		return err
	}
	raw, exp, err := a.TOTP.IssueTicketAfter(r.Context(), u.UID, mfa.FirstFactorFederated, time.Time{})
	if err != nil {
		return err
	}
	a.audit(r, identity.ActionOAuthLogin, u.UID, identity.StatusFailure, provider+" "+identity.EMFAREQUIRED)
	http.SetCookie(w, a.mfaTicketCookie(raw, max(1, int(math.Floor(exp.Sub(a.now()).Seconds())))))
	target := a.PublicURL.String() + SignInPath
	if rd != "" {
		target += "?rd=" + url.QueryEscape(rd)
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
	return nil
}

// renewMFATicketCookie moves the fresh ticket of an invalid_mfa_code answer
// to a cookie-borne second step out of the answer and into the cookie, so
// that the ticket never reaches the page's script; it reports whether it
// did. Other errors pass unchanged.
func (a *API) renewMFATicketCookie(w http.ResponseWriter, err error) (bool, error) {
	var e *identity.Error
	if !errors.As(err, &e) || e.Code != identity.EINVALIDMFA {
		return false, err
	}
	raw, ok := e.Extra["mfa_ticket"].(string)
	if !ok || raw == "" {
		return false, err
	}
	out := *e
	out.Extra = maps.Clone(e.Extra)
	delete(out.Extra, "mfa_ticket")
	maxAge := 1
	if secs, ok := out.Extra["mfa_ticket_expires_in"].(int64); ok && secs > 1 {
		maxAge = int(secs)
	}
	http.SetCookie(w, a.mfaTicketCookie(raw, maxAge))
	return true, &out
}
