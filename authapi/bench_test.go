package authapi_test

import (
	"net/http"
	"testing"

	"github.com/authgate/authgate/local"
	"github.com/authgate/authgate/password"
)

// BenchmarkLogin measures a password sign-in over HTTP with the production
// argon2id parameters (OWASP: 19 MiB, t=2): hash verification, session and
// refresh token written to SQLite, access token signed, audit row.
func BenchmarkLogin(b *testing.B) {
	s := newTestServer(b, func(c *testConfig) {
		h, err := password.New()
		if err != nil {
			b.Fatal(err)
		}
		c.api.Provider = &local.Provider{Users: c.db, Hasher: h, Logger: c.log}
	})
	s.register(b, "bench@example.com", "a fine long password")
	body := map[string]any{"email": "bench@example.com", "password": "a fine long password"}
	for b.Loop() {
		s.do(b, "POST", "/api/auth/login", body).wantStatus(b, http.StatusOK)
	}
}

// BenchmarkRefresh measures a refresh-token rotation over HTTP: one
// conditional update and insert in SQLite, a user read, a signature.
func BenchmarkRefresh(b *testing.B) {
	s := newTestServer(b)
	tok := s.register(b, "bench@example.com", "a fine long password").RefreshToken
	for b.Loop() {
		var out tokensJSON
		s.do(b, "POST", "/api/auth/refresh", map[string]any{"refresh_token": tok}).json(b, http.StatusOK, &out)
		tok = out.RefreshToken
	}
}
