package e2e_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/authgate/authgate/internal/testenv"
)

const proxyPolicy = `
rules:
  - match: { path: "/public/**", methods: [GET] }
    allow: anonymous
  - match: { path: "/admin/**" }
    allow: { roles: [admin] }
default: authenticated
`

// fronts are the real proxies, each run with its example config of
// configs/ (only the ports substituted).
var fronts = []struct {
	name  string
	start func(testing.TB, string, string) string
}{
	{"nginx", testenv.StartNginx},
	{"caddy", testenv.StartCaddy},
}

// TestRealProxiesInFrontOfRealBinary runs the real authgate binary behind
// the real nginx and Caddy, with tokens from the real API (register and
// login through the proxy, as a browser or app would).
func TestRealProxiesInFrontOfRealBinary(t *testing.T) {
	dataDir := t.TempDir()
	addAdmin(t, dataDir, "root@example.com")
	env := append([]string{"AUTHGATE_DATA_DIR=" + dataDir, "AUTHGATE_POLICY_FILE=" + policyFile(t, proxyPolicy)}, baseEnv...)
	ag := testenv.StartAuthgate(t, env...)
	echo := newEcho(t)

	for _, f := range fronts {
		t.Run(f.name, func(t *testing.T) {
			front := f.start(t, ag.Addr, echo.addr())
			user := register(t, front, f.name+"-user@example.com")
			admin := login(t, front, "root@example.com")

			t.Run("401 without a token", func(t *testing.T) {
				before := echo.hits.Load()
				r := do(t, "GET", front+"/app/page", nil, nil)
				if r.StatusCode != http.StatusUnauthorized {
					t.Fatalf("status %d: %s", r.StatusCode, r.body)
				}
				if !strings.HasPrefix(r.Header.Get("WWW-Authenticate"), "Bearer") {
					t.Errorf("WWW-Authenticate %q", r.Header.Get("WWW-Authenticate"))
				}
				if status(t, "GET", front+"/app/page", bearer(user.Token+"x")) != http.StatusUnauthorized {
					t.Error("a token with a broken signature was accepted")
				}
				if n := echo.hits.Load() - before; n != 0 {
					t.Errorf("the upstream was reached %d times without a valid token", n)
				}
			})

			t.Run("200 with a token, uid upstream", func(t *testing.T) {
				e := echoOf(t, "POST", front+"/app/page?x=1", bearer(user.Token))
				if got := e.get("X-User-Id"); len(got) != 1 || got[0] != user.UID {
					t.Fatalf("X-User-Id upstream %q, want [%q]", got, user.UID)
				}
				if got := e.get("X-User-Email"); len(got) != 1 || got[0] != user.Email {
					t.Errorf("X-User-Email upstream %q, want [%q]", got, user.Email)
				}
				if e.Method != "POST" || e.RequestURI != "/app/page?x=1" {
					t.Errorf("upstream got %s %s", e.Method, e.RequestURI)
				}
			})

			t.Run("decision endpoint hidden from clients", func(t *testing.T) {
				if st := status(t, "GET", front+"/api/auth/forward-auth", bearer(user.Token)); st != http.StatusNotFound {
					t.Errorf("GET /api/auth/forward-auth through %s: %d, want 404", f.name, st)
				}
			})

			t.Run("403 on a role rule", func(t *testing.T) {
				if st := status(t, "GET", front+"/admin/users", bearer(user.Token)); st != http.StatusForbidden {
					t.Fatalf("non-admin on /admin: %d, want 403", st)
				}
				e := echoOf(t, "GET", front+"/admin/users", bearer(admin.Token))
				if got := e.get("X-User-Roles"); len(got) != 1 || got[0] != "admin" {
					t.Errorf("X-User-Roles upstream %q, want [admin]", got)
				}
				if got := e.get("X-User-Id"); len(got) != 1 || got[0] != admin.UID {
					t.Errorf("X-User-Id upstream %q, want [%q]", got, admin.UID)
				}
			})

			t.Run("client-sent identity headers never reach the upstream", func(t *testing.T) {
				want := map[string]string{"X-User-Id": user.UID, "X-User-Email": user.Email,
					"X-User-Email-Verified": "false", "X-User-Roles": "", "X-User-Name": ""}
				e := echoOf(t, "GET", front+"/app/page", append([][2]string{bearer(user.Token)}, spoofed...)...)
				for k, vs := range identityHeaders(e.Header) {
					w, ok := want[k]
					if !ok || len(vs) != 1 || vs[0] != w {
						t.Errorf("authenticated: upstream got %s: %q", k, vs)
					}
				}
				if got := e.get("X-User-Id"); len(got) != 1 || got[0] != user.UID {
					t.Errorf("X-User-Id upstream %q, want [%q]", got, user.UID)
				}
				// An anonymous route: nothing at all may arrive.
				e = echoOf(t, "GET", front+"/public/page", spoofed...)
				if got := identityHeaders(e.Header); len(got) != 0 {
					t.Errorf("anonymous route: identity headers upstream: %v", got)
				}
				// Spoofing without a token does not get past the gate.
				if st := status(t, "GET", front+"/app/page", spoofed...); st != http.StatusUnauthorized {
					t.Errorf("spoofed headers without a token: %d, want 401", st)
				}
			})

			t.Run("logged-out token refused at once", func(t *testing.T) {
				s := login(t, front, user.Email)
				echoOf(t, "GET", front+"/app/page", bearer(s.Token)) // now cached
				logout(t, front, s.Token)
				if st := status(t, "GET", front+"/app/page", bearer(s.Token)); st != http.StatusUnauthorized {
					t.Fatalf("the request right after logout: %d, want 401", st)
				}
				echoOf(t, "GET", front+"/app/page", bearer(user.Token)) // other sessions unaffected
			})

			t.Run("revoked session refused at once", func(t *testing.T) {
				victim := login(t, front, user.Email)
				keeper := login(t, front, user.Email)
				echoOf(t, "GET", front+"/app/page", bearer(victim.Token)) // now cached
				revokeSession(t, front, keeper.Token, sessionID(t, victim.Token))
				if st := status(t, "GET", front+"/app/page", bearer(victim.Token)); st != http.StatusUnauthorized {
					t.Fatalf("the request right after the revocation: %d, want 401", st)
				}
				echoOf(t, "GET", front+"/app/page", bearer(keeper.Token))
			})
		})
	}
}

// TestPolicyHotReloadThroughNginx rewrites the policy file of a running
// authgate: the decision nginx gets changes within a bounded wait, a broken
// file keeps the last good policy and shows as a warning in /readyz (which
// stays 200: the instance serves correctly, and a 503 would pull every
// replica out of rotation over one bad file), and fixing it recovers.
func TestPolicyHotReloadThroughNginx(t *testing.T) {
	pol := policyFile(t, proxyPolicy)
	ag := testenv.StartAuthgate(t, append([]string{"AUTHGATE_POLICY_FILE=" + pol}, baseEnv...)...)
	echo := newEcho(t)
	front := testenv.StartNginx(t, ag.Addr, echo.addr())
	user := register(t, front, "reload@example.com")
	const wait = 10 * time.Second

	until := func(path string, hdr [][2]string, want int) {
		t.Helper()
		eventually(t, wait, func() (bool, string) {
			st := status(t, "GET", front+path, hdr...)
			return st == want, "GET " + path + ": " + http.StatusText(st)
		})
	}
	auth := [][2]string{bearer(user.Token)}
	until("/reports/q1", auth, http.StatusOK)

	writePolicy(t, pol, `
rules:
  - match: { path: "/reports/**" }
    allow: deny
default: authenticated
`)
	until("/reports/q1", auth, http.StatusForbidden)
	until("/app", auth, http.StatusOK)

	writePolicy(t, pol, "rules: [ { match: { path: \"/reports/**\" }, allow: anonymous\n")
	eventually(t, wait, func() (bool, string) {
		r := do(t, "GET", ag.URL+"/readyz", nil, nil)
		ok := r.StatusCode == http.StatusOK && strings.Contains(string(r.body), "ready with warnings") &&
			strings.Contains(string(r.body), "previous policy is in force")
		return ok, "/readyz after a broken policy file: " + http.StatusText(r.StatusCode) + " " + string(r.body)
	})
	if st := status(t, "GET", front+"/reports/q1", auth...); st != http.StatusForbidden {
		t.Fatalf("after a broken policy file: %d, want 403 (the last good policy)", st)
	}

	writePolicy(t, pol, `
rules:
  - match: { path: "/reports/**" }
    allow: anonymous
default: authenticated
`)
	until("/reports/q1", nil, http.StatusOK)
	if r := do(t, "GET", ag.URL+"/readyz", nil, nil); r.StatusCode != http.StatusOK || strings.Contains(string(r.body), "warning") {
		t.Errorf("/readyz after the fix: %d %s", r.StatusCode, r.body)
	}
}
