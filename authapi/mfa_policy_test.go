package authapi_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/authgate/authgate/gateway"
	"github.com/authgate/authgate/identity"
	"github.com/authgate/authgate/policy"
)

// TestMFAPolicyThroughForwardAuth runs real tokens of the test server
// through the forward-auth endpoint with a policy that demands MFA for
// admins: `allow: {roles: [admin], mfa: true}` refuses an admin token
// without otp in its amr and allows one with it.
func TestMFAPolicyThroughForwardAuth(t *testing.T) {
	s := newTestServer(t, withTOTP)
	p, err := policy.Parse([]byte(`
rules:
  - match: { path: "/admin/**" }
    allow: { roles: [admin], mfa: true }
default: authenticated
`))
	if err != nil {
		t.Fatal(err)
	}
	g := &gateway.Gateway{Verifier: s.api.Verifier, Policy: policy.Static{P: p}, Registerer: prometheus.NewRegistry()}
	if err := g.Provision(); err != nil {
		t.Fatal(err)
	}
	fa := httptest.NewServer(http.HandlerFunc(g.ServeForwardAuth))
	t.Cleanup(fa.Close)
	decide := func(t *testing.T, token, uri string) int {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, fa.URL+gateway.ForwardAuthPath, nil)
		req.Header.Set("X-Forwarded-Method", "GET")
		req.Header.Set("X-Forwarded-Proto", "https")
		req.Header.Set("X-Forwarded-Host", "app.example.com")
		req.Header.Set("X-Forwarded-Uri", uri)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		res, err := fa.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}

	admin := s.enableMFA(t, "admin@example.com")
	roles := []string{identity.RoleAdmin}
	if _, err := s.db.UpdateUser(context.Background(), admin.uid, identity.UserUpdate{Roles: &roles}); err != nil {
		t.Fatal(err)
	}
	// An admin who signs in with the password only (no MFA enrolled) holds
	// a token with amr [pwd].
	plainAdmin := s.enableMFAlessAdmin(t, "plain-admin@example.com")

	var withOTP tokensJSON
	s.do(t, "POST", "/api/auth/login", map[string]string{"email": admin.email, "password": admin.password,
		"totp_code": s.totpCode(t, admin.secret, s.clock.Now())}).json(t, http.StatusOK, &withOTP)
	s.remember(withOTP.AccessToken, withOTP.RefreshToken)
	wantAMR(t, withOTP.AccessToken, "pwd", "otp")

	user := s.enableMFA(t, "user@example.com")
	var userOTP tokensJSON
	s.do(t, "POST", "/api/auth/login", map[string]string{"email": user.email, "password": user.password,
		"totp_code": s.totpCode(t, user.secret, s.clock.Now())}).json(t, http.StatusOK, &userOTP)
	s.remember(userOTP.AccessToken, userOTP.RefreshToken)

	tests := []struct {
		name, token, uri string
		want             int
	}{
		{"admin with otp", withOTP.AccessToken, "/admin/users", http.StatusOK},
		{"admin without otp", plainAdmin, "/admin/users", http.StatusForbidden},
		{"user with otp but no role", userOTP.AccessToken, "/admin/users", http.StatusForbidden},
		{"anonymous", "", "/admin/users", http.StatusUnauthorized},
		{"admin without otp elsewhere", plainAdmin, "/home", http.StatusOK},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := decide(t, tc.token, tc.uri); got != tc.want {
				t.Errorf("forward-auth %s = %d, want %d", tc.uri, got, tc.want)
			}
		})
	}
}

// enableMFAlessAdmin registers an admin without MFA and returns a
// password-only access token (amr [pwd]).
func (s *testServer) enableMFAlessAdmin(t *testing.T, email string) string {
	t.Helper()
	pw := "correct horse battery staple"
	reg := s.register(t, email, pw)
	roles := []string{identity.RoleAdmin}
	if _, err := s.db.UpdateUser(context.Background(), reg.User.UID, identity.UserUpdate{Roles: &roles}); err != nil {
		t.Fatal(err)
	}
	tok := s.login(t, email, pw)
	wantAMR(t, tok.AccessToken, "pwd")
	if r := jwtClaims(t, tok.AccessToken)["roles"]; r == nil {
		t.Fatalf("admin token without roles")
	}
	return tok.AccessToken
}
