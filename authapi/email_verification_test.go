package authapi_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/authgate/authgate/authapi"
	"github.com/authgate/authgate/identity"
	"github.com/authgate/authgate/limiter"
	mailpkg "github.com/authgate/authgate/mail"
)

func requireVerification(c *testConfig) {
	c.api.RequireEmailVerification = true
	c.api.VerificationMessage = mailpkg.VerificationMessage
}

// verificationToken reads the next verification mail to email from the
// SMTP server and returns the token its link carries.
func (s *testServer) verificationToken(t *testing.T, email string) string {
	t.Helper()
	msg := s.mail.waitFor(t, email)
	if msg.Subject != "Verify your email address" {
		t.Fatalf("mail subject %q", msg.Subject)
	}
	link := msg.FirstURL()
	u, err := url.Parse(link)
	if err != nil {
		t.Fatalf("verification link %q: %v", link, err)
	}
	if got := u.Scheme + "://" + u.Host + u.Path; got != testPublicURL+"/api/auth/email/verify/confirm" {
		t.Fatalf("verification link points to %q", got)
	}
	if u.RawQuery != "" {
		t.Errorf("verification link has a query (%q): the token must travel in the fragment only", u.RawQuery)
	}
	frag, err := url.ParseQuery(u.Fragment)
	if err != nil || frag.Get("token") == "" {
		t.Fatalf("verification link %q carries no token", link)
	}
	tok := frag.Get("token")
	s.remember(tok)
	return tok
}

func (s *testServer) confirmEmail(t testing.TB, token string) *response {
	t.Helper()
	return s.do(t, "POST", "/api/auth/email/verify/confirm", map[string]string{"token": token})
}

func TestEmailVerificationRequired(t *testing.T) {
	s := newTestServer(t, requireVerification)
	const email, pw = "verify@example.com", "correct horse battery staple"

	res := s.do(t, "POST", "/api/auth/register", map[string]string{"email": email, "password": pw})
	var reg map[string]any
	res.json(t, http.StatusCreated, &reg)
	if _, ok := reg["access_token"]; ok {
		t.Fatalf("register answered tokens although verification is required: %s", res.Body)
	}
	s.remember(pw)

	// The refusal comes only after the password check.
	s.do(t, "POST", "/api/auth/login", map[string]string{"email": email, "password": "not the password"}).
		wantProblem(t, http.StatusUnauthorized, identity.EINVALIDCREDENTIALS)
	s.do(t, "POST", "/api/auth/login", map[string]string{"email": "nobody@example.com", "password": pw}).
		wantProblem(t, http.StatusUnauthorized, identity.EINVALIDCREDENTIALS)
	s.do(t, "POST", "/api/auth/login", map[string]string{"email": email, "password": pw}).
		wantProblem(t, http.StatusForbidden, identity.EEMAILNOTVERIFIED)

	// Registration mailed the link; confirming it verifies the address.
	tok := s.verificationToken(t, email)
	var u userJSON
	s.confirmEmail(t, tok).json(t, http.StatusOK, &u)
	if !u.EmailVerified || u.Email != email {
		t.Fatalf("confirm answered %+v, want the verified user", u)
	}
	pair := s.login(t, email, pw)
	if claims := jwtClaims(t, pair.AccessToken); claims["email_verified"] != true {
		t.Errorf("access token email_verified = %v", claims["email_verified"])
	}
	// Single use.
	s.confirmEmail(t, tok).wantProblem(t, http.StatusUnauthorized, identity.EINVALIDTOKEN)

	s.waitAudit(t, identity.ActionEmailVerifySend, u.UID, identity.StatusSuccess)
	s.wantAudit(t, identity.ActionEmailVerify, u.UID, identity.StatusSuccess)
	s.wantAudit(t, identity.ActionEmailVerify, "", identity.StatusFailure)
	s.wantAudit(t, identity.ActionLogin, u.UID, identity.StatusFailure)
}

func TestEmailVerificationSend(t *testing.T) {
	s := newTestServer(t)
	const email = "send@example.com"
	reg := s.register(t, email, "correct horse battery staple")
	if reg.User.EmailVerified {
		t.Fatal("a new account is verified")
	}
	if n := s.mail.count(email); n != 0 {
		t.Fatalf("%d mails after registration without required verification, want 0", n)
	}

	// Signed in: the link goes to the caller's own address.
	s.do(t, "POST", "/api/auth/email/verify/send", nil, bearer(reg.AccessToken)).wantStatus(t, http.StatusAccepted)
	first := s.verificationToken(t, email)
	s.do(t, "POST", "/api/auth/email/verify/send", map[string]string{"email": "other@example.com"}, bearer(reg.AccessToken)).
		wantProblem(t, http.StatusBadRequest, identity.EINVALID)
	// A newer link replaces the older one.
	s.do(t, "POST", "/api/auth/email/verify/send", map[string]string{"email": email}, bearer(reg.AccessToken)).wantStatus(t, http.StatusAccepted)
	second := s.verificationToken(t, email)
	s.confirmEmail(t, first).wantProblem(t, http.StatusUnauthorized, identity.EINVALIDTOKEN)
	// Expiry.
	s.clock.Advance(authapi.DefaultVerifyTTL + time.Second)
	s.confirmEmail(t, second).wantProblem(t, http.StatusUnauthorized, identity.EINVALIDTOKEN)

	// Anonymous: the same answer whether or not the address has an account.
	known := s.do(t, "POST", "/api/auth/email/verify/send", map[string]string{"email": "  SEND@example.com "})
	unknown := s.do(t, "POST", "/api/auth/email/verify/send", map[string]string{"email": "ghost@example.com"})
	known.wantStatus(t, http.StatusAccepted)
	unknown.wantStatus(t, http.StatusAccepted)
	if string(known.Body) != string(unknown.Body) {
		t.Errorf("answers differ: %s vs %s", known.Body, unknown.Body)
	}
	third := s.verificationToken(t, email)
	var u userJSON
	s.confirmEmail(t, third).json(t, http.StatusOK, &u)
	if !u.EmailVerified {
		t.Fatal("not verified after confirm")
	}
	s.waitAudit(t, identity.ActionEmailVerifySend, "", identity.StatusFailure) // the unknown address
	if n := s.mail.count("ghost@example.com"); n != 0 {
		t.Errorf("%d mails to an address without account", n)
	}

	// Verified: nothing more to send.
	fresh := s.login(t, email, "correct horse battery staple")
	s.do(t, "POST", "/api/auth/email/verify/send", nil, bearer(fresh.AccessToken)).wantProblem(t, http.StatusConflict, identity.ECONFLICT)

	// Bad input.
	s.do(t, "POST", "/api/auth/email/verify/send", map[string]string{"email": "not an address"}).wantProblem(t, http.StatusBadRequest, identity.EINVALID)
	s.do(t, "POST", "/api/auth/email/verify/send", nil).wantProblem(t, http.StatusBadRequest, identity.EINVALID)
	s.do(t, "POST", "/api/auth/email/verify/send", nil, bearer("garbage")).wantProblem(t, http.StatusUnauthorized, identity.EINVALIDTOKEN)
	s.do(t, "POST", "/api/auth/email/verify/confirm", map[string]string{}).wantProblem(t, http.StatusBadRequest, identity.EINVALID)
	s.confirmEmail(t, "forged-token").wantProblem(t, http.StatusUnauthorized, identity.EINVALIDTOKEN)
}

func TestEmailVerificationLimits(t *testing.T) {
	s := newTestServer(t, withMFALimits(t, map[string]limiter.Rate{limiter.EmailSend: {Limit: 2, Period: time.Hour}}))
	reg := s.register(t, "limits@example.com", "correct horse battery staple")
	var last *response
	for i := 0; i < 4; i++ {
		last = s.do(t, "POST", "/api/auth/email/verify/send", nil, bearer(reg.AccessToken))
		if last.Status == http.StatusTooManyRequests {
			break
		}
		last.wantStatus(t, http.StatusAccepted)
	}
	last.wantProblem(t, http.StatusTooManyRequests, identity.ERATELIMITED)
	if last.Header.Get("Retry-After") == "" {
		t.Error("no Retry-After")
	}
	// The anonymous way shares the address's budget.
	s.do(t, "POST", "/api/auth/email/verify/send", map[string]string{"email": "limits@example.com"}).
		wantProblem(t, http.StatusTooManyRequests, identity.ERATELIMITED)
}

func TestEmailVerificationPage(t *testing.T) {
	s := newTestServer(t)
	res := s.do(t, "GET", "/api/auth/email/verify/confirm", nil)
	res.wantStatus(t, http.StatusOK)
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Fatalf("Content-Type %q", ct)
	}
	csp := res.Header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "script-src 'nonce-") || !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Errorf("CSP %q", csp)
	}
	if !strings.Contains(string(res.Body), "location.hash") || res.Header.Get("Referrer-Policy") != "no-referrer" {
		t.Error("the page does not read the token from the fragment or leaks a referrer")
	}
	s.do(t, "PUT", "/api/auth/email/verify/confirm", nil).wantProblem(t, http.StatusMethodNotAllowed, identity.EMETHODNOTALLOWED)
}
