package token_test

import (
	"testing"
	"time"

	"github.com/authgate/authgate/token"
)

func TestConfigValidation(t *testing.T) {
	f := newFixture(t, token.ES256)
	good := []string{"http://localhost:8001", "https://auth.example.com/", "https://example.com/auth"}
	bad := []token.Config{
		{},
		{Issuer: "localhost:8001"},
		{Issuer: "ftp://example.com"},
		{Issuer: "https://"},
		{Issuer: "https://example.com/?x=1"},
		{Issuer: "https://example.com/#f"},
		{Issuer: "https://user:pw@example.com"},
		{Issuer: testIssuer, AccessTTL: 500 * time.Millisecond},
		{Issuer: testIssuer, Leeway: -time.Second},
		{Issuer: testIssuer, Leeway: time.Hour},
	}
	for _, iss := range good {
		if _, err := token.NewVerifier(f.keys, token.Config{Issuer: iss}); err != nil {
			t.Errorf("issuer %q refused: %v", iss, err)
		}
	}
	for _, cfg := range bad {
		if _, err := token.NewIssuer(f.keys, cfg); err == nil {
			t.Errorf("NewIssuer accepted %+v", cfg)
		}
		if _, err := token.NewVerifier(f.keys, cfg); err == nil {
			t.Errorf("NewVerifier accepted %+v", cfg)
		}
	}
	if _, err := token.NewIssuer(nil, token.Config{Issuer: testIssuer}); err == nil {
		t.Error("nil key set accepted")
	}
}

// A trailing slash on the public URL changes nothing: issuer and verifier
// agree on the normalized iss.
func TestIssuerTrailingSlash(t *testing.T) {
	f := newFixture(t, token.EdDSA)
	iss, _ := token.NewIssuer(f.keys, token.Config{Issuer: testIssuer + "/", Now: f.clock.Now})
	raw, _, _, err := iss.IssueAccessToken(t.Context(), testUser(), testSession(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.verifier.Verify(t.Context(), raw); err != nil {
		t.Fatal(err)
	}
}
