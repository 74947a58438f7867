package authapi_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/authgate/authgate/identity"
)

func TestDeleteAccount(t *testing.T) {
	s := newTestServer(t)
	reg := s.register(t, "del@example.com", "a fine long password")
	other := s.login(t, "del@example.com", "a fine long password")
	s.do(t, "GET", "/api/auth/profile", nil, bearer(other.AccessToken)).wantStatus(t, http.StatusOK)

	// Ten minutes after the sign-in, a refreshed token is not a recent sign-in.
	s.clock.Advance(10 * time.Minute)
	var fresh tokensJSON
	s.do(t, "POST", "/api/auth/refresh", map[string]any{"refresh_token": reg.RefreshToken}).json(t, http.StatusOK, &fresh)
	s.remember(fresh.AccessToken, fresh.RefreshToken)
	s.do(t, "DELETE", "/api/auth/account", nil, bearer(fresh.AccessToken)).wantProblem(t, http.StatusUnauthorized, identity.EREAUTHREQUIRED)
	s.do(t, "DELETE", "/api/auth/account", map[string]any{}, bearer(fresh.AccessToken)).wantProblem(t, http.StatusUnauthorized, identity.EREAUTHREQUIRED)
	s.do(t, "DELETE", "/api/auth/account", map[string]any{"password": "not the password"}, bearer(fresh.AccessToken)).
		wantProblem(t, http.StatusUnauthorized, identity.EINVALIDCREDENTIALS)
	s.remember("not the password")
	s.wantAudit(t, identity.ActionAccountDelete, reg.User.UID, identity.StatusFailure)
	s.do(t, "DELETE", "/api/auth/account", map[string]any{"password": "x", "force": true}, bearer(fresh.AccessToken)).
		wantProblem(t, http.StatusBadRequest, identity.EINVALID)

	s.do(t, "DELETE", "/api/auth/account", map[string]any{"password": "a fine long password"}, bearer(fresh.AccessToken)).
		wantStatus(t, http.StatusNoContent)

	// Profile, sessions and account are gone; the audit trail stays.
	s.do(t, "GET", "/api/auth/profile", nil, bearer(fresh.AccessToken)).wantProblem(t, http.StatusUnauthorized, identity.EINVALIDTOKEN)
	s.do(t, "GET", "/api/auth/profile", nil, bearer(other.AccessToken)).wantProblem(t, http.StatusUnauthorized, identity.EINVALIDTOKEN)
	s.do(t, "POST", "/api/auth/refresh", map[string]any{"refresh_token": other.RefreshToken}).wantProblem(t, http.StatusUnauthorized, identity.EINVALIDTOKEN)
	s.do(t, "POST", "/api/auth/login", map[string]any{"email": "del@example.com", "password": "a fine long password"}).
		wantProblem(t, http.StatusUnauthorized, identity.EINVALIDCREDENTIALS)
	if _, err := s.db.FindUserByUID(t.Context(), reg.User.UID); !identity.IsCode(err, identity.ENOTFOUND) {
		t.Errorf("users row after deletion: err = %v", err)
	}
	if ss, err := s.db.FindSessionByID(t.Context(), other.sid(t)); err == nil {
		t.Errorf("session %s survived the deletion: %+v", ss.ID, ss)
	}
	s.wantAudit(t, identity.ActionRegister, reg.User.UID, identity.StatusSuccess)
	s.wantAudit(t, identity.ActionAccountDelete, reg.User.UID, identity.StatusSuccess)

	// The address is free again.
	s.register(t, "del@example.com", "another long password")
}

func TestDeleteAccountRecentSignIn(t *testing.T) {
	s := newTestServer(t)
	reg := s.register(t, "now@example.com", "a fine long password")
	s.clock.Advance(2 * time.Minute)
	s.do(t, "DELETE", "/api/auth/account", nil, bearer(reg.AccessToken)).wantStatus(t, http.StatusNoContent)
	s.do(t, "GET", "/api/auth/profile", nil, bearer(reg.AccessToken)).wantProblem(t, http.StatusUnauthorized, identity.EINVALIDTOKEN)
	s.do(t, "DELETE", "/api/auth/account", nil).wantProblem(t, http.StatusUnauthorized, identity.EUNAUTHENTICATED)
}

// sid returns the session id of the pair's access token (its sid claim),
// decoded from the token.
func (p tokensJSON) sid(t *testing.T) string {
	t.Helper()
	claims := jwtClaims(t, p.AccessToken)
	sid, _ := claims["sid"].(string)
	if sid == "" {
		t.Fatalf("access token without sid: %v", claims)
	}
	return sid
}

func TestFirebasePrincipal(t *testing.T) {
	s := newTestServer(t)
	const fb = "firebase:fb-uid-1:fb@example.com"

	var v verifyJSON
	s.do(t, "POST", "/api/auth/verify", map[string]any{"id_token": fb}).json(t, http.StatusOK, &v)
	if v.UID != "fb-uid-1" || v.User == nil || v.User.Email != "fb@example.com" || v.Claims["firebase"] == nil {
		t.Fatalf("verify = %+v", v)
	}
	// The first verified token created the users row.
	if _, err := s.db.FindUserByUID(t.Context(), "fb-uid-1"); err != nil {
		t.Fatalf("users row of the Firebase uid: %v", err)
	}
	var u userJSON
	s.do(t, "GET", "/api/auth/profile", nil, bearer(fb)).json(t, http.StatusOK, &u)
	if u.UID != "fb-uid-1" {
		t.Errorf("profile = %+v", u)
	}

	// Exchanging the ID token for an authgate session.
	v = verifyJSON{}
	s.do(t, "POST", "/api/auth/verify", map[string]any{"create_session": true}, bearer(fb)).json(t, http.StatusOK, &v)
	s.remember(v.AccessToken, v.RefreshToken)
	if v.AccessToken == "" || v.RefreshToken == "" {
		t.Fatalf("create_session gave no pair: %+v", v)
	}
	if amr := jwtClaims(t, v.AccessToken)["amr"]; amr == nil {
		t.Errorf("session access token without amr")
	}
	s.do(t, "GET", "/api/auth/profile", nil, bearer(v.AccessToken)).json(t, http.StatusOK, &u)
	if u.UID != "fb-uid-1" || u.LastLoginAt == nil {
		t.Errorf("profile through the authgate token = %+v", u)
	}
	var list []sessionJSON
	s.do(t, "GET", "/api/auth/sessions", nil, bearer(fb)).json(t, http.StatusOK, &list)
	if len(list) != 1 || list[0].Current {
		t.Errorf("sessions seen with the ID token = %+v, want one, not current", list)
	}
	// Logout with an ID token has no session to revoke.
	s.do(t, "POST", "/api/auth/logout", nil, bearer(fb)).wantStatus(t, http.StatusNoContent)
	s.do(t, "POST", "/api/auth/logout", nil, bearer(v.AccessToken)).wantStatus(t, http.StatusNoContent)
	s.do(t, "POST", "/api/auth/refresh", map[string]any{"refresh_token": v.RefreshToken}).wantProblem(t, http.StatusUnauthorized, identity.EINVALIDTOKEN)
}

// failingAudit is an audit log whose writes fail.
type failingAudit struct{ identity.AuditLog }

func (failingAudit) RecordAudit(context.Context, *identity.AuditEvent) error {
	return errors.New("disk full")
}

func TestAuditFailureDoesNotBreakRequests(t *testing.T) {
	s := newTestServer(t, func(c *testConfig) { c.api.Audit = failingAudit{c.api.Audit} })
	s.register(t, "aud@example.com", "a fine long password")
	s.login(t, "aud@example.com", "a fine long password")
	if logs := s.logs.String(); !containsAll(logs, `"level":"ERROR"`, "audit write failed", "disk full") {
		t.Errorf("audit failure not logged at error level:\n%s", lastLines(logs, 10))
	}
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
