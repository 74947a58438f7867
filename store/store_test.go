package store_test

import (
	"context"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/authgate/authgate/identity"
	"github.com/authgate/authgate/internal/testenv"
	"github.com/authgate/authgate/store"
	"github.com/authgate/authgate/store/storetest"
)

// openSQLite opens and migrates a fresh SQLite database in t.TempDir().
func openSQLite(tb testing.TB) *store.DB {
	tb.Helper()
	return mustOpen(tb, "sqlite:"+filepath.Join(tb.TempDir(), "data", "auth.db"))
}

// openPostgres opens and migrates a fresh database on the test server.
func openPostgres(tb testing.TB) *store.DB {
	tb.Helper()
	return mustOpen(tb, testenv.PostgresURL(tb))
}

func mustOpen(tb testing.TB, url string) *store.DB {
	tb.Helper()
	db, err := store.Open(context.Background(), url, store.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	if err := db.Migrate(context.Background()); err != nil {
		tb.Fatal(err)
	}
	return db
}

func TestSQLiteContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) *store.DB { return openSQLite(t) })
}

func TestPostgresContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) *store.DB { return openPostgres(t) })
}

// Each opener, for the tests below that run on both databases.
var openers = []struct {
	name string
	open func(testing.TB) *store.DB
}{
	{"sqlite", openSQLite},
	{"postgres", openPostgres},
}

func TestOpenErrors(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		url, want string
	}{
		{"mysql://root:s3cret@db/auth", `"mysql"`},
		{"auth.db", "no scheme"},
		{"sqlite:", "no path"},
		{"sqlite::memory:", "in-memory"},
		{"sqlite:/tmp/a?mode=memory", "in-memory"},
		{"sqlite:/tmp/a.db?x=1", "must not contain"},
		{"postgres://nobody@127.0.0.1:1/none?sslmode=disable&connect_timeout=2", "open postgres"},
	} {
		t.Run(tc.url, func(t *testing.T) {
			db, err := store.Open(ctx, tc.url, store.Options{})
			if err == nil {
				db.Close()
				t.Fatal("Open succeeded")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not contain %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "s3cret") {
				t.Errorf("error leaks the password: %q", err)
			}
		})
	}
}

func TestSQLiteURLForms(t *testing.T) {
	dir := t.TempDir()
	for _, url := range []string{
		"sqlite:" + dir + "/a.db",
		"sqlite://" + dir + "/b.db", // sqlite:///abs/path
		"file:" + dir + "/c.db",
	} {
		t.Run(url, func(t *testing.T) {
			db := mustOpen(t, url)
			if db.Dialect() != store.DialectSQLite {
				t.Errorf("Dialect = %q", db.Dialect())
			}
			if err := db.Ping(context.Background()); err != nil {
				t.Error(err)
			}
		})
	}
}

func TestSQLitePragmas(t *testing.T) {
	db := openSQLite(t)
	ctx := context.Background()
	for _, tc := range []struct {
		pragma string
		want   int64
	}{
		{"PRAGMA foreign_keys", 1},
		{"PRAGMA busy_timeout", 5000},
		{"PRAGMA synchronous", 1}, // NORMAL
	} {
		got, err := db.QueryInt(ctx, tc.pragma)
		if err != nil {
			t.Fatal(err)
		}
		if got != tc.want {
			t.Errorf("%s = %d, want %d", tc.pragma, got, tc.want)
		}
	}
	// journal_mode is a string; WAL is checked by Open itself, verify the file.
	n, err := db.QueryInt(ctx, "SELECT COUNT(*) FROM pragma_journal_mode WHERE journal_mode = 'wal'")
	if err != nil || n != 1 {
		t.Errorf("journal_mode is not wal (%d, %v)", n, err)
	}
}

func TestSQLiteFileModes(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "nested", "data")
	path := filepath.Join(dir, "auth.db")
	db := mustOpen(t, "sqlite:"+path)
	if err := db.CreateUser(context.Background(), &identity.User{UID: "u", Email: "u@example.com"}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		path string
		want uint32
	}{
		{dir, 0o700},
		{path, 0o600},
		{path + "-wal", 0o600},
		{path + "-shm", 0o600},
	} {
		if got := fileMode(t, tc.path); got != tc.want {
			t.Errorf("mode of %s = %o, want %o", filepath.Base(tc.path), got, tc.want)
		}
	}
}

func TestRestartKeepsData(t *testing.T) {
	ctx := context.Background()
	url := "sqlite:" + filepath.Join(t.TempDir(), "auth.db")
	db := mustOpen(t, url)
	u := &identity.User{UID: "u1", Email: "keep@example.com", Roles: []string{"admin"}, IsActive: true}
	if err := db.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	s := &identity.Session{UID: "u1", CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
	_, hash := identity.NewSecret()
	if err := db.CreateSession(ctx, s, &identity.RefreshToken{Hash: hash, ExpiresAt: now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateSigningKey(ctx, &identity.SigningKey{KID: "k", Algorithm: "RS256", PrivatePEM: "pem"}); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}

	db = mustOpen(t, url)
	got, err := db.FindUserByEmail(ctx, "KEEP@example.com")
	if err != nil || !got.HasRole("admin") || !got.IsActive {
		t.Fatalf("user after restart: %+v, %v", got, err)
	}
	if ss, err := db.FindSessions(ctx, "u1", now); err != nil || len(ss) != 1 || ss[0].ID != s.ID {
		t.Fatalf("sessions after restart: %+v, %v", ss, err)
	}
	if _, err := db.RotateRefreshToken(ctx, hash, &identity.RefreshToken{Hash: identity.HashSecret("n"), ExpiresAt: now.Add(time.Hour)}, "j", now); err != nil {
		t.Fatalf("refresh token after restart: %v", err)
	}
	if keys, err := db.FindSigningKeys(ctx); err != nil || len(keys) != 1 {
		t.Fatalf("keys after restart: %+v, %v", keys, err)
	}
}

// TestDeleteUserIsAtomic makes the last statement of DeleteUser fail (a
// trigger refuses to delete the users row) and checks that nothing of the
// user went: roles, sessions, refresh tokens and one-time tokens stay.
func TestDeleteUserIsAtomic(t *testing.T) {
	triggers := map[string][]string{
		"sqlite": {`CREATE TRIGGER refuse_user_delete BEFORE DELETE ON users
BEGIN SELECT RAISE(ABORT, 'user deletion refused by test trigger'); END`},
		"postgres": {
			`CREATE FUNCTION refuse_user_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'user deletion refused by test trigger'; END $$`,
			`CREATE TRIGGER refuse_user_delete BEFORE DELETE ON users FOR EACH ROW EXECUTE FUNCTION refuse_user_delete()`,
		},
	}
	for _, o := range openers {
		t.Run(o.name, func(t *testing.T) {
			ctx := context.Background()
			db := o.open(t)
			if err := db.CreateUser(ctx, &identity.User{UID: "u1", Email: "a@example.com", Roles: []string{"admin"}}); err != nil {
				t.Fatal(err)
			}
			now := time.Now()
			s := &identity.Session{UID: "u1", CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
			_, rtHash := identity.NewSecret()
			if err := db.CreateSession(ctx, s, &identity.RefreshToken{Hash: rtHash, ExpiresAt: now.Add(time.Hour)}); err != nil {
				t.Fatal(err)
			}
			_, ottHash := identity.NewSecret()
			if err := db.CreateOneTimeToken(ctx, &identity.OneTimeToken{Hash: ottHash, Purpose: identity.PurposePasswordReset, UID: "u1", ExpiresAt: now.Add(time.Hour)}); err != nil {
				t.Fatal(err)
			}
			for _, stmt := range triggers[o.name] {
				if err := db.Exec(ctx, stmt); err != nil {
					t.Fatal(err)
				}
			}

			err := db.DeleteUser(ctx, "u1")
			if err == nil {
				t.Fatal("DeleteUser succeeded despite the trigger")
			}
			if identity.ErrorCode(err) != identity.EINTERNAL {
				t.Errorf("error code %q, want internal", identity.ErrorCode(err))
			}
			u, err := db.FindUserByUID(ctx, "u1")
			if err != nil || !u.HasRole("admin") {
				t.Fatalf("user after failed delete: %+v, %v", u, err)
			}
			if ss, _ := db.FindSessions(ctx, "u1", now); len(ss) != 1 {
				t.Fatalf("sessions after failed delete: %d", len(ss))
			}
			for table, n := range map[string]string{"refresh_tokens": rtHash, "one_time_tokens": ottHash} {
				if c, err := db.QueryInt(ctx, "SELECT COUNT(*) FROM "+table+" WHERE token_hash = ?", n); err != nil || c != 1 {
					t.Errorf("%s rows after failed delete: %d, %v", table, c, err)
				}
			}
		})
	}
}

// TestCanceledContext: a canceled context fails the call and changes nothing.
func TestCanceledContext(t *testing.T) {
	for _, o := range openers {
		t.Run(o.name, func(t *testing.T) {
			db := o.open(t)
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			if err := db.CreateUser(ctx, &identity.User{UID: "u1", Email: "a@example.com", Roles: []string{"x"}}); err == nil {
				t.Fatal("CreateUser with a canceled context succeeded")
			}
			if _, err := db.FindUserByUID(context.Background(), "u1"); !identity.IsCode(err, identity.ENOTFOUND) {
				t.Errorf("user after canceled create: %v", err)
			}
			if err := db.Ping(ctx); err == nil {
				t.Error("Ping with a canceled context succeeded")
			}
		})
	}
}

// TestConcurrentMigrate: replicas starting together all migrate cleanly.
func TestConcurrentMigrate(t *testing.T) {
	ctx := context.Background()
	urls := map[string]string{
		"sqlite":   "sqlite:" + filepath.Join(t.TempDir(), "auth.db"),
		"postgres": testenv.PostgresURL(t),
	}
	for name, url := range urls {
		t.Run(name, func(t *testing.T) {
			var wg sync.WaitGroup
			errs := make([]error, 4)
			for i := range errs {
				wg.Go(func() {
					db, err := store.Open(ctx, url, store.Options{})
					if err != nil {
						errs[i] = err
						return
					}
					defer db.Close()
					errs[i] = db.Migrate(ctx)
				})
			}
			wg.Wait()
			for _, err := range errs {
				if err != nil {
					t.Error(err)
				}
			}
		})
	}
}

func TestPageSize(t *testing.T) {
	for _, tc := range []struct{ in, want int }{{-1, 50}, {0, 50}, {1, 1}, {500, 500}, {501, 500}, {1 << 30, 500}} {
		if got := store.PageSize(tc.in); got != tc.want {
			t.Errorf("pageSize(%d) = %d, want %d", tc.in, got, tc.want)
		}
	}
}

func TestPurgeExpired(t *testing.T) {
	for _, o := range openers {
		t.Run(o.name, func(t *testing.T) {
			ctx := context.Background()
			db := o.open(t)
			t0 := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
			old := &identity.Session{UID: "u", CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}
			_, oldRT := identity.NewSecret()
			if err := db.CreateSession(ctx, old, &identity.RefreshToken{Hash: oldRT, ExpiresAt: t0.Add(time.Hour)}); err != nil {
				t.Fatal(err)
			}
			live := &identity.Session{UID: "u", CreatedAt: t0, ExpiresAt: t0.Add(48 * time.Hour)}
			_, liveRT := identity.NewSecret()
			if err := db.CreateSession(ctx, live, &identity.RefreshToken{Hash: liveRT, ExpiresAt: t0.Add(48 * time.Hour)}); err != nil {
				t.Fatal(err)
			}
			_, ott := identity.NewSecret()
			if err := db.CreateOneTimeToken(ctx, &identity.OneTimeToken{Hash: ott, Purpose: "p", UID: "u", ExpiresAt: t0.Add(time.Minute)}); err != nil {
				t.Fatal(err)
			}
			n, err := db.PurgeExpired(ctx, t0.Add(24*time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			if n != 3 { // old session, its refresh token, the one-time token
				t.Errorf("purged %d rows, want 3", n)
			}
			if _, err := db.FindSessionByID(ctx, old.ID); !identity.IsCode(err, identity.ENOTFOUND) {
				t.Errorf("expired session kept: %v", err)
			}
			if _, err := db.FindSessionByID(ctx, live.ID); err != nil {
				t.Errorf("live session purged: %v", err)
			}
			if _, err := db.RotateRefreshToken(ctx, liveRT, &identity.RefreshToken{Hash: identity.HashSecret("x"), ExpiresAt: t0.Add(48 * time.Hour)}, "j", t0); err != nil {
				t.Errorf("live refresh token purged: %v", err)
			}
		})
	}
}
