package e2e_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/authgate/authgate/internal/testenv"
)

// TestSidecarRealBinary runs the real binary in sidecar mode
// (AUTHGATE_UPSTREAM) in front of the echo upstream.
func TestSidecarRealBinary(t *testing.T) {
	echo := newEcho(t)
	env := append([]string{"AUTHGATE_UPSTREAM=" + echo.URL, "AUTHGATE_POLICY_FILE=" + policyFile(t, proxyPolicy),
		"AUTHGATE_UPSTREAM_DIAL_TIMEOUT=1s"}, baseEnv...)
	ag := testenv.StartAuthgate(t, env...)
	user := register(t, ag.URL, "sidecar@example.com")
	if n := echo.hits.Load(); n != 0 {
		t.Fatalf("authgate's own paths reached the upstream (%d requests)", n)
	}

	t.Run("401 without a token, upstream not reached", func(t *testing.T) {
		r := do(t, "GET", ag.URL+"/app/page", spoofed, nil)
		if r.StatusCode != http.StatusUnauthorized || !strings.HasPrefix(r.Header.Get("WWW-Authenticate"), "Bearer") {
			t.Fatalf("status %d, WWW-Authenticate %q", r.StatusCode, r.Header.Get("WWW-Authenticate"))
		}
		if r.Header.Get("Content-Type") != "application/problem+json" {
			t.Errorf("Content-Type %q", r.Header.Get("Content-Type"))
		}
		if n := echo.hits.Load(); n != 0 {
			t.Errorf("the upstream was reached %d times", n)
		}
	})

	t.Run("spoofed identity stripped, uid injected", func(t *testing.T) {
		e := echoOf(t, "PUT", ag.URL+"/app/page?q=1", append([][2]string{bearer(user.Token)}, spoofed...)...)
		want := map[string]string{"X-User-Id": user.UID, "X-User-Email": user.Email,
			"X-User-Email-Verified": "false", "X-User-Roles": "", "X-User-Name": ""}
		got := identityHeaders(e.Header)
		if len(got) != len(want) {
			t.Errorf("identity headers upstream %v, want exactly %v", got, want)
		}
		for k, w := range want {
			if vs := got[k]; len(vs) != 1 || vs[0] != w {
				t.Errorf("%s upstream %q, want [%q]", k, vs, w)
			}
		}
		if e.Method != "PUT" || e.RequestURI != "/app/page?q=1" {
			t.Errorf("upstream got %s %s", e.Method, e.RequestURI)
		}
		if xff := e.get("X-Forwarded-For"); len(xff) != 1 || xff[0] != "127.0.0.1" {
			t.Errorf("X-Forwarded-For upstream %q", xff)
		}
	})

	t.Run("anonymous route still stripped", func(t *testing.T) {
		e := echoOf(t, "GET", ag.URL+"/public/page", spoofed...)
		if got := identityHeaders(e.Header); len(got) != 0 {
			t.Fatalf("identity headers on an anonymous route: %v", got)
		}
	})

	t.Run("403 on a role rule", func(t *testing.T) {
		before := echo.hits.Load()
		if st := status(t, "GET", ag.URL+"/admin/x", bearer(user.Token)); st != http.StatusForbidden {
			t.Fatalf("non-admin on /admin: %d", st)
		}
		if echo.hits.Load() != before {
			t.Error("a forbidden request reached the upstream")
		}
	})

	t.Run("session cookie is a credential and is not passed on", func(t *testing.T) {
		e := echoOf(t, "GET", ag.URL+"/app/page", [2]string{"Cookie", "theme=dark; authgate_session=" + user.Token + "; lang=en"})
		if got := e.get("X-User-Id"); len(got) != 1 || got[0] != user.UID {
			t.Errorf("X-User-Id upstream %q, want [%q]", got, user.UID)
		}
		if c := e.get("Cookie"); len(c) != 1 || c[0] != "theme=dark; lang=en" {
			t.Errorf("Cookie upstream %q, want [\"theme=dark; lang=en\"]", c)
		}
		for _, vs := range e.Header {
			for _, v := range vs {
				if strings.Contains(v, user.Token) {
					t.Errorf("the token reached the upstream: %q", v)
				}
			}
		}
	})

	t.Run("logged-out token refused at once", func(t *testing.T) {
		s := login(t, ag.URL, user.Email)
		echoOf(t, "GET", ag.URL+"/app", bearer(s.Token))
		logout(t, ag.URL, s.Token)
		if st := status(t, "GET", ag.URL+"/app", bearer(s.Token)); st != http.StatusUnauthorized {
			t.Fatalf("right after logout: %d, want 401", st)
		}
	})

	// Last: it stops the upstream.
	t.Run("upstream down is a 502 problem", func(t *testing.T) {
		echo.Close()
		r := do(t, "GET", ag.URL+"/app/page", [][2]string{bearer(user.Token)}, nil)
		if r.StatusCode != http.StatusBadGateway {
			t.Fatalf("status %d, want 502: %s", r.StatusCode, r.body)
		}
		var p struct {
			Status int    `json:"status"`
			Code   string `json:"code"`
		}
		if r.Header.Get("Content-Type") != "application/problem+json" || json.Unmarshal(r.body, &p) != nil || p.Status != 502 || p.Code == "" {
			t.Fatalf("not a problem+json 502: %s %s", r.Header.Get("Content-Type"), r.body)
		}
		if strings.Contains(string(r.body), strings.TrimPrefix(echo.URL, "http://")) {
			t.Errorf("the problem leaks the upstream address: %s", r.body)
		}
	})
}
