package authapi_test

import (
	"bytes"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/authgate/authgate/identity"
)

// resetToken asks for a reset mail over the API, reads it from the SMTP
// server and returns the token its link carries.
func (s *testServer) resetToken(t *testing.T, email string) string {
	t.Helper()
	s.do(t, "POST", "/api/auth/password/reset", map[string]any{"email": email}).wantStatus(t, http.StatusAccepted)
	msg := s.mail.waitFor(t, email)
	link := msg.FirstURL()
	u, err := url.Parse(link)
	if err != nil {
		t.Fatalf("reset link %q: %v", link, err)
	}
	if got := u.Scheme + "://" + u.Host + u.Path; got != testPublicURL+"/api/auth/password/reset/confirm" {
		t.Fatalf("reset link points to %q", got)
	}
	if u.RawQuery != "" {
		t.Errorf("reset link has a query (%q): the token must travel in the fragment only", u.RawQuery)
	}
	frag, err := url.ParseQuery(u.Fragment)
	if err != nil || frag.Get("token") == "" {
		t.Fatalf("reset link %q carries no token", link)
	}
	tok := frag.Get("token")
	s.remember(tok)
	return tok
}

func TestPasswordReset(t *testing.T) {
	s := newTestServer(t)
	reg := s.register(t, "reset@example.com", "the old long password")
	other := s.login(t, "reset@example.com", "the old long password")
	s.do(t, "GET", "/api/auth/profile", nil, bearer(other.AccessToken)).wantStatus(t, http.StatusOK)

	// Known and unknown addresses get the very same answer.
	known := s.do(t, "POST", "/api/auth/password/reset", map[string]any{"email": "RESET@example.com"})
	unknown := s.do(t, "POST", "/api/auth/password/reset", map[string]any{"email": "nobody@example.com"})
	known.wantStatus(t, http.StatusAccepted)
	unknown.wantStatus(t, http.StatusAccepted)
	if !bytes.Equal(known.Body, unknown.Body) {
		t.Errorf("known address answers %s, unknown %s", known.Body, unknown.Body)
	}
	s.mail.waitFor(t, "reset@example.com") // the first link, replaced below
	s.waitAudit(t, identity.ActionPasswordReset, "", identity.StatusFailure)
	if n := s.mail.count("nobody@example.com"); n != 0 {
		t.Errorf("%d mails to an address without an account", n)
	}
	s.waitAudit(t, identity.ActionPasswordReset, reg.User.UID, identity.StatusSuccess)

	// A new request replaces the unused link of the previous one.
	s.clock.Advance(time.Second)
	first := s.resetToken(t, "reset@example.com")
	token := s.resetToken(t, "reset@example.com")
	if first == token {
		t.Fatal("two reset requests gave the same token")
	}
	s.do(t, "POST", "/api/auth/password/reset/confirm", map[string]any{"token": first, "new_password": "a brand new password"}).
		wantProblem(t, http.StatusUnauthorized, identity.EINVALIDTOKEN)

	// The page the link opens: no external assets, a strict CSP, no token.
	page := s.do(t, "GET", "/api/auth/password/reset/confirm", nil)
	page.wantStatus(t, http.StatusOK)
	if ct := page.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("page Content-Type = %q", ct)
	}
	if csp := page.Header.Get("Content-Security-Policy"); !containsAll(csp, "default-src 'none'", "script-src 'nonce-", "frame-ancestors 'none'") {
		t.Errorf("page CSP = %q", csp)
	}
	if bytes.Contains(page.Body, []byte("http://")) || bytes.Contains(page.Body, []byte("https://")) {
		t.Errorf("page loads or links external resources: %s", page.Body)
	}

	// A weak password is refused and does not spend the token.
	s.do(t, "POST", "/api/auth/password/reset/confirm", map[string]any{"token": token, "new_password": "password"}).
		wantProblem(t, http.StatusBadRequest, identity.EWEAKPASSWORD)
	s.do(t, "POST", "/api/auth/password/reset/confirm", map[string]any{"token": token, "new_password": "a brand new password"}).
		wantStatus(t, http.StatusNoContent)
	s.remember("a brand new password")
	s.wantAudit(t, identity.ActionPasswordResetComplete, reg.User.UID, identity.StatusSuccess)

	// Single use.
	s.do(t, "POST", "/api/auth/password/reset/confirm", map[string]any{"token": token, "new_password": "yet another password"}).
		wantProblem(t, http.StatusUnauthorized, identity.EINVALIDTOKEN)
	// The old password is gone, the new one works, every old session is revoked.
	s.do(t, "POST", "/api/auth/login", map[string]any{"email": "reset@example.com", "password": "the old long password"}).
		wantProblem(t, http.StatusUnauthorized, identity.EINVALIDCREDENTIALS)
	s.login(t, "reset@example.com", "a brand new password")
	s.do(t, "GET", "/api/auth/profile", nil, bearer(other.AccessToken)).wantProblem(t, http.StatusUnauthorized, identity.EINVALIDTOKEN)
	s.do(t, "POST", "/api/auth/refresh", map[string]any{"refresh_token": reg.RefreshToken}).wantProblem(t, http.StatusUnauthorized, identity.EINVALIDTOKEN)

	tests := []struct {
		name, path string
		body       any
		status     int
		code       string
	}{
		{"reset: not an email", "/api/auth/password/reset", map[string]any{"email": "nope"}, 400, identity.EINVALID},
		{"reset: unknown field", "/api/auth/password/reset", map[string]any{"email": "reset@example.com", "redirect": "https://evil.example"}, 400, identity.EINVALID},
		{"reset: malformed", "/api/auth/password/reset", `{"email"`, 400, identity.EMALFORMED},
		{"confirm: missing token", "/api/auth/password/reset/confirm", map[string]any{"new_password": "a brand new password"}, 400, identity.EINVALID},
		{"confirm: missing password", "/api/auth/password/reset/confirm", map[string]any{"token": "x"}, 400, identity.EINVALID},
		{"confirm: unknown token", "/api/auth/password/reset/confirm", map[string]any{"token": "bm9wZQ", "new_password": "a brand new password"}, 401, identity.EINVALIDTOKEN},
		{"confirm: unknown field", "/api/auth/password/reset/confirm", map[string]any{"token": "x", "new_password": "a brand new password", "uid": reg.User.UID}, 400, identity.EINVALID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s.do(t, "POST", tt.path, tt.body).wantProblem(t, tt.status, tt.code)
		})
	}
}

func TestPasswordResetExpired(t *testing.T) {
	s := newTestServer(t)
	s.register(t, "late@example.com", "the old long password")
	token := s.resetToken(t, "late@example.com")
	s.clock.Advance(authapiDefaultResetTTL + time.Second)
	s.do(t, "POST", "/api/auth/password/reset/confirm", map[string]any{"token": token, "new_password": "a brand new password"}).
		wantProblem(t, http.StatusUnauthorized, identity.EINVALIDTOKEN)
	s.login(t, "late@example.com", "the old long password")
}

func TestPasswordChange(t *testing.T) {
	s := newTestServer(t)
	reg := s.register(t, "chg@example.com", "the old long password")
	other := s.login(t, "chg@example.com", "the old long password")
	s.do(t, "GET", "/api/auth/profile", nil, bearer(other.AccessToken)).wantStatus(t, http.StatusOK)

	s.do(t, "POST", "/api/auth/password/change", map[string]any{"current_password": "not the password", "new_password": "a brand new password"},
		bearer(reg.AccessToken)).wantProblem(t, http.StatusUnauthorized, identity.EINVALIDCREDENTIALS)
	s.wantAudit(t, identity.ActionPasswordChange, reg.User.UID, identity.StatusFailure)
	s.do(t, "POST", "/api/auth/password/change", map[string]any{"current_password": "the old long password", "new_password": "password"},
		bearer(reg.AccessToken)).wantProblem(t, http.StatusBadRequest, identity.EWEAKPASSWORD)
	s.do(t, "POST", "/api/auth/password/change", map[string]any{"current_password": "the old long password", "new_password": "chg@example.com"},
		bearer(reg.AccessToken)).wantProblem(t, http.StatusBadRequest, identity.EWEAKPASSWORD)
	s.remember("not the password")

	s.clock.Advance(time.Second)
	s.do(t, "POST", "/api/auth/password/change", map[string]any{"current_password": "the old long password", "new_password": "a brand new password"},
		bearer(reg.AccessToken)).wantStatus(t, http.StatusNoContent)
	s.remember("a brand new password")
	s.wantAudit(t, identity.ActionPasswordChange, reg.User.UID, identity.StatusSuccess)

	// Other sessions are revoked at once; the caller's session lives on.
	s.do(t, "GET", "/api/auth/profile", nil, bearer(other.AccessToken)).wantProblem(t, http.StatusUnauthorized, identity.EINVALIDTOKEN)
	s.do(t, "POST", "/api/auth/refresh", map[string]any{"refresh_token": other.RefreshToken}).wantProblem(t, http.StatusUnauthorized, identity.EINVALIDTOKEN)
	var fresh tokensJSON
	s.do(t, "POST", "/api/auth/refresh", map[string]any{"refresh_token": reg.RefreshToken}).json(t, http.StatusOK, &fresh)
	s.remember(fresh.AccessToken, fresh.RefreshToken)
	s.do(t, "GET", "/api/auth/profile", nil, bearer(fresh.AccessToken)).wantStatus(t, http.StatusOK)

	s.do(t, "POST", "/api/auth/login", map[string]any{"email": "chg@example.com", "password": "the old long password"}).
		wantProblem(t, http.StatusUnauthorized, identity.EINVALIDCREDENTIALS)
	s.login(t, "chg@example.com", "a brand new password")

	s.do(t, "POST", "/api/auth/password/change", map[string]any{"current_password": "a brand new password"}, bearer(fresh.AccessToken)).
		wantProblem(t, http.StatusBadRequest, identity.EINVALID)
	s.do(t, "POST", "/api/auth/password/change", map[string]any{"current_password": "x", "new_password": "y", "confirm": "y"}, bearer(fresh.AccessToken)).
		wantProblem(t, http.StatusBadRequest, identity.EINVALID)
	s.do(t, "POST", "/api/auth/password/change", map[string]any{"current_password": "x", "new_password": "y"}).
		wantProblem(t, http.StatusUnauthorized, identity.EUNAUTHENTICATED)
}
