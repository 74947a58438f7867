package config_test

import (
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/authgate/authgate/config"
)

func TestSignInSettings(t *testing.T) {
	c, err := config.Load(nil, env(nil), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.CookieTTL != 12*time.Hour || c.CookieDomain != "" || len(c.RedirectHosts) != 0 || c.SignInURL != "" {
		t.Errorf("defaults: ttl %v domain %q hosts %q signin %q", c.CookieTTL, c.CookieDomain, c.RedirectHosts, c.SignInURL)
	}
	c, err = config.Load(nil, env(map[string]string{"AUTHGATE_SIGNIN_URL": "/api/auth/signin"}), io.Discard)
	if err != nil || c.SignInURL != "/api/auth/signin" {
		t.Fatalf("a path as sign-in URL: %v, %q", err, c.SignInURL)
	}
	c, err = config.Load(nil, env(map[string]string{
		"AUTHGATE_PUBLIC_URL":     "https://auth.example.com",
		"AUTHGATE_COOKIE_DOMAIN":  ".example.com",
		"AUTHGATE_COOKIE_TTL":     "8h",
		"AUTHGATE_REDIRECT_HOSTS": " app.example.com, *.apps.example.com ,",
		"AUTHGATE_SIGNIN_URL":     "https://auth.example.com/api/auth/signin",
	}), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.CookieTTL != 8*time.Hour || c.CookieDomain != ".example.com" ||
		!slices.Equal(c.RedirectHosts, []string{"app.example.com", "*.apps.example.com"}) {
		t.Errorf("loaded: ttl %v domain %q hosts %q", c.CookieTTL, c.CookieDomain, c.RedirectHosts)
	}

	for _, tt := range []struct {
		name string
		env  map[string]string
		want string
	}{
		{"cookie ttl over refresh ttl", map[string]string{"AUTHGATE_COOKIE_TTL": "48h", "AUTHGATE_REFRESH_TTL": "24h"}, "AUTHGATE_COOKIE_TTL"},
		{"cookie ttl too short", map[string]string{"AUTHGATE_COOKIE_TTL": "10s"}, "AUTHGATE_COOKIE_TTL"},
		{"cookie domain of another site", map[string]string{"AUTHGATE_PUBLIC_URL": "https://auth.example.com", "AUTHGATE_COOKIE_DOMAIN": ".evil.com"}, "AUTHGATE_COOKIE_DOMAIN"},
		{"cookie domain look-alike", map[string]string{"AUTHGATE_PUBLIC_URL": "https://auth.myexample.com", "AUTHGATE_COOKIE_DOMAIN": "example.com"}, "AUTHGATE_COOKIE_DOMAIN"},
		{"cookie domain on an IP", map[string]string{"AUTHGATE_PUBLIC_URL": "http://127.0.0.1:8001", "AUTHGATE_COOKIE_DOMAIN": ".0.0.1"}, "AUTHGATE_COOKIE_DOMAIN"},
		{"cookie domain a TLD", map[string]string{"AUTHGATE_COOKIE_DOMAIN": ".com"}, "AUTHGATE_COOKIE_DOMAIN"},
		{"cookie domain with junk", map[string]string{"AUTHGATE_COOKIE_DOMAIN": "example.com; Path=/x"}, "AUTHGATE_COOKIE_DOMAIN"},
		{"sign-in URL protocol-relative", map[string]string{"AUTHGATE_SIGNIN_URL": "//evil.com/signin"}, "AUTHGATE_SIGNIN_URL"},
		{"sign-in URL backslash", map[string]string{"AUTHGATE_SIGNIN_URL": "/\\evil.com"}, "AUTHGATE_SIGNIN_URL"},
		{"sign-in URL relative", map[string]string{"AUTHGATE_SIGNIN_URL": "api/auth/signin"}, "AUTHGATE_SIGNIN_URL"},
		{"sign-in URL javascript", map[string]string{"AUTHGATE_SIGNIN_URL": "javascript:alert(1)"}, "AUTHGATE_SIGNIN_URL"},
		{"redirect host wildcard everything", map[string]string{"AUTHGATE_REDIRECT_HOSTS": "*"}, "AUTHGATE_REDIRECT_HOSTS"},
		{"redirect host with a path", map[string]string{"AUTHGATE_REDIRECT_HOSTS": "app.example.com/x"}, "AUTHGATE_REDIRECT_HOSTS"},
		{"redirect host with userinfo", map[string]string{"AUTHGATE_REDIRECT_HOSTS": "good@evil.com"}, "AUTHGATE_REDIRECT_HOSTS"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := config.Load(nil, env(tt.env), io.Discard)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("want an error naming %s, got %v", tt.want, err)
			}
		})
	}
}
