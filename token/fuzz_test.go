package token_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/authgate/authgate/identity"
	"github.com/authgate/authgate/token"
)

// FuzzVerify feeds arbitrary strings to the Verifier: it must never panic,
// never accept anything it did not issue, and always answer with one of
// the documented errors.
func FuzzVerify(f *testing.F) {
	fx := newFixture(f, token.ES256)
	good := fx.issue(f)
	parts := strings.Split(good, ".")
	for _, seed := range []string{
		"", ".", "..", "...", "a.b.c", "a.b.c.d.e", good, good + "x", parts[0] + "." + parts[1] + ".",
		parts[0] + ".." + parts[2], strings.ToUpper(good), "eyJhbGciOiJub25lIn0.e30.",
		compact(f, fx.validHeader(), fx.validClaims()) + ".AAAA",
		compact(f, map[string]any{"alg": "none"}, fx.validClaims()) + ".",
	} {
		f.Add(seed)
	}
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, raw string) {
		p, err := fx.verifier.Verify(ctx, raw)
		if err == nil {
			if raw != good {
				t.Fatalf("accepted a token it did not issue: %q -> %+v", raw, p)
			}
			return
		}
		if p != nil {
			t.Fatalf("principal with an error: %+v, %v", p, err)
		}
		if !errors.Is(err, identity.ErrNotResponsible) &&
			!identity.IsCode(err, identity.EINVALIDTOKEN) && !identity.IsCode(err, identity.ETOKENEXPIRED) {
			t.Fatalf("undocumented error %T: %v", err, err)
		}
	})
}
