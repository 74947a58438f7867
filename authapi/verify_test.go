package authapi_test

import (
	"net/http"
	"testing"

	"github.com/authgate/authgate/identity"
)

type verifyJSON struct {
	UID           string         `json:"uid"`
	Email         string         `json:"email"`
	EmailVerified bool           `json:"email_verified"`
	Claims        map[string]any `json:"claims"`
	User          *userJSON      `json:"user"`
	AccessToken   string         `json:"access_token"`
	RefreshToken  string         `json:"refresh_token"`
	TokenType     string         `json:"token_type"`
}

func TestVerify(t *testing.T) {
	s := newTestServer(t)
	reg := s.register(t, "ver@example.com", "a fine long password")

	check := func(t *testing.T, v verifyJSON) {
		t.Helper()
		if v.UID != reg.User.UID || v.Email != "ver@example.com" || v.User == nil || v.User.UID != reg.User.UID || v.Claims == nil {
			t.Errorf("verify answer = %+v", v)
		}
	}
	var v verifyJSON
	s.do(t, "POST", "/api/auth/verify", map[string]any{"id_token": reg.AccessToken}).json(t, http.StatusOK, &v)
	check(t, v)
	if v.AccessToken != "" || v.RefreshToken != "" {
		t.Errorf("verify without create_session answered tokens: %+v", v)
	}
	v = verifyJSON{}
	s.do(t, "POST", "/api/auth/verify", nil, bearer(reg.AccessToken)).json(t, http.StatusOK, &v)
	check(t, v)

	// create_session with an authgate token is refused
	// (TestVerifyCreateSessionRefusesAuthgateTokens); a Firebase token's
	// exchange is TestFirebasePrincipal's.
	s.do(t, "POST", "/api/auth/verify", map[string]any{"id_token": reg.AccessToken, "create_session": true}).
		wantProblem(t, http.StatusBadRequest, identity.EINVALID)
	s.wantAudit(t, identity.ActionVerifyToken, reg.User.UID, identity.StatusFailure)

	tests := []struct {
		name   string
		body   any
		opts   []reqOpt
		status int
		code   string
	}{
		{"no token", nil, nil, 400, identity.EINVALID},
		{"empty object", map[string]any{}, nil, 400, identity.EINVALID},
		{"garbage id_token", map[string]any{"id_token": "x.y.z"}, nil, 401, identity.EINVALIDTOKEN},
		{"garbage bearer", nil, []reqOpt{bearer("garbage")}, 401, identity.EINVALIDTOKEN},
		{"tampered", map[string]any{"id_token": tamper(reg.AccessToken)}, nil, 401, identity.EINVALIDTOKEN},
		{"unknown field", map[string]any{"id_token": reg.AccessToken, "audience": "x"}, nil, 400, identity.EINVALID},
		{"create_session wrong type", map[string]any{"id_token": reg.AccessToken, "create_session": "yes"}, nil, 400, identity.EINVALID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s.do(t, "POST", "/api/auth/verify", tt.body, tt.opts...).wantProblem(t, tt.status, tt.code)
		})
	}
}
