package password_test

import (
	"context"
	"testing"

	"github.com/authgate/authgate/password"
)

// The benchmarks use the production parameters: their ns/op is the cost of
// one sign-in's password check.

func BenchmarkHash(b *testing.B) {
	h, err := password.New()
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := h.Hash(ctx, "correct horse battery staple"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerify(b *testing.B) {
	h, err := password.New()
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	enc, err := h.Hash(ctx, "correct horse battery staple")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if ok, err := h.Verify(ctx, "correct horse battery staple", enc); err != nil || !ok {
			b.Fatal(ok, err)
		}
	}
}

func BenchmarkCheck(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if err := password.Check("correct horse battery staple", "alice@example.com"); err != nil {
			b.Fatal(err)
		}
	}
}
