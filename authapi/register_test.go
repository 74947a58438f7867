package authapi_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/authgate/authgate/identity"
)

func TestRegister(t *testing.T) {
	s := newTestServer(t)
	var out tokensJSON
	res := s.do(t, "POST", "/api/auth/register", map[string]any{
		"email": "  Ada@Example.COM ", "password": "correct horse battery", "display_name": "Ada",
	})
	res.json(t, http.StatusCreated, &out)
	s.remember("correct horse battery", out.AccessToken, out.RefreshToken)
	if out.User.Email != "ada@example.com" || out.User.DisplayName != "Ada" || out.User.UID == "" {
		t.Errorf("user = %+v, want normalized email and display name", out.User)
	}
	if out.AccessToken == "" || out.RefreshToken == "" || out.TokenType != "Bearer" || out.ExpiresIn != int64(testAccessTTL.Seconds()) {
		t.Errorf("tokens = %+v, want a Bearer pair expiring in %v", out, testAccessTTL)
	}
	if cc := res.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control = %q, want no-store", cc)
	}
	var profile userJSON
	s.do(t, "GET", "/api/auth/profile", nil, bearer(out.AccessToken)).json(t, http.StatusOK, &profile)
	if profile.UID != out.User.UID {
		t.Errorf("profile uid = %q, want %q", profile.UID, out.User.UID)
	}
	s.wantAudit(t, identity.ActionRegister, out.User.UID, identity.StatusSuccess)

	tests := []struct {
		name   string
		body   any
		status int
		code   string
		field  string
	}{
		{"taken email in another case", map[string]any{"email": "ADA@example.com", "password": "another fine password"}, 409, identity.EEMAILTAKEN, ""},
		{"weak password", map[string]any{"email": "weak@example.com", "password": "password"}, 400, identity.EWEAKPASSWORD, ""},
		{"short password", map[string]any{"email": "short@example.com", "password": "abc"}, 400, identity.EWEAKPASSWORD, ""},
		{"missing password", map[string]any{"email": "nopw@example.com"}, 400, identity.EINVALID, "password"},
		{"missing email", map[string]any{"password": "a fine long password"}, 400, identity.EINVALID, "email"},
		{"not an email", map[string]any{"email": "not-an-email", "password": "a fine long password"}, 400, identity.EINVALID, "email"},
		{"display name in email", map[string]any{"email": "Ada <x@example.com>", "password": "a fine long password"}, 400, identity.EINVALID, "email"},
		{"unknown field", map[string]any{"email": "u@example.com", "password": "a fine long password", "role": "admin"}, 400, identity.EINVALID, "role"},
		{"field in another case", map[string]any{"EMAIL": "u@example.com", "password": "a fine long password"}, 400, identity.EINVALID, "EMAIL"},
		{"wrong type", map[string]any{"email": 42, "password": "a fine long password"}, 400, identity.EINVALID, "email"},
		{"control characters in name", map[string]any{"email": "c@example.com", "password": "a fine long password", "display_name": "a\x00b"}, 400, identity.EINVALID, "display_name"},
		{"malformed JSON", `{"email": "x@example.com",`, 400, identity.EMALFORMED, ""},
		{"not an object", `["x@example.com"]`, 400, identity.EMALFORMED, ""},
		{"null", `null`, 400, identity.EMALFORMED, ""},
		{"two values", `{} {}`, 400, identity.EMALFORMED, ""},
		{"empty body", ``, 400, identity.EMALFORMED, ""},
		{"invalid UTF-8", []byte("{\"email\": \"\xff\xfe@example.com\", \"password\": \"a fine long password\"}"), 400, identity.EMALFORMED, ""},
		{"over 1 MiB", `{"email": "big@example.com", "password": "` + strings.Repeat("a", 1<<20) + `"}`, 413, identity.EPAYLOADTOOLARGE, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := s.do(t, "POST", "/api/auth/register", tt.body).wantProblem(t, tt.status, tt.code)
			if tt.field != "" && p.Fields[tt.field] == "" {
				t.Errorf("fields = %v, want a problem with %q", p.Fields, tt.field)
			}
		})
	}
	t.Run("wrong content type", func(t *testing.T) {
		s.do(t, "POST", "/api/auth/register", `{}`, header("Content-Type", "text/plain")).
			wantProblem(t, http.StatusUnsupportedMediaType, identity.EUNSUPPORTED)
	})
	s.wantAudit(t, identity.ActionRegister, "", identity.StatusFailure)
}

func TestRegisterRequiringEmailVerification(t *testing.T) {
	s := newTestServer(t, func(a *testConfig) { a.api.RequireEmailVerification = true })
	res := s.do(t, "POST", "/api/auth/register", map[string]any{"email": "v@example.com", "password": "a fine long password"})
	var out map[string]any
	res.json(t, http.StatusCreated, &out)
	if _, ok := out["access_token"]; ok {
		t.Errorf("register answered tokens although email verification is required: %s", res.Body)
	}
	if _, ok := out["refresh_token"]; ok {
		t.Errorf("register answered a refresh token although email verification is required: %s", res.Body)
	}
	if u, _ := out["user"].(map[string]any); u["email"] != "v@example.com" {
		t.Errorf("user = %v, want the new account", out["user"])
	}
}
