package e2e_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authgate/authgate/internal/testenv"
)

const password = "correct horse battery staple"

// baseEnv is added to every authgate started here: registration and login
// limits high enough for many accounts from 127.0.0.1 (with Redis they are
// shared by every run against the same server).
var baseEnv = []string{"AUTHGATE_RATE_LIMITS=register_ip=10000-H,login_ip=10000-M,login_account=10000-M"}

// echoed is what the echo upstream reports about the request it received.
type echoed struct {
	Method     string              `json:"method"`
	Host       string              `json:"host"`
	RequestURI string              `json:"request_uri"`
	Header     map[string][]string `json:"header"`
}

// get returns the values of header name (canonical spelling).
func (e echoed) get(name string) []string { return e.Header[http.CanonicalHeaderKey(name)] }

// echoServer is the application behind the proxies: it answers every
// request with a JSON description of it and counts the requests.
type echoServer struct {
	*httptest.Server
	hits atomic.Int64
}

func newEcho(t *testing.T) *echoServer {
	t.Helper()
	e := &echoServer{}
	e.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.hits.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(echoed{Method: r.Method, Host: r.Host, RequestURI: r.RequestURI, Header: r.Header})
	}))
	t.Cleanup(e.Close)
	return e
}

// addr is the echo server's host:port.
func (e *echoServer) addr() string { return strings.TrimPrefix(e.URL, "http://") }

// client never follows redirects: a 302 must be seen as one.
var client = &http.Client{
	Timeout:       10 * time.Second,
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

// response is an answer with its body read.
type response struct {
	*http.Response
	body []byte
}

// do sends a request with the header pairs (repeated names are kept as
// separate fields, in the given spelling) and an optional JSON body.
func do(t *testing.T, method, url string, hdr [][2]string, body any) response {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for _, kv := range hdr {
		req.Header[kv[0]] = append(req.Header[kv[0]], kv[1]) // not canonicalized: the spelling is the point
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", method, url, err)
	}
	return response{resp, raw}
}

func bearer(tok string) [2]string { return [2]string{"Authorization", "Bearer " + tok} }

// status sends a request and returns only the status code.
func status(t *testing.T, method, url string, hdr ...[2]string) int {
	t.Helper()
	return do(t, method, url, hdr, nil).StatusCode
}

// echoOf sends a request that must reach the upstream and returns what the
// upstream received.
func echoOf(t *testing.T, method, url string, hdr ...[2]string) echoed {
	t.Helper()
	r := do(t, method, url, hdr, nil)
	if r.StatusCode != http.StatusOK {
		t.Fatalf("%s %s: status %d, want 200: %s", method, url, r.StatusCode, r.body)
	}
	var e echoed
	if err := json.Unmarshal(r.body, &e); err != nil || e.Method == "" {
		t.Fatalf("%s %s: not an echo of the upstream: %q (%v)", method, url, r.body, err)
	}
	return e
}

// account is a signed-in user: an access token from the real API.
type account struct {
	UID, Email, Token, Refresh string
}

type authAnswer struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	User         struct {
		UID   string   `json:"uid"`
		Email string   `json:"email"`
		Roles []string `json:"roles"`
	} `json:"user"`
}

func decodeAuth(t *testing.T, what string, r response, want int) account {
	t.Helper()
	if r.StatusCode != want {
		t.Fatalf("%s: status %d, want %d: %s", what, r.StatusCode, want, r.body)
	}
	var a authAnswer
	if err := json.Unmarshal(r.body, &a); err != nil || a.AccessToken == "" || a.User.UID == "" {
		t.Fatalf("%s: answer without token or uid: %s (%v)", what, r.body, err)
	}
	return account{UID: a.User.UID, Email: a.User.Email, Token: a.AccessToken, Refresh: a.RefreshToken}
}

// register creates an account through base (authgate or a proxy in front
// of it) and returns its first token.
func register(t *testing.T, base, email string) account {
	t.Helper()
	r := do(t, "POST", base+"/api/auth/register", nil, map[string]string{"email": email, "password": password})
	return decodeAuth(t, "register "+email, r, http.StatusCreated)
}

// login signs in again: every login is a new session.
func login(t *testing.T, base, email string) account {
	t.Helper()
	r := do(t, "POST", base+"/api/auth/login", nil, map[string]string{"email": email, "password": password})
	return decodeAuth(t, "login "+email, r, http.StatusOK)
}

// logout revokes the token's session through the API.
func logout(t *testing.T, base, token string) {
	t.Helper()
	if r := do(t, "POST", base+"/api/auth/logout", [][2]string{bearer(token)}, nil); r.StatusCode != http.StatusNoContent {
		t.Fatalf("logout: status %d: %s", r.StatusCode, r.body)
	}
}

// sessionID is the sid claim of an access token (the id the sessions API
// uses). The token is the server's own, so reading the payload unverified
// is fine here.
func sessionID(t *testing.T, token string) string {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %q", token)
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatalf("JWT payload: %v", err)
	}
	var c struct {
		SID string `json:"sid"`
	}
	if err := json.Unmarshal(raw, &c); err != nil || c.SID == "" {
		t.Fatalf("JWT without sid: %s (%v)", raw, err)
	}
	return c.SID
}

// revokeSession deletes session sid with another session's token.
func revokeSession(t *testing.T, base, token, sid string) {
	t.Helper()
	if r := do(t, "DELETE", base+"/api/auth/sessions/"+sid, [][2]string{bearer(token)}, nil); r.StatusCode != http.StatusNoContent {
		t.Fatalf("revoke session %s: status %d: %s", sid, r.StatusCode, r.body)
	}
}

// eventually polls cond every 50ms until it holds or timeout passes; it
// fails the test with the last description cond gave.
func eventually(t *testing.T, timeout time.Duration, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ok, why := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("not within %s: %s", timeout, why)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// writePolicy replaces the policy file the way deployment tools do: a new
// file renamed over the old one.
func writePolicy(t *testing.T, path, src string) {
	t.Helper()
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

// addAdmin bootstraps an admin with `authgate user add --role admin
// --password-stdin` against dataDir, before the service starts.
func addAdmin(t *testing.T, dataDir, email string) {
	t.Helper()
	cmd := exec.Command(testenv.AuthgateBinary(t), "user", "add", "--email", email, "--password-stdin", "--role", "admin")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"), "AUTHGATE_DATA_DIR=" + dataDir}
	cmd.Stdin = strings.NewReader(password + "\n")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("authgate user add: %v\n%s", err, out)
	}
}

// identityHeaders returns every header of h that is an identity header in
// any spelling (letter case, '_' for '-').
func identityHeaders(h map[string][]string) map[string][]string {
	out := map[string][]string{}
	for k, v := range h {
		switch strings.ReplaceAll(strings.ToLower(k), "_", "-") {
		case "x-user-id", "x-user-email", "x-user-email-verified", "x-user-roles", "x-user-name":
			out[k] = v
		}
	}
	return out
}

// spoofed are client-sent identity headers in every spelling a proxy or an
// application framework might fold into X-User-*.
var spoofed = [][2]string{
	{"X-User-Id", "root"}, {"X-User-Id", "root2"}, {"x-user-id", "lower"}, {"X_User_Id", "under"},
	{"x_user_id", "under-lower"}, {"X-USER-ROLES", "admin"}, {"X_User_Roles", "admin"},
	{"X-User-Email", "ceo@example.com"}, {"X-User-Email-Verified", "true"},
	{"x_user_email_verified", "true"}, {"X-User-Name", "Root"}, {"X-uSeR-nAmE", "Root"},
}

func policyFile(t *testing.T, src string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "policy.yaml")
	writePolicy(t, p, src)
	return p
}
