package token_test

import (
	"context"
	"strings"
	"testing"

	"github.com/golang-jwt/jwt/v5"

	"github.com/authgate/authgate/token"
)

func benchVerify(b *testing.B, alg string) {
	f := newFixture(b, alg)
	raw := f.issue(b)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := f.verifier.Verify(ctx, raw); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyRS256(b *testing.B) { benchVerify(b, token.RS256) }

// BenchmarkSignatureOnlyRS256 is the floor under BenchmarkVerifyRS256: the
// RSA signature check alone, no parsing. The difference is what the
// Verifier adds (peek, JSON, claims checks, Principal).
func BenchmarkSignatureOnlyRS256(b *testing.B) {
	f := newFixture(b, token.RS256)
	raw := f.issue(b)
	i := strings.LastIndexByte(raw, '.')
	sig, err := b64.DecodeString(raw[i+1:])
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := jwt.SigningMethodRS256.Verify(raw[:i], sig, &rsaKey.PublicKey); err != nil {
			b.Fatal(err)
		}
	}
}
func BenchmarkVerifyES256(b *testing.B) { benchVerify(b, token.ES256) }
func BenchmarkVerifyEdDSA(b *testing.B) { benchVerify(b, token.EdDSA) }

// BenchmarkVerifyForeign is the cost a Firebase ID token pays for passing
// through the authgate verifier first in the Chain.
func BenchmarkVerifyForeign(b *testing.B) {
	f := newFixture(b, token.RS256)
	raw := sign(b, "RS256", rsaKey2, map[string]any{"alg": "RS256", "kid": "abc", "typ": "JWT"},
		with(f.validClaims(), "iss", "https://securetoken.google.com/demo-project"))
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := f.verifier.Verify(ctx, raw); err == nil {
			b.Fatal("verified")
		}
	}
}

func benchIssue(b *testing.B, alg string) {
	f := newFixture(b, alg)
	ctx, u, s, amr := context.Background(), testUser(), testSession(), []string{"pwd"}
	b.ReportAllocs()
	for b.Loop() {
		if _, _, _, err := f.issuer.IssueAccessToken(ctx, u, s, amr); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkIssueRS256(b *testing.B) { benchIssue(b, token.RS256) }
func BenchmarkIssueES256(b *testing.B) { benchIssue(b, token.ES256) }
func BenchmarkIssueEdDSA(b *testing.B) { benchIssue(b, token.EdDSA) }
