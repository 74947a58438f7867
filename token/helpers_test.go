package token_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"sync"
	"testing"
	"time"

	"github.com/authgate/authgate/identity"
	"github.com/authgate/authgate/internal/testenv"
	"github.com/authgate/authgate/token"
)

const testIssuer = "https://auth.example.com"

// t0 is the start of every test clock.
var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

type clock = testenv.Clock

func newClock() *clock { return testenv.NewClock(t0) }

// memStore is an in-memory identity.KeyStore that behaves like the real
// one: ECONFLICT on a duplicate kid, copies in and out.
type memStore struct {
	mu    sync.Mutex
	keys  []identity.SigningKey
	finds int
	// beforeCreate, when set, runs (unlocked) before each CreateSigningKey:
	// tests use it to let "another replica" win a race.
	beforeCreate func()
}

func (s *memStore) FindSigningKeys(context.Context) ([]*identity.SigningKey, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.finds++
	out := make([]*identity.SigningKey, len(s.keys))
	for i := range s.keys {
		k := s.keys[i]
		out[i] = &k
	}
	return out, nil
}

func (s *memStore) CreateSigningKey(_ context.Context, k *identity.SigningKey) error {
	if f := s.beforeCreate; f != nil {
		f()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, have := range s.keys {
		if have.KID == k.KID {
			return identity.Errorf(identity.ECONFLICT, "A signing key with this kid exists.")
		}
	}
	s.keys = append(s.keys, *k)
	return nil
}

func (s *memStore) retire(kid string, at time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range s.keys {
		if s.keys[i].KID == kid {
			s.keys[i].RetiredAt = &at
		}
	}
}

func (s *memStore) count() (keys, finds int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.keys), s.finds
}

// Test keys, generated once per test binary (RSA generation is slow).
var (
	keysOnce        sync.Once
	rsaKey, rsaKey2 *rsa.PrivateKey
	ecKey, ecKey2   *ecdsa.PrivateKey
	edKey, edKey2   ed25519.PrivateKey
	rsaKeySmall     *rsa.PrivateKey
	p384Key         *ecdsa.PrivateKey
)

func testKeys(tb testing.TB) {
	tb.Helper()
	keysOnce.Do(func() {
		must := func(err error) {
			if err != nil {
				panic(err)
			}
		}
		var err error
		rsaKey, err = rsa.GenerateKey(rand.Reader, 2048)
		must(err)
		rsaKey2, err = rsa.GenerateKey(rand.Reader, 2048)
		must(err)
		rsaKeySmall, err = rsa.GenerateKey(rand.Reader, 1024)
		must(err)
		ecKey, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		must(err)
		ecKey2, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		must(err)
		p384Key, err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
		must(err)
		_, edKey, err = ed25519.GenerateKey(rand.Reader)
		must(err)
		_, edKey2, err = ed25519.GenerateKey(rand.Reader)
		must(err)
	})
}

// pkcs8PEM encodes a private key as a "PRIVATE KEY" PEM block.
func pkcs8PEM(tb testing.TB, k crypto.Signer) []byte {
	tb.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		tb.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
}

// keyFor returns the test key (the one the test holds the private half
// of) for alg.
func keyFor(tb testing.TB, alg string) crypto.Signer {
	tb.Helper()
	testKeys(tb)
	switch alg {
	case token.RS256:
		return rsaKey
	case token.ES256:
		return ecKey
	case token.EdDSA:
		return edKey
	}
	tb.Fatalf("no test key for %s", alg)
	return nil
}

// fixture is a key set built from a key the test holds, with an Issuer
// and a Verifier on one clock.
type fixture struct {
	clock    *clock
	keys     *token.KeySet
	issuer   *token.Issuer
	verifier *token.Verifier
	priv     crypto.Signer
	kid      string
	cfg      token.Config
}

func newFixture(tb testing.TB, alg string) *fixture {
	tb.Helper()
	f := &fixture{clock: newClock(), priv: keyFor(tb, alg)}
	ks, err := token.NewKeySetFromPEM(pkcs8PEM(tb, f.priv), token.KeySetConfig{Now: f.clock.Now})
	if err != nil {
		tb.Fatal(err)
	}
	f.keys, f.kid = ks, ks.SigningKeyID()
	f.cfg = token.Config{Issuer: testIssuer, Now: f.clock.Now}
	if f.issuer, err = token.NewIssuer(ks, f.cfg); err != nil {
		tb.Fatal(err)
	}
	if f.verifier, err = token.NewVerifier(ks, f.cfg); err != nil {
		tb.Fatal(err)
	}
	return f
}

func testUser() *identity.User {
	return &identity.User{UID: "u_123", Email: "ada@example.com", EmailVerified: true,
		DisplayName: "Ada Lovelace", Roles: []string{"admin", "editor"}}
}

func testSession() *identity.Session { return &identity.Session{ID: "sess_1", UID: "u_123"} }

func (f *fixture) issue(tb testing.TB) string {
	tb.Helper()
	raw, _, _, err := f.issuer.IssueAccessToken(context.Background(), testUser(), testSession(), []string{"pwd"})
	if err != nil {
		tb.Fatal(err)
	}
	return raw
}

// validClaims are the claims the Issuer would write at the fixture's now.
func (f *fixture) validClaims() map[string]any {
	now := f.clock.Now().Unix()
	return map[string]any{
		"iss": testIssuer, "sub": "u_123", "aud": "authgate",
		"exp": now + 900, "iat": now, "nbf": now, "jti": "jti_1", "sid": "sess_1",
		"email": "ada@example.com", "email_verified": true,
		"roles": []string{"editor"}, "amr": []string{"pwd"},
	}
}

func (f *fixture) validHeader() map[string]any {
	return map[string]any{"alg": f.keys.Algorithm(), "kid": f.kid, "typ": "at+jwt"}
}

var b64 = base64.RawURLEncoding

// compact builds header.payload from JSON-encoded maps.
func compact(tb testing.TB, header, claims any) string {
	tb.Helper()
	h, err := json.Marshal(header)
	if err != nil {
		tb.Fatal(err)
	}
	c, err := json.Marshal(claims)
	if err != nil {
		tb.Fatal(err)
	}
	return b64.EncodeToString(h) + "." + b64.EncodeToString(c)
}
