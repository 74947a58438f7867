package main_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/authgate/authgate/internal/testenv"
)

// call sends a JSON request and decodes the JSON answer.
func call(t *testing.T, method, url, bearer string, body any) (int, map[string]any, http.Header) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if len(raw) > 0 && raw[0] == '{' {
		if err := json.Unmarshal(raw, &out); err != nil {
			t.Fatalf("%s %s: bad JSON %q", method, url, raw)
		}
	}
	return resp.StatusCode, out, resp.Header
}

func runCLI(t *testing.T, stdin string, env []string, args ...string) (int, string, string) {
	t.Helper()
	cmd := exec.Command(testenv.AuthgateBinary(t), args...)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}, env...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return code, out.String(), errb.String()
}

// A restart keeps users, sessions and the signing key: a token issued before
// the restart still verifies after it, and the refresh token still works.
func TestRestartKeepsUsersSessionsAndKeys(t *testing.T) {
	dir := t.TempDir()
	a := testenv.StartAuthgate(t, "AUTHGATE_DATA_DIR="+dir)
	st, body, _ := call(t, "POST", a.URL+"/api/auth/register", "", map[string]string{"email": "keep@example.com", "password": "a long enough passphrase"})
	if st != http.StatusCreated {
		t.Fatalf("register: %d %v", st, body)
	}
	access, refresh := body["access_token"].(string), body["refresh_token"].(string)
	_, jwks1, _ := call(t, "GET", a.URL+"/.well-known/jwks.json", "", nil)
	a.Stop(t)

	// Same data directory, a new process on another port (same issuer URL is
	// needed for the old token: keep the public URL).
	b := testenv.StartAuthgate(t, "AUTHGATE_DATA_DIR="+dir, "AUTHGATE_PUBLIC_URL="+a.URL)
	if st, body, _ := call(t, "GET", b.URL+"/api/auth/profile", access, nil); st != http.StatusOK || body["email"] != "keep@example.com" {
		t.Fatalf("profile with a pre-restart token: %d %v", st, body)
	}
	_, jwks2, _ := call(t, "GET", b.URL+"/.well-known/jwks.json", "", nil)
	k1, _ := json.Marshal(jwks1["keys"])
	k2, _ := json.Marshal(jwks2["keys"])
	if string(k1) != string(k2) {
		t.Errorf("signing keys changed across a restart:\n%s\n%s", k1, k2)
	}
	if st, body, _ := call(t, "POST", b.URL+"/api/auth/refresh", "", map[string]string{"refresh_token": refresh}); st != http.StatusOK {
		t.Fatalf("refresh after restart: %d %v", st, body)
	}
	if st, body, _ := call(t, "POST", b.URL+"/api/auth/login", "", map[string]string{"email": "KEEP@example.com ", "password": "a long enough passphrase"}); st != http.StatusOK {
		t.Fatalf("login after restart: %d %v", st, body)
	}
	if info, err := os.Stat(filepath.Join(dir, "auth.db")); err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("auth.db mode: %v %v", info.Mode(), err)
	}
}

func TestConfigCheckListsEveryProblemAndExits2(t *testing.T) {
	code, _, stderr := runCLI(t, "", []string{"AUTHGATE_ACCESS_TTL=soon", "AUTHGATE_PROVIDER=ldap"}, "config", "check")
	if code != 2 {
		t.Fatalf("exit code %d, want 2; stderr:\n%s", code, stderr)
	}
	for _, want := range []string{"AUTHGATE_ACCESS_TTL", "AUTHGATE_PROVIDER"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr does not name %s:\n%s", want, stderr)
		}
	}
	code, stdout, stderr := runCLI(t, "", nil, "config", "check")
	if code != 0 || !strings.Contains(stdout, "AUTHGATE_LISTEN=:8001") {
		t.Fatalf("valid config: exit %d\n%s\n%s", code, stdout, stderr)
	}
	// serve with a bad setting fails at start-up with 2 and names it.
	code, _, stderr = runCLI(t, "", []string{"AUTHGATE_REFRESH_TTL=xyz"}, "serve")
	if code != 2 || !strings.Contains(stderr, "AUTHGATE_REFRESH_TTL") {
		t.Fatalf("serve with a bad setting: exit %d\n%s", code, stderr)
	}
}

func TestUsageAndVersion(t *testing.T) {
	if code, out, _ := runCLI(t, "", nil, "version"); code != 0 || !strings.HasPrefix(out, "authgate ") {
		t.Errorf("version: %d %q", code, out)
	}
	if code, _, _ := runCLI(t, "", nil, "frobnicate"); code != 2 {
		t.Errorf("unknown command: exit %d, want 2", code)
	}
	if code, _, _ := runCLI(t, "", nil, "user", "add", "--email", "x@example.com"); code != 2 {
		t.Errorf("user add without --password-stdin: exit %d, want 2", code)
	}
}

// `authgate user add --role admin` bootstraps an admin who can sign in.
func TestUserAddBootstrapsAdmin(t *testing.T) {
	dir := t.TempDir()
	env := []string{"AUTHGATE_DATA_DIR=" + dir}
	code, out, stderr := runCLI(t, "root passphrase 123\n", env, "user", "add", "--email", "Root@Example.com", "--password-stdin", "--role", "admin")
	if code != 0 {
		t.Fatalf("user add: exit %d\n%s\n%s", code, out, stderr)
	}
	if strings.Contains(out+stderr, "root passphrase 123") {
		t.Error("the password was echoed")
	}
	code, _, stderr = runCLI(t, "another passphrase\n", env, "user", "add", "--email", "root@example.com", "--password-stdin")
	if code != 2 || !strings.Contains(stderr, "email_taken") {
		t.Errorf("duplicate user add: exit %d %s", code, stderr)
	}
	code, _, stderr = runCLI(t, "short\n", env, "user", "add", "--email", "weak@example.com", "--password-stdin")
	if code != 2 || !strings.Contains(stderr, "weak_password") {
		t.Errorf("weak password: exit %d %s", code, stderr)
	}
	a := testenv.StartAuthgate(t, "AUTHGATE_DATA_DIR="+dir)
	st, body, _ := call(t, "POST", a.URL+"/api/auth/login", "", map[string]string{"email": "root@example.com", "password": "root passphrase 123"})
	if st != http.StatusOK {
		t.Fatalf("admin login: %d %v", st, body)
	}
	user := body["user"].(map[string]any)
	if roles, _ := user["roles"].([]any); len(roles) != 1 || roles[0] != "admin" || user["email_verified"] != true {
		t.Errorf("admin user: %v", user)
	}
}

// migrate creates the schema and exits 0; a bad database URL exits 2.
func TestMigrate(t *testing.T) {
	dir := t.TempDir()
	if code, _, stderr := runCLI(t, "", []string{"AUTHGATE_DATA_DIR=" + dir}, "migrate"); code != 0 {
		t.Fatalf("migrate: %d %s", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "auth.db")); err != nil {
		t.Fatalf("no database after migrate: %v", err)
	}
	if code, _, _ := runCLI(t, "", []string{"AUTHGATE_DATABASE_URL=mysql://x"}, "migrate"); code != 2 {
		t.Errorf("bad database URL: exit %d, want 2", code)
	}
}

// Health, readiness, metrics and discovery answer on the main listener.
func TestOperationalEndpoints(t *testing.T) {
	a := testenv.StartAuthgate(t)
	for _, path := range []string{"/healthz", "/readyz", "/.well-known/jwks.json", "/.well-known/openid-configuration"} {
		if st, _, _ := call(t, "GET", a.URL+path, "", nil); st != http.StatusOK {
			t.Errorf("GET %s: %d", path, st)
		}
	}
	call(t, "POST", a.URL+"/api/auth/login", "", map[string]string{"email": "nobody@example.com", "password": "whatever it is"})
	resp, err := http.Get(a.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{`authgate_http_requests_total{code="401",method="POST",route="/api/auth/login"}`, "authgate_http_request_duration_seconds_bucket", "authgate_cache_hits_total"} {
		if !strings.Contains(string(raw), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if st, body, _ := call(t, "GET", a.URL+"/nope", "", nil); st != http.StatusNotFound || body["code"] != "not_found" {
		t.Errorf("unknown path: %d %v", st, body)
	}
}

// In sidecar mode every path outside authgate's own goes to the upstream,
// including look-alikes of its own prefixes.
func TestSidecarPathsOutsideOwnPrefixes(t *testing.T) {
	var got []string
	var mu sync.Mutex
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = append(got, r.URL.Path+" uid="+r.Header.Get("X-User-Id"))
		mu.Unlock()
		w.WriteHeader(http.StatusTeapot)
	}))
	defer up.Close()
	a := testenv.StartAuthgate(t, "AUTHGATE_UPSTREAM="+up.URL)
	_, body, _ := call(t, "POST", a.URL+"/api/auth/register", "", map[string]string{"email": "side@example.com", "password": "a long enough passphrase"})
	access := body["access_token"].(string)
	for _, p := range []string{"/api/authors", "/api/auth-old/x", "/healthzz", "/app"} {
		st, _, _ := call(t, "GET", a.URL+p, access, nil)
		if st != http.StatusTeapot {
			t.Errorf("GET %s: %d, want the upstream's 418", p, st)
		}
	}
	// authgate's own paths never reach the upstream, even unknown ones.
	if st, body, _ := call(t, "GET", a.URL+"/api/auth/nope", access, nil); st != http.StatusNotFound || body["code"] != "not_found" {
		t.Errorf("/api/auth/nope: %d %v", st, body)
	}
	// Without a credential the upstream is not reached.
	if st, _, _ := call(t, "GET", a.URL+"/app", "", nil); st != http.StatusUnauthorized {
		t.Errorf("anonymous /app: %d, want 401", st)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 4 {
		t.Fatalf("upstream saw %v", got)
	}
	for _, g := range got {
		if strings.HasSuffix(g, "uid=") {
			t.Errorf("upstream request without identity: %s", g)
		}
	}
}

// A gateway denial lands in the audit log (sampled, written in the
// background) with the client's address and user agent.
func TestForwardAuthDenialAudited(t *testing.T) {
	dir := t.TempDir()
	if code, _, stderr := runCLI(t, "audit admin passphrase\n", []string{"AUTHGATE_DATA_DIR=" + dir}, "user", "add", "--email", "audit@example.com", "--password-stdin", "--role", "admin"); code != 0 {
		t.Fatalf("user add: %d %s", code, stderr)
	}
	a := testenv.StartAuthgate(t, "AUTHGATE_DATA_DIR="+dir)
	req, _ := http.NewRequest("GET", a.URL+"/api/auth/forward-auth", nil)
	req.Header.Set("User-Agent", "probe-agent/1.0")
	req.Header.Set("X-Forwarded-Uri", "/secret?token=hunter2")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("forward-auth without a token: %d", resp.StatusCode)
	}
	_, login, _ := call(t, "POST", a.URL+"/api/auth/login", "", map[string]string{"email": "audit@example.com", "password": "audit admin passphrase"})
	admin := login["access_token"].(string)
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, body, _ := call(t, "GET", a.URL+"/api/auth/admin/audit?action=forward_auth_deny", admin, nil)
		events, _ := body["events"].([]any)
		if len(events) > 0 {
			e := events[0].(map[string]any)
			if e["user_agent"] != "probe-agent/1.0" || e["ip_address"] != "127.0.0.1" || e["status"] != "failure" {
				t.Fatalf("denial row: %v", e)
			}
			if d, _ := e["detail"].(string); !strings.Contains(d, "/secret") || strings.Contains(d, "hunter2") {
				t.Fatalf("denial detail %q: want the path without its query", d)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no forward_auth_deny row within 10s: %v", body)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
