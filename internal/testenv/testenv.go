// Package testenv finds or starts the real services tests run against
// (PostgreSQL, Redis, nginx, Caddy, Chromium, the Firebase Auth Emulator).
//
// Outside CI a missing service skips the test with the reason. With CI=true
// nothing is skipped: a missing service fails the test, because .ci/run
// (make test) installs and starts everything.
package testenv

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx" for creating test databases
)

// InCI reports whether the tests run in CI, where nothing may be skipped.
func InCI() bool { return os.Getenv("CI") == "true" }

// Unavailable skips the test outside CI and fails it in CI.
func Unavailable(tb testing.TB, format string, args ...any) {
	tb.Helper()
	msg := fmt.Sprintf(format, args...)
	if InCI() {
		tb.Fatalf("required test service unavailable in CI: %s", msg)
	}
	tb.Skipf("test service unavailable (run `make test` to install and start it): %s", msg)
}

// RepoRoot returns the module's root directory.
func RepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// Binary returns the path of an executable, or calls Unavailable.
func Binary(tb testing.TB, name string, extra ...string) string {
	tb.Helper()
	for _, p := range extra {
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p
		}
	}
	p, err := exec.LookPath(name)
	if err != nil {
		for _, dir := range []string{"/usr/sbin", "/usr/bin", "/usr/local/bin", "/usr/local/sbin"} {
			if st, err := os.Stat(filepath.Join(dir, name)); err == nil && !st.IsDir() {
				return filepath.Join(dir, name)
			}
		}
		Unavailable(tb, "%s not found", name)
	}
	return p
}

// PostgresURL returns the URL of a fresh, empty database on the test
// PostgreSQL server (AUTHGATE_TEST_POSTGRES_URL, default
// postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable), dropped when
// the test ends.
func PostgresURL(tb testing.TB) string {
	tb.Helper()
	base := os.Getenv("AUTHGATE_TEST_POSTGRES_URL")
	if base == "" {
		base = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
	}
	admin, err := sql.Open("pgx", base)
	if err != nil {
		Unavailable(tb, "postgres %s: %v", base, err)
	}
	defer admin.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := admin.PingContext(ctx); err != nil {
		Unavailable(tb, "postgres %s: %v", base, err)
	}
	name := "authgate_test_" + randomHex(6)
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		tb.Fatalf("create test database: %v", err)
	}
	tb.Cleanup(func() {
		db, err := sql.Open("pgx", base)
		if err != nil {
			return
		}
		defer db.Close()
		_, _ = db.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)")
	})
	return replaceDBName(base, name)
}

func replaceDBName(url, name string) string {
	q := ""
	if i := strings.IndexByte(url, '?'); i >= 0 {
		url, q = url[:i], url[i:]
	}
	i := strings.LastIndexByte(url, '/')
	if i < len("postgres://") {
		return url + "/" + name + q
	}
	return url[:i+1] + name + q
}

// RedisAddr returns host:port of the test Redis server
// (AUTHGATE_TEST_REDIS_URL, default redis://127.0.0.1:6379/0) after checking
// it answers, as a URL.
func RedisURL(tb testing.TB) string {
	tb.Helper()
	u := os.Getenv("AUTHGATE_TEST_REDIS_URL")
	if u == "" {
		u = "redis://127.0.0.1:6379/0"
	}
	host := strings.TrimPrefix(u, "redis://")
	if i := strings.IndexByte(host, '/'); i >= 0 {
		host = host[:i]
	}
	if i := strings.LastIndexByte(host, '@'); i >= 0 {
		host = host[i+1:]
	}
	c, err := net.DialTimeout("tcp", host, 2*time.Second)
	if err != nil {
		Unavailable(tb, "redis %s: %v", u, err)
	}
	c.Close()
	return u
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func FreePort(tb testing.TB) int {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// WaitTCP waits until addr accepts connections or the timeout passes.
func WaitTCP(addr string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("testenv: %s not reachable after %s: %w", addr, timeout, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
