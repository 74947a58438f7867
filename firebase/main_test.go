package firebase_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/authgate/authgate/firebase"
	"github.com/authgate/authgate/identity"
	"github.com/authgate/authgate/internal/testenv"
	"github.com/authgate/authgate/store"
)

// TestMain stops the shared Auth Emulator after the tests.
func TestMain(m *testing.M) { testenv.FirebaseMain(m) }

// env is one test's view of the shared emulator: a client pointed at it and
// a fresh SQLite users store.
type env struct {
	emu      *testenv.Emulator
	client   *firebase.Client
	provider *firebase.Provider
	users    *store.DB
}

// newEnv connects a client to the shared emulator; mods adjust the config.
func newEnv(t *testing.T, mods ...func(*firebase.Config)) *env {
	t.Helper()
	emu := testenv.FirebaseEmulator(t)
	users := openStore(t)
	cfg := firebase.Config{
		ProjectID:    emu.ProjectID,
		EmulatorHost: emu.Host,
		HTTPTimeout:  10 * time.Second,
		Users:        users,
	}
	for _, m := range mods {
		m(&cfg)
	}
	c, err := firebase.New(context.Background(), cfg)
	if err != nil {
		t.Fatalf("firebase.New: %v", err)
	}
	p, err := c.Provider()
	if err != nil {
		t.Fatalf("Provider: %v", err)
	}
	return &env{emu: emu, client: c, provider: p, users: users}
}

func openStore(t *testing.T) *store.DB {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "auth.db"), store.Options{})
	if err != nil {
		t.Fatalf("store.Open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(ctx); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	return db
}

// craftToken returns an unsigned JWT ({"alg":"none"}) with the claims, the
// form the emulator issues.
func craftToken(t testing.TB, claims map[string]any) string {
	t.Helper()
	h := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`))
	b, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	return h + "." + base64.RawURLEncoding.EncodeToString(b) + "."
}
func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := identity.ErrorCode(err); got != code {
		t.Fatalf("error code = %q (%v), want %q", got, err, code)
	}
}

func wantNotResponsible(t *testing.T, err error) {
	t.Helper()
	if !errors.Is(err, identity.ErrNotResponsible) {
		t.Fatalf("error = %v, want one wrapping identity.ErrNotResponsible", err)
	}
}

const password = "correct-horse-battery"

// closedAddr returns a loopback address nothing listens on.
func closedAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}
