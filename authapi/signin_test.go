package authapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/authgate/authgate/authapi"
	"github.com/authgate/authgate/identity"
	"github.com/authgate/authgate/internal/redirect"
	"github.com/authgate/authgate/limiter"
	"github.com/authgate/authgate/token"
)

const testCookieTTL = 12 * time.Hour

// withCookieSessions gives the API a second issuer whose tokens live
// testCookieTTL, as cmd/authgate does, the cookie domain and allowed
// redirect hosts.
func withCookieSessions(t testing.TB, domain string, hosts ...string) func(*testConfig) {
	t.Helper()
	return func(c *testConfig) {
		keys, err := token.LoadKeySet(context.Background(), c.db, token.KeySetConfig{Now: c.api.Now})
		if err != nil {
			t.Fatalf("load keys: %v", err)
		}
		iss, err := token.NewIssuer(keys, token.Config{Issuer: testPublicURL, AccessTTL: testCookieTTL, Now: c.api.Now})
		if err != nil {
			t.Fatalf("cookie issuer: %v", err)
		}
		pol, err := redirect.New(c.api.PublicURL, hosts)
		if err != nil {
			t.Fatalf("redirect policy: %v", err)
		}
		c.api.CookieTokens, c.api.CookieTTL, c.api.CookieDomain, c.api.Redirects = iss, testCookieTTL, domain, pol
	}
}

// sameOrigin marks a request as the sign-in page's own fetch.
func sameOrigin() reqOpt { return header("Sec-Fetch-Site", "same-origin") }

type signInJSON struct {
	RedirectTo string   `json:"redirect_to"`
	User       userJSON `json:"user"`
}

// sessionCookie returns the response's session cookie, failing without one.
func sessionCookie(t testing.TB, res *response) *http.Cookie {
	t.Helper()
	for _, c := range (&http.Response{Header: res.Header}).Cookies() {
		if c.Name == testCookie {
			return c
		}
	}
	t.Fatalf("no %s cookie in %q", testCookie, res.Header.Values("Set-Cookie"))
	return nil
}

// signIn posts the sign-in page's request and returns the answer and cookie.
func (s *testServer) signIn(t testing.TB, body map[string]string) (signInJSON, *http.Cookie) {
	t.Helper()
	res := s.do(t, "POST", "/api/auth/signin", body, sameOrigin())
	var out signInJSON
	res.json(t, http.StatusOK, &out)
	c := sessionCookie(t, res)
	s.remember(c.Value)
	return out, c
}

func TestSignInPage(t *testing.T) {
	s := newTestServer(t, withCookieSessions(t, "", "*.apps.test"))
	for _, tt := range []struct {
		rd     string
		wantRD string
	}{
		{"", ""},
		{"https://one.apps.test/x?y=1", "https://one.apps.test/x?y=1"},
		{"/account", testPublicURL + "/account"},
		{"https://evil.test/", ""},
		{"//evil.test/", ""},
		{"javascript:alert(1)", ""},
		{`https://one.apps.test/"><script>alert(1)</script>`, "https://one.apps.test/%22%3E%3Cscript%3Ealert%281%29%3C/script%3E"},
	} {
		res := s.do(t, "GET", "/api/auth/signin?rd="+url.QueryEscape(tt.rd), nil)
		res.wantStatus(t, http.StatusOK)
		h := res.Header
		if h.Get("Content-Type") != "text/html; charset=utf-8" || h.Get("X-Frame-Options") != "DENY" ||
			h.Get("Cache-Control") != "no-store" || h.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("headers %v", h)
		}
		csp := h.Get("Content-Security-Policy")
		m := regexp.MustCompile(`script-src 'nonce-([A-Za-z0-9_-]{24})'`).FindStringSubmatch(csp)
		if m == nil || !containsAll(csp, "default-src 'none'", "frame-ancestors 'none'", "connect-src 'self'", "base-uri 'none'", "form-action 'none'") {
			t.Fatalf("CSP %q", csp)
		}
		body := string(res.Body)
		if !containsAll(body, `<script nonce="`+m[1]+`">`, `<style nonce="`+m[1]+`">`, `<label for="email">`, `<label for="password">`,
			`autocomplete="current-password"`, `role="alert"`, `lang="en"`) {
			t.Errorf("page lacks nonce'd script/style or accessible form:\n%s", body)
		}
		if regexp.MustCompile(`(?i)(src|href|action)=["']?(https?:)?//|@import|url\(`).MatchString(body) {
			t.Errorf("page refers to an external asset")
		}
		got := regexp.MustCompile(`data-rd="([^"]*)"`).FindStringSubmatch(body)
		if got == nil || got[1] != tt.wantRD {
			t.Errorf("rd %q: data-rd = %q, want %q", tt.rd, got, tt.wantRD)
		}
		if strings.Contains(body, "evil.test") || strings.Contains(body, "<script>alert") {
			t.Errorf("rd %q leaked into the page", tt.rd)
		}
	}
	// A second request has a different nonce.
	a := s.do(t, "GET", "/api/auth/signin", nil).Header.Get("Content-Security-Policy")
	b := s.do(t, "GET", "/api/auth/signin", nil).Header.Get("Content-Security-Policy")
	if a == b {
		t.Error("the CSP nonce does not change between responses")
	}
}

func TestSignInSetsCookie(t *testing.T) {
	s := newTestServer(t, withCookieSessions(t, ".authgate.test", "*.apps.test"))
	reg := s.register(t, "Ann@Example.com", "correct horse battery staple")
	out, c := s.signIn(t, map[string]string{"email": " ann@example.com ", "password": "correct horse battery staple", "rd": "https://app.apps.test/after?x=1"})
	if out.RedirectTo != "https://app.apps.test/after?x=1" || out.User.UID != reg.User.UID {
		t.Errorf("answer %+v", out)
	}
	if !c.HttpOnly || c.Secure || c.SameSite != http.SameSiteLaxMode || c.Path != "/" || c.Domain != "authgate.test" ||
		c.MaxAge != int(testCookieTTL/time.Second) {
		t.Errorf("cookie attributes %+v", c)
	}
	claims := jwtClaims(t, c.Value)
	if exp, iat := claims["exp"].(float64), claims["iat"].(float64); exp-iat != testCookieTTL.Seconds() {
		t.Errorf("cookie token lives %vs, want %v", exp-iat, testCookieTTL)
	}
	s.wantAudit(t, identity.ActionLogin, reg.User.UID, identity.StatusSuccess)

	// The cookie is a credential, also after the access-token lifetime.
	s.clock.Advance(2 * testAccessTTL)
	var u userJSON
	s.do(t, "GET", "/api/auth/profile", nil, cookie(testCookie, c.Value)).json(t, http.StatusOK, &u)
	if u.UID != reg.User.UID {
		t.Errorf("profile via cookie = %+v", u)
	}
	// Its session is listed, without a refresh token.
	var sessions []sessionJSON
	s.do(t, "GET", "/api/auth/sessions", nil, cookie(testCookie, c.Value)).json(t, http.StatusOK, &sessions)
	var current *sessionJSON
	for i := range sessions {
		if sessions[i].Current {
			current = &sessions[i]
		}
	}
	if current == nil || current.ID != claims["sid"] || current.DeviceInfo["browser"] != "Chrome" {
		t.Fatalf("sessions %+v: no current cookie session %v", sessions, claims["sid"])
	}
	// The signed-in page says who is signed in.
	page := s.do(t, "GET", "/api/auth/signin", nil, cookie(testCookie, c.Value))
	if !strings.Contains(string(page.Body), "Signed in as <strong>ann@example.com</strong>") {
		t.Errorf("signed-in page:\n%s", page.Body)
	}
	// It ends with the cookie's lifetime.
	s.clock.Advance(testCookieTTL)
	s.do(t, "GET", "/api/auth/profile", nil, cookie(testCookie, c.Value)).wantProblem(t, http.StatusUnauthorized, identity.ETOKENEXPIRED)
}

func TestSignInSecureCookieAndDefaults(t *testing.T) {
	s := newTestServer(t, func(c *testConfig) {
		c.api.PublicURL, _ = url.Parse("https://auth.example.test")
	})
	s.register(t, "bo@example.com", "correct horse battery staple")
	out, c := s.signIn(t, map[string]string{"email": "bo@example.com", "password": "correct horse battery staple", "rd": "https://evil.test/"})
	if out.RedirectTo != "" {
		t.Errorf("unsafe rd answered as redirect_to %q", out.RedirectTo)
	}
	// Without CookieTokens the cookie token is an access token: MaxAge follows it.
	if !c.Secure || c.Domain != "" || c.MaxAge != int(testAccessTTL/time.Second) {
		t.Errorf("cookie %+v", c)
	}
	if out, _ := s.signIn(t, map[string]string{"email": "bo@example.com", "password": "correct horse battery staple", "rd": "/home"}); out.RedirectTo != "https://auth.example.test/home" {
		t.Errorf("rd /home: redirect_to %q", out.RedirectTo)
	}
}

func TestSignInRefusals(t *testing.T) {
	s := newTestServer(t, withCookieSessions(t, ""), withMFALimits(t, map[string]limiter.Rate{
		authapi.LimitLoginAccount: {Limit: 3, Period: time.Hour},
	}))
	reg := s.register(t, "cy@example.com", "correct horse battery staple")
	good := map[string]string{"email": "cy@example.com", "password": "correct horse battery staple"}
	bad := map[string]string{"email": "cy@example.com", "password": "wrong horse battery staple"}

	tests := []struct {
		name   string
		body   any
		opts   []reqOpt
		status int
		code   string
	}{
		{"cross-site fetch", good, []reqOpt{header("Sec-Fetch-Site", "cross-site")}, 403, identity.EFORBIDDEN},
		{"same-site fetch", good, []reqOpt{header("Sec-Fetch-Site", "same-site")}, 403, identity.EFORBIDDEN},
		{"foreign origin", good, []reqOpt{header("Origin", "http://evil.test")}, 403, identity.EFORBIDDEN},
		{"null origin", good, []reqOpt{header("Origin", "null")}, 403, identity.EFORBIDDEN},
		{"form post", "email=cy%40example.com&password=x", []reqOpt{sameOrigin(), header("Content-Type", "application/x-www-form-urlencoded")}, 415, identity.EUNSUPPORTED},
		{"text/plain post", `{"email":"cy@example.com","password":"x"}`, []reqOpt{header("Content-Type", "text/plain")}, 415, identity.EUNSUPPORTED},
		{"unknown field", map[string]string{"email": "cy@example.com", "password": "x", "admin": "1"}, []reqOpt{sameOrigin()}, 400, identity.EINVALID},
		{"no password", map[string]string{"email": "cy@example.com"}, []reqOpt{sameOrigin()}, 400, identity.EINVALID},
		{"code without ticket", map[string]string{"email": "cy@example.com", "password": "x", "code": "123456"}, []reqOpt{sameOrigin()}, 400, identity.EINVALID},
		{"ticket without TOTP", map[string]string{"mfa_ticket": "x", "code": "123456"}, []reqOpt{sameOrigin()}, 404, identity.ENOTFOUND},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := s.do(t, "POST", "/api/auth/signin", tt.body, tt.opts...)
			res.wantProblem(t, tt.status, tt.code)
			if len(res.Header.Values("Set-Cookie")) != 0 {
				t.Errorf("refusal set a cookie: %q", res.Header.Values("Set-Cookie"))
			}
		})
	}

	// A wrong password is the /login refusal, audited, and counts against
	// the same limit: after three, even the right password is throttled on
	// /login too.
	for range 3 {
		s.do(t, "POST", "/api/auth/signin", bad, sameOrigin()).wantProblem(t, http.StatusUnauthorized, identity.EINVALIDCREDENTIALS)
	}
	s.wantAudit(t, identity.ActionLogin, reg.User.UID, identity.StatusFailure)
	res := s.do(t, "POST", "/api/auth/signin", good, sameOrigin())
	res.wantProblem(t, http.StatusTooManyRequests, identity.ERATELIMITED)
	if res.Header.Get("Retry-After") == "" {
		t.Error("429 without Retry-After")
	}
	s.do(t, "POST", "/api/auth/login", good).wantProblem(t, http.StatusTooManyRequests, identity.ERATELIMITED)
}

func TestSignInRequiresVerifiedEmail(t *testing.T) {
	s := newTestServer(t, withCookieSessions(t, ""))
	s.register(t, "dee@example.com", "correct horse battery staple")
	s.api.RequireEmailVerification = true // after register, which would otherwise answer without tokens
	res := s.do(t, "POST", "/api/auth/signin", map[string]string{"email": "dee@example.com", "password": "correct horse battery staple"}, sameOrigin())
	res.wantProblem(t, http.StatusForbidden, identity.EEMAILNOTVERIFIED)
	if len(res.Header.Values("Set-Cookie")) != 0 {
		t.Fatalf("unverified sign-in set a cookie: %q", res.Header.Values("Set-Cookie"))
	}
}

func TestSignInWithTOTP(t *testing.T) {
	s := newTestServer(t, withTOTP, withCookieSessions(t, ""))
	u := s.enableMFA(t, "eve@example.com")
	res := s.do(t, "POST", "/api/auth/signin", map[string]string{"email": u.email, "password": u.password, "rd": "/next"}, sameOrigin())
	res.wantProblem(t, http.StatusUnauthorized, identity.EMFAREQUIRED)
	if len(res.Header.Values("Set-Cookie")) != 0 {
		t.Fatal("mfa_required set a cookie")
	}
	var p mfaProblem
	if err := json.Unmarshal(res.Body, &p); err != nil || p.Ticket == "" {
		t.Fatalf("mfa_required %s: %v", res.Body, err)
	}
	s.remember(p.Ticket)

	// A wrong code answers a fresh ticket; the spent one is refused.
	res = s.do(t, "POST", "/api/auth/signin", map[string]string{"mfa_ticket": p.Ticket, "code": wrongTOTP(s.totpCode(t, u.secret, s.clock.Now()))}, sameOrigin())
	res.wantProblem(t, http.StatusUnauthorized, identity.EINVALIDMFA)
	var again mfaProblem
	if err := json.Unmarshal(res.Body, &again); err != nil || again.Ticket == "" || again.Ticket == p.Ticket {
		t.Fatalf("invalid_mfa_code %s: no fresh ticket", res.Body)
	}
	s.remember(again.Ticket)
	s.do(t, "POST", "/api/auth/signin", map[string]string{"mfa_ticket": p.Ticket, "code": s.totpCode(t, u.secret, s.clock.Now())}, sameOrigin()).
		wantProblem(t, http.StatusUnauthorized, identity.EINVALIDTOKEN)

	out, c := s.signIn(t, map[string]string{"mfa_ticket": again.Ticket, "code": s.totpCode(t, u.secret, s.clock.Now()), "rd": "/next"})
	if out.RedirectTo != testPublicURL+"/next" || out.User.UID != u.uid {
		t.Errorf("answer %+v", out)
	}
	wantAMR(t, c.Value, "pwd", "otp")
	s.do(t, "GET", "/api/auth/profile", nil, cookie(testCookie, c.Value)).wantStatus(t, http.StatusOK)
}

func TestSignOut(t *testing.T) {
	s := newTestServer(t, withCookieSessions(t, ".authgate.test", "*.apps.test"))
	s.Client().CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	s.register(t, "fay@example.com", "correct horse battery staple")
	body := map[string]string{"email": "fay@example.com", "password": "correct horse battery staple"}

	// Refused cross-site, and the session lives on.
	_, c := s.signIn(t, body)
	for _, o := range []reqOpt{header("Sec-Fetch-Site", "cross-site"), header("Origin", "https://evil.test")} {
		s.do(t, "POST", "/api/auth/signout", nil, cookie(testCookie, c.Value), o).wantProblem(t, http.StatusForbidden, identity.EFORBIDDEN)
	}
	s.do(t, "GET", "/api/auth/profile", nil, cookie(testCookie, c.Value)).wantStatus(t, http.StatusOK)

	// The page's own fetch: 204, cookie deleted with its domain, session revoked at once.
	res := s.do(t, "POST", "/api/auth/signout", nil, cookie(testCookie, c.Value), sameOrigin())
	res.wantStatus(t, http.StatusNoContent)
	gone := sessionCookie(t, res)
	if gone.MaxAge >= 0 || gone.Value != "" || gone.Domain != "authgate.test" || gone.Path != "/" {
		t.Errorf("deleting cookie %+v", gone)
	}
	s.do(t, "GET", "/api/auth/profile", nil, cookie(testCookie, c.Value)).wantProblem(t, http.StatusUnauthorized, identity.EINVALIDTOKEN)
	s.wantAudit(t, identity.ActionLogout, "", identity.StatusSuccess)

	// An app's sign-out form on an allowed host, with a back-link: 303 there.
	_, c = s.signIn(t, body)
	res = s.do(t, "POST", "/api/auth/signout?rd="+url.QueryEscape("https://app.apps.test/bye"), nil,
		cookie(testCookie, c.Value), header("Origin", "https://app.apps.test"))
	if res.Status != http.StatusSeeOther || res.Header.Get("Location") != "https://app.apps.test/bye" {
		t.Fatalf("signout with rd: %d %q", res.Status, res.Header.Get("Location"))
	}
	s.do(t, "GET", "/api/auth/profile", nil, cookie(testCookie, c.Value)).wantProblem(t, http.StatusUnauthorized, identity.EINVALIDTOKEN)

	// An unsafe rd is ignored; a navigation lands on the sign-in page.
	res = s.do(t, "POST", "/api/auth/signout?rd="+url.QueryEscape("https://evil.test/"), nil, sameOrigin(), header("Sec-Fetch-Mode", "navigate"))
	if res.Status != http.StatusSeeOther || res.Header.Get("Location") != testPublicURL+authapi.SignInPath {
		t.Fatalf("signout navigation: %d %q", res.Status, res.Header.Get("Location"))
	}
	// Without a cookie (or with garbage) it still just deletes the cookie.
	s.do(t, "POST", "/api/auth/signout", nil, cookie(testCookie, "garbage"), sameOrigin()).wantStatus(t, http.StatusNoContent)

	// /logout with the cookie also deletes it with its domain.
	_, c = s.signIn(t, body)
	res = s.do(t, "POST", "/api/auth/logout", nil, cookie(testCookie, c.Value), sameOrigin())
	res.wantStatus(t, http.StatusNoContent)
	if gone := sessionCookie(t, res); gone.MaxAge >= 0 || gone.Domain != "authgate.test" {
		t.Errorf("logout's deleting cookie %+v", gone)
	}
}

func TestSignInDisabledWithoutCookieName(t *testing.T) {
	s := newTestServer(t, func(c *testConfig) { c.api.CookieName = "" })
	s.do(t, "GET", "/api/auth/signin", nil).wantProblem(t, http.StatusNotFound, identity.ENOTFOUND)
	s.do(t, "POST", "/api/auth/signin", map[string]string{"email": "a@b.c", "password": "x"}, sameOrigin()).wantProblem(t, http.StatusNotFound, identity.ENOTFOUND)
	s.do(t, "POST", "/api/auth/signout", nil, sameOrigin()).wantProblem(t, http.StatusNotFound, identity.ENOTFOUND)
	res := s.do(t, "PUT", "/api/auth/signin", nil)
	res.wantProblem(t, http.StatusMethodNotAllowed, identity.EMETHODNOTALLOWED)
	if res.Header.Get("Allow") != "GET, POST" {
		t.Errorf("Allow = %q", res.Header.Get("Allow"))
	}
}
