package authapi_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/authgate/authgate/identity"
)

func TestAuthentication(t *testing.T) {
	s := newTestServer(t)
	reg := s.register(t, "auth@example.com", "a fine long password")

	tests := []struct {
		name string
		opts []reqOpt
		code string
	}{
		{"no credential", nil, identity.EUNAUTHENTICATED},
		{"garbage token", []reqOpt{bearer("garbage")}, identity.EINVALIDTOKEN},
		{"refresh token as access token", []reqOpt{bearer(reg.RefreshToken)}, identity.EINVALIDTOKEN},
		{"tampered signature", []reqOpt{bearer(tamper(reg.AccessToken))}, identity.EINVALIDTOKEN},
		{"basic scheme", []reqOpt{header("Authorization", "Basic YWRhOnB3")}, identity.EINVALIDTOKEN},
		{"bearer without token", []reqOpt{header("Authorization", "Bearer ")}, identity.EINVALIDTOKEN},
		{"bad header does not fall back to the cookie", []reqOpt{header("Authorization", "Token x"), cookie(testCookie, reg.AccessToken)}, identity.EINVALIDTOKEN},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s.do(t, "GET", "/api/auth/profile", nil, tt.opts...).wantProblem(t, http.StatusUnauthorized, tt.code)
		})
	}

	t.Run("session cookie", func(t *testing.T) {
		var u userJSON
		s.do(t, "GET", "/api/auth/profile", nil, cookie(testCookie, reg.AccessToken)).json(t, http.StatusOK, &u)
		if u.UID != reg.User.UID {
			t.Errorf("uid = %q, want %q", u.UID, reg.User.UID)
		}
	})
	t.Run("cross-site cookie request is refused", func(t *testing.T) {
		for _, h := range [][2]string{{"Sec-Fetch-Site", "cross-site"}, {"Origin", "https://evil.example"}} {
			s.do(t, "PUT", "/api/auth/profile", map[string]any{"display_name": "pwned"},
				cookie(testCookie, reg.AccessToken), header(h[0], h[1])).wantProblem(t, http.StatusForbidden, identity.EFORBIDDEN)
		}
		var u userJSON
		s.do(t, "PUT", "/api/auth/profile", map[string]any{"display_name": "mine"},
			cookie(testCookie, reg.AccessToken), header("Origin", testPublicURL)).json(t, http.StatusOK, &u)
		if u.DisplayName != "mine" {
			t.Errorf("display_name = %q after a same-origin update", u.DisplayName)
		}
	})
	t.Run("expired token", func(t *testing.T) {
		s.clock.Advance(testAccessTTL + 2*time.Minute)
		res := s.do(t, "GET", "/api/auth/profile", nil, bearer(reg.AccessToken))
		res.wantProblem(t, http.StatusUnauthorized, identity.ETOKENEXPIRED)
		if !strings.Contains(res.Header.Get("WWW-Authenticate"), `error="invalid_token"`) {
			t.Errorf("WWW-Authenticate = %q", res.Header.Get("WWW-Authenticate"))
		}
	})
}

// tamper flips one character of a JWT's signature.
func tamper(jwt string) string {
	b := []byte(jwt)
	i := len(b) - 3
	if b[i] == 'A' {
		b[i] = 'B'
	} else {
		b[i] = 'A'
	}
	return string(b)
}

func TestRouting(t *testing.T) {
	s := newTestServer(t)
	tests := []struct {
		method, path string
		status       int
		code, allow  string
	}{
		{"GET", "/api/auth/login", 405, identity.EMETHODNOTALLOWED, "POST"},
		{"DELETE", "/api/auth/profile", 405, identity.EMETHODNOTALLOWED, "GET, PUT"},
		{"PATCH", "/api/auth/sessions/abc", 405, identity.EMETHODNOTALLOWED, "DELETE"},
		{"GET", "/api/auth/nope", 404, identity.ENOTFOUND, ""},
		{"POST", "/api/auth/login/extra", 404, identity.ENOTFOUND, ""},
		{"GET", "/elsewhere", 404, identity.ENOTFOUND, ""},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			res := s.do(t, tt.method, tt.path, nil)
			res.wantProblem(t, tt.status, tt.code)
			if got := res.Header.Get("Allow"); got != tt.allow {
				t.Errorf("Allow = %q, want %q", got, tt.allow)
			}
		})
	}
}
