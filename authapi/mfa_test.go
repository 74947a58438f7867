package authapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/authgate/authgate/identity"
	"github.com/authgate/authgate/limiter"
	"github.com/authgate/authgate/mfa"
)

const totpStep = mfa.Period * time.Second

// withTOTP turns on TOTP MFA on the test server's store and clock.
func withTOTP(c *testConfig) {
	c.api.TOTP = &mfa.Service{Users: c.db, OneTime: c.db, Now: c.api.Now}
}

// withMFALimits puts the real limiter in front of the API with the
// default rates changed by over.
func withMFALimits(t testing.TB, over map[string]limiter.Rate) func(*testConfig) {
	t.Helper()
	rates := limiter.DefaultRates()
	for k, v := range over {
		rates[k] = v
	}
	lim, err := limiter.New(context.Background(), rates, nil)
	if err != nil {
		t.Fatalf("limiter: %v", err)
	}
	return func(c *testConfig) { c.api.Limiter = lim }
}

type enrollJSON struct {
	Secret     string `json:"secret"`
	OTPAuthURL string `json:"otpauth_url"`
	QRPNG      string `json:"qr_png"`
}

type mfaProblem struct {
	Code      string   `json:"code"`
	Ticket    string   `json:"mfa_ticket"`
	ExpiresIn int      `json:"mfa_ticket_expires_in"`
	Methods   []string `json:"mfa_methods"`
}

// mfaUser is a registered account with TOTP MFA on.
type mfaUser struct {
	email, password, secret string
	uid                     string
	recovery                []string
}

// code returns the user's current TOTP code on the server's clock.
func (s *testServer) totpCode(t testing.TB, secret string, at time.Time) string {
	t.Helper()
	c, err := mfa.GenerateCode(secret, at)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// enableMFA registers email and turns MFA on over the API; the clock is
// then one step later, so that the confirm code is no longer current.
func (s *testServer) enableMFA(t testing.TB, email string) *mfaUser {
	t.Helper()
	pw := "correct horse battery staple"
	reg := s.register(t, email, pw)
	var enr enrollJSON
	s.do(t, "POST", "/api/auth/mfa/totp/enroll", nil, bearer(reg.AccessToken)).json(t, http.StatusOK, &enr)
	s.remember(enr.Secret)
	var rc struct {
		RecoveryCodes []string `json:"recovery_codes"`
	}
	s.do(t, "POST", "/api/auth/mfa/totp/confirm", map[string]string{"code": s.totpCode(t, enr.Secret, s.clock.Now())},
		bearer(reg.AccessToken)).json(t, http.StatusOK, &rc)
	s.remember(rc.RecoveryCodes...)
	s.clock.Advance(totpStep)
	return &mfaUser{email: email, password: pw, secret: enr.Secret, uid: reg.User.UID, recovery: rc.RecoveryCodes}
}

// mfaTicket signs in with the password and returns the ticket of the
// mfa_required answer.
func (s *testServer) mfaTicket(t testing.TB, u *mfaUser) string {
	t.Helper()
	res := s.do(t, "POST", "/api/auth/login", map[string]string{"email": u.email, "password": u.password})
	res.wantProblem(t, http.StatusUnauthorized, identity.EMFAREQUIRED)
	var p mfaProblem
	if err := json.Unmarshal(res.Body, &p); err != nil {
		t.Fatal(err)
	}
	if len(p.Ticket) < 40 || p.ExpiresIn != int(mfa.DefaultTicketTTL/time.Second) || !slices.Equal(p.Methods, []string{"totp", "recovery_code"}) {
		t.Fatalf("mfa_required extras %+v: want a ticket valid 300s and the methods", p)
	}
	if strings.Contains(string(res.Body), "access_token") {
		t.Fatalf("mfa_required answer carries tokens: %s", res.Body)
	}
	s.remember(p.Ticket)
	return p.Ticket
}

func (s *testServer) completeMFA(t testing.TB, ticket, code string) *response {
	t.Helper()
	return s.do(t, "POST", "/api/auth/login/mfa", map[string]string{"mfa_ticket": ticket, "code": code})
}

func wantAMR(t testing.TB, access string, want ...string) {
	t.Helper()
	raw, _ := jwtClaims(t, access)["amr"].([]any)
	var got []string
	for _, v := range raw {
		s, _ := v.(string)
		got = append(got, s)
	}
	if !slices.Equal(got, want) {
		t.Errorf("amr = %v, want %v", got, want)
	}
}

func TestMFAEnrollConfirmAndSignIn(t *testing.T) {
	s := newTestServer(t, withTOTP)
	pw := "correct horse battery staple"
	reg := s.register(t, "mfa@example.com", pw)
	uid := reg.User.UID

	var st map[string]any
	s.do(t, "GET", "/api/auth/mfa", nil, bearer(reg.AccessToken)).json(t, http.StatusOK, &st)
	if st["enabled"] != false || st["enrollment_pending"] != false {
		t.Fatalf("status before enrollment: %v", st)
	}

	var enr enrollJSON
	s.do(t, "POST", "/api/auth/mfa/totp/enroll", nil, bearer(reg.AccessToken)).json(t, http.StatusOK, &enr)
	s.remember(enr.Secret)
	if !strings.HasPrefix(enr.OTPAuthURL, "otpauth://totp/authgate:mfa@example.com?") || !strings.Contains(enr.OTPAuthURL, "secret="+enr.Secret) {
		t.Errorf("otpauth_url = %q", enr.OTPAuthURL)
	}
	if !strings.HasPrefix(enr.QRPNG, "data:image/png;base64,iVBOR") {
		t.Errorf("qr_png is not a PNG data URI: %.40s", enr.QRPNG)
	}
	s.do(t, "GET", "/api/auth/mfa", nil, bearer(reg.AccessToken)).json(t, http.StatusOK, &st)
	if st["enabled"] != false || st["enrollment_pending"] != true {
		t.Fatalf("status after enroll: %v", st)
	}
	// Until confirmed, sign-in needs no second factor.
	s.login(t, "mfa@example.com", pw)

	// A wrong code does not confirm.
	wrong := wrongTOTP(s.totpCode(t, enr.Secret, s.clock.Now()))
	s.do(t, "POST", "/api/auth/mfa/totp/confirm", map[string]string{"code": wrong}, bearer(reg.AccessToken)).
		wantProblem(t, http.StatusUnauthorized, identity.EINVALIDMFA)
	var rc struct {
		RecoveryCodes []string `json:"recovery_codes"`
	}
	s.do(t, "POST", "/api/auth/mfa/totp/confirm", map[string]string{"code": s.totpCode(t, enr.Secret, s.clock.Now())},
		bearer(reg.AccessToken)).json(t, http.StatusOK, &rc)
	s.remember(rc.RecoveryCodes...)
	if len(rc.RecoveryCodes) != 10 {
		t.Fatalf("%d recovery codes, want 10", len(rc.RecoveryCodes))
	}
	s.do(t, "GET", "/api/auth/mfa", nil, bearer(reg.AccessToken)).json(t, http.StatusOK, &st)
	if st["enabled"] != true || st["recovery_codes_remaining"] != float64(10) {
		t.Fatalf("status after confirm: %v", st)
	}
	var profile userJSON
	s.do(t, "GET", "/api/auth/profile", nil, bearer(reg.AccessToken)).json(t, http.StatusOK, &profile)

	// The confirm code was spent: it cannot complete a sign-in.
	confirmCode := s.totpCode(t, enr.Secret, s.clock.Now())
	s.completeMFA(t, s.mfaTicket(t, &mfaUser{email: "mfa@example.com", password: pw}), confirmCode).
		wantProblem(t, http.StatusUnauthorized, identity.EINVALIDMFA)

	s.clock.Advance(totpStep)
	u := &mfaUser{email: "mfa@example.com", password: pw, secret: enr.Secret}
	var tok tokensJSON
	s.completeMFA(t, s.mfaTicket(t, u), s.totpCode(t, enr.Secret, s.clock.Now())).json(t, http.StatusOK, &tok)
	s.remember(tok.AccessToken, tok.RefreshToken)
	wantAMR(t, tok.AccessToken, "pwd", "otp")
	if tok.User.UID != uid || tok.TokenType != "Bearer" {
		t.Errorf("login/mfa answer %+v", tok)
	}
	// The refreshed pair keeps the amr.
	var ref tokensJSON
	s.do(t, "POST", "/api/auth/refresh", map[string]string{"refresh_token": tok.RefreshToken}).json(t, http.StatusOK, &ref)
	s.remember(ref.AccessToken, ref.RefreshToken)
	wantAMR(t, ref.AccessToken, "pwd", "otp")

	s.wantAudit(t, identity.ActionMFAEnroll, uid, identity.StatusSuccess)
	s.wantAudit(t, identity.ActionMFAEnable, uid, identity.StatusSuccess)
	s.wantAudit(t, identity.ActionMFAEnable, uid, identity.StatusFailure)
	s.wantAudit(t, identity.ActionMFAVerify, uid, identity.StatusSuccess)
	s.wantAudit(t, identity.ActionMFAVerify, uid, identity.StatusFailure)
	s.wantAudit(t, identity.ActionLogin, uid, identity.StatusSuccess)
	events, _, _ := s.db.FindAuditEvents(context.Background(), identity.AuditFilter{Action: identity.ActionMFAVerify, UID: uid, Limit: 100})
	var details []string
	for _, e := range events {
		details = append(details, e.Detail)
	}
	if !slices.Contains(details, "replayed") || !slices.Contains(details, "totp") {
		t.Errorf("mfa_verify details %v: want a replayed and a totp row", details)
	}
}

func wrongTOTP(c string) string {
	b := []byte(c)
	b[5] = '0' + (b[5]-'0'+5)%10
	return string(b)
}

func TestMFACodes(t *testing.T) {
	s := newTestServer(t, withTOTP)
	u := s.enableMFA(t, "codes@example.com")
	now := func() time.Time { return s.clock.Now() }

	// A valid code, then the same code again (replay).
	code := s.totpCode(t, u.secret, now())
	var tok tokensJSON
	s.completeMFA(t, s.mfaTicket(t, u), code).json(t, http.StatusOK, &tok)
	s.remember(tok.AccessToken, tok.RefreshToken)
	wantAMR(t, tok.AccessToken, "pwd", "otp")
	s.completeMFA(t, s.mfaTicket(t, u), code).wantProblem(t, http.StatusUnauthorized, identity.EINVALIDMFA)
	s.do(t, "POST", "/api/auth/login", map[string]string{"email": u.email, "password": u.password, "totp_code": code}).
		wantProblem(t, http.StatusUnauthorized, identity.EINVALIDMFA)

	// A code from two minutes ago has expired.
	s.clock.Advance(2 * time.Minute)
	s.completeMFA(t, s.mfaTicket(t, u), s.totpCode(t, u.secret, now().Add(-2*time.Minute))).
		wantProblem(t, http.StatusUnauthorized, identity.EINVALIDMFA)
	// A wrong code; its answer carries a fresh ticket that still works.
	res := s.completeMFA(t, s.mfaTicket(t, u), wrongTOTP(s.totpCode(t, u.secret, now())))
	res.wantProblem(t, http.StatusUnauthorized, identity.EINVALIDMFA)
	var p mfaProblem
	if err := json.Unmarshal(res.Body, &p); err != nil || p.Ticket == "" || p.ExpiresIn > 300 {
		t.Fatalf("invalid_mfa_code answer %s: want a replacement ticket", res.Body)
	}
	s.remember(p.Ticket)
	s.completeMFA(t, p.Ticket, s.totpCode(t, u.secret, now())).json(t, http.StatusOK, &tok)
	s.remember(tok.AccessToken, tok.RefreshToken)

	// totp_code in the login body signs in at once (a later step).
	s.clock.Advance(totpStep)
	var direct tokensJSON
	s.do(t, "POST", "/api/auth/login", map[string]string{"email": u.email, "password": u.password, "totp_code": s.totpCode(t, u.secret, now())}).
		json(t, http.StatusOK, &direct)
	s.remember(direct.AccessToken, direct.RefreshToken)
	wantAMR(t, direct.AccessToken, "pwd", "otp")
	// A wrong password with a right code is still invalid_credentials.
	s.clock.Advance(totpStep)
	s.do(t, "POST", "/api/auth/login", map[string]string{"email": u.email, "password": "wrong password!", "totp_code": s.totpCode(t, u.secret, now())}).
		wantProblem(t, http.StatusUnauthorized, identity.EINVALIDCREDENTIALS)

	// A recovery code works once, not twice.
	var rec tokensJSON
	s.completeMFA(t, s.mfaTicket(t, u), u.recovery[0]).json(t, http.StatusOK, &rec)
	s.remember(rec.AccessToken, rec.RefreshToken)
	wantAMR(t, rec.AccessToken, "pwd", "otp")
	s.completeMFA(t, s.mfaTicket(t, u), u.recovery[0]).wantProblem(t, http.StatusUnauthorized, identity.EINVALIDMFA)
	s.wantAudit(t, identity.ActionMFAVerify, u.uid, identity.StatusSuccess)
	events, _, _ := s.db.FindAuditEvents(context.Background(), identity.AuditFilter{Action: identity.ActionMFAVerify, UID: u.uid, Limit: 100})
	found := false
	for _, e := range events {
		found = found || (e.Status == identity.StatusSuccess && e.Detail == "recovery_code")
	}
	if !found {
		t.Error("no mfa_verify success row with detail recovery_code")
	}
}

func TestMFATicket(t *testing.T) {
	s := newTestServer(t, withTOTP)
	u := s.enableMFA(t, "ticket@example.com")

	// Single use: a spent ticket is refused even with a new valid code.
	ticket := s.mfaTicket(t, u)
	var tok tokensJSON
	s.completeMFA(t, ticket, s.totpCode(t, u.secret, s.clock.Now())).json(t, http.StatusOK, &tok)
	s.remember(tok.AccessToken, tok.RefreshToken)
	s.clock.Advance(totpStep)
	s.completeMFA(t, ticket, s.totpCode(t, u.secret, s.clock.Now())).wantProblem(t, http.StatusUnauthorized, identity.EINVALIDTOKEN)

	// Expiry after five minutes.
	ticket = s.mfaTicket(t, u)
	s.clock.Advance(mfa.DefaultTicketTTL + time.Second)
	s.completeMFA(t, ticket, s.totpCode(t, u.secret, s.clock.Now())).wantProblem(t, http.StatusUnauthorized, identity.EINVALIDTOKEN)

	// A replacement ticket keeps the first one's deadline.
	ticket = s.mfaTicket(t, u)
	s.clock.Advance(4 * time.Minute)
	res := s.completeMFA(t, ticket, wrongTOTP(s.totpCode(t, u.secret, s.clock.Now())))
	var p mfaProblem
	res.wantProblem(t, http.StatusUnauthorized, identity.EINVALIDMFA)
	if err := json.Unmarshal(res.Body, &p); err != nil || p.ExpiresIn != 60 {
		t.Fatalf("replacement ticket expires in %d s, want 60 (the original deadline)", p.ExpiresIn)
	}
	s.remember(p.Ticket)
	s.clock.Advance(61 * time.Second)
	s.completeMFA(t, p.Ticket, s.totpCode(t, u.secret, s.clock.Now())).wantProblem(t, http.StatusUnauthorized, identity.EINVALIDTOKEN)

	// Garbage and bad input.
	s.completeMFA(t, "not-a-ticket", "123456").wantProblem(t, http.StatusUnauthorized, identity.EINVALIDTOKEN)
	s.do(t, "POST", "/api/auth/login/mfa", map[string]string{"mfa_ticket": ""}).wantProblem(t, http.StatusBadRequest, identity.EINVALID)
	s.do(t, "POST", "/api/auth/login/mfa", `{"mfa_ticket":"x","code":"1","extra":1}`).wantProblem(t, http.StatusBadRequest, identity.EINVALID)
	s.do(t, "GET", "/api/auth/login/mfa", nil).wantProblem(t, http.StatusMethodNotAllowed, identity.EMETHODNOTALLOWED)

	// A disabled account cannot finish the sign-in.
	ticket = s.mfaTicket(t, u)
	off := false
	if _, err := s.db.UpdateUser(context.Background(), u.uid, identity.UserUpdate{IsActive: &off}); err != nil {
		t.Fatal(err)
	}
	s.completeMFA(t, ticket, s.totpCode(t, u.secret, s.clock.Now())).wantProblem(t, http.StatusForbidden, identity.EUSERDISABLED)
}

func TestMFATOTPRateLimit(t *testing.T) {
	s := newTestServer(t, withTOTP, withMFALimits(t, map[string]limiter.Rate{limiter.TOTP: {Limit: 3, Period: time.Hour}}))
	u := s.enableMFA(t, "limit@example.com")
	wrong := wrongTOTP(s.totpCode(t, u.secret, s.clock.Now()))
	var last *response
	for i := 0; i < 6; i++ {
		last = s.do(t, "POST", "/api/auth/login", map[string]string{"email": u.email, "password": u.password, "totp_code": wrong})
		if last.Status == http.StatusTooManyRequests {
			break
		}
		last.wantProblem(t, http.StatusUnauthorized, identity.EINVALIDMFA)
	}
	last.wantProblem(t, http.StatusTooManyRequests, identity.ERATELIMITED)
	if ra := last.Header.Get("Retry-After"); ra == "" || ra == "0" {
		t.Errorf("Retry-After = %q", ra)
	}
	// While limited even the right code is refused, on both ways in.
	s.do(t, "POST", "/api/auth/login", map[string]string{"email": u.email, "password": u.password, "totp_code": s.totpCode(t, u.secret, s.clock.Now())}).
		wantProblem(t, http.StatusTooManyRequests, identity.ERATELIMITED)
	s.completeMFA(t, s.mfaTicket(t, u), s.totpCode(t, u.secret, s.clock.Now())).
		wantProblem(t, http.StatusTooManyRequests, identity.ERATELIMITED)
	s.wantAudit(t, identity.ActionRateLimited, "", identity.StatusFailure)
}

func TestMFAEnrollNeedsRecentSignIn(t *testing.T) {
	s := newTestServer(t, withTOTP)
	pw := "correct horse battery staple"
	reg := s.register(t, "stale@example.com", pw)
	s.clock.Advance(6 * time.Minute) // past ReauthWindow, within the access token's life
	s.do(t, "POST", "/api/auth/mfa/totp/enroll", nil, bearer(reg.AccessToken)).
		wantProblem(t, http.StatusUnauthorized, identity.EREAUTHREQUIRED)
	s.do(t, "POST", "/api/auth/mfa/totp/enroll", map[string]string{"password": "not the password"}, bearer(reg.AccessToken)).
		wantProblem(t, http.StatusUnauthorized, identity.EINVALIDCREDENTIALS)
	var enr enrollJSON
	s.do(t, "POST", "/api/auth/mfa/totp/enroll", map[string]string{"password": pw}, bearer(reg.AccessToken)).json(t, http.StatusOK, &enr)
	s.remember(enr.Secret)
	s.wantAudit(t, identity.ActionMFAEnroll, reg.User.UID, identity.StatusFailure)
	s.do(t, "POST", "/api/auth/mfa/totp/enroll", nil).wantProblem(t, http.StatusUnauthorized, identity.EUNAUTHENTICATED)
}

func TestMFADisableAndRecoveryCodes(t *testing.T) {
	s := newTestServer(t, withTOTP)
	u := s.enableMFA(t, "disable@example.com")
	tok := s.do(t, "POST", "/api/auth/login", map[string]string{"email": u.email, "password": u.password, "totp_code": s.totpCode(t, u.secret, s.clock.Now())})
	var pair tokensJSON
	tok.json(t, http.StatusOK, &pair)
	s.remember(pair.AccessToken, pair.RefreshToken)
	auth := bearer(pair.AccessToken)
	s.clock.Advance(totpStep)
	code := func() string { return s.totpCode(t, u.secret, s.clock.Now()) }

	// New recovery codes: the old ones stop working.
	var rc struct {
		RecoveryCodes []string `json:"recovery_codes"`
	}
	s.do(t, "POST", "/api/auth/mfa/recovery-codes", map[string]string{"password": u.password, "code": code()}, auth).json(t, http.StatusOK, &rc)
	s.remember(rc.RecoveryCodes...)
	if len(rc.RecoveryCodes) != 10 || slices.Contains(rc.RecoveryCodes, u.recovery[0]) {
		t.Fatalf("regenerated codes %d, overlapping the old ones", len(rc.RecoveryCodes))
	}
	s.completeMFA(t, s.mfaTicket(t, u), u.recovery[1]).wantProblem(t, http.StatusUnauthorized, identity.EINVALIDMFA)
	s.wantAudit(t, mfa.ActionRecoveryCodes, u.uid, identity.StatusSuccess)

	s.clock.Advance(totpStep)
	tests := []struct {
		name   string
		body   map[string]string
		status int
		code   string
	}{
		{"no password", map[string]string{"code": code()}, http.StatusBadRequest, identity.EINVALID},
		{"no code", map[string]string{"password": u.password}, http.StatusBadRequest, identity.EINVALID},
		{"wrong password", map[string]string{"password": "wrong password!", "code": code()}, http.StatusUnauthorized, identity.EINVALIDCREDENTIALS},
		{"wrong code", map[string]string{"password": u.password, "code": wrongTOTP(code())}, http.StatusUnauthorized, identity.EINVALIDMFA},
		{"spent recovery code", map[string]string{"password": u.password, "code": u.recovery[2]}, http.StatusUnauthorized, identity.EINVALIDMFA},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s.do(t, "POST", "/api/auth/mfa/totp/disable", tc.body, auth).wantProblem(t, tc.status, tc.code)
		})
	}
	s.wantAudit(t, identity.ActionMFADisable, u.uid, identity.StatusFailure)
	// A fresh recovery code with the password disables.
	s.do(t, "POST", "/api/auth/mfa/totp/disable", map[string]string{"password": u.password, "code": rc.RecoveryCodes[0]}, auth).
		wantStatus(t, http.StatusNoContent)
	s.wantAudit(t, identity.ActionMFADisable, u.uid, identity.StatusSuccess)
	var st map[string]any
	s.do(t, "GET", "/api/auth/mfa", nil, auth).json(t, http.StatusOK, &st)
	if st["enabled"] != false || st["enrollment_pending"] != false {
		t.Fatalf("status after disable: %v", st)
	}
	// Sign-in is password-only again, and the old second factors are gone.
	plain := s.login(t, u.email, u.password)
	wantAMR(t, plain.AccessToken, "pwd")
	s.do(t, "POST", "/api/auth/mfa/totp/disable", map[string]string{"password": u.password, "code": code()}, auth).
		wantProblem(t, http.StatusConflict, identity.ECONFLICT)
	s.do(t, "POST", "/api/auth/mfa/totp/confirm", map[string]string{"code": code()}, auth).
		wantProblem(t, http.StatusConflict, identity.ECONFLICT)
}

func TestMFAEndpointsOffWithoutTOTP(t *testing.T) {
	s := newTestServer(t)
	reg := s.register(t, "nomfa@example.com", "correct horse battery staple")
	s.do(t, "POST", "/api/auth/mfa/totp/enroll", nil, bearer(reg.AccessToken)).wantProblem(t, http.StatusNotFound, identity.ENOTFOUND)
	s.do(t, "POST", "/api/auth/login/mfa", map[string]string{"mfa_ticket": "x", "code": "1"}).wantProblem(t, http.StatusNotFound, identity.ENOTFOUND)
}
