package authapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/authgate/authgate/authapi"
	"github.com/authgate/authgate/gateway"
	"github.com/authgate/authgate/identity"
	"github.com/authgate/authgate/limiter"
	"github.com/authgate/authgate/policy"
)

// logger writes to the server's log buffer, which the no-secret scan reads.
func (s *testServer) logger() *slog.Logger { return slog.New(slog.NewJSONHandler(s.logs, nil)) }

// auditLines returns the structured "audit" log lines, by action.
func (s *testServer) auditLines(t testing.TB) map[string][]map[string]any {
	t.Helper()
	out := map[string][]map[string]any{}
	for _, line := range strings.Split(s.logs.String(), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line is not JSON: %q", line)
		}
		if m["msg"] == "audit" {
			a, _ := m["action"].(string)
			out[a] = append(out[a], m)
		}
	}
	return out
}

// TestAuditTrail walks through every security event and checks its row
// (uid, ip, user agent, status), its log line, and (at cleanup) that no
// password or token is in any row or log line.
func TestAuditTrail(t *testing.T) {
	s := newTestServer(t, withLimits(t, map[string]limiter.Rate{limiter.LoginAccount: {Limit: 2, Period: time.Hour}}))
	const pw, pw2, pw3 = "the first long password", "the second long password", "the third long password"
	s.remember(pw2, pw3, "wrong password")
	reg := s.register(t, "trail@example.com", pw)
	uid := reg.User.UID
	s.do(t, "POST", "/api/auth/login", loginBody("trail@example.com", "wrong password")).wantStatus(t, http.StatusUnauthorized)
	login := s.login(t, "trail@example.com", pw)

	var pair tokensJSON
	s.do(t, "POST", "/api/auth/refresh", map[string]any{"refresh_token": login.RefreshToken}).json(t, http.StatusOK, &pair)
	s.remember(pair.AccessToken, pair.RefreshToken)
	s.do(t, "POST", "/api/auth/refresh", map[string]any{"refresh_token": login.RefreshToken}).wantStatus(t, http.StatusUnauthorized)

	s.do(t, "PUT", "/api/auth/profile", map[string]any{"display_name": "Trail"}, bearer(reg.AccessToken)).wantStatus(t, http.StatusOK)
	var sessions []sessionJSON
	s.do(t, "GET", "/api/auth/sessions", nil, bearer(reg.AccessToken)).json(t, http.StatusOK, &sessions)
	third := s.login(t, "trail@example.com", pw)
	s.do(t, "DELETE", "/api/auth/sessions/"+jwtClaims(t, third.AccessToken)["sid"].(string), nil, bearer(reg.AccessToken)).
		wantStatus(t, http.StatusNoContent)
	s.do(t, "POST", "/api/auth/password/change", map[string]any{"current_password": pw, "new_password": pw2}, bearer(reg.AccessToken)).
		wantStatus(t, http.StatusNoContent)

	// A rate-limit hit (cleared by the reset below).
	for range 3 {
		s.do(t, "POST", "/api/auth/login", loginBody("trail@example.com", "wrong password"))
	}
	tok := s.resetToken(t, "trail@example.com")
	s.do(t, "POST", "/api/auth/password/reset/confirm", map[string]any{"token": tok, "new_password": pw3}).wantStatus(t, http.StatusNoContent)
	fresh := s.login(t, "trail@example.com", pw3)
	s.do(t, "POST", "/api/auth/logout", nil, bearer(fresh.AccessToken)).wantStatus(t, http.StatusNoContent)

	// Admin actions on the account.
	admin := s.adminUser(t, "auditor@example.com")
	s.do(t, "PUT", "/api/auth/admin/users/"+uid+"/roles", map[string]any{"roles": []string{"viewer"}}, bearer(admin.AccessToken)).wantStatus(t, http.StatusOK)
	s.do(t, "POST", "/api/auth/admin/users/"+uid+"/sessions/revoke", nil, bearer(admin.AccessToken)).wantStatus(t, http.StatusOK)
	s.do(t, "POST", "/api/auth/admin/users/"+uid+"/disable", nil, bearer(admin.AccessToken)).wantStatus(t, http.StatusOK)
	s.do(t, "POST", "/api/auth/admin/users/"+uid+"/enable", nil, bearer(admin.AccessToken)).wantStatus(t, http.StatusOK)

	last := s.login(t, "trail@example.com", pw3)
	s.do(t, "DELETE", "/api/auth/account", map[string]any{"password": pw3}, bearer(last.AccessToken)).wantStatus(t, http.StatusNoContent)

	events := []struct{ action, status string }{
		{identity.ActionRegister, identity.StatusSuccess},
		{identity.ActionLogin, identity.StatusSuccess},
		{identity.ActionLogin, identity.StatusFailure},
		{identity.ActionRefresh, identity.StatusSuccess},
		{identity.ActionRefreshReuse, identity.StatusFailure},
		{identity.ActionProfileUpdate, identity.StatusSuccess},
		{identity.ActionSessionRevoke, identity.StatusSuccess},
		{identity.ActionPasswordChange, identity.StatusSuccess},
		{identity.ActionPasswordReset, identity.StatusSuccess},
		{identity.ActionPasswordResetComplete, identity.StatusSuccess},
		{identity.ActionLogout, identity.StatusSuccess},
		{identity.ActionRateLimited, identity.StatusFailure},
		{identity.ActionAdminSetRoles, identity.StatusSuccess},
		{identity.ActionAdminRevokeSessions, identity.StatusSuccess},
		{identity.ActionAdminDisable, identity.StatusSuccess},
		{identity.ActionAdminEnable, identity.StatusSuccess},
		{identity.ActionAccountDelete, identity.StatusSuccess},
	}
	lines := s.auditLines(t)
	for _, ev := range events {
		t.Run(ev.action+"/"+ev.status, func(t *testing.T) {
			s.wantAudit(t, ev.action, uid, ev.status) // uid, ip, user agent, status
			found := false
			for _, l := range lines[ev.action] {
				if l["uid"] == uid && l["status"] == ev.status && l["ip"] != "" {
					found = true
				}
			}
			if !found {
				t.Errorf("no structured log line for %s/%s of %s", ev.action, ev.status, uid)
			}
		})
	}
	// Audit rows outlive the account.
	rows, total, err := s.db.FindAuditEvents(t.Context(), identity.AuditFilter{UID: uid, Limit: 500})
	if err != nil || total < len(events) {
		t.Fatalf("%d rows for the deleted account (%v)", total, err)
	}
	for _, e := range rows {
		if strings.Contains(e.Detail, "@") {
			t.Errorf("row %s carries an address in detail: %q", e.Action, e.Detail)
		}
	}
}

// TestForwardAuthDenialsSampled wires the gateway's audit hook the way
// cmd/authgate does: a flood of denials writes a bounded number of rows,
// each with the client and the reason, and never the query string.
func TestForwardAuthDenialsSampled(t *testing.T) {
	s := newTestServer(t)
	sampler := authapi.NewAuditSampler(s.db, authapi.AuditSamplerConfig{PerMinute: 5, Now: s.clock.Now, Log: s.logger()})
	g := &gateway.Gateway{
		Verifier: s.api.Verifier, Policy: policy.Static{}, Registerer: prometheus.NewRegistry(),
		Audit: gateway.AuditFunc(func(_ context.Context, d *gateway.Denial) {
			if sampler.Admit() {
				sampler.Offer(identity.AuditEvent{
					UID: d.UID, Action: identity.ActionForwardAuthDeny, IPAddress: d.ClientIP.String(), Status: identity.StatusFailure,
					Detail: authapi.DenialDetail(d.Code, d.Door, d.Method, d.Host, d.Path),
				})
			}
		}),
	}
	if err := g.Provision(); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(g.ServeForwardAuth))
	defer srv.Close()
	s.remember("secret-query-token")
	for i := range 50 {
		req, _ := http.NewRequest("GET", srv.URL+"/", nil)
		req.Header.Set("X-Forwarded-Uri", fmt.Sprintf("/private/%d?token=secret-query-token", i))
		req.Header.Set("X-Forwarded-Host", "app.example.com")
		req.Header.Set("X-Forwarded-Method", "GET")
		res, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusUnauthorized {
			t.Fatalf("forward-auth = %d, want 401", res.StatusCode)
		}
	}
	if err := sampler.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	st := sampler.Stats()
	if st.Offered != 50 || st.Written != 5 || st.Dropped != 45 {
		t.Errorf("stats = %+v, want 50 offered, 5 written, 45 dropped", st)
	}
	rows, total, err := s.db.FindAuditEvents(t.Context(), identity.AuditFilter{Action: identity.ActionForwardAuthDeny})
	if err != nil || total != 5 {
		t.Fatalf("%d forward_auth_deny rows (%v), want 5", total, err)
	}
	for _, e := range rows {
		if e.IPAddress != "127.0.0.1" || e.Status != identity.StatusFailure ||
			!strings.HasPrefix(e.Detail, "unauthenticated forward_auth GET app.example.com/private/") || strings.Contains(e.Detail, "?") {
			t.Errorf("denial row = %+v", e)
		}
	}
}

// blockingAudit holds every write until released.
type blockingAudit struct {
	identity.AuditLog
	release chan struct{}
	mu      sync.Mutex
	n       int
}

func (b *blockingAudit) RecordAudit(ctx context.Context, e *identity.AuditEvent) error {
	<-b.release
	b.mu.Lock()
	b.n++
	b.mu.Unlock()
	return b.AuditLog.RecordAudit(ctx, e)
}

func TestAuditSamplerBudgetAndQueue(t *testing.T) {
	s := newTestServer(t)
	t.Run("budget per minute", func(t *testing.T) {
		sampler := authapi.NewAuditSampler(s.db, authapi.AuditSamplerConfig{PerMinute: 3, Now: s.clock.Now, Log: s.logger()})
		offer := func(n int) (admitted int) {
			for range n {
				if sampler.Admit() {
					admitted++
					sampler.Offer(identity.AuditEvent{Action: identity.ActionForwardAuthDeny, Status: identity.StatusFailure, Detail: "budget"})
				}
			}
			return admitted
		}
		if got := offer(10); got != 3 {
			t.Errorf("admitted %d of 10 in one minute, want 3", got)
		}
		s.clock.Advance(time.Minute)
		if got := offer(10); got != 3 {
			t.Errorf("admitted %d of 10 in the next minute, want 3", got)
		}
		if err := sampler.Close(t.Context()); err != nil {
			t.Fatal(err)
		}
		if st := sampler.Stats(); st.Written != 6 || st.Dropped != 14 || st.Offered != 20 {
			t.Errorf("stats = %+v", st)
		}
	})
	t.Run("full queue drops, never blocks", func(t *testing.T) {
		blocked := &blockingAudit{AuditLog: s.db, release: make(chan struct{})}
		sampler := authapi.NewAuditSampler(blocked, authapi.AuditSamplerConfig{PerMinute: 1000, Queue: 2, Now: s.clock.Now, Log: s.logger()})
		for range 20 {
			if sampler.Admit() {
				sampler.Offer(identity.AuditEvent{Action: identity.ActionForwardAuthDeny, Detail: "queue"})
			}
		}
		close(blocked.release)
		if err := sampler.Close(t.Context()); err != nil {
			t.Fatal(err)
		}
		st := sampler.Stats()
		// One in the writer, two queued; the rest dropped.
		if st.Written < 2 || st.Written > 3 || st.Written+st.Dropped != 20 {
			t.Errorf("stats = %+v, want 2-3 written and the rest dropped", st)
		}
		// Closed: further events are dropped, not written.
		sampler.Offer(identity.AuditEvent{Action: identity.ActionForwardAuthDeny})
		if sampler.Stats().Dropped != st.Dropped+1 {
			t.Error("an event offered after Close was not dropped")
		}
	})
}
