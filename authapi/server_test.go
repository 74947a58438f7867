package authapi_test

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/authgate/authgate/authapi"
	"github.com/authgate/authgate/cache"
	"github.com/authgate/authgate/identity"
	"github.com/authgate/authgate/internal/testenv"
	"github.com/authgate/authgate/local"
	mailpkg "github.com/authgate/authgate/mail"
	"github.com/authgate/authgate/password"
	"github.com/authgate/authgate/store"
	"github.com/authgate/authgate/token"
)

const (
	testPublicURL  = "http://authgate.test"
	testCookie     = "authgate_session"
	testAccessTTL  = 15 * time.Minute
	testRefreshTTL = 24 * time.Hour

	authapiDefaultResetTTL = authapi.DefaultResetTTL
)

// testServer is the API over HTTP on real parts: a SQLite file, the token
// issuer and verifier with a generated key, the caching authenticator,
// the local provider with argon2id (low test parameters) and SMTP mail to an
// in-process server.
type testServer struct {
	*httptest.Server
	api   *authapi.API
	db    *store.DB
	clock *testClock
	logs  *testenv.LockedBuffer
	mail  *mailbox

	mu      sync.Mutex
	secrets []string
}

// testConfig is what options may change before the server starts.
type testConfig struct {
	api *authapi.API
	db  *store.DB
	log *slog.Logger
}

func newTestServer(t testing.TB, opts ...func(*testConfig)) *testServer {
	t.Helper()
	ctx := context.Background()
	clock := testenv.NewClock(time.Now().UTC().Truncate(time.Second))
	logs := &testenv.LockedBuffer{}
	log := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))

	db, err := store.Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "auth.db"), store.Options{Logger: log, Now: clock.Now})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(ctx); err != nil {
		t.Fatalf("migrate: %v", err)
	}

	keys, err := token.LoadKeySet(ctx, db, token.KeySetConfig{Now: clock.Now})
	if err != nil {
		t.Fatalf("load keys: %v", err)
	}
	tcfg := token.Config{Issuer: testPublicURL, AccessTTL: testAccessTTL, Now: clock.Now}
	issuer, err := token.NewIssuer(keys, tcfg)
	if err != nil {
		t.Fatalf("issuer: %v", err)
	}
	verifier, err := token.NewVerifier(keys, tcfg)
	if err != nil {
		t.Fatalf("verifier: %v", err)
	}
	auth := &cache.Authenticator{
		Next: identity.Chain{verifier, fakeFirebase(clock)}, Users: db, Sessions: db, Logger: log, Now: clock.Now,
	}
	if err := auth.Open(ctx); err != nil {
		t.Fatalf("open authenticator: %v", err)
	}
	t.Cleanup(func() { auth.Close() })

	hasher, err := password.New(password.WithParams(password.Params{Memory: 64, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}))
	if err != nil {
		t.Fatalf("hasher: %v", err)
	}
	provider := &local.Provider{Users: db, Hasher: hasher, Now: clock.Now, Logger: log}
	mail := newMailbox(t, log)

	public, _ := url.Parse(testPublicURL)
	api := &authapi.API{
		Provider:      provider,
		Users:         db,
		Sessions:      db,
		OneTime:       db,
		Audit:         db,
		Tokens:        issuer,
		Verifier:      auth,
		Invalidator:   auth,
		Mailer:        mail.mailer,
		ResetMessage:  mailpkg.PasswordResetMessage,
		PasswordRules: password.Check,
		EnsureUser:    ensureFirebaseUser(db),
		PublicURL:     public,
		AccessTTL:     testAccessTTL,
		RefreshTTL:    testRefreshTTL,
		CookieName:    testCookie,
		Now:           clock.Now,
		Log:           log,
	}
	cfg := &testConfig{api: api, db: db, log: log}
	for _, o := range opts {
		o(cfg)
	}
	s := &testServer{api: api, db: db, clock: clock, logs: logs, mail: mail}
	s.Server = httptest.NewServer(api.Handler())
	t.Cleanup(func() {
		s.Server.Close()
		sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		if err := api.Shutdown(sctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		s.assertNoSecrets(t)
	})
	return s
}

// remember notes secrets that must never appear in an audit row or a log line.
func (s *testServer) remember(secrets ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, v := range secrets {
		if v != "" {
			s.secrets = append(s.secrets, v)
		}
	}
}

// assertNoSecrets checks every audit row and every log line for every
// remembered secret (and the signature part of remembered JWTs).
func (s *testServer) assertNoSecrets(t testing.TB) {
	t.Helper()
	events, _, err := s.db.FindAuditEvents(context.Background(), identity.AuditFilter{Limit: 100000})
	if err != nil {
		t.Errorf("read audit log: %v", err)
		return
	}
	var rows strings.Builder
	for _, e := range events {
		for _, col := range []string{e.UID, e.Action, e.IPAddress, e.UserAgent, e.Status, e.Detail} {
			rows.WriteString(col)
			rows.WriteByte('\n')
		}
	}
	logs := s.logs.String()
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, secret := range s.secrets {
		needles := []string{secret}
		if parts := strings.Split(secret, "."); len(parts) == 3 {
			needles = append(needles, parts[2])
		}
		for _, n := range needles {
			if strings.Contains(rows.String(), n) {
				t.Errorf("a secret (%.6s…) appears in the audit log", n)
			}
			if strings.Contains(logs, n) {
				t.Errorf("a secret (%.6s…) appears in the log output", n)
			}
		}
	}
}

// wantAudit fails unless an audit row with action and status exists (for
// uid, when uid is not empty).
func (s *testServer) wantAudit(t testing.TB, action, uid, status string) {
	t.Helper()
	events, _, err := s.db.FindAuditEvents(context.Background(), identity.AuditFilter{Action: action, UID: uid, Limit: 1000})
	if err != nil {
		t.Fatalf("read audit log: %v", err)
	}
	for _, e := range events {
		if e.Status == status {
			if e.IPAddress == "" || e.UserAgent == "" {
				t.Errorf("audit row %+v lacks ip or user agent", e)
			}
			return
		}
	}
	t.Errorf("no audit row %s/%s for uid %q among %+v", action, status, uid, events)
}

// waitAudit waits for an audit row written by a background job.
func (s *testServer) waitAudit(t testing.TB, action, uid, status string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		events, _, err := s.db.FindAuditEvents(context.Background(), identity.AuditFilter{Action: action, UID: uid, Limit: 1000})
		if err != nil {
			t.Fatalf("read audit log: %v", err)
		}
		for _, e := range events {
			if e.Status == status {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("no audit row %s/%s for uid %q", action, status, uid)
}

type testClock = testenv.Clock

func containsAll(s string, subs ...string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}
