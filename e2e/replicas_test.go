package e2e_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/authgate/authgate/internal/testenv"
)

// TestTwoReplicasShareRevocations runs two authgate processes on one
// PostgreSQL database and one Redis: a token issued by A verifies on B
// (shared signing keys), and a logout or session revocation on one replica
// is refused on the other at once, although the other had the token cached.
func TestTwoReplicasShareRevocations(t *testing.T) {
	db := testenv.PostgresURL(t)
	rdb := testenv.RedisURL(t)
	env := append([]string{"AUTHGATE_DATABASE_URL=" + db, "AUTHGATE_REDIS_URL=" + rdb,
		// One issuer for both, as behind one load balancer.
		"AUTHGATE_PUBLIC_URL=http://auth.replicas.test"}, baseEnv...)
	a := testenv.StartAuthgate(t, env...) // creates the schema and the signing key
	b := testenv.StartAuthgate(t, env...)

	// The forward-auth endpoint as a proxy on loopback calls it.
	forwardAuth := func(base, token string) (int, string) {
		r := do(t, "GET", base+"/api/auth/forward-auth", [][2]string{bearer(token),
			{"X-Forwarded-Method", "GET"}, {"X-Forwarded-Host", "app.test"}, {"X-Forwarded-Uri", "/app"}}, nil)
		return r.StatusCode, r.Header.Get("X-User-Id")
	}
	const bound = 3 * time.Second // Redis delivery; in practice milliseconds
	refusedOn := func(base, token, what string) {
		t.Helper()
		eventually(t, bound, func() (bool, string) {
			st, _ := forwardAuth(base, token)
			return st == http.StatusUnauthorized, what + ": forward-auth " + http.StatusText(st)
		})
	}

	user := register(t, a.URL, "replica@example.com")

	t.Run("a token issued by A verifies on B", func(t *testing.T) {
		if st, uid := forwardAuth(b.URL, user.Token); st != http.StatusOK || uid != user.UID {
			t.Fatalf("B: %d uid %q, want 200 %q", st, uid, user.UID)
		}
		if r := do(t, "GET", b.URL+"/api/auth/profile", [][2]string{bearer(user.Token)}, nil); r.StatusCode != http.StatusOK {
			t.Fatalf("B profile: %d %s", r.StatusCode, r.body)
		}
	})

	t.Run("logout on A, refused on B", func(t *testing.T) {
		s := login(t, a.URL, user.Email)
		for _, base := range []string{a.URL, b.URL} { // cached on both
			if st, _ := forwardAuth(base, s.Token); st != http.StatusOK {
				t.Fatalf("%s before logout: %d", base, st)
			}
		}
		logout(t, a.URL, s.Token)
		if st, _ := forwardAuth(a.URL, s.Token); st != http.StatusUnauthorized {
			t.Fatalf("A right after its own logout: %d", st)
		}
		refusedOn(b.URL, s.Token, "B after logout on A")
	})

	t.Run("session revoked on B, refused on A", func(t *testing.T) {
		victim := login(t, b.URL, user.Email)
		keeper := login(t, a.URL, user.Email)
		for _, base := range []string{a.URL, b.URL} {
			if st, _ := forwardAuth(base, victim.Token); st != http.StatusOK {
				t.Fatalf("%s before revocation: %d", base, st)
			}
		}
		revokeSession(t, b.URL, keeper.Token, sessionID(t, victim.Token))
		refusedOn(a.URL, victim.Token, "A after revocation on B")
		if st, _ := forwardAuth(a.URL, keeper.Token); st != http.StatusOK {
			t.Errorf("the other session on A: %d", st)
		}
	})
}
