package authapi_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/authgate/authgate/identity"
)

// An authgate access token already belongs to a session. create_session
// must not turn it into a second one: a stolen access token would become a
// refresh token that outlives its session's logout, and a session "signed
// in" just now that passes the recent sign-in check of account deletion
// and MFA enrollment without the password.
func TestVerifyCreateSessionRefusesAuthgateTokens(t *testing.T) {
	s := newTestServer(t)
	reg := s.register(t, "steal@example.com", "a fine long password")

	// Ten minutes on, the stolen access token is no recent sign-in.
	s.clock.Advance(10 * time.Minute)
	var fresh tokensJSON
	s.do(t, "POST", "/api/auth/refresh", map[string]any{"refresh_token": reg.RefreshToken}).json(t, http.StatusOK, &fresh)
	s.remember(fresh.AccessToken, fresh.RefreshToken)

	for _, tt := range []struct {
		name string
		body any
		opts []reqOpt
	}{
		{"id_token", map[string]any{"id_token": fresh.AccessToken, "create_session": true}, nil},
		{"bearer", map[string]any{"create_session": true}, []reqOpt{bearer(fresh.AccessToken)}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s.do(t, "POST", "/api/auth/verify", tt.body, tt.opts...).wantProblem(t, http.StatusBadRequest, identity.EINVALID)
		})
	}
	var list []sessionJSON
	s.do(t, "GET", "/api/auth/sessions", nil, bearer(fresh.AccessToken)).json(t, http.StatusOK, &list)
	if len(list) != 1 {
		t.Errorf("sessions = %+v, want only the registration's", list)
	}
	// Without create_session the token is still checked as before.
	s.do(t, "POST", "/api/auth/verify", map[string]any{"id_token": fresh.AccessToken}).wantStatus(t, http.StatusOK)
	// And the recent sign-in check still holds for the stolen token.
	s.do(t, "DELETE", "/api/auth/account", nil, bearer(fresh.AccessToken)).wantProblem(t, http.StatusUnauthorized, identity.EREAUTHREQUIRED)
}
