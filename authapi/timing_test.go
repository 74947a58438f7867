package authapi_test

import (
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/authgate/authgate/local"
	"github.com/authgate/authgate/password"
)

// The login of an unknown address must cost what a wrong password costs,
// or the answer time tells which addresses have accounts. Both paths run the
// same argon2id work (a dummy hash for the unknown address), the same user
// lookup and the same audit write.

// withRealHasher swaps in the local provider with the production argon2id
// parameters (password.DefaultParams).
func withRealHasher(tb testing.TB) func(*testConfig) {
	return func(c *testConfig) {
		h, err := password.New()
		if err != nil {
			tb.Fatal(err)
		}
		c.api.Provider = &local.Provider{Users: c.db, Hasher: h, Logger: c.log, Now: c.api.Now}
	}
}

const timingPassword = "the timing account's password"

func timedLogin(tb testing.TB, s *testServer, email string) time.Duration {
	tb.Helper()
	start := time.Now()
	res := s.do(tb, "POST", "/api/auth/login", loginBody(email, "a wrong guess"))
	d := time.Since(start)
	res.wantProblem(tb, http.StatusUnauthorized, "invalid_credentials")
	return d
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

// TestLoginTimingUnknownVsWrongPassword compares the medians of 15
// interleaved logins of each kind. The bound is generous (a factor of 2
// either way): skipping the hash for an unknown address would make it
// about 100 times faster, far outside it, while scheduling noise on a
// shared machine stays well inside.
func TestLoginTimingUnknownVsWrongPassword(t *testing.T) {
	s := newTestServer(t, withRealHasher(t))
	s.register(t, "timing@example.com", timingPassword)
	s.remember("a wrong guess")
	// Warm up connections, caches and the hasher's pool.
	timedLogin(t, s, "timing@example.com")
	timedLogin(t, s, "nobody@example.com")

	const n = 15
	var unknown, wrong []time.Duration
	for range n {
		unknown = append(unknown, timedLogin(t, s, "nobody@example.com"))
		wrong = append(wrong, timedLogin(t, s, "timing@example.com"))
	}
	mu, mw := median(unknown), median(wrong)
	ratio := float64(mu) / float64(mw)
	t.Logf("median unknown email %v, wrong password %v, ratio %.2f", mu, mw, ratio)
	if ratio < 0.5 || ratio > 2 {
		t.Errorf("unknown-email login takes %.2fx the time of a wrong-password login (medians %v vs %v): the answer time reveals accounts", ratio, mu, mw)
	}
}

// BenchmarkLoginUnknownEmail and BenchmarkLoginWrongPassword should report
// about the same ns/op: compare them with benchstat.
func BenchmarkLoginUnknownEmail(b *testing.B) {
	s := newTestServer(b, withRealHasher(b))
	body := loginBody("nobody@example.com", "a wrong guess")
	for b.Loop() {
		s.do(b, "POST", "/api/auth/login", body).wantStatus(b, http.StatusUnauthorized)
	}
}

func BenchmarkLoginWrongPassword(b *testing.B) {
	s := newTestServer(b, withRealHasher(b))
	s.register(b, "timing@example.com", timingPassword)
	body := loginBody("timing@example.com", "a wrong guess")
	for b.Loop() {
		s.do(b, "POST", "/api/auth/login", body).wantStatus(b, http.StatusUnauthorized)
	}
}
