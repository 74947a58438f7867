package firebase_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/authgate/authgate/firebase"
	"github.com/authgate/authgate/identity"
)

func TestVerifyEmulatorUserToken(t *testing.T) {
	e := newEnv(t)
	email := e.emu.UniqueEmail("direct")
	fu := e.emu.SignUp(t, email, password)

	p, err := e.client.Verifier().Verify(context.Background(), fu.IDToken)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if p.UID != fu.LocalID || p.Email != email || p.EmailVerified || p.Source != identity.SourceFirebase {
		t.Fatalf("principal = %+v", p)
	}
	if !slices.Equal(p.AMR, []string{"pwd"}) {
		t.Fatalf("AMR = %v, want [pwd]", p.AMR)
	}
	if p.Roles == nil || len(p.Roles) != 0 {
		t.Fatalf("Roles = %#v, want empty", p.Roles)
	}
	if p.ExpiresAt.Before(time.Now()) || p.AuthTime.IsZero() || p.IssuedAt.IsZero() {
		t.Fatalf("times: iat %v auth_time %v exp %v", p.IssuedAt, p.AuthTime, p.ExpiresAt)
	}
	if p.Claims["email"] != email {
		t.Fatalf("claims = %v", p.Claims)
	}
}

func TestVerifyGoogleSignIn(t *testing.T) {
	e := newEnv(t)
	email := e.emu.UniqueEmail("google")
	fu := e.emu.SignInWithGoogle(t, "google-"+email, email, "Grace Hopper")

	p, err := e.client.Verifier().Verify(context.Background(), fu.IDToken)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if p.UID != fu.LocalID || p.Email != email || !p.EmailVerified || p.Name != "Grace Hopper" {
		t.Fatalf("principal = %+v", p)
	}
	if !slices.Equal(p.AMR, []string{"fed", "google.com"}) {
		t.Fatalf("AMR = %v, want [fed google.com]", p.AMR)
	}
}

func TestVerifyRolesClaim(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name  string
		roles any
		want  []string
	}{
		{"array of strings", []any{"admin", "editor"}, []string{"admin", "editor"}},
		{"a string is not an array", "admin", []string{}},
		{"non-strings are ignored", []any{"admin", 1, true, map[string]any{"x": 1}, ""}, []string{"admin"}},
		{"an object", map[string]any{"admin": true}, []string{}},
		{"null", nil, []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			email := e.emu.UniqueEmail("roles")
			fu := e.emu.SignUp(t, email, password)
			e.emu.SetCustomClaims(t, fu.LocalID, map[string]any{"roles": tt.roles, "tier": "gold"})
			fresh := e.emu.SignIn(t, email, password)

			p, err := e.client.Verifier().Verify(context.Background(), fresh.IDToken)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if !slices.Equal(p.Roles, tt.want) {
				t.Fatalf("Roles = %#v, want %#v", p.Roles, tt.want)
			}
			if p.Claims["tier"] != "gold" {
				t.Fatalf("other custom claims lost: %v", p.Claims)
			}
		})
	}
}

// Tokens that are not ID tokens of this project are someone else's: the
// verifier steps aside, and a chain of only this verifier refuses them.
func TestVerifyNotResponsible(t *testing.T) {
	e := newEnv(t)
	now := time.Now()
	fu := e.emu.SignUp(t, e.emu.UniqueEmail("other"), password)
	otherProject := craftToken(t, map[string]any{
		"iss": "https://securetoken.google.com/demo-other", "aud": "demo-other",
		"sub": fu.LocalID, "user_id": fu.LocalID, "iat": now.Unix(), "exp": now.Add(time.Hour).Unix(),
		"firebase": map[string]any{"sign_in_provider": "password"},
	})
	authgateToken := craftToken(t, map[string]any{
		"iss": "http://localhost:8001", "aud": "authgate", "sub": "u1", "exp": now.Add(time.Hour).Unix(),
	})
	tests := map[string]string{
		"another project":   otherProject,
		"an authgate token": authgateToken,
		"empty":             "",
		"not a JWT":         "opaque-refresh-token",
		"two segments":      "a.b",
		"four segments":     "a.b.c.d",
		"payload not b64":   "eyJhbGciOiJub25lIn0.***.",
		"payload not JSON":  "eyJhbGciOiJub25lIn0.bm90IGpzb24.",
		"iss not a string":  craftToken(t, map[string]any{"iss": 42}),
		"no iss":            craftToken(t, map[string]any{"sub": "x"}),
	}
	for name, raw := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := e.client.Verifier().Verify(context.Background(), raw)
			wantNotResponsible(t, err)
			_, err = identity.Chain{e.client.Verifier()}.Verify(context.Background(), raw)
			wantCode(t, err, identity.EINVALIDTOKEN)
		})
	}
}

func TestVerifyRefusesBadTokens(t *testing.T) {
	e := newEnv(t)
	fu := e.emu.SignUp(t, e.emu.UniqueEmail("bad"), password)
	iss := "https://securetoken.google.com/" + e.emu.ProjectID
	// Not before the account's creation second: the emulator treats older
	// tokens as revoked.
	now := time.Now().Add(time.Second)
	base := func(mod func(map[string]any)) string {
		c := map[string]any{
			"iss": iss, "aud": e.emu.ProjectID, "sub": fu.LocalID, "user_id": fu.LocalID,
			"iat": now.Unix(), "exp": now.Add(time.Hour).Unix(), "auth_time": now.Unix(),
			"firebase": map[string]any{"sign_in_provider": "password"},
		}
		mod(c)
		return craftToken(t, c)
	}
	tests := []struct {
		name string
		raw  string
		code string
	}{
		{"valid crafted token (control)", base(func(map[string]any) {}), ""},
		{"expired", base(func(c map[string]any) {
			c["iat"], c["exp"] = now.Add(-2*time.Hour).Unix(), now.Add(-time.Hour).Unix()
		}), identity.ETOKENEXPIRED},
		{"audience of another project", base(func(c map[string]any) { c["aud"] = "demo-other" }), identity.EINVALIDTOKEN},
		{"issued in the future", base(func(c map[string]any) { c["iat"] = now.Add(time.Hour).Unix() }), identity.EINVALIDTOKEN},
		{"no subject", base(func(c map[string]any) { delete(c, "sub") }), identity.EINVALIDTOKEN},
		{"unknown user", base(func(c map[string]any) { c["sub"] = "no-such-user" }), identity.EINVALIDTOKEN},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.client.Verifier().Verify(context.Background(), tt.raw)
			if tt.code == "" {
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				return
			}
			wantCode(t, err, tt.code)
		})
	}
}

// Outside the emulator an unsigned token is refused before any key fetch.
func TestVerifyProductionRefusesUnsignedTokens(t *testing.T) {
	t.Setenv(firebase.EmulatorHostEnv, "")
	c, err := firebase.New(context.Background(), firebase.Config{ProjectID: "acme-prod", HTTPTimeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if c.Emulator() {
		t.Fatal("client in emulator mode")
	}
	now := time.Now()
	raw := craftToken(t, map[string]any{
		"iss": "https://securetoken.google.com/acme-prod", "aud": "acme-prod", "sub": "u1",
		"iat": now.Unix(), "exp": now.Add(time.Hour).Unix(),
	})
	_, err = c.Verifier().Verify(context.Background(), raw)
	wantCode(t, err, identity.EINVALIDTOKEN)
}

func TestVerifyCheckRevoked(t *testing.T) {
	e := newEnv(t, func(c *firebase.Config) { c.CheckRevoked = true })
	ctx := context.Background()
	u, err := e.provider.Register(ctx, identity.Registration{Email: e.emu.UniqueEmail("revoked"), Password: password})
	if err != nil {
		t.Fatal(err)
	}
	fu := e.emu.SignIn(t, u.Email, password)
	if _, err := e.client.Verifier().Verify(ctx, fu.IDToken); err != nil {
		t.Fatalf("Verify before delete: %v", err)
	}
	if err := e.provider.Delete(ctx, u.UID); err != nil {
		t.Fatal(err)
	}
	_, err = e.client.Verifier().Verify(ctx, fu.IDToken)
	wantCode(t, err, identity.EINVALIDTOKEN)
}

// A password change revokes Firebase tokens issued before it.
func TestVerifyCheckRevokedAfterPasswordChange(t *testing.T) {
	e := newEnv(t, func(c *firebase.Config) { c.CheckRevoked = true })
	ctx := context.Background()
	u, err := e.provider.Register(ctx, identity.Registration{Email: e.emu.UniqueEmail("pwchange"), Password: password})
	if err != nil {
		t.Fatal(err)
	}
	old := e.emu.SignIn(t, u.Email, password)
	// Revocation has one-second resolution (validSince): let the old token
	// be from an earlier second than the revocation.
	time.Sleep(1100 * time.Millisecond)
	if err := e.provider.SetPassword(ctx, u.UID, "another-long-password"); err != nil {
		t.Fatal(err)
	}
	_, err = e.client.Verifier().Verify(ctx, old.IDToken)
	wantCode(t, err, identity.EINVALIDTOKEN)

	fresh := e.emu.SignIn(t, u.Email, "another-long-password")
	if _, err := e.client.Verifier().Verify(ctx, fresh.IDToken); err != nil {
		t.Fatalf("Verify fresh token: %v", err)
	}
}

func TestVerifyUnreachable(t *testing.T) {
	// A closed port: connection refused on every retry, bounded by HTTPTimeout.
	c, err := firebase.New(context.Background(), firebase.Config{
		ProjectID: "demo-authgate", EmulatorHost: closedAddr(t), HTTPTimeout: 2 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	raw := craftToken(t, map[string]any{
		"iss": "https://securetoken.google.com/demo-authgate", "aud": "demo-authgate", "sub": "u1",
		"iat": now.Unix(), "exp": now.Add(time.Hour).Unix(),
	})
	_, err = c.Verifier().Verify(context.Background(), raw)
	wantCode(t, err, identity.EUNAVAILABLE)
}

// The Firebase verifier and another verifier (authgate's JWTs) chain in
// either order: each steps aside for the other's tokens.
func TestVerifierChainsInEitherOrder(t *testing.T) {
	e := newEnv(t)
	fu := e.emu.SignUp(t, e.emu.UniqueEmail("chain"), password)
	authgate := identity.VerifierFunc(func(_ context.Context, raw string) (*identity.Principal, error) {
		if raw == "authgate-token" {
			return &identity.Principal{UID: "local-1", Source: identity.SourceAuthgate}, nil
		}
		return nil, identity.ErrNotResponsible
	})
	for name, chain := range map[string]identity.Chain{
		"firebase first": {e.client.Verifier(), authgate},
		"authgate first": {authgate, e.client.Verifier()},
	} {
		t.Run(name, func(t *testing.T) {
			p, err := chain.Verify(context.Background(), fu.IDToken)
			if err != nil || p.Source != identity.SourceFirebase || p.UID != fu.LocalID {
				t.Fatalf("Firebase token: %+v, %v", p, err)
			}
			p, err = chain.Verify(context.Background(), "authgate-token")
			if err != nil || p.Source != identity.SourceAuthgate {
				t.Fatalf("authgate token: %+v, %v", p, err)
			}
		})
	}
}
