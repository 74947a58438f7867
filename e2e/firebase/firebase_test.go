// Package firebase_test runs the real authgate binary with
// AUTHGATE_PROVIDER=firebase against the real Firebase Auth Emulator and
// drives it over HTTP, as a client would.
package firebase_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/authgate/authgate/internal/testenv"
)

func TestMain(m *testing.M) { testenv.FirebaseMain(m) }

type client struct {
	t    *testing.T
	base string
}

type answer struct {
	status int
	body   map[string]any
	header http.Header
}

func (c client) do(method, path, bearer string, in any, extra ...string) answer {
	c.t.Helper()
	var rd io.Reader
	if in != nil {
		b, _ := json.Marshal(in)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	for i := 0; i+1 < len(extra); i += 2 {
		req.Header.Set(extra[i], extra[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	a := answer{status: resp.StatusCode, header: resp.Header}
	if len(raw) > 0 && raw[0] == '{' {
		if err := json.Unmarshal(raw, &a.body); err != nil {
			c.t.Fatalf("%s %s: bad JSON %q", method, path, raw)
		}
	}
	return a
}

func (c client) want(a answer, status int, code string) {
	c.t.Helper()
	if a.status != status || (code != "" && a.body["code"] != code) {
		c.t.Fatalf("got %d %v, want %d %s", a.status, a.body, status, code)
	}
}

// start runs authgate in Firebase mode against the shared emulator.
func start(t *testing.T, extra ...string) (client, *testenv.Emulator) {
	emu := testenv.FirebaseEmulator(t)
	env := append([]string{
		"AUTHGATE_PROVIDER=firebase",
		"AUTHGATE_FIREBASE_PROJECT_ID=" + emu.ProjectID,
		"AUTHGATE_FIREBASE_API_KEY=fake-api-key",
		"FIREBASE_AUTH_EMULATOR_HOST=" + emu.Host,
	}, extra...)
	a := testenv.StartAuthgate(t, env...)
	return client{t: t, base: a.URL}, emu
}

func TestRegisterLoginProfileThroughFirebase(t *testing.T) {
	c, emu := start(t)
	email := emu.UniqueEmail("reg")
	reg := c.do("POST", "/api/auth/register", "", map[string]any{"email": email, "password": "a long enough passphrase", "display_name": "Reg"})
	c.want(reg, http.StatusCreated, "")
	uid := reg.body["user"].(map[string]any)["uid"].(string)
	if u := emu.Lookup(t, uid); u == nil || u.Email != email {
		t.Fatalf("the user registered through authgate is not at the emulator: %+v", u)
	}
	c.want(c.do("POST", "/api/auth/register", "", map[string]any{"email": email, "password": "another long passphrase"}), http.StatusConflict, "email_taken")

	login := c.do("POST", "/api/auth/login", "", map[string]any{"email": email, "password": "a long enough passphrase"})
	c.want(login, http.StatusOK, "")
	access := login.body["access_token"].(string)
	prof := c.do("GET", "/api/auth/profile", access, nil)
	c.want(prof, http.StatusOK, "")
	if prof.body["uid"] != uid {
		t.Errorf("profile uid %v, want the Firebase localId %s", prof.body["uid"], uid)
	}
	// Wrong password and unknown email get the same answer.
	c.want(c.do("POST", "/api/auth/login", "", map[string]any{"email": email, "password": "wrong passphrase!"}), http.StatusUnauthorized, "invalid_credentials")
	c.want(c.do("POST", "/api/auth/login", "", map[string]any{"email": emu.UniqueEmail("nobody"), "password": "wrong passphrase!"}), http.StatusUnauthorized, "invalid_credentials")

	// Profile update is mirrored to Firebase.
	c.want(c.do("PUT", "/api/auth/profile", access, map[string]any{"display_name": "Renamed", "photo_url": "https://example.com/p.png"}), http.StatusOK, "")
	if u := emu.Lookup(t, uid); u.DisplayName != "Renamed" || u.PhotoURL != "https://example.com/p.png" {
		t.Errorf("profile update not visible at the emulator: %+v", u)
	}

	// Logout revokes the authgate session at once, as in local mode.
	c.want(c.do("POST", "/api/auth/logout", access, nil), http.StatusNoContent, "")
	c.want(c.do("GET", "/api/auth/profile", access, nil), http.StatusUnauthorized, "invalid_token")
}

func TestEmulatorUserIDTokenWorksEverywhere(t *testing.T) {
	c, emu := start(t)
	fu := emu.SignUp(t, emu.UniqueEmail("direct"), "emulator passphrase 1")

	v := c.do("POST", "/api/auth/verify", "", map[string]any{"id_token": fu.IDToken})
	c.want(v, http.StatusOK, "")
	if v.body["uid"] != fu.LocalID || v.body["user"] == nil {
		t.Fatalf("verify: %v", v.body)
	}
	if p := c.do("GET", "/api/auth/profile", fu.IDToken, nil); p.status != http.StatusOK || p.body["uid"] != fu.LocalID {
		t.Fatalf("profile with a Firebase ID token: %d %v", p.status, p.body)
	}
	fa := c.do("GET", "/api/auth/forward-auth", fu.IDToken, nil)
	if fa.status != http.StatusOK || fa.header.Get("X-User-Id") != fu.LocalID {
		t.Fatalf("forward-auth with a Firebase ID token: %d %v", fa.status, fa.header)
	}

	// create_session exchanges it for an authgate session that refreshes
	// and logs out like any other.
	cs := c.do("POST", "/api/auth/verify", "", map[string]any{"id_token": fu.IDToken, "create_session": true})
	c.want(cs, http.StatusOK, "")
	access, _ := cs.body["access_token"].(string)
	refresh, _ := cs.body["refresh_token"].(string)
	if access == "" || refresh == "" {
		t.Fatalf("create_session gave no token pair: %v", cs.body)
	}
	c.want(c.do("GET", "/api/auth/profile", access, nil), http.StatusOK, "")
	c.want(c.do("POST", "/api/auth/refresh", "", map[string]any{"refresh_token": refresh}), http.StatusOK, "")
	sessions := c.do("GET", "/api/auth/sessions", access, nil)
	if sessions.status != http.StatusOK {
		t.Fatalf("sessions: %d", sessions.status)
	}
}

func TestGoogleSignInExchangedForSession(t *testing.T) {
	c, emu := start(t)
	email := emu.UniqueEmail("google")
	fu := emu.SignInWithGoogle(t, "google-sub-"+email, email, "Gee")
	cs := c.do("POST", "/api/auth/verify", "", map[string]any{"id_token": fu.IDToken, "create_session": true})
	c.want(cs, http.StatusOK, "")
	access := cs.body["access_token"].(string)
	prof := c.do("GET", "/api/auth/profile", access, nil)
	c.want(prof, http.StatusOK, "")
	if prof.body["email"] != email || prof.body["email_verified"] != true {
		t.Errorf("profile of a Google user: %v", prof.body)
	}
}

func TestPasswordResetThroughFirebase(t *testing.T) {
	c, emu := start(t)
	email := emu.UniqueEmail("reset")
	c.want(c.do("POST", "/api/auth/register", "", map[string]any{"email": email, "password": "the old passphrase"}), http.StatusCreated, "")
	c.want(c.do("POST", "/api/auth/password/reset", "", map[string]any{"email": email}), http.StatusAccepted, "")
	// The same answer for an unknown address.
	unknown := c.do("POST", "/api/auth/password/reset", "", map[string]any{"email": emu.UniqueEmail("ghost")})
	c.want(unknown, http.StatusAccepted, "")

	var code string
	deadline := time.Now().Add(10 * time.Second)
	for code == "" && time.Now().Before(deadline) {
		for _, oc := range emu.OobCodes(t, email) {
			if oc.RequestType == "PASSWORD_RESET" {
				code = oc.OobCode
			}
		}
		if code == "" {
			time.Sleep(100 * time.Millisecond) // the reset mail is sent in the background
		}
	}
	if code == "" {
		t.Fatal("no PASSWORD_RESET oobCode at the emulator")
	}
	c.want(c.do("POST", "/api/auth/password/reset/confirm", "", map[string]any{"token": code, "new_password": "the new passphrase"}), http.StatusNoContent, "")
	c.want(c.do("POST", "/api/auth/login", "", map[string]any{"email": email, "password": "the new passphrase"}), http.StatusOK, "")
	c.want(c.do("POST", "/api/auth/login", "", map[string]any{"email": email, "password": "the old passphrase"}), http.StatusUnauthorized, "invalid_credentials")
	// The code is single-use.
	c.want(c.do("POST", "/api/auth/password/reset/confirm", "", map[string]any{"token": code, "new_password": "a third passphrase"}), http.StatusUnauthorized, "invalid_token")
}

func TestAccountDeletionRemovesEmulatorUser(t *testing.T) {
	c, emu := start(t) // the revocation check is on by default in Firebase mode
	email := emu.UniqueEmail("del")
	reg := c.do("POST", "/api/auth/register", "", map[string]any{"email": email, "password": "delete me passphrase"})
	c.want(reg, http.StatusCreated, "")
	uid := reg.body["user"].(map[string]any)["uid"].(string)
	access := reg.body["access_token"].(string)
	idToken := emu.SignIn(t, email, "delete me passphrase").IDToken
	c.want(c.do("GET", "/api/auth/profile", idToken, nil), http.StatusOK, "")

	c.want(c.do("DELETE", "/api/auth/account", access, map[string]any{"password": "delete me passphrase"}), http.StatusNoContent, "")
	if emu.Lookup(t, uid) != nil {
		t.Fatal("the emulator user survived account deletion")
	}
	c.want(c.do("GET", "/api/auth/profile", access, nil), http.StatusUnauthorized, "")
	// The deleted user's Firebase ID token is refused (the default revocation check).
	// The gateway too: a Firebase token without a users row would otherwise
	// pass there as a first sign-in.
	for _, path := range []string{"/api/auth/profile", "/api/auth/forward-auth"} {
		if a := c.do("GET", path, idToken, nil); a.status != http.StatusUnauthorized {
			t.Errorf("%s with a deleted user's ID token: %d %v", path, a.status, a.body)
		}
	}
}

// unsignedToken builds an emulator-style (alg none) ID token with claims.
func unsignedToken(claims map[string]any) string {
	h, _ := json.Marshal(map[string]any{"alg": "none", "typ": "JWT"})
	p, _ := json.Marshal(claims)
	return base64.RawURLEncoding.EncodeToString(h) + "." + base64.RawURLEncoding.EncodeToString(p) + "."
}

func TestForeignAndExpiredTokensRefused(t *testing.T) {
	c, emu := start(t)
	now := time.Now().Unix()
	base := func(project string, iat, exp int64) map[string]any {
		return map[string]any{
			"iss": "https://securetoken.google.com/" + project, "aud": project, "sub": "uid-x", "user_id": "uid-x",
			"iat": iat, "exp": exp, "auth_time": iat, "email": "x@example.com",
			"firebase": map[string]any{"sign_in_provider": "password", "identities": map[string]any{}},
		}
	}
	tests := map[string]string{
		"another project": unsignedToken(base("demo-other", now, now+3600)),
		"expired":         unsignedToken(base(emu.ProjectID, now-7200, now-3600)),
		"garbage":         "not.a.token",
	}
	for name, tok := range tests {
		t.Run(name, func(t *testing.T) {
			for _, path := range []string{"/api/auth/profile", "/api/auth/forward-auth"} {
				if a := c.do("GET", path, tok, nil); a.status != http.StatusUnauthorized {
					t.Errorf("%s: %d %v, want 401", path, a.status, a.body)
				}
			}
			if a := c.do("POST", "/api/auth/verify", "", map[string]any{"id_token": tok}); a.status != http.StatusUnauthorized {
				t.Errorf("verify: %d %v", a.status, a.body)
			}
		})
	}
}

// A stray emulator host with a real-looking project id must not start.
func TestEmulatorRefusedForNonDemoProject(t *testing.T) {
	emu := testenv.FirebaseEmulator(t)
	cmdEnv := []string{
		"AUTHGATE_FIREBASE_PROJECT_ID=my-prod-project",
		"FIREBASE_AUTH_EMULATOR_HOST=" + emu.Host,
		"AUTHGATE_DATA_DIR=" + t.TempDir(),
		"AUTHGATE_LISTEN=127.0.0.1:0",
	}
	code, out := testenv.RunAuthgate(t, cmdEnv, "serve")
	if code == 0 || !bytes.Contains([]byte(out), []byte("demo-")) {
		t.Fatalf("authgate started with an emulator for a non-demo project: exit %d\n%s", code, out)
	}
}
