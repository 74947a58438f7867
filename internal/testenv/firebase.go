package testenv

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// FirebaseProjectID is the project the shared Auth Emulator serves. The
// "demo-" prefix tells both the emulator and authgate's firebase package that
// no real project is behind it.
const FirebaseProjectID = "demo-authgate"

// firebaseStartTimeout bounds the emulator's start (Node start-up plus the
// CLI's own checks take a few seconds on a busy 2-core machine).
const firebaseStartTimeout = 90 * time.Second

// Emulator is a running Firebase Auth Emulator, shared by every test of the
// test process. Its helpers call the emulator's REST API and fail the test
// on any error, so a test reads as a list of steps.
//
// The emulator is shared: tests must not depend on it being empty. Use a
// fresh email per test (UniqueEmail) instead of Reset where tests may run in
// parallel.
type Emulator struct {
	// Host is "127.0.0.1:PORT", the value FIREBASE_AUTH_EMULATOR_HOST takes.
	Host string
	// ProjectID is the emulated project (FirebaseProjectID).
	ProjectID string

	client *http.Client
}

// FirebaseUser is what the emulator answers for a successful sign-up or
// sign-in: the user's localId (= Firebase uid) and a fresh ID token.
type FirebaseUser struct {
	LocalID      string `json:"localId"`
	Email        string `json:"email"`
	IDToken      string `json:"idToken"`
	RefreshToken string `json:"refreshToken"`
}

// OobCode is one out-of-band code the emulator "sent" (password reset, email
// verification, email sign-in), as listed by /emulator/v1/projects/{id}/oobCodes.
type OobCode struct {
	Email       string `json:"email"`
	RequestType string `json:"requestType"` // PASSWORD_RESET, VERIFY_EMAIL, ...
	OobCode     string `json:"oobCode"`
	OobLink     string `json:"oobLink"`
}

type emulatorProcess struct {
	cmd  *exec.Cmd
	dir  string
	log  *LockedBuffer // what the CLI printed
	done chan struct{} // closed when the process has exited
}

var firebaseEmu struct {
	once sync.Once
	mu   sync.Mutex
	emu  *Emulator
	proc *emulatorProcess
	err  error
	// unavailable is true when the error means "not installed" rather than
	// "installed but broken".
	unavailable bool
}

// FirebaseEmulator returns the test process's Firebase Auth Emulator,
// starting it on first use (project FirebaseProjectID, a free port, the
// pinned CLI in tools/firebase). When the CLI or Node is missing it calls
// Unavailable (skip locally, fail in CI); when it is installed but does not
// start, the test fails with the emulator's log.
//
// The emulator runs in its own process group and receives SIGKILL if the
// test process dies. Packages using it should still stop it at the end with
// a TestMain:
//
//	func TestMain(m *testing.M) { testenv.FirebaseMain(m) }
//
// It sets no environment variable: pass Emulator.Host to the code under
// test (or t.Setenv("FIREBASE_AUTH_EMULATOR_HOST", e.Host) where a library
// reads only the environment).
func FirebaseEmulator(tb testing.TB) *Emulator {
	tb.Helper()
	firebaseEmu.once.Do(startFirebaseEmulator)
	firebaseEmu.mu.Lock()
	emu, err, unavailable := firebaseEmu.emu, firebaseEmu.err, firebaseEmu.unavailable
	firebaseEmu.mu.Unlock()
	if err != nil {
		if unavailable {
			Unavailable(tb, "firebase auth emulator: %v", err)
		}
		tb.Fatalf("firebase auth emulator: %v", err)
	}
	if emu == nil {
		tb.Fatalf("firebase auth emulator was stopped (StopFirebaseEmulator ran before this test)")
	}
	return emu
}

// FirebaseMain runs the tests of a package that uses FirebaseEmulator, stops
// the emulator and exits with the tests' status. Call it from TestMain.
func FirebaseMain(m *testing.M) {
	code := m.Run()
	StopFirebaseEmulator()
	os.Exit(code)
}

// StopFirebaseEmulator stops the shared emulator, if one was started: SIGTERM
// to its process group, SIGKILL after a grace period, then its temporary
// directory is removed. Safe to call more than once and when none runs.
func StopFirebaseEmulator() {
	firebaseEmu.mu.Lock()
	p := firebaseEmu.proc
	firebaseEmu.proc, firebaseEmu.emu = nil, nil
	firebaseEmu.mu.Unlock()
	if p != nil {
		p.stop()
	}
}

// FirebaseCLI returns the path of the pinned Firebase CLI (installed by
// `make test-deps` into tools/firebase/node_modules).
func FirebaseCLI() string {
	return filepath.Join(RepoRoot(), "tools", "firebase", "node_modules", ".bin", "firebase")
}

func startFirebaseEmulator() {
	emu, proc, unavailable, err := launchFirebaseEmulator()
	firebaseEmu.mu.Lock()
	defer firebaseEmu.mu.Unlock()
	firebaseEmu.emu, firebaseEmu.proc, firebaseEmu.err, firebaseEmu.unavailable = emu, proc, err, unavailable
}

func launchFirebaseEmulator() (emu *Emulator, proc *emulatorProcess, unavailable bool, err error) {
	cli := FirebaseCLI()
	if _, err := os.Stat(cli); err != nil {
		return nil, nil, true, fmt.Errorf("firebase CLI not installed at %s (run `make test-deps`): %w", cli, err)
	}
	if _, err := exec.LookPath("node"); err != nil {
		return nil, nil, true, fmt.Errorf("node not found: %w", err)
	}
	dir, err := os.MkdirTemp("", "authgate-firebase-emulator-")
	if err != nil {
		return nil, nil, false, fmt.Errorf("temp dir: %w", err)
	}
	ports, err := freePorts(3) // auth, hub, logging
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, nil, false, err
	}
	conf := map[string]any{
		"emulators": map[string]any{
			"auth":              map[string]any{"host": "127.0.0.1", "port": ports[0]},
			"hub":               map[string]any{"host": "127.0.0.1", "port": ports[1]},
			"logging":           map[string]any{"host": "127.0.0.1", "port": ports[2]},
			"ui":                map[string]any{"enabled": false},
			"singleProjectMode": true,
		},
	}
	confPath := filepath.Join(dir, "firebase.json")
	b, _ := json.MarshalIndent(conf, "", "  ")
	if err := os.WriteFile(confPath, b, 0o600); err != nil {
		_ = os.RemoveAll(dir)
		return nil, nil, false, fmt.Errorf("write firebase.json: %w", err)
	}

	cmd := exec.Command(cli, "emulators:start", "--only", "auth",
		"--project", FirebaseProjectID, "--config", confPath)
	// The CLI writes firebase-debug.log into its working directory and the
	// hub's locator file into TMPDIR: keep both in our directory so that
	// emulators of concurrently tested packages do not see each other.
	cmd.Dir = dir
	cmd.Env = append(os.Environ(),
		"TMPDIR="+dir,
		"NO_UPDATE_NOTIFIER=1",
		"FIREBASE_CLI_DISABLE_UPDATE_CHECK=true",
	)
	lw := &LockedBuffer{}
	cmd.Stdout, cmd.Stderr = lw, lw
	cmd.SysProcAttr = emulatorSysProcAttr()
	if err := cmd.Start(); err != nil {
		_ = os.RemoveAll(dir)
		return nil, nil, false, fmt.Errorf("start %s: %w", cli, err)
	}
	proc = &emulatorProcess{cmd: cmd, dir: dir, log: lw, done: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		close(proc.done)
	}()

	emu = &Emulator{
		Host:      net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[0])),
		ProjectID: FirebaseProjectID,
		client:    &http.Client{Timeout: 15 * time.Second},
	}
	if err := emu.waitReady(proc, firebaseStartTimeout); err != nil {
		proc.stop()
		return nil, nil, false, fmt.Errorf("%w\n--- emulator output ---\n%s", err, lw.String())
	}
	return emu, proc, false, nil
}

// waitReady polls the emulator's root document until it reports ready, the
// process exits or the timeout passes.
func (e *Emulator) waitReady(p *emulatorProcess, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	probe := &http.Client{Timeout: time.Second}
	for {
		select {
		case <-p.done:
			return fmt.Errorf("emulator exited before it was ready (%v)", p.cmd.ProcessState)
		default:
		}
		resp, err := probe.Get("http://" + e.Host + "/")
		if err == nil {
			var doc struct {
				AuthEmulator struct {
					Ready bool `json:"ready"`
				} `json:"authEmulator"`
			}
			derr := json.NewDecoder(io.LimitReader(resp.Body, 1<<16)).Decode(&doc)
			resp.Body.Close()
			if derr == nil && doc.AuthEmulator.Ready {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("emulator at %s not ready after %s", e.Host, timeout)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (p *emulatorProcess) stop() {
	if p.cmd.Process != nil {
		signalGroup(p.cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(5 * time.Second):
			signalGroup(p.cmd.Process.Pid, syscall.SIGKILL)
			<-p.done
		}
	}
	_ = os.RemoveAll(p.dir)
}

// freePorts reserves n distinct free ports at once (all listeners are open
// together, so they differ) and releases them for the emulator to take.
func freePorts(n int) ([]int, error) {
	ports := make([]int, 0, n)
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("free port: %w", err)
		}
		defer l.Close()
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// URL returns the emulator's base URL, "http://127.0.0.1:PORT".
func (e *Emulator) URL() string { return "http://" + e.Host }

// UniqueEmail returns an address no other test of this process uses, so that
// tests sharing the emulator do not collide.
func (e *Emulator) UniqueEmail(prefix string) string {
	if prefix == "" {
		prefix = "user"
	}
	return strings.ToLower(prefix) + "-" + randomHex(6) + "@example.com"
}

// Reset deletes every account of the emulated project.
func (e *Emulator) Reset(tb testing.TB) {
	tb.Helper()
	e.do(tb, http.MethodDelete, "/emulator/v1/projects/"+e.ProjectID+"/accounts", nil, nil)
}

// OobCodes lists the out-of-band codes the emulator issued for email (all
// emails when empty), oldest first.
func (e *Emulator) OobCodes(tb testing.TB, email string) []OobCode {
	tb.Helper()
	var out struct {
		OobCodes []OobCode `json:"oobCodes"`
	}
	e.do(tb, http.MethodGet, "/emulator/v1/projects/"+e.ProjectID+"/oobCodes", nil, &out)
	if email == "" {
		return out.OobCodes
	}
	var mine []OobCode
	for _, c := range out.OobCodes {
		if strings.EqualFold(c.Email, email) {
			mine = append(mine, c)
		}
	}
	return mine
}

// LastOobCode returns the newest code of requestType for email, failing the
// test when there is none.
func (e *Emulator) LastOobCode(tb testing.TB, email, requestType string) string {
	tb.Helper()
	codes := e.OobCodes(tb, email)
	for i := len(codes) - 1; i >= 0; i-- {
		if codes[i].RequestType == requestType {
			return codes[i].OobCode
		}
	}
	tb.Fatalf("emulator: no %s oobCode for %s (have %+v)", requestType, email, codes)
	return ""
}

// SignUp creates an email/password user directly at the emulator, as the
// Firebase client SDK would, and returns its uid and ID token.
func (e *Emulator) SignUp(tb testing.TB, email, password string) FirebaseUser {
	tb.Helper()
	var u FirebaseUser
	e.do(tb, http.MethodPost, "/identitytoolkit.googleapis.com/v1/accounts:signUp?key=fake-api-key",
		map[string]any{"email": email, "password": password, "returnSecureToken": true}, &u)
	return u
}

// SignIn signs in with email and password at the emulator and returns a
// fresh ID token (which carries the current custom claims).
func (e *Emulator) SignIn(tb testing.TB, email, password string) FirebaseUser {
	tb.Helper()
	var u FirebaseUser
	e.do(tb, http.MethodPost, "/identitytoolkit.googleapis.com/v1/accounts:signInWithPassword?key=fake-api-key",
		map[string]any{"email": email, "password": password, "returnSecureToken": true}, &u)
	return u
}

// SignInWithIdp signs in through a federated provider ("google.com",
// "facebook.com", "apple.com", ...) with a fake credential: the emulator
// accepts an unsigned JSON object as the provider's id_token. claims must
// hold "sub" (the provider's user id) and usually "email",
// "email_verified", "name".
func (e *Emulator) SignInWithIdp(tb testing.TB, providerID string, claims map[string]any) FirebaseUser {
	tb.Helper()
	raw, err := json.Marshal(claims)
	if err != nil {
		tb.Fatalf("emulator: encode fake id_token: %v", err)
	}
	post := url.Values{"id_token": {string(raw)}, "providerId": {providerID}}
	var u FirebaseUser
	e.do(tb, http.MethodPost, "/identitytoolkit.googleapis.com/v1/accounts:signInWithIdp?key=fake-api-key",
		map[string]any{
			"postBody":            post.Encode(),
			"requestUri":          "http://localhost",
			"returnIdpCredential": true,
			"returnSecureToken":   true,
		}, &u)
	return u
}

// SignInWithGoogle signs in with a fake Google credential for the Google
// account sub, whose verified address is email.
func (e *Emulator) SignInWithGoogle(tb testing.TB, sub, email, name string) FirebaseUser {
	tb.Helper()
	return e.SignInWithIdp(tb, "google.com", map[string]any{
		"sub": sub, "email": email, "email_verified": true, "name": name,
	})
}

// SetCustomClaims replaces the user's custom claims at the emulator (as the
// Admin SDK's SetCustomUserClaims would). New ID tokens carry them.
func (e *Emulator) SetCustomClaims(tb testing.TB, uid string, claims map[string]any) {
	tb.Helper()
	raw, err := json.Marshal(claims)
	if err != nil {
		tb.Fatalf("emulator: encode claims: %v", err)
	}
	e.do(tb, http.MethodPost, "/identitytoolkit.googleapis.com/v1/projects/"+e.ProjectID+"/accounts:update",
		map[string]any{"localId": uid, "customAttributes": string(raw)}, nil)
}

// UserExists reports whether the emulator has a user with the uid.
func (e *Emulator) UserExists(tb testing.TB, uid string) bool {
	tb.Helper()
	var out struct {
		Users []json.RawMessage `json:"users"`
	}
	e.do(tb, http.MethodPost, "/identitytoolkit.googleapis.com/v1/projects/"+e.ProjectID+"/accounts:lookup",
		map[string]any{"localId": []string{uid}}, &out)
	return len(out.Users) > 0
}

// do sends one request and decodes the answer, failing the test on error.
func (e *Emulator) do(tb testing.TB, method, path string, in, out any) {
	tb.Helper()
	if err := e.call(method, path, in, out); err != nil {
		tb.Fatalf("emulator: %s %s: %v", method, path, err)
	}
}

func (e *Emulator) call(method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("encode request: %w", err)
		}
		body = bytes.NewReader(b)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, e.URL()+path, body)
	if err != nil {
		return err
	}
	if !strings.Contains(path, "?key=") {
		// Admin endpoints (/emulator/..., /v1/projects/...): the emulator
		// accepts "owner" as the project owner's OAuth token. Client calls
		// (?key=) go without it, as from a browser.
		req.Header.Set("Authorization", "Bearer owner")
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := e.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return fmt.Errorf("read response: %w", err)
	}
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("status %d: %s", resp.StatusCode, bytes.TrimSpace(b))
	}
	if out != nil && len(b) > 0 {
		if err := json.Unmarshal(b, out); err != nil {
			return fmt.Errorf("decode response: %w", err)
		}
	}
	return nil
}
