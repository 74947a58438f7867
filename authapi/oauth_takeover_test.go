package authapi_test

import (
	"net/http"
	"testing"

	"github.com/authgate/authgate/identity"
	"github.com/authgate/authgate/oauth/oauthtest"
)

// A provider that does not vouch for an address (Facebook here) creates an
// account for it. The address's real owner cannot register it (409), so
// they reset its password through their mailbox and use the account. The
// provider's user must not get into it afterwards: the provider never
// proved the address, and the mailbox owner never agreed to share the
// account.
func TestOAuthUnverifiedProviderAccountTakenBackByReset(t *testing.T) {
	s := newOAuthServer(t)
	s.fb.SetUser(oauthtest.FacebookUser{ID: "666", Name: "Squatter", Email: "victim@example.com"})
	squat := s.profile(t, oauthSessionCookie(t, s.browser(t).signIn("facebook", "")))
	if squat.Email != "victim@example.com" || squat.EmailVerified {
		t.Fatalf("squatted account %+v", squat)
	}

	// The owner of the mailbox takes the account over with a reset.
	s.do(t, "POST", "/api/auth/register", map[string]any{"email": "victim@example.com", "password": "the victim's long password"}).
		wantProblem(t, http.StatusConflict, identity.EEMAILTAKEN)
	tok := s.resetToken(t, "victim@example.com")
	s.do(t, "POST", "/api/auth/password/reset/confirm", map[string]any{"token": tok, "new_password": "the victim's long password"}).
		wantStatus(t, http.StatusNoContent)
	s.remember("the victim's long password")
	s.login(t, "victim@example.com", "the victim's long password")

	// The provider's user is refused now, and gets no session.
	res := s.browser(t).signIn("facebook", "")
	res.wantProblem(t, http.StatusConflict, identity.EEMAILTAKEN)
	for _, c := range (&http.Response{Header: res.Header}).Cookies() {
		if c.Name == testCookie && c.Value != "" {
			t.Fatal("the provider's user got a session cookie")
		}
	}
	s.wantAudit(t, identity.ActionOAuthLogin, squat.UID, identity.StatusFailure)

	// Other accounts of the provider are not affected.
	s.fb.SetUser(oauthtest.FacebookUser{ID: "777", Name: "Other", Email: "other@example.com"})
	oauthSessionCookie(t, s.browser(t).signIn("facebook", ""))

	// A provider that vouches for the address still signs in to its
	// account after a reset gave it a password.
	ada := s.profile(t, oauthSessionCookie(t, s.browser(t).signIn("oidc", "")))
	adaTok := s.resetToken(t, ada.Email)
	s.do(t, "POST", "/api/auth/password/reset/confirm", map[string]any{"token": adaTok, "new_password": "ada's own long password"}).
		wantStatus(t, http.StatusNoContent)
	s.remember("ada's own long password")
	if again := s.profile(t, oauthSessionCookie(t, s.browser(t).signIn("oidc", ""))); again.UID != ada.UID {
		t.Errorf("vouched sign-in as %s, want %s", again.UID, ada.UID)
	}
}
