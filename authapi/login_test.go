package authapi_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/authgate/authgate/identity"
	"github.com/authgate/authgate/limiter"
)

func TestLogin(t *testing.T) {
	s := newTestServer(t)
	reg := s.register(t, "grace@example.com", "a fine long password")
	s.clock.Advance(time.Minute)

	out := s.login(t, "  GRACE@example.com", "a fine long password")
	if out.TokenType != "Bearer" || out.AccessToken == "" || out.RefreshToken == "" || out.ExpiresIn != int64(testAccessTTL.Seconds()) {
		t.Errorf("tokens = %+v", out)
	}
	if out.User.UID != reg.User.UID || out.User.LastLoginAt == nil {
		t.Fatalf("user = %+v, want the account with last_login_at", out.User)
	}
	last, err := time.Parse(time.RFC3339Nano, *out.User.LastLoginAt)
	if err != nil || !last.Equal(s.clock.Now()) {
		t.Errorf("last_login_at = %v (%v), want %v", *out.User.LastLoginAt, err, s.clock.Now())
	}
	s.wantAudit(t, identity.ActionLogin, reg.User.UID, identity.StatusSuccess)

	// The new session records the device and the client's address.
	var sessions []sessionJSON
	s.do(t, "GET", "/api/auth/sessions", nil, bearer(out.AccessToken)).json(t, http.StatusOK, &sessions)
	var cur *sessionJSON
	for i := range sessions {
		if sessions[i].Current {
			cur = &sessions[i]
		}
	}
	if cur == nil {
		t.Fatalf("no current session in %+v", sessions)
	}
	if cur.DeviceInfo["user_agent"] != testUserAgent || cur.DeviceInfo["browser"] != "Chrome" || cur.DeviceInfo["os"] != "Linux" {
		t.Errorf("device_info = %v", cur.DeviceInfo)
	}
	if cur.IPAddress != "127.0.0.1" {
		t.Errorf("ip_address = %q, want 127.0.0.1", cur.IPAddress)
	}

	t.Run("spoofed X-Forwarded-For is not believed", func(t *testing.T) {
		out := s.login(t, "grace@example.com", "a fine long password", header("X-Forwarded-For", "203.0.113.9"))
		var sessions []sessionJSON
		s.do(t, "GET", "/api/auth/sessions", nil, bearer(out.AccessToken)).json(t, http.StatusOK, &sessions)
		for _, ss := range sessions {
			if ss.Current && ss.IPAddress != "127.0.0.1" {
				t.Errorf("ip_address = %q: an untrusted X-Forwarded-For was believed", ss.IPAddress)
			}
		}
	})

	wrong := s.do(t, "POST", "/api/auth/login", map[string]any{"email": "grace@example.com", "password": "not the password"})
	wp := wrong.wantProblem(t, http.StatusUnauthorized, identity.EINVALIDCREDENTIALS)
	s.wantAudit(t, identity.ActionLogin, reg.User.UID, identity.StatusFailure)

	unknown := s.do(t, "POST", "/api/auth/login", map[string]any{"email": "nobody@example.com", "password": "not the password"})
	up := unknown.wantProblem(t, http.StatusUnauthorized, identity.EINVALIDCREDENTIALS)
	if up.Detail != wp.Detail {
		t.Errorf("unknown email answers %q, wrong password %q: the answers must not differ", up.Detail, wp.Detail)
	}
	s.remember("not the password")

	tests := []struct {
		name   string
		body   any
		status int
		code   string
	}{
		{"missing password", map[string]any{"email": "grace@example.com"}, 400, identity.EINVALID},
		{"missing email", map[string]any{"password": "x"}, 400, identity.EINVALID},
		{"unknown field", map[string]any{"email": "grace@example.com", "password": "a fine long password", "remember": true}, 400, identity.EINVALID},
		{"malformed JSON", `{"email":`, 400, identity.EMALFORMED},
		{"invalid UTF-8", []byte("{\"email\": \"grace@example.com\", \"password\": \"\xc3\x28\"}"), 400, identity.EMALFORMED},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s.do(t, "POST", "/api/auth/login", tt.body).wantProblem(t, tt.status, tt.code)
		})
	}
}

func TestLoginDisabledUser(t *testing.T) {
	s := newTestServer(t)
	reg := s.register(t, "off@example.com", "a fine long password")
	inactive := false
	if _, err := s.db.UpdateUser(t.Context(), reg.User.UID, identity.UserUpdate{IsActive: &inactive}); err != nil {
		t.Fatal(err)
	}
	s.do(t, "POST", "/api/auth/login", map[string]any{"email": "off@example.com", "password": "a fine long password"}).
		wantProblem(t, http.StatusForbidden, identity.EUSERDISABLED)
}

func TestLoginRateLimited(t *testing.T) {
	rates := limiter.DefaultRates()
	rates[limiter.LoginAccount] = limiter.Rate{Limit: 3, Period: time.Hour}
	lim, err := limiter.New(t.Context(), rates, nil)
	if err != nil {
		t.Fatal(err)
	}
	s := newTestServer(t, func(c *testConfig) { c.api.Limiter = lim })
	s.register(t, "limited@example.com", "a fine long password")
	for range 3 {
		s.do(t, "POST", "/api/auth/login", map[string]any{"email": "limited@example.com", "password": "wrong password"}).
			wantStatus(t, http.StatusUnauthorized)
	}
	// The failure that exceeds the limit is answered 429 already.
	s.do(t, "POST", "/api/auth/login", map[string]any{"email": "limited@example.com", "password": "wrong password"}).
		wantProblem(t, http.StatusTooManyRequests, identity.ERATELIMITED)
	// Throttled: even the right password is refused, with Retry-After.
	res := s.do(t, "POST", "/api/auth/login", map[string]any{"email": "limited@example.com", "password": "a fine long password"})
	res.wantProblem(t, http.StatusTooManyRequests, identity.ERATELIMITED)
	if res.Header.Get("Retry-After") == "" {
		t.Error("429 without Retry-After")
	}
	s.wantAudit(t, identity.ActionRateLimited, "", identity.StatusFailure)
	s.remember("wrong password")

	// Another account from the same client is not throttled by this one.
	s.register(t, "other@example.com", "another long password")
	s.login(t, "other@example.com", "another long password")
}
