package authapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/authgate/authgate/identity"
	"github.com/authgate/authgate/mfa"
)

const testTicketCookie = testCookie + "_mfa"

// ticketCookie returns the OAuth second step's cookie of res, or nil.
func ticketCookie(res *response) *http.Cookie {
	for _, c := range (&http.Response{Header: res.Header}).Cookies() {
		if c.Name == testTicketCookie {
			return c
		}
	}
	return nil
}

// newOAuthMFAServer is an OAuth server with TOTP whose OIDC user
// (ada@example.com, verified) has an account with MFA on.
func newOAuthMFAServer(t *testing.T) (*oauthServer, *mfaUser) {
	t.Helper()
	s := newOAuthServerWith(t, []func(*testConfig){withTOTP})
	u := s.enableMFA(t, "ada@example.com")
	on := true
	if _, err := s.db.UpdateUser(context.Background(), u.uid, identity.UserUpdate{EmailVerified: &on}); err != nil {
		t.Fatal(err)
	}
	return s, u
}

func TestOAuthMFASecondStep(t *testing.T) {
	s, u := newOAuthMFAServer(t)

	// The callback starts no session: it sends the browser to the sign-in
	// page's code step with the ticket in a cookie, never in the URL.
	res := s.browser(t).signIn("oidc", "/app?tab=1")
	res.wantStatus(t, http.StatusSeeOther)
	wantLoc := testPublicURL + "/api/auth/signin?rd=" + url.QueryEscape(testPublicURL+"/app?tab=1")
	if loc := res.Header.Get("Location"); loc != wantLoc {
		t.Errorf("Location %q, want %q", loc, wantLoc)
	}
	if strings.Contains(strings.Join(res.Header["Set-Cookie"], ";"), testCookie+"=") {
		t.Fatalf("the callback set a session cookie: %v", res.Header["Set-Cookie"])
	}
	tc := ticketCookie(res)
	if tc == nil || len(tc.Value) < 40 || !tc.HttpOnly || tc.Path != "/api/auth/signin" || tc.SameSite != http.SameSiteLaxMode ||
		tc.Domain != "" || tc.MaxAge != int(mfa.DefaultTicketTTL.Seconds()) {
		t.Fatalf("ticket cookie %+v", tc)
	}
	if strings.Contains(res.Header.Get("Location"), tc.Value) {
		t.Error("the ticket is in the URL")
	}
	s.remember(tc.Value)
	s.wantAudit(t, identity.ActionOAuthLogin, u.uid, identity.StatusFailure)

	// The page opens at the code step; without the cookie it does not.
	page := s.do(t, http.MethodGet, "/api/auth/signin", nil, cookie(testTicketCookie, tc.Value))
	page.wantStatus(t, http.StatusOK)
	if !strings.Contains(string(page.Body), `data-step="code"`) {
		t.Error("the page with the ticket cookie does not open at the code step")
	}
	if plain := s.do(t, http.MethodGet, "/api/auth/signin", nil); strings.Contains(string(plain.Body), `data-step="code"`) {
		t.Error("the page without the ticket cookie opens at the code step")
	}

	code := func() string { return s.totpCode(t, u.secret, s.clock.Now()) }
	post := func(ticket string, body map[string]string) *response {
		opts := []reqOpt{sameOrigin()}
		if ticket != "" {
			opts = append(opts, cookie(testTicketCookie, ticket))
		}
		return s.do(t, http.MethodPost, "/api/auth/signin", body, opts...)
	}

	// A wrong code: invalid_mfa_code, a fresh ticket in the cookie and none
	// in the answer; the spent ticket is refused even with the right code.
	res = post(tc.Value, map[string]string{"code": wrongTOTP(code()), "rd": "/app?tab=1"})
	res.wantProblem(t, http.StatusUnauthorized, identity.EINVALIDMFA)
	var p mfaProblem
	if err := json.Unmarshal(res.Body, &p); err != nil || p.Ticket != "" || p.ExpiresIn <= 0 {
		t.Errorf("invalid_mfa_code answer %s", res.Body)
	}
	fresh := ticketCookie(res)
	if fresh == nil || fresh.Value == "" || fresh.Value == tc.Value || fresh.MaxAge <= 0 || !fresh.HttpOnly {
		t.Fatalf("renewed ticket cookie %+v (headers %v)", fresh, res.Header["Set-Cookie"])
	}
	if n := len(res.Header["Set-Cookie"]); n != 1 {
		t.Errorf("%d Set-Cookie headers, want only the renewed ticket", n)
	}
	s.remember(fresh.Value)
	res = post(tc.Value, map[string]string{"code": code()})
	res.wantProblem(t, http.StatusUnauthorized, identity.EINVALIDTOKEN)
	if c := ticketCookie(res); c == nil || c.MaxAge >= 0 {
		t.Errorf("a refused ticket's cookie was not deleted: %+v", c)
	}
	// A code without the ticket cookie is refused.
	post("", map[string]string{"code": code()}).wantProblem(t, http.StatusUnauthorized, identity.EINVALIDTOKEN)

	// The right code: the session cookie with amr ["fed", "otp"], the
	// ticket cookie deleted, and the back-link.
	res = post(fresh.Value, map[string]string{"code": code(), "rd": "/app?tab=1"})
	var out signInJSON
	res.json(t, http.StatusOK, &out)
	if out.RedirectTo != testPublicURL+"/app?tab=1" || out.User.UID != u.uid {
		t.Errorf("answer %+v", out)
	}
	sc := sessionCookie(t, res)
	s.remember(sc.Value)
	wantAMR(t, sc.Value, "fed", "otp")
	if c := ticketCookie(res); c == nil || c.MaxAge >= 0 {
		t.Errorf("the ticket cookie was not deleted: %+v", c)
	}
	s.profile(t, sc.Value)
	s.wantAudit(t, identity.ActionLogin, u.uid, identity.StatusSuccess)
	s.wantAudit(t, identity.ActionMFAVerify, u.uid, identity.StatusSuccess)

	// Single use: the ticket that signed in is spent.
	post(fresh.Value, map[string]string{"code": code()}).wantProblem(t, http.StatusUnauthorized, identity.EINVALIDTOKEN)

	// A password ticket still yields ["pwd", "otp"].
	s.clock.Advance(totpStep)
	var pair tokensJSON
	s.completeMFA(t, s.mfaTicket(t, u), code()).json(t, http.StatusOK, &pair)
	wantAMR(t, pair.AccessToken, "pwd", "otp")
}

// A federated ticket redeemed at /login/mfa (the token-pair endpoint)
// keeps its first factor, and a recovery code completes it too.
func TestOAuthMFATicketAtLoginMFA(t *testing.T) {
	s, u := newOAuthMFAServer(t)
	tc := ticketCookie(s.browser(t).signIn("oidc", ""))
	if tc == nil {
		t.Fatal("no ticket cookie")
	}
	s.remember(tc.Value)
	var pair tokensJSON
	s.completeMFA(t, tc.Value, u.recovery[0]).json(t, http.StatusOK, &pair)
	wantAMR(t, pair.AccessToken, "fed", "otp")
	s.completeMFA(t, tc.Value, u.recovery[1]).wantProblem(t, http.StatusUnauthorized, identity.EINVALIDTOKEN)
}

// Without TOTP an account with MFA on is still refused at the callback
// (fail closed): nothing could ask for the second factor.
func TestOAuthMFAWithoutTOTPRefused(t *testing.T) {
	s := newOAuthServer(t)
	local := s.register(t, "ada@example.com", "correct horse battery staple")
	on := true
	if _, err := s.db.UpdateUser(context.Background(), local.User.UID, identity.UserUpdate{EmailVerified: &on, MFAEnabled: &on}); err != nil {
		t.Fatal(err)
	}
	res := s.browser(t).signIn("oidc", "")
	res.wantProblem(t, http.StatusForbidden, identity.EFORBIDDEN)
	if c := ticketCookie(res); c != nil {
		t.Errorf("a ticket cookie was set: %+v", c)
	}
	s.wantAudit(t, identity.ActionOAuthLogin, local.User.UID, identity.StatusFailure)
}
