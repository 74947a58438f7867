package identity_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/authgate/authgate/identity"
)

func TestChain(t *testing.T) {
	notMine := identity.VerifierFunc(func(context.Context, string) (*identity.Principal, error) {
		return nil, fmt.Errorf("jwt: %w", identity.ErrNotResponsible)
	})
	bad := identity.VerifierFunc(func(context.Context, string) (*identity.Principal, error) {
		return nil, identity.Errorf(identity.ETOKENEXPIRED, "expired")
	})
	good := identity.VerifierFunc(func(_ context.Context, raw string) (*identity.Principal, error) {
		return &identity.Principal{UID: raw}, nil
	})
	ctx := context.Background()
	if p, err := (identity.Chain{notMine, good}).Verify(ctx, "u1"); err != nil || p.UID != "u1" {
		t.Errorf("not-responsible must pass to the next: %v %v", p, err)
	}
	if _, err := (identity.Chain{bad, good}).Verify(ctx, "u1"); identity.ErrorCode(err) != identity.ETOKENEXPIRED {
		t.Errorf("a responsible verifier's refusal is final, got %v", err)
	}
	if _, err := (identity.Chain{notMine}).Verify(ctx, "u1"); identity.ErrorCode(err) != identity.EINVALIDTOKEN {
		t.Errorf("nobody responsible: %v", err)
	}
	if _, err := (identity.Chain{}).Verify(ctx, "u1"); identity.ErrorCode(err) != identity.EINVALIDTOKEN {
		t.Errorf("empty chain: %v", err)
	}
}

func TestErrorCodes(t *testing.T) {
	cause := errors.New("boom")
	err := fmt.Errorf("store: %w", identity.Wrap(identity.ENOTFOUND, "User not found.", cause))
	if identity.ErrorCode(err) != identity.ENOTFOUND || identity.ErrorMessage(err) != "User not found." {
		t.Errorf("code %q message %q", identity.ErrorCode(err), identity.ErrorMessage(err))
	}
	if !errors.Is(err, cause) || !errors.Is(err, &identity.Error{Code: identity.ENOTFOUND}) {
		t.Error("errors.Is must see the cause and match by code")
	}
	if errors.Is(err, &identity.Error{Code: identity.ECONFLICT}) {
		t.Error("matched a different code")
	}
	plain := errors.New("db password=hunter2")
	if identity.ErrorCode(plain) != identity.EINTERNAL || identity.ErrorMessage(plain) != "Internal error." {
		t.Error("a plain error must be internal with a generic message")
	}
	if identity.ErrorCode(nil) != "" {
		t.Error("nil has no code")
	}
	if !errors.Is(fmt.Errorf("x: %w", identity.ErrRefreshReuse), &identity.Error{Code: identity.EINVALIDTOKEN}) {
		t.Error("ErrRefreshReuse must carry invalid_token")
	}
	// A sentinel with a message matches only itself: a plain invalid_token
	// must not pass for a refresh-token reuse.
	if errors.Is(identity.Errorf(identity.EINVALIDTOKEN, "The refresh token is not valid."), identity.ErrRefreshReuse) {
		t.Error("an ordinary invalid_token matched ErrRefreshReuse")
	}
}

func TestSecrets(t *testing.T) {
	seen := map[string]bool{}
	for i := 0; i < 1000; i++ {
		raw, hash := identity.NewSecret()
		if len(raw) != 43 || len(hash) != 64 || identity.HashSecret(raw) != hash || seen[raw] {
			t.Fatalf("secret %q hash %q", raw, hash)
		}
		seen[raw] = true
	}
	if id := identity.NewID(); len(id) != 22 {
		t.Errorf("NewID length %d", len(id))
	}
	if identity.NormalizeEmail("  Ada@Example.COM ") != "ada@example.com" {
		t.Error("NormalizeEmail")
	}
}
