package authapi_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/authgate/authgate/httpx"
	"github.com/authgate/authgate/identity"
	"github.com/authgate/authgate/internal/testenv"
	"github.com/authgate/authgate/limiter"
)

// withLimits gives the server the real limiter (memory store) with the
// default rates, overridden by the given ones.
func withLimits(t testing.TB, over map[string]limiter.Rate) func(*testConfig) {
	return withLimitsOn(t, over, nil)
}

// withLimitsOn is withLimits on a Redis client (nil: memory).
func withLimitsOn(t testing.TB, over map[string]limiter.Rate, client *redis.Client) func(*testConfig) {
	t.Helper()
	rates := limiter.DefaultRates()
	for k, v := range over {
		rates[k] = v
	}
	lim, err := limiter.New(context.Background(), rates, client)
	if err != nil {
		t.Fatalf("limiter: %v", err)
	}
	return func(c *testConfig) { c.api.Limiter = lim }
}

// trustLoopback makes the test client a trusted proxy, so X-Forwarded-For
// names the real client.
func trustLoopback(t testing.TB) func(*testConfig) {
	t.Helper()
	tp, err := httpx.ParseTrustedProxies("127.0.0.1/32, ::1/128")
	if err != nil {
		t.Fatal(err)
	}
	return func(c *testConfig) { c.api.Trusted = tp }
}

func from(ip string) reqOpt { return header("X-Forwarded-For", ip) }

func loginBody(email, password string) map[string]any {
	return map[string]any{"email": email, "password": password}
}

// want429 checks a rate_limited answer with a sane Retry-After and returns it.
func want429(t testing.TB, res *response, maxRetry time.Duration) int {
	t.Helper()
	res.wantProblem(t, http.StatusTooManyRequests, identity.ERATELIMITED)
	secs, err := strconv.Atoi(res.Header.Get("Retry-After"))
	if err != nil || secs < 1 || time.Duration(secs)*time.Second > maxRetry {
		t.Fatalf("Retry-After = %q, want 1..%v seconds", res.Header.Get("Retry-After"), maxRetry)
	}
	return secs
}

// limitRows returns the rate_limited audit rows with the limit as detail.
func (s *testServer) limitRows(t testing.TB, limit string) []*identity.AuditEvent {
	t.Helper()
	events, _, err := s.db.FindAuditEvents(t.Context(), identity.AuditFilter{Action: identity.ActionRateLimited, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	var out []*identity.AuditEvent
	for _, e := range events {
		if e.Detail == limit {
			out = append(out, e)
		}
	}
	return out
}

func TestBruteForceOneAccount(t *testing.T) {
	const pw = "the victim's long password"
	// The account-wide bound alone: every request comes from the same peer,
	// so the per-(account, client) bound is raised out of the way here (it
	// has its own tests below).
	s := newTestServer(t, withLimits(t, map[string]limiter.Rate{
		limiter.LoginAccount:   {Limit: 5, Period: 15 * time.Minute},
		limiter.LoginAccountIP: {Limit: 50, Period: 15 * time.Minute},
	}))
	victim := s.register(t, "victim@example.com", pw)
	s.remember("guess-0", "guess-1", "guess-2", "guess-3", "guess-4", "guess-5", "guess-6", "guess-7")

	for i := range 5 {
		s.do(t, "POST", "/api/auth/login", loginBody("victim@example.com", fmt.Sprintf("guess-%d", i))).
			wantProblem(t, http.StatusUnauthorized, identity.EINVALIDCREDENTIALS)
	}
	// The budget is used up: refused before any password is checked, in
	// any letter case of the address.
	for i, email := range []string{"victim@example.com", " VICTIM@Example.com "} {
		want429(t, s.do(t, "POST", "/api/auth/login", loginBody(email, fmt.Sprintf("guess-%d", 5+i))), 15*time.Minute)
	}
	// Throttled: even the right password gets 429 with Retry-After.
	want429(t, s.do(t, "POST", "/api/auth/login", loginBody("victim@example.com", pw)), 15*time.Minute)

	// One audit row for the whole window, about the victim's uid, naming the
	// limit and not the address.
	rows := s.limitRows(t, limiter.LoginAccount)
	if len(rows) != 1 {
		t.Fatalf("%d rate_limited rows for login_account, want 1 per window: %+v", len(rows), rows)
	}
	if e := rows[0]; e.UID != victim.User.UID || e.IPAddress != "127.0.0.1" || e.UserAgent == "" || e.Status != identity.StatusFailure {
		t.Errorf("rate_limited row = %+v", e)
	}
	for _, e := range s.limitRows(t, limiter.LoginAccount) {
		for _, col := range []string{e.UID, e.IPAddress, e.UserAgent, e.Status, e.Detail} {
			if strings.Contains(strings.ToLower(col), "victim") {
				t.Errorf("rate_limited row names the address: %+v", e)
			}
		}
	}
}

func TestBruteForceWindowEnds(t *testing.T) {
	const pw = "the victim's long password"
	s := newTestServer(t, withLimits(t, map[string]limiter.Rate{limiter.LoginAccount: {Limit: 2, Period: 2 * time.Second}}))
	s.register(t, "short@example.com", pw)
	s.remember("nope-1")
	for range 2 {
		s.do(t, "POST", "/api/auth/login", loginBody("short@example.com", "nope-1")).wantStatus(t, http.StatusUnauthorized)
	}
	secs := want429(t, s.do(t, "POST", "/api/auth/login", loginBody("short@example.com", pw)), 2*time.Second)
	// Never a permanent lockout: once Retry-After has passed, the owner
	// signs in.
	time.Sleep(time.Duration(secs)*time.Second + 100*time.Millisecond)
	s.login(t, "short@example.com", pw)
}

func TestBruteForceSpoofedForwardedFor(t *testing.T) {
	// The peer (the test client) is not a trusted proxy: its
	// X-Forwarded-For is never believed, so a new value per request does
	// not give a new budget.
	s := newTestServer(t, withLimits(t, map[string]limiter.Rate{
		limiter.LoginAccount: {Limit: 4, Period: 15 * time.Minute},
		limiter.LoginIP:      {Limit: 6, Period: 15 * time.Minute},
	}))
	s.register(t, "spoofed@example.com", "a fine long password")
	s.register(t, "spoofed2@example.com", "a fine long password")
	s.remember("bad guess")
	for i := range 4 {
		s.do(t, "POST", "/api/auth/login", loginBody("spoofed@example.com", "bad guess"), from(fmt.Sprintf("198.51.100.%d", i+1))).
			wantStatus(t, http.StatusUnauthorized)
	}
	want429(t, s.do(t, "POST", "/api/auth/login", loginBody("spoofed@example.com", "bad guess"), from("198.51.100.200")), 15*time.Minute)
	want429(t, s.do(t, "POST", "/api/auth/login", loginBody("spoofed@example.com", "a fine long password"), from("203.0.113.1")), 15*time.Minute)

	// The same for the per-IP limit, across accounts.
	for i := range 2 {
		s.do(t, "POST", "/api/auth/login", loginBody("spoofed2@example.com", "bad guess"), from(fmt.Sprintf("192.0.2.%d", i+1))).
			wantStatus(t, http.StatusUnauthorized)
	}
	want429(t, s.do(t, "POST", "/api/auth/login", loginBody("spoofed2@example.com", "a fine long password"), from("192.0.2.99")), 15*time.Minute)

	for _, e := range append(s.limitRows(t, limiter.LoginAccount), s.limitRows(t, limiter.LoginIP)...) {
		if e.IPAddress != "127.0.0.1" {
			t.Errorf("audit row ip = %q, want the peer 127.0.0.1 (X-Forwarded-For is spoofed)", e.IPAddress)
		}
	}
}

func TestTrustedProxyDistinguishesClients(t *testing.T) {
	s := newTestServer(t, trustLoopback(t), withLimits(t, map[string]limiter.Rate{limiter.LoginIP: {Limit: 3, Period: 15 * time.Minute}}))
	for i := range 4 {
		s.register(t, fmt.Sprintf("user%d@example.com", i), "a fine long password")
	}
	s.remember("bad guess")
	const attacker, user = "198.51.100.7", "203.0.113.9"
	for i := range 3 {
		s.do(t, "POST", "/api/auth/login", loginBody(fmt.Sprintf("user%d@example.com", i), "bad guess"), from(attacker)).
			wantStatus(t, http.StatusUnauthorized)
	}
	want429(t, s.do(t, "POST", "/api/auth/login", loginBody("user3@example.com", "bad guess"), from(attacker)), 15*time.Minute)
	// Behind the same proxy, another client is not throttled by the attacker.
	s.login(t, "user3@example.com", "a fine long password", from(user))
	// A hop the attacker prepends is not believed: the proxy's own entry
	// (the rightmost untrusted address) is the client.
	want429(t, s.do(t, "POST", "/api/auth/login", loginBody("user3@example.com", "bad guess"), from(user+", "+attacker)), 15*time.Minute)

	rows := s.limitRows(t, limiter.LoginIP)
	if len(rows) != 1 || rows[0].IPAddress != attacker || rows[0].UID != "" {
		t.Errorf("login_ip rows = %+v, want one for %s without uid", rows, attacker)
	}
}

func TestPasswordSpraying(t *testing.T) {
	s := newTestServer(t, withLimits(t, map[string]limiter.Rate{limiter.LoginIP: {Limit: 5, Period: 15 * time.Minute}}))
	for i := range 7 {
		s.register(t, fmt.Sprintf("staff%d@example.com", i), fmt.Sprintf("staff %d long password", i))
	}
	// One common password tried against many accounts from one address:
	// no single account sees more than one failure, the address trips.
	s.remember("Summer2025!")
	for i := range 5 {
		s.do(t, "POST", "/api/auth/login", loginBody(fmt.Sprintf("staff%d@example.com", i), "Summer2025!")).
			wantStatus(t, http.StatusUnauthorized)
	}
	want429(t, s.do(t, "POST", "/api/auth/login", loginBody("staff5@example.com", "Summer2025!")), 15*time.Minute)
	want429(t, s.do(t, "POST", "/api/auth/login", loginBody("staff6@example.com", "staff 6 long password")), 15*time.Minute)
	if rows := s.limitRows(t, limiter.LoginIP); len(rows) != 1 {
		t.Errorf("%d login_ip rows, want 1", len(rows))
	}
}

func TestResetUnderAttack(t *testing.T) {
	s := newTestServer(t, trustLoopback(t), withLimits(t, map[string]limiter.Rate{limiter.LoginAccount: {Limit: 3, Period: time.Hour}}))
	reg := s.register(t, "owner@example.com", "the owner's first password")
	s.remember("attack guess")
	const attacker, owner = "198.51.100.66", "203.0.113.50"
	for i := range 3 {
		s.do(t, "POST", "/api/auth/login", loginBody("owner@example.com", "attack guess"), from(fmt.Sprintf("198.51.100.%d", 66+i))).
			wantStatus(t, http.StatusUnauthorized)
	}
	// A distributed attack (three addresses, each under the pair bound)
	// reaches the account-wide bound: the account is throttled everywhere,
	// the owner included.
	want429(t, s.do(t, "POST", "/api/auth/login", loginBody("owner@example.com", "the owner's first password"), from(owner)), time.Hour)

	// The owner's way out: reset by mail (real SMTP), which the login
	// throttle does not touch.
	s.do(t, "POST", "/api/auth/password/reset", map[string]any{"email": "owner@example.com"}, from(owner)).wantStatus(t, http.StatusAccepted)
	link := s.mail.waitFor(t, "owner@example.com").FirstURL()
	u, err := url.Parse(link)
	if err != nil {
		t.Fatalf("reset link: %v", err)
	}
	frag, _ := url.ParseQuery(u.Fragment)
	tok := frag.Get("token")
	if tok == "" {
		t.Fatalf("reset link %q carries no token", link)
	}
	s.remember(tok, "the owner's second password")
	s.do(t, "POST", "/api/auth/password/reset/confirm", map[string]any{"token": tok, "new_password": "the owner's second password"}, from(owner)).
		wantStatus(t, http.StatusNoContent)

	// A completed reset proves control of the account: its login throttle is
	// cleared, and the owner signs in at once.
	s.login(t, "owner@example.com", "the owner's second password", from(owner))
	s.wantAudit(t, identity.ActionPasswordResetComplete, reg.User.UID, identity.StatusSuccess)
	// The account-wide count starts from zero again, and the old password
	// is dead.
	s.do(t, "POST", "/api/auth/login", loginBody("owner@example.com", "the owner's first password"), from(attacker)).
		wantProblem(t, http.StatusUnauthorized, identity.EINVALIDCREDENTIALS)
}

func TestResetRateLimitRevealsNothing(t *testing.T) {
	s := newTestServer(t, withLimits(t, map[string]limiter.Rate{limiter.ResetIP: {Limit: 2, Period: time.Hour}}))
	s.register(t, "exists@example.com", "a fine long password")
	s.do(t, "POST", "/api/auth/password/reset", map[string]any{"email": "exists@example.com"}).wantStatus(t, http.StatusAccepted)
	s.do(t, "POST", "/api/auth/password/reset", map[string]any{"email": "ghost@example.com"}).wantStatus(t, http.StatusAccepted)
	// Over the per-IP budget, known and unknown addresses get the same 429.
	known := s.do(t, "POST", "/api/auth/password/reset", map[string]any{"email": "exists@example.com"})
	unknown := s.do(t, "POST", "/api/auth/password/reset", map[string]any{"email": "ghost@example.com"})
	want429(t, known, time.Hour)
	want429(t, unknown, time.Hour)
	if string(known.Body) != string(unknown.Body) || known.Header.Get("Retry-After") != unknown.Header.Get("Retry-After") {
		t.Errorf("429 differs: known %s, unknown %s", known.Body, unknown.Body)
	}
	s.mail.waitFor(t, "exists@example.com")
}

func TestResetMailBombing(t *testing.T) {
	s := newTestServer(t, withLimits(t, map[string]limiter.Rate{limiter.ResetEmail: {Limit: 2, Period: time.Hour}}))
	reg := s.register(t, "bombed@example.com", "a fine long password")
	// The per-address limit is applied after the answer: the 202 stays the
	// same, the mail simply stops.
	for range 4 {
		s.do(t, "POST", "/api/auth/password/reset", map[string]any{"email": "bombed@example.com"}).wantStatus(t, http.StatusAccepted)
	}
	s.waitAudit(t, identity.ActionRateLimited, reg.User.UID, identity.StatusFailure)
	s.api.Shutdown(t.Context())
	if n := s.mail.count("bombed@example.com"); n != 2 {
		t.Errorf("%d reset mails, want 2 (the limit)", n)
	}
	if rows := s.limitRows(t, limiter.ResetEmail); len(rows) != 1 {
		t.Errorf("%d reset_email rows, want 1 per window", len(rows))
	}
}

func TestRegisterRateLimited(t *testing.T) {
	s := newTestServer(t, withLimits(t, map[string]limiter.Rate{limiter.RegisterIP: {Limit: 2, Period: time.Hour}}))
	s.register(t, "r1@example.com", "a fine long password")
	s.register(t, "r2@example.com", "a fine long password")
	want429(t, s.do(t, "POST", "/api/auth/register", map[string]any{"email": "r3@example.com", "password": "a fine long password"}), time.Hour)
	if rows := s.limitRows(t, limiter.RegisterIP); len(rows) != 1 {
		t.Errorf("%d register_ip rows, want 1", len(rows))
	}
}

func TestLimitAuditOnePerWindow(t *testing.T) {
	s := newTestServer(t, withLimits(t, map[string]limiter.Rate{limiter.LoginIP: {Limit: 1, Period: time.Hour}}))
	s.remember("wrong")
	s.do(t, "POST", "/api/auth/login", loginBody("a@example.com", "wrong")).wantStatus(t, http.StatusUnauthorized)
	for range 20 {
		want429(t, s.do(t, "POST", "/api/auth/login", loginBody("a@example.com", "wrong")), time.Hour)
	}
	if rows := s.limitRows(t, limiter.LoginIP); len(rows) != 1 {
		t.Fatalf("%d rows after 20 refusals, want 1", len(rows))
	}
	// After the window (as the API's clock sees it) a new hit is recorded.
	s.clock.Advance(time.Hour + time.Second)
	want429(t, s.do(t, "POST", "/api/auth/login", loginBody("a@example.com", "wrong")), time.Hour)
	if rows := s.limitRows(t, limiter.LoginIP); len(rows) != 2 {
		t.Fatalf("%d rows after the window ended, want 2", len(rows))
	}
}

func TestBruteForceRedisLimiter(t *testing.T) {
	opt, err := redis.ParseURL(testenv.RedisURL(t))
	if err != nil {
		t.Fatal(err)
	}
	client := redis.NewClient(opt)
	t.Cleanup(func() { client.Close() })
	over := map[string]limiter.Rate{limiter.LoginAccount: {Limit: 3, Period: 15 * time.Minute}}
	// Two replicas sharing one Redis share the budget. The Redis server
	// outlives the test: a client address and an account of this run only
	// keep earlier runs' counts out.
	a := newTestServer(t, trustLoopback(t), withLimitsOn(t, over, client))
	b := newTestServer(t, trustLoopback(t), withLimitsOn(t, over, client))
	run := time.Now().UnixNano()
	email := fmt.Sprintf("redis-%d@example.com", run)
	client1 := from(fmt.Sprintf("10.%d.%d.%d", run>>16&0xff, run>>8&0xff, run&0xff))
	for _, s := range []*testServer{a, b} {
		var out tokensJSON
		s.do(t, "POST", "/api/auth/register", map[string]any{"email": email, "password": "a fine long password"}, client1).json(t, http.StatusCreated, &out)
		s.remember("redis guess", out.AccessToken, out.RefreshToken)
	}
	for _, s := range []*testServer{a, b, a} {
		s.do(t, "POST", "/api/auth/login", loginBody(email, "redis guess"), client1).wantStatus(t, http.StatusUnauthorized)
	}
	// Throttled on both replicas, from any client.
	want429(t, b.do(t, "POST", "/api/auth/login", loginBody(email, "a fine long password"), client1), 15*time.Minute)
	want429(t, a.do(t, "POST", "/api/auth/login", loginBody(email, "a fine long password"), from("192.0.2.1")), 15*time.Minute)
	// Nothing in Redis names the address.
	keys, err := client.Keys(t.Context(), limiter.KeyPrefix+"*").Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		if strings.Contains(k, "redis-") || strings.Contains(k, "@") {
			t.Errorf("Redis key %q names the account", k)
		}
	}
}
