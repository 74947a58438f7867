package authapi_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/authgate/authgate/identity"
	"github.com/authgate/authgate/limiter"
)

// Per-(account, client) login throttling: a client guessing one account's
// password is throttled on that account without locking its owner out on
// their own addresses, while the account-wide bound still stops guessing
// spread over many addresses. These tests run on the default rates unless
// they say otherwise.

// wantNoEmail fails when a rate_limited row names the address.
func wantNoEmail(t *testing.T, rows []*identity.AuditEvent, local string) {
	t.Helper()
	for _, e := range rows {
		for _, col := range []string{e.UID, e.IPAddress, e.UserAgent, e.Status, e.Detail} {
			if strings.Contains(strings.ToLower(col), local) {
				t.Errorf("rate_limited row names the address: %+v", e)
			}
		}
	}
}

func TestOneClientCannotLockOutOwner(t *testing.T) {
	const pw = "the victim's long password"
	s := newTestServer(t, trustLoopback(t), withLimits(t, nil))
	victim := s.register(t, "victim@example.com", pw)
	s.register(t, "bystander@example.com", "the bystander's password")
	pair := limiter.DefaultRates()[limiter.LoginAccountIP]
	const attacker, owner = "198.51.100.23", "203.0.113.80"

	for i := range pair.Limit {
		guess := fmt.Sprintf("guess-%d", i)
		s.remember(guess)
		s.do(t, "POST", "/api/auth/login", loginBody("victim@example.com", guess), from(attacker)).
			wantProblem(t, http.StatusUnauthorized, identity.EINVALIDCREDENTIALS)
	}
	// The attacking client is throttled on this account, in any letter case
	// of the address, and even with the right password.
	for _, email := range []string{"victim@example.com", " VICTIM@Example.com "} {
		want429(t, s.do(t, "POST", "/api/auth/login", loginBody(email, "one more guess"), from(attacker)), pair.Period)
	}
	want429(t, s.do(t, "POST", "/api/auth/login", loginBody("victim@example.com", pw), from(attacker)), pair.Period)

	// The owner, on their own address, signs in at once, also while the
	// attack goes on (refused attempts are never counted anywhere).
	s.login(t, "victim@example.com", pw, from(owner))
	for range 30 {
		want429(t, s.do(t, "POST", "/api/auth/login", loginBody("victim@example.com", "yet another guess"), from(attacker)), pair.Period)
	}
	s.login(t, "victim@example.com", pw, from(owner))
	// The throttle is on the pair: the attacker's address is not throttled
	// on another account (login_ip is far from its bound).
	s.login(t, "bystander@example.com", "the bystander's password", from(attacker))

	// One row per window, about the victim's uid and the attacker's
	// address; the account-wide bound was never reached.
	rows := s.limitRows(t, limiter.LoginAccountIP)
	if len(rows) != 1 {
		t.Fatalf("%d login_account_ip rows, want 1 per window: %+v", len(rows), rows)
	}
	if e := rows[0]; e.UID != victim.User.UID || e.IPAddress != attacker || e.UserAgent == "" || e.Status != identity.StatusFailure {
		t.Errorf("login_account_ip row = %+v", e)
	}
	if rows := s.limitRows(t, limiter.LoginAccount); len(rows) != 0 {
		t.Errorf("login_account rows = %+v, want none", rows)
	}
	wantNoEmail(t, rows, "victim")
}

func TestDistributedGuessingTripsAccountLimit(t *testing.T) {
	const pw = "the victim's long password"
	s := newTestServer(t, trustLoopback(t), withLimits(t, nil))
	victim := s.register(t, "spread@example.com", pw)
	d := limiter.DefaultRates()
	pair, acct := d[limiter.LoginAccountIP], d[limiter.LoginAccount]
	s.remember("spread guess")

	// Each address stays under the pair bound; together they use up the
	// account's budget.
	perIP := pair.Limit - 1
	for n := int64(0); n < acct.Limit; n++ {
		ip := fmt.Sprintf("192.0.2.%d", 1+n/perIP)
		s.do(t, "POST", "/api/auth/login", loginBody("spread@example.com", "spread guess"), from(ip)).
			wantProblem(t, http.StatusUnauthorized, identity.EINVALIDCREDENTIALS)
	}
	// Now the account is throttled from every client, the right password
	// included: a fresh address, and the owner's.
	want429(t, s.do(t, "POST", "/api/auth/login", loginBody("spread@example.com", "spread guess"), from("192.0.2.200")), acct.Period)
	want429(t, s.do(t, "POST", "/api/auth/login", loginBody("spread@example.com", pw), from("203.0.113.80")), acct.Period)

	rows := s.limitRows(t, limiter.LoginAccount)
	if len(rows) != 1 || rows[0].UID != victim.User.UID || rows[0].IPAddress != "192.0.2.200" {
		t.Fatalf("login_account rows = %+v, want one for the victim from 192.0.2.200", rows)
	}
	if rows := s.limitRows(t, limiter.LoginAccountIP); len(rows) != 0 {
		t.Errorf("login_account_ip rows = %+v, want none (no address reached the pair bound)", rows)
	}
	wantNoEmail(t, rows, "spread")
}

func TestLoginSuccessResetsPairOnly(t *testing.T) {
	const pw = "a fine long password"
	s := newTestServer(t, trustLoopback(t), withLimits(t, map[string]limiter.Rate{
		limiter.LoginAccountIP: {Limit: 5, Period: 15 * time.Minute},
		limiter.LoginAccount:   {Limit: 10, Period: time.Hour},
	}))
	s.register(t, "pair@example.com", pw)
	s.remember("typo")
	const a, b, c = "198.51.100.1", "198.51.100.2", "198.51.100.3"
	fail := func(ip string) {
		t.Helper()
		s.do(t, "POST", "/api/auth/login", loginBody("pair@example.com", "typo"), from(ip)).
			wantProblem(t, http.StatusUnauthorized, identity.EINVALIDCREDENTIALS)
	}
	for range 4 {
		fail(a)
	}
	s.login(t, "pair@example.com", pw, from(a))
	// The success forgot a's four failures: five more are checked before
	// the pair is reached again (without the reset the fifth would be 429).
	for range 5 {
		fail(a)
	}
	want429(t, s.do(t, "POST", "/api/auth/login", loginBody("pair@example.com", pw), from(a)), 15*time.Minute)
	// The account-wide count kept all nine: one more failure elsewhere
	// reaches 10, and the account is throttled for every client.
	fail(b)
	want429(t, s.do(t, "POST", "/api/auth/login", loginBody("pair@example.com", pw), from(c)), time.Hour)
}

func TestResetClearsAccountAndPair(t *testing.T) {
	const pw, pw2 = "the owner's first password", "the owner's second password"
	s := newTestServer(t, trustLoopback(t), withLimits(t, map[string]limiter.Rate{
		limiter.LoginAccountIP: {Limit: 5, Period: 15 * time.Minute},
		limiter.LoginAccount:   {Limit: 8, Period: time.Hour},
	}))
	s.register(t, "forgot@example.com", pw)
	s.remember("misremembered", "attack guess", pw2)
	const owner, attacker = "203.0.113.7", "198.51.100.9"
	// The owner misremembers the password five times (their pair is
	// reached), an attacker adds three failures (the account is reached).
	for range 5 {
		s.do(t, "POST", "/api/auth/login", loginBody("forgot@example.com", "misremembered"), from(owner)).wantStatus(t, http.StatusUnauthorized)
	}
	for range 3 {
		s.do(t, "POST", "/api/auth/login", loginBody("forgot@example.com", "attack guess"), from(attacker)).wantStatus(t, http.StatusUnauthorized)
	}
	want429(t, s.do(t, "POST", "/api/auth/login", loginBody("forgot@example.com", pw), from(owner)), time.Hour)
	want429(t, s.do(t, "POST", "/api/auth/login", loginBody("forgot@example.com", pw), from("192.0.2.77")), time.Hour)

	// The owner resets the password (real SMTP) from their address: both
	// the account-wide count and their own pair are cleared, so they sign
	// in at once (either count left would answer 429).
	tok := s.resetToken(t, "forgot@example.com")
	s.do(t, "POST", "/api/auth/password/reset/confirm", map[string]any{"token": tok, "new_password": pw2}, from(owner)).
		wantStatus(t, http.StatusNoContent)
	s.login(t, "forgot@example.com", pw2, from(owner))

	// The attacker's own pair is not the owner's to clear: it keeps its
	// three failures and is reached after two more, while the account-wide
	// count (now two) is far from its bound.
	for range 2 {
		s.do(t, "POST", "/api/auth/login", loginBody("forgot@example.com", "attack guess"), from(attacker)).wantStatus(t, http.StatusUnauthorized)
	}
	want429(t, s.do(t, "POST", "/api/auth/login", loginBody("forgot@example.com", pw2), from(attacker)), 15*time.Minute)
	s.login(t, "forgot@example.com", pw2, from("192.0.2.77"))
}

func TestMFASignInResetsPair(t *testing.T) {
	s := newTestServer(t, withTOTP, withMFALimits(t, map[string]limiter.Rate{
		limiter.LoginAccountIP: {Limit: 3, Period: 15 * time.Minute},
	}))
	u := s.enableMFA(t, "mfa-pair@example.com")
	s.remember("typo")
	fail := func() *response {
		t.Helper()
		return s.do(t, "POST", "/api/auth/login", loginBody(u.email, "typo"))
	}
	for range 2 {
		fail().wantProblem(t, http.StatusUnauthorized, identity.EINVALIDCREDENTIALS)
	}
	// The right password alone (mfa_required) does not complete the
	// sign-in; the second step does, and forgets the client's failures.
	ticket := s.mfaTicket(t, u)
	var out tokensJSON
	s.completeMFA(t, ticket, s.totpCode(t, u.secret, s.clock.Now())).json(t, http.StatusOK, &out)
	s.remember(out.AccessToken, out.RefreshToken)
	for range 3 {
		fail().wantProblem(t, http.StatusUnauthorized, identity.EINVALIDCREDENTIALS)
	}
	want429(t, fail(), 15*time.Minute)
	if rows := s.limitRows(t, limiter.LoginAccountIP); len(rows) != 1 || rows[0].UID != u.uid {
		t.Errorf("login_account_ip rows = %+v, want one for %s", rows, u.uid)
	}
}
