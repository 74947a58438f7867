package authapi_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/authgate/authgate/identity"
)

func TestLogout(t *testing.T) {
	s := newTestServer(t)
	reg := s.register(t, "out@example.com", "a fine long password")
	other := s.login(t, "out@example.com", "a fine long password")

	// Warm the verifier's cache, so that the revocation must reach it.
	s.do(t, "GET", "/api/auth/profile", nil, bearer(reg.AccessToken)).wantStatus(t, http.StatusOK)

	res := s.do(t, "POST", "/api/auth/logout", nil, bearer(reg.AccessToken))
	res.wantStatus(t, http.StatusNoContent)
	if len(res.Body) != 0 {
		t.Errorf("204 with a body: %q", res.Body)
	}
	s.do(t, "GET", "/api/auth/profile", nil, bearer(reg.AccessToken)).wantProblem(t, http.StatusUnauthorized, identity.EINVALIDTOKEN)
	s.do(t, "POST", "/api/auth/refresh", map[string]any{"refresh_token": reg.RefreshToken}).
		wantProblem(t, http.StatusUnauthorized, identity.EINVALIDTOKEN)
	s.do(t, "POST", "/api/auth/logout", nil, bearer(reg.AccessToken)).wantProblem(t, http.StatusUnauthorized, identity.EINVALIDTOKEN)
	// The other session lives on.
	s.do(t, "GET", "/api/auth/profile", nil, bearer(other.AccessToken)).wantStatus(t, http.StatusOK)
	s.wantAudit(t, identity.ActionLogout, reg.User.UID, identity.StatusSuccess)

	s.do(t, "POST", "/api/auth/logout", nil).wantProblem(t, http.StatusUnauthorized, identity.EUNAUTHENTICATED)
}

func TestLogoutWithCookieExpiresIt(t *testing.T) {
	s := newTestServer(t)
	reg := s.register(t, "cookie@example.com", "a fine long password")
	res := s.do(t, "POST", "/api/auth/logout", nil, cookie(testCookie, reg.AccessToken))
	res.wantStatus(t, http.StatusNoContent)
	c := res.Header.Get("Set-Cookie")
	if c == "" || !containsAll(c, testCookie+"=", "Max-Age=0", "HttpOnly") {
		t.Errorf("Set-Cookie = %q, want the session cookie expired", c)
	}
}

func TestRefresh(t *testing.T) {
	s := newTestServer(t)
	reg := s.register(t, "rot@example.com", "a fine long password")
	s.clock.Advance(time.Minute)

	var first tokensJSON
	s.do(t, "POST", "/api/auth/refresh", map[string]any{"refresh_token": reg.RefreshToken}).json(t, http.StatusOK, &first)
	s.remember(first.AccessToken, first.RefreshToken)
	if first.RefreshToken == reg.RefreshToken || first.AccessToken == reg.AccessToken || first.TokenType != "Bearer" {
		t.Fatalf("refresh did not rotate: %+v", first)
	}
	if first.User.UID != reg.User.UID {
		t.Errorf("user = %+v", first.User)
	}
	s.wantAudit(t, identity.ActionRefresh, reg.User.UID, identity.StatusSuccess)

	// The new access token belongs to the same session.
	var sessions []sessionJSON
	s.do(t, "GET", "/api/auth/sessions", nil, bearer(first.AccessToken)).json(t, http.StatusOK, &sessions)
	if len(sessions) != 1 || !sessions[0].Current {
		t.Fatalf("sessions = %+v, want the one session, current", sessions)
	}

	var second tokensJSON
	s.do(t, "POST", "/api/auth/refresh", map[string]any{"refresh_token": first.RefreshToken}).json(t, http.StatusOK, &second)
	s.remember(second.AccessToken, second.RefreshToken)
	// Warm the verifier's cache with the newest access token, so the reuse
	// below must reach the cache, not only the store.
	var warm map[string]any
	s.do(t, "GET", "/api/auth/profile", nil, bearer(second.AccessToken)).json(t, http.StatusOK, &warm)

	// Presenting a spent token revokes the whole session: the newest refresh
	// token and the access tokens die with it.
	s.do(t, "POST", "/api/auth/refresh", map[string]any{"refresh_token": reg.RefreshToken}).
		wantProblem(t, http.StatusUnauthorized, identity.EINVALIDTOKEN)
	s.wantAudit(t, identity.ActionRefreshReuse, "", identity.StatusFailure)
	s.do(t, "POST", "/api/auth/refresh", map[string]any{"refresh_token": second.RefreshToken}).
		wantProblem(t, http.StatusUnauthorized, identity.EINVALIDTOKEN)
	s.do(t, "GET", "/api/auth/profile", nil, bearer(second.AccessToken)).
		wantProblem(t, http.StatusUnauthorized, identity.EINVALIDTOKEN)

	tests := []struct {
		name   string
		body   any
		status int
		code   string
	}{
		{"unknown token", map[string]any{"refresh_token": "bm90IGEgcmVmcmVzaCB0b2tlbg"}, 401, identity.EINVALIDTOKEN},
		{"access token as refresh token", map[string]any{"refresh_token": second.AccessToken}, 401, identity.EINVALIDTOKEN},
		{"missing token", map[string]any{}, 400, identity.EINVALID},
		{"unknown field", map[string]any{"refresh_token": "x", "grant_type": "refresh_token"}, 400, identity.EINVALID},
		{"wrong type", map[string]any{"refresh_token": 1}, 400, identity.EINVALID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s.do(t, "POST", "/api/auth/refresh", tt.body).wantProblem(t, tt.status, tt.code)
		})
	}
}

func TestRefreshExpired(t *testing.T) {
	s := newTestServer(t)
	reg := s.register(t, "old@example.com", "a fine long password")
	s.clock.Advance(testRefreshTTL + time.Minute)
	s.do(t, "POST", "/api/auth/refresh", map[string]any{"refresh_token": reg.RefreshToken}).
		wantProblem(t, http.StatusUnauthorized, identity.EINVALIDTOKEN)
}

func TestSessions(t *testing.T) {
	s := newTestServer(t)
	a := s.register(t, "a@example.com", "a fine long password")
	a2 := s.login(t, "a@example.com", "a fine long password", header("User-Agent", "curl/8.5.0"))
	b := s.register(t, "b@example.com", "another long password")

	var list []sessionJSON
	s.do(t, "GET", "/api/auth/sessions", nil, bearer(a.AccessToken)).json(t, http.StatusOK, &list)
	if len(list) != 2 {
		t.Fatalf("sessions = %+v, want 2", list)
	}
	var current, otherID string
	for _, ss := range list {
		if ss.ID == "" || ss.CreatedAt == "" || ss.ExpiresAt == "" || ss.DeviceInfo == nil {
			t.Errorf("incomplete session %+v", ss)
		}
		if ss.Current {
			current = ss.ID
		} else {
			otherID = ss.ID
			if ss.DeviceInfo["browser"] != "curl" {
				t.Errorf("device_info of the curl session = %v", ss.DeviceInfo)
			}
		}
	}
	if current == "" || otherID == "" {
		t.Fatalf("want one current and one other session: %+v", list)
	}

	var bList []sessionJSON
	s.do(t, "GET", "/api/auth/sessions", nil, bearer(b.AccessToken)).json(t, http.StatusOK, &bList)
	// Someone else's session id answers 404, like an unknown one, and stays alive.
	s.do(t, "DELETE", "/api/auth/sessions/"+bList[0].ID, nil, bearer(a.AccessToken)).wantProblem(t, http.StatusNotFound, identity.ENOTFOUND)
	s.do(t, "GET", "/api/auth/profile", nil, bearer(b.AccessToken)).wantStatus(t, http.StatusOK)
	s.do(t, "DELETE", "/api/auth/sessions/does-not-exist", nil, bearer(a.AccessToken)).wantProblem(t, http.StatusNotFound, identity.ENOTFOUND)

	// Revoking one's own other session kills its tokens at once.
	s.do(t, "GET", "/api/auth/profile", nil, bearer(a2.AccessToken)).wantStatus(t, http.StatusOK)
	s.do(t, "DELETE", "/api/auth/sessions/"+otherID, nil, bearer(a.AccessToken)).wantStatus(t, http.StatusNoContent)
	s.do(t, "GET", "/api/auth/profile", nil, bearer(a2.AccessToken)).wantProblem(t, http.StatusUnauthorized, identity.EINVALIDTOKEN)
	s.do(t, "POST", "/api/auth/refresh", map[string]any{"refresh_token": a2.RefreshToken}).wantProblem(t, http.StatusUnauthorized, identity.EINVALIDTOKEN)
	s.do(t, "GET", "/api/auth/sessions", nil, bearer(a.AccessToken)).json(t, http.StatusOK, &list)
	if len(list) != 1 || list[0].ID != current {
		t.Errorf("sessions after revoke = %+v, want only %s", list, current)
	}
	s.wantAudit(t, identity.ActionSessionRevoke, a.User.UID, identity.StatusSuccess)
	s.wantAudit(t, identity.ActionSessionRevoke, a.User.UID, identity.StatusFailure)

	s.do(t, "GET", "/api/auth/sessions", nil).wantProblem(t, http.StatusUnauthorized, identity.EUNAUTHENTICATED)
}
