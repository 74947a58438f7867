package password_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/authgate/authgate/password"
)

// FuzzVerify feeds arbitrary encoded hashes to Verify (with argon2id stubbed
// out: a fuzzed hash may legitimately ask for a gigabyte). Verify must never
// panic; it either refuses the hash with ErrMalformedHash or runs argon2id
// with parameters inside the documented bounds, and every argon2id hash it
// accepts is in canonical form (it re-encodes to the same string).
func FuzzVerify(f *testing.F) {
	h, err := password.New(password.WithParams(testParams))
	if err != nil {
		f.Fatal(err)
	}
	good, err := h.Hash(context.Background(), "seed")
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{
		good,
		"$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2U",
		"$argon2id$v=19$m=4294967295,t=4294967295,p=255$AAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAA",
		"$argon2id$v=19$m=,t=,p=$$",
		"$2a$04$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy",
		"$2b$99$",
		"",
		"$",
	} {
		f.Add("seed", s)
	}
	f.Fuzz(func(t *testing.T, pw, enc string) {
		var calls []password.Params
		password.StubArgon2(h, func(p password.Params) { calls = append(calls, p) })
		ok, err := h.Verify(context.Background(), pw, enc)
		if err != nil {
			if !errors.Is(err, password.ErrMalformedHash) {
				t.Fatalf("Verify error %v does not wrap ErrMalformedHash", err)
			}
			if ok || len(calls) != 0 {
				t.Fatalf("refused hash but ok=%v, argon2 calls=%d", ok, len(calls))
			}
			return
		}
		if strings.HasPrefix(enc, "$2") {
			return // bcrypt, verified by the real bcrypt package
		}
		if len(calls) != 1 {
			t.Fatalf("accepted argon2id hash with %d argon2 calls", len(calls))
		}
		if err := calls[0].Validate(); err != nil {
			t.Fatalf("accepted hash with out-of-bounds params: %v", err)
		}
		p, salt, key, err := password.ParseArgon2id(enc)
		if err != nil {
			t.Fatalf("Verify accepted what the parser refuses: %v", err)
		}
		if p != calls[0] {
			t.Fatalf("argon2 ran with %+v, hash says %+v", calls[0], p)
		}
		if re := password.EncodeArgon2id(p, salt, key); re != enc {
			t.Fatalf("non-canonical hash accepted: %q re-encodes as %q", enc, re)
		}
	})
}
