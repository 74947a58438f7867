package firebase_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/authgate/authgate/firebase"
)

func TestNewRefusesEmulatorForRealProjects(t *testing.T) {
	tests := []struct {
		name    string
		cfg     firebase.Config
		refused bool
	}{
		{"real project with emulator", firebase.Config{ProjectID: "acme-prod", EmulatorHost: "127.0.0.1:9099"}, true},
		{"demo project with emulator", firebase.Config{ProjectID: "demo-x", EmulatorHost: "127.0.0.1:9099"}, false},
		{"real project, emulator explicitly allowed", firebase.Config{ProjectID: "acme-dev", EmulatorHost: "127.0.0.1:9099", AllowEmulator: true}, false},
		{"prefix must be at the start", firebase.Config{ProjectID: "acme-demo-x", EmulatorHost: "127.0.0.1:9099"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := firebase.New(context.Background(), tt.cfg)
			var refusal *firebase.EmulatorNotAllowedError
			if got := errors.As(err, &refusal); got != tt.refused {
				t.Fatalf("New error = %v, refused = %v, want %v", err, got, tt.refused)
			}
			if tt.refused {
				if c != nil {
					t.Fatal("New returned a client with its refusal")
				}
				if refusal.ProjectID != tt.cfg.ProjectID || refusal.Host != tt.cfg.EmulatorHost {
					t.Fatalf("refusal = %+v", refusal)
				}
				return
			}
			if !c.Emulator() {
				t.Fatal("client not in emulator mode")
			}
		})
	}
}

// A stray FIREBASE_AUTH_EMULATOR_HOST must not switch a real project to
// unsigned tokens: the SDK would honour it, so New checks it too.
func TestNewRefusesStrayEmulatorEnvironment(t *testing.T) {
	t.Setenv(firebase.EmulatorHostEnv, "127.0.0.1:9099")
	_, err := firebase.New(context.Background(), firebase.Config{ProjectID: "acme-prod"})
	var refusal *firebase.EmulatorNotAllowedError
	if !errors.As(err, &refusal) {
		t.Fatalf("New error = %v, want *EmulatorNotAllowedError", err)
	}
}

func TestNewRestoresEmulatorEnvironment(t *testing.T) {
	t.Setenv(firebase.EmulatorHostEnv, "")
	c, err := firebase.New(context.Background(), firebase.Config{ProjectID: "demo-x", EmulatorHost: "127.0.0.1:1"})
	if err != nil {
		t.Fatal(err)
	}
	if !c.Emulator() {
		t.Fatal("not in emulator mode")
	}
	if v := os.Getenv(firebase.EmulatorHostEnv); v != "" {
		t.Fatalf("New left %s=%q in the environment", firebase.EmulatorHostEnv, v)
	}
}

func TestNewValidates(t *testing.T) {
	tests := []struct {
		name string
		cfg  firebase.Config
	}{
		{"no project", firebase.Config{EmulatorHost: "127.0.0.1:9099"}},
		{"emulator host with scheme", firebase.Config{ProjectID: "demo-x", EmulatorHost: "http://127.0.0.1:9099"}},
		{"credentials file missing", firebase.Config{ProjectID: "acme", CredentialsFile: "/nonexistent/sa.json"}},
		// external_account files can make the auth library run a command.
		{"external_account credentials", firebase.Config{ProjectID: "acme", CredentialsFile: writeFile(t, `{"type":"external_account","credential_source":{"executable":{"command":"/bin/true"}}}`)}},
		{"credentials not JSON", firebase.Config{ProjectID: "acme", CredentialsFile: writeFile(t, "not json")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := firebase.New(context.Background(), tt.cfg); err == nil {
				t.Fatal("New accepted the config")
			}
		})
	}
}

func TestProviderNeedsWhatItUses(t *testing.T) {
	t.Setenv(firebase.EmulatorHostEnv, "")
	t.Setenv("GOOGLE_APPLICATION_CREDENTIALS", "")
	t.Setenv("HOME", t.TempDir()) // no gcloud user credentials either
	// Without credentials only the verifier works.
	c, err := firebase.New(context.Background(), firebase.Config{ProjectID: "acme", APIKey: "k", Users: openStore(t)})
	if err != nil {
		t.Fatal(err)
	}
	if c.Verifier() == nil {
		t.Fatal("no verifier")
	}
	_, err = c.Provider()
	switch {
	case !c.HasCredentials() && !errors.Is(err, firebase.ErrNoCredentials):
		t.Fatalf("without credentials: Provider error = %v, want ErrNoCredentials", err)
	case c.HasCredentials() && err != nil: // a machine with application default credentials
		t.Fatalf("with credentials: Provider error = %v", err)
	}
	c, err = firebase.New(context.Background(), firebase.Config{ProjectID: "acme", Users: openStore(t)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Provider(); c.HasCredentials() && !errors.Is(err, firebase.ErrNoAPIKey) {
		t.Fatalf("without API key: Provider error = %v, want ErrNoAPIKey", err)
	}

	c, err = firebase.New(context.Background(), firebase.Config{ProjectID: "demo-x", EmulatorHost: "127.0.0.1:1"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Provider(); !errors.Is(err, firebase.ErrNoUserStore) {
		t.Fatalf("Provider error = %v, want ErrNoUserStore", err)
	}
}

func writeFile(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "credentials.json")
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// A service-account file is accepted and gives the provider its authority.
func TestServiceAccountFileAccepted(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKCS8PrivateKey(key)
	pemKey := string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
	sa, _ := json.Marshal(map[string]string{
		"type": "service_account", "project_id": "acme", "private_key_id": "k1", "private_key": pemKey,
		"client_email": "sa@acme.iam.gserviceaccount.com", "client_id": "1", "token_uri": "https://oauth2.googleapis.com/token",
	})
	t.Setenv(firebase.EmulatorHostEnv, "")
	c, err := firebase.New(context.Background(), firebase.Config{ProjectID: "acme", CredentialsFile: writeFile(t, string(sa))})
	if err != nil {
		t.Fatalf("New with a service-account file: %v", err)
	}
	if !c.HasCredentials() {
		t.Error("a service-account file gave no credentials")
	}
}
