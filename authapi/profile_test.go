package authapi_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/authgate/authgate/identity"
)

func TestProfile(t *testing.T) {
	s := newTestServer(t)
	reg := s.register(t, "pro@example.com", "a fine long password")

	var got map[string]any
	s.do(t, "GET", "/api/auth/profile", nil, bearer(reg.AccessToken)).json(t, http.StatusOK, &got)
	for _, k := range []string{"uid", "email", "display_name", "photo_url", "email_verified", "roles", "created_at", "updated_at", "last_login_at"} {
		if _, ok := got[k]; !ok {
			t.Errorf("user object lacks %q: %v", k, got)
		}
	}
	for _, k := range []string{"password_hash", "PasswordHash", "totp_secret"} {
		if _, ok := got[k]; ok {
			t.Errorf("user object carries %q", k)
		}
	}

	var u userJSON
	s.do(t, "PUT", "/api/auth/profile", map[string]any{"display_name": "Pro", "photo_url": "https://img.example.com/p.png"},
		bearer(reg.AccessToken)).json(t, http.StatusOK, &u)
	if u.DisplayName != "Pro" || u.PhotoURL != "https://img.example.com/p.png" {
		t.Errorf("updated user = %+v", u)
	}
	// A partial update leaves the other field alone.
	s.do(t, "PUT", "/api/auth/profile", map[string]any{"display_name": "Pro 2"}, bearer(reg.AccessToken)).json(t, http.StatusOK, &u)
	if u.DisplayName != "Pro 2" || u.PhotoURL != "https://img.example.com/p.png" {
		t.Errorf("partially updated user = %+v", u)
	}
	s.do(t, "GET", "/api/auth/profile", nil, bearer(reg.AccessToken)).json(t, http.StatusOK, &u)
	if u.DisplayName != "Pro 2" {
		t.Errorf("profile after update = %+v", u)
	}
	s.wantAudit(t, identity.ActionProfileUpdate, reg.User.UID, identity.StatusSuccess)

	tests := []struct {
		name  string
		body  any
		code  string
		field string
	}{
		{"unknown field", map[string]any{"display_name": "x", "email": "evil@example.com"}, identity.EINVALID, "email"},
		{"roles are not a profile field", map[string]any{"roles": []string{"admin"}}, identity.EINVALID, "roles"},
		{"javascript URL", map[string]any{"photo_url": "javascript:alert(1)"}, identity.EINVALID, "photo_url"},
		{"relative URL", map[string]any{"photo_url": "/me.png"}, identity.EINVALID, "photo_url"},
		{"name too long", map[string]any{"display_name": strings.Repeat("n", 300)}, identity.EINVALID, "display_name"},
		{"wrong type", map[string]any{"display_name": true}, identity.EINVALID, "display_name"},
		{"malformed JSON", `{"display_name": }`, identity.EMALFORMED, ""},
		{"empty body", ``, identity.EMALFORMED, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := s.do(t, "PUT", "/api/auth/profile", tt.body, bearer(reg.AccessToken)).wantProblem(t, http.StatusBadRequest, tt.code)
			if tt.field != "" && p.Fields[tt.field] == "" {
				t.Errorf("fields = %v, want %q named", p.Fields, tt.field)
			}
		})
	}
	s.do(t, "PUT", "/api/auth/profile", map[string]any{"display_name": "x"}).wantProblem(t, http.StatusUnauthorized, identity.EUNAUTHENTICATED)
}
