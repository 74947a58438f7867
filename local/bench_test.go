package local_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/authgate/authgate/identity"
	"github.com/authgate/authgate/local"
	"github.com/authgate/authgate/password"
	"github.com/authgate/authgate/store"
)

// BenchmarkSignIn measures sign-in with the production argon2id parameters
// over a real SQLite file. The sub-benchmarks should take about the same
// time per operation: an unknown email costs what a wrong password costs.
func BenchmarkSignIn(b *testing.B) {
	ctx := context.Background()
	db, err := store.Open(ctx, "sqlite:"+filepath.Join(b.TempDir(), "auth.db"), store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	h, err := password.New()
	if err != nil {
		b.Fatal(err)
	}
	p := local.New(db, h)
	if _, err := p.Register(ctx, identity.Registration{Email: "bench@example.com", Password: "tq8#vLz2-bench"}); err != nil {
		b.Fatal(err)
	}
	for _, bb := range []struct {
		name, email, pw, code string
	}{
		{"right", "bench@example.com", "tq8#vLz2-bench", ""},
		{"wrong_password", "bench@example.com", "tq8#vLz2-wrong", identity.EINVALIDCREDENTIALS},
		{"unknown_email", "nobody@example.com", "tq8#vLz2-wrong", identity.EINVALIDCREDENTIALS},
	} {
		b.Run(bb.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := p.SignIn(ctx, bb.email, bb.pw); identity.ErrorCode(err) != bb.code {
					b.Fatal(err)
				}
			}
		})
	}
}
