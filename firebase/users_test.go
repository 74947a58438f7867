package firebase_test

import (
	"context"
	"slices"
	"testing"

	"firebase.google.com/go/v4/auth"

	"github.com/authgate/authgate/identity"
)

// The first verified token of a uid creates its row; later ones update
// email and email_verified.
func TestEnsureUser(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	email := e.emu.UniqueEmail("ensure")
	fu := e.emu.SignUp(t, email, password)
	e.emu.SetCustomClaims(t, fu.LocalID, map[string]any{"roles": []string{"viewer"}})

	p, err := e.client.Verifier().Verify(ctx, e.emu.SignIn(t, email, password).IDToken)
	if err != nil {
		t.Fatal(err)
	}
	u, err := e.client.EnsureUser(ctx, p)
	if err != nil {
		t.Fatalf("EnsureUser: %v", err)
	}
	if u.UID != fu.LocalID || u.Email != email || u.EmailVerified || !u.IsActive || !slices.Equal(u.Roles, []string{"viewer"}) {
		t.Fatalf("created row = %+v", u)
	}
	row, err := e.users.FindUserByUID(ctx, fu.LocalID)
	if err != nil || row.Email != email {
		t.Fatalf("stored row = %+v, %v", row, err)
	}

	// The address changes and is verified at Firebase.
	newEmail := e.emu.UniqueEmail("ensure-new")
	changeAtFirebase(t, e, fu.LocalID, newEmail)
	p, err = e.client.Verifier().Verify(ctx, e.emu.SignIn(t, newEmail, password).IDToken)
	if err != nil {
		t.Fatal(err)
	}
	u, err = e.client.EnsureUser(ctx, p)
	if err != nil {
		t.Fatalf("EnsureUser (update): %v", err)
	}
	if u.Email != newEmail || !u.EmailVerified {
		t.Fatalf("updated row = %+v", u)
	}
	// Roles stay the table's: the claim seeded them once.
	if !slices.Equal(u.Roles, []string{"viewer"}) {
		t.Fatalf("roles = %v", u.Roles)
	}
}

func TestEnsureUserGoogle(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	email := e.emu.UniqueEmail("g")
	fu := e.emu.SignInWithIdp(t, "google.com", map[string]any{
		"sub": "g-" + identity.NewID(), "email": email, "email_verified": true,
		"name": "Alan", "picture": "https://example.com/alan.png",
	})
	p, err := e.client.Verifier().Verify(ctx, fu.IDToken)
	if err != nil {
		t.Fatal(err)
	}
	u, err := e.provider.EnsureUser(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	if u.UID != fu.LocalID || !u.EmailVerified || u.DisplayName != "Alan" || u.PhotoURL != "https://example.com/alan.png" {
		t.Fatalf("row = %+v", u)
	}
}

func TestEnsureUserRefusesOtherPrincipals(t *testing.T) {
	e := newEnv(t)
	for _, p := range []*identity.Principal{
		nil,
		{UID: "u1", Source: identity.SourceAuthgate},
		{Source: identity.SourceFirebase},
	} {
		if _, err := e.client.EnsureUser(context.Background(), p); err == nil {
			t.Fatalf("EnsureUser(%+v) accepted", p)
		}
	}
}

// An email that belongs to another row is not taken over.
func TestEnsureUserEmailOfAnotherRow(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	email := e.emu.UniqueEmail("clash")
	if err := e.users.CreateUser(ctx, &identity.User{UID: "local-" + identity.NewID(), Email: email, IsActive: true, Roles: []string{}}); err != nil {
		t.Fatal(err)
	}
	fu := e.emu.SignUp(t, email, password)
	p, err := e.client.Verifier().Verify(ctx, fu.IDToken)
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.client.EnsureUser(ctx, p)
	wantCode(t, err, identity.EEMAILTAKEN)
}

func changeAtFirebase(t *testing.T, e *env, uid, email string) {
	t.Helper()
	if _, err := e.client.Auth().UpdateUser(context.Background(), uid, (&auth.UserToUpdate{}).Email(email).EmailVerified(true)); err != nil {
		t.Fatal(err)
	}
}
