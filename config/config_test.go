package config_test

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/authgate/authgate/config"
)

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestDefaults(t *testing.T) {
	c, err := config.Load(nil, env(nil), io.Discard)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if c.Listen != ":8001" || c.Provider != "local" || c.AccessTTL != 15*time.Minute || c.RefreshTTL != 720*time.Hour {
		t.Errorf("defaults: %+v", c)
	}
	if c.DatabaseURL != "sqlite:"+filepath.Join("data", "auth.db") {
		t.Errorf("DatabaseURL = %q", c.DatabaseURL)
	}
	if c.PublicURL.String() != "http://localhost:8001" || c.Audience != "authgate" || c.SigningAlg != "RS256" {
		t.Errorf("PublicURL %v Audience %q Alg %q", c.PublicURL, c.Audience, c.SigningAlg)
	}
	if c.TrustedProxies != "" || c.Upstream != nil || c.PolicyFile != "" {
		t.Errorf("unsafe defaults: trusted %q upstream %v", c.TrustedProxies, c.Upstream)
	}
}

func TestPrecedence(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "authgate.yaml")
	if err := os.WriteFile(file, []byte("listen: \":7000\"\naccess_ttl: 5m\nrefresh_ttl: 24h\naudience: from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	e := env(map[string]string{"AUTHGATE_CONFIG": file, "AUTHGATE_ACCESS_TTL": "10m", "AUTHGATE_AUDIENCE": "from-env"})
	c, err := config.Load([]string{"--audience", "from-flag"}, e, io.Discard)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if c.Listen != ":7000" {
		t.Errorf("file < default: Listen = %q", c.Listen)
	}
	if c.AccessTTL != 10*time.Minute {
		t.Errorf("env over file: AccessTTL = %v", c.AccessTTL)
	}
	if c.RefreshTTL != 24*time.Hour {
		t.Errorf("file over default: RefreshTTL = %v", c.RefreshTTL)
	}
	if c.Audience != "from-flag" {
		t.Errorf("flag over env: Audience = %q", c.Audience)
	}
}

func TestEveryBadSettingListedAtOnce(t *testing.T) {
	e := env(map[string]string{
		"AUTHGATE_ACCESS_TTL":      "soon",
		"AUTHGATE_REFRESH_TTL":     "500ms",
		"AUTHGATE_PROVIDER":        "ldap",
		"AUTHGATE_PUBLIC_URL":      "ftp://x",
		"AUTHGATE_TRUSTED_PROXIES": "10.0.0.0/33",
		"AUTHGATE_DATABASE_URL":    "mysql://secret@db/x",
		"AUTHGATE_LISTEN":          "nope",
	})
	_, err := config.Load(nil, e, io.Discard)
	var ce *config.Errors
	if !errors.As(err, &ce) {
		t.Fatalf("want *config.Errors, got %v", err)
	}
	for _, name := range []string{"ACCESS_TTL", "REFRESH_TTL", "PROVIDER", "PUBLIC_URL", "TRUSTED_PROXIES", "DATABASE_URL", "LISTEN"} {
		if !strings.Contains(ce.Error(), "AUTHGATE_"+name+":") {
			t.Errorf("error does not name %s:\n%v", name, ce)
		}
	}
	if strings.Contains(ce.Error(), "secret") {
		t.Errorf("a secret setting's value was printed:\n%v", ce)
	}
}

func TestCrossChecks(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"firebase needs project", map[string]string{"AUTHGATE_PROVIDER": "firebase", "AUTHGATE_FIREBASE_API_KEY": "k"}, "AUTHGATE_FIREBASE_PROJECT_ID"},
		{"firebase needs api key", map[string]string{"AUTHGATE_PROVIDER": "firebase", "AUTHGATE_FIREBASE_PROJECT_ID": "p"}, "AUTHGATE_FIREBASE_API_KEY"},
		{"refresh shorter than access", map[string]string{"AUTHGATE_ACCESS_TTL": "1h", "AUTHGATE_REFRESH_TTL": "30m"}, "AUTHGATE_REFRESH_TTL"},
		{"bad header name", map[string]string{"AUTHGATE_HEADER_USER_ID": "X User"}, "AUTHGATE_HEADER_USER_ID"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := config.Load(nil, env(tt.env), io.Discard)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("want an error naming %s, got %v", tt.want, err)
			}
		})
	}
}

func TestUnknownYAMLKey(t *testing.T) {
	file := filepath.Join(t.TempDir(), "c.yaml")
	if err := os.WriteFile(file, []byte("listen: \":9000\"\nlisen: typo\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := config.Load([]string{"--config", file}, env(nil), io.Discard)
	if err == nil || !strings.Contains(err.Error(), "lisen") {
		t.Fatalf("want an error naming the unknown key, got %v", err)
	}
}

func TestExampleFileIsValid(t *testing.T) {
	c, err := config.Load([]string{"--config", "../configs/authgate.example.yaml"}, env(nil), io.Discard)
	if err != nil {
		t.Fatalf("the example configuration does not load: %v", err)
	}
	// Every setting is documented in the example.
	b, _ := os.ReadFile("../configs/authgate.example.yaml")
	for _, e := range c.Effective {
		key := strings.ToLower(strings.TrimPrefix(e.Name, "AUTHGATE_"))
		if !strings.Contains(string(b), key+":") {
			t.Errorf("configs/authgate.example.yaml does not document %s", key)
		}
	}
}

func TestExampleFileIsCurrent(t *testing.T) {
	b, err := os.ReadFile("../configs/authgate.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != config.ExampleYAML() {
		t.Fatal("configs/authgate.example.yaml is stale: regenerate it with `go run ./cmd/authgate config example > configs/authgate.example.yaml`")
	}
}

func TestFirebaseCheckRevokedAuto(t *testing.T) {
	tests := []struct {
		env  map[string]string
		want bool
	}{
		{map[string]string{}, false},
		{map[string]string{"AUTHGATE_FIREBASE_PROJECT_ID": "p"}, false},
		{map[string]string{"AUTHGATE_PROVIDER": "firebase", "AUTHGATE_FIREBASE_PROJECT_ID": "p", "AUTHGATE_FIREBASE_API_KEY": "k"}, true},
		{map[string]string{"AUTHGATE_PROVIDER": "firebase", "AUTHGATE_FIREBASE_PROJECT_ID": "p", "AUTHGATE_FIREBASE_API_KEY": "k", "AUTHGATE_FIREBASE_CHECK_REVOKED": "false"}, false},
		{map[string]string{"AUTHGATE_FIREBASE_PROJECT_ID": "p", "AUTHGATE_FIREBASE_CHECK_REVOKED": "true"}, true},
	}
	for _, tt := range tests {
		c, err := config.Load(nil, env(tt.env), io.Discard)
		if err != nil {
			t.Fatalf("%v: %v", tt.env, err)
		}
		if c.FirebaseCheckRevoked != tt.want {
			t.Errorf("%v: FirebaseCheckRevoked = %v, want %v", tt.env, c.FirebaseCheckRevoked, tt.want)
		}
	}
	if _, err := config.Load(nil, env(map[string]string{"AUTHGATE_FIREBASE_CHECK_REVOKED": "sometimes"}), io.Discard); err == nil {
		t.Error("a bad value was accepted")
	}
}
