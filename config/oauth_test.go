package config_test

import (
	"io"
	"strings"
	"testing"

	"github.com/authgate/authgate/config"
)

func TestOAuthSettings(t *testing.T) {
	c, err := config.Load(nil, env(nil), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.OAuth.Enabled() || c.OAuth.OIDCName != "oidc" {
		t.Errorf("defaults: %+v", c.OAuth)
	}
	c, err = config.Load(nil, env(map[string]string{
		"AUTHGATE_PUBLIC_URL":                   "https://auth.example.com",
		"AUTHGATE_OAUTH_GOOGLE_CLIENT_ID":       "g-id",
		"AUTHGATE_OAUTH_GOOGLE_CLIENT_SECRET":   "g-secret",
		"AUTHGATE_OAUTH_APPLE_CLIENT_ID":        "com.example.web",
		"AUTHGATE_OAUTH_APPLE_TEAM_ID":          "TEAM",
		"AUTHGATE_OAUTH_APPLE_KEY_ID":           "KEY",
		"AUTHGATE_OAUTH_APPLE_PRIVATE_KEY_FILE": "/run/secrets/apple.p8",
		"AUTHGATE_OAUTH_OIDC_ISSUER":            "https://sso.example.com/realms/x",
		"AUTHGATE_OAUTH_OIDC_CLIENT_ID":         "o-id",
		"AUTHGATE_OAUTH_OIDC_CLIENT_SECRET":     "o-secret",
		"AUTHGATE_OAUTH_OIDC_NAME":              "keycloak",
		"AUTHGATE_OAUTH_FACEBOOK_CLIENT_ID":     "fb",
		"AUTHGATE_OAUTH_FACEBOOK_CLIENT_SECRET": "fb-secret",
	}), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if !c.OAuth.Enabled() || c.OAuth.OIDCName != "keycloak" || c.OAuth.AppleTeamID != "TEAM" {
		t.Errorf("loaded %+v", c.OAuth)
	}
	for _, e := range c.Effective {
		if strings.HasSuffix(e.Name, "SECRET") && strings.Contains(e.Value, "secret") {
			t.Errorf("%s is printed back: %q", e.Name, e.Value)
		}
	}

	for _, tt := range []struct {
		name string
		env  map[string]string
		want string
	}{
		{"id without secret", map[string]string{"AUTHGATE_OAUTH_GOOGLE_CLIENT_ID": "x"}, "OAUTH_GOOGLE_CLIENT_SECRET"},
		{"secret without id", map[string]string{"AUTHGATE_OAUTH_FACEBOOK_CLIENT_SECRET": "x"}, "OAUTH_FACEBOOK_CLIENT_SECRET"},
		{"issuer without client", map[string]string{"AUTHGATE_OAUTH_OIDC_ISSUER": "https://sso.example.com"}, "OAUTH_OIDC_ISSUER"},
		{"client without issuer", map[string]string{"AUTHGATE_OAUTH_OIDC_CLIENT_ID": "x", "AUTHGATE_OAUTH_OIDC_CLIENT_SECRET": "y"}, "OAUTH_OIDC_ISSUER"},
		{"bad issuer", map[string]string{"AUTHGATE_OAUTH_OIDC_ISSUER": "sso.example.com"}, "OAUTH_OIDC_ISSUER"},
		{"bad name", map[string]string{"AUTHGATE_OAUTH_OIDC_NAME": "My SSO"}, "OAUTH_OIDC_NAME"},
		{"name taken", map[string]string{"AUTHGATE_OAUTH_OIDC_ISSUER": "https://sso.example.com", "AUTHGATE_OAUTH_OIDC_CLIENT_ID": "x",
			"AUTHGATE_OAUTH_OIDC_CLIENT_SECRET": "y", "AUTHGATE_OAUTH_OIDC_NAME": "google",
			"AUTHGATE_OAUTH_GOOGLE_CLIENT_ID": "x", "AUTHGATE_OAUTH_GOOGLE_CLIENT_SECRET": "y"}, "OAUTH_OIDC_NAME"},
		{"apple incomplete", map[string]string{"AUTHGATE_PUBLIC_URL": "https://a.example", "AUTHGATE_OAUTH_APPLE_CLIENT_ID": "x"}, "OAUTH_APPLE_CLIENT_ID"},
		{"apple over http", map[string]string{"AUTHGATE_OAUTH_APPLE_CLIENT_ID": "x", "AUTHGATE_OAUTH_APPLE_TEAM_ID": "t",
			"AUTHGATE_OAUTH_APPLE_KEY_ID": "k", "AUTHGATE_OAUTH_APPLE_PRIVATE_KEY_FILE": "f"}, "needs an https PUBLIC_URL"},
		{"firebase provider", map[string]string{"AUTHGATE_PROVIDER": "firebase", "AUTHGATE_FIREBASE_PROJECT_ID": "p", "AUTHGATE_FIREBASE_API_KEY": "k",
			"AUTHGATE_OAUTH_GOOGLE_CLIENT_ID": "x", "AUTHGATE_OAUTH_GOOGLE_CLIENT_SECRET": "y"}, "PROVIDER"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := config.Load(nil, env(tt.env), io.Discard)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one naming %s", err, tt.want)
			}
		})
	}
}
