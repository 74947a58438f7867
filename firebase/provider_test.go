package firebase_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"firebase.google.com/go/v4/auth"

	"github.com/authgate/authgate/firebase"
	"github.com/authgate/authgate/identity"
)

func TestRegister(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	email := e.emu.UniqueEmail("reg")
	u, err := e.provider.Register(ctx, identity.Registration{
		Email: "  " + strings.ToUpper(email) + " ", Password: password, DisplayName: " Ada ", Roles: []string{"editor", "editor"},
	})
	if err != nil {
		t.Fatalf("Register: %v", err)
	}
	if u.UID == "" || u.Email != email || u.DisplayName != "Ada" || !u.IsActive || !slices.Equal(u.Roles, []string{"editor"}) {
		t.Fatalf("user = %+v", u)
	}
	// The account exists at the emulator under the uid ...
	rec, err := e.client.Auth().GetUser(ctx, u.UID)
	if err != nil {
		t.Fatalf("GetUser at the emulator: %v", err)
	}
	if rec.Email != email || rec.DisplayName != "Ada" {
		t.Fatalf("emulator user = %+v", rec.UserInfo)
	}
	if got := rec.CustomClaims["roles"]; !slices.Equal(anyStrings(got), []string{"editor"}) {
		t.Fatalf("roles claim = %#v", got)
	}
	// ... and the row is keyed by it.
	row, err := e.users.FindUserByUID(ctx, u.UID)
	if err != nil {
		t.Fatalf("users row: %v", err)
	}
	if row.Email != email {
		t.Fatalf("row = %+v", row)
	}
	// The password works at Firebase.
	if fu := e.emu.SignIn(t, email, password); fu.LocalID != u.UID {
		t.Fatalf("signed in as %s, want %s", fu.LocalID, u.UID)
	}
}

func TestRegisterRefusals(t *testing.T) {
	e := newEnv(t, func(c *firebase.Config) {
		c.PasswordPolicy = func(pw string) error {
			if strings.Contains(pw, "password") {
				return identity.Errorf(identity.EWEAKPASSWORD, "Too common.")
			}
			return nil
		}
	})
	ctx := context.Background()
	taken := e.emu.UniqueEmail("taken")
	if _, err := e.provider.Register(ctx, identity.Registration{Email: taken, Password: "first-one-ok"}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		r    identity.Registration
		code string
	}{
		{"duplicate email", identity.Registration{Email: taken, Password: "second-one-ok"}, identity.EEMAILTAKEN},
		{"duplicate email, other case", identity.Registration{Email: strings.ToUpper(taken), Password: "second-one-ok"}, identity.EEMAILTAKEN},
		{"short password", identity.Registration{Email: e.emu.UniqueEmail("short"), Password: "12345"}, identity.EWEAKPASSWORD},
		{"policy", identity.Registration{Email: e.emu.UniqueEmail("policy"), Password: "my-password-1"}, identity.EWEAKPASSWORD},
		{"bad email", identity.Registration{Email: "not-an-email", Password: "long-enough-1"}, identity.EINVALID},
		{"display-name email", identity.Registration{Email: "Eve <eve@example.com>", Password: "long-enough-1"}, identity.EINVALID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.provider.Register(ctx, tt.r)
			wantCode(t, err, tt.code)
		})
	}
}

// A users row that cannot be stored undoes the Firebase account.
func TestRegisterUndoesFirebaseAccountWhenRowFails(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	email := e.emu.UniqueEmail("undo")
	// The email is taken in the users table only (a local account).
	if err := e.users.CreateUser(ctx, &identity.User{UID: "local-" + identity.NewID(), Email: email, IsActive: true, Roles: []string{}}); err != nil {
		t.Fatal(err)
	}
	_, err := e.provider.Register(ctx, identity.Registration{Email: email, Password: password})
	wantCode(t, err, identity.EEMAILTAKEN)
	if _, err := e.client.Auth().GetUserByEmail(ctx, email); err == nil {
		t.Fatal("the Firebase account of the failed registration is still there")
	}
}

func TestSignIn(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	email := e.emu.UniqueEmail("signin")
	reg, err := e.provider.Register(ctx, identity.Registration{Email: email, Password: password})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, email, password, code string
	}{
		{"right password", email, password, ""},
		{"email in other case", strings.ToUpper(email), password, ""},
		{"wrong password", email, "wrong-password", identity.EINVALIDCREDENTIALS},
		{"unknown email", e.emu.UniqueEmail("nobody"), password, identity.EINVALIDCREDENTIALS},
		{"empty password", email, "", identity.EINVALIDCREDENTIALS},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, err := e.provider.SignIn(ctx, tt.email, tt.password)
			if tt.code != "" {
				wantCode(t, err, tt.code)
				return
			}
			if err != nil {
				t.Fatalf("SignIn: %v", err)
			}
			if u.UID != reg.UID {
				t.Fatalf("uid = %s, want %s", u.UID, reg.UID)
			}
		})
	}
}

// A user created directly at Firebase gets a users row on first sign-in,
// and the row follows Firebase's email_verified.
func TestSignInCreatesAndSyncsRow(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	email := e.emu.UniqueEmail("direct")
	fu := e.emu.SignUp(t, email, password)

	u, err := e.provider.SignIn(ctx, email, password)
	if err != nil {
		t.Fatalf("SignIn: %v", err)
	}
	if u.UID != fu.LocalID || u.Email != email || u.EmailVerified {
		t.Fatalf("user = %+v", u)
	}
	if _, err := e.client.Auth().UpdateUser(ctx, fu.LocalID, (&auth.UserToUpdate{}).EmailVerified(true)); err != nil {
		t.Fatal(err)
	}
	u, err = e.provider.SignIn(ctx, email, password)
	if err != nil {
		t.Fatal(err)
	}
	if !u.EmailVerified {
		t.Fatal("email_verified not synced from Firebase")
	}
}

func TestSignInInactiveRow(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	u, err := e.provider.Register(ctx, identity.Registration{Email: e.emu.UniqueEmail("inactive"), Password: password})
	if err != nil {
		t.Fatal(err)
	}
	off := false
	if _, err := e.provider.UpdateProfile(ctx, u.UID, identity.UserUpdate{IsActive: &off}); err != nil {
		t.Fatal(err)
	}
	// Disabled at Firebase too: Firebase answers USER_DISABLED.
	_, err = e.provider.SignIn(ctx, u.Email, password)
	wantCode(t, err, identity.EUSERDISABLED)
}

func TestCheckPassword(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	u, err := e.provider.Register(ctx, identity.Registration{Email: e.emu.UniqueEmail("check"), Password: password})
	if err != nil {
		t.Fatal(err)
	}
	google := e.emu.SignInWithGoogle(t, "g-"+identity.NewID(), e.emu.UniqueEmail("googleonly"), "G")
	tests := []struct {
		name, uid, password, code string
	}{
		{"right", u.UID, password, ""},
		{"wrong", u.UID, "nope-nope-nope", identity.EINVALIDCREDENTIALS},
		{"unknown uid", "no-such-uid", password, identity.EINVALIDCREDENTIALS},
		{"account without password", google.LocalID, password, identity.EINVALIDCREDENTIALS},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := e.provider.CheckPassword(ctx, tt.uid, tt.password)
			if tt.code == "" && err != nil {
				t.Fatalf("CheckPassword: %v", err)
			}
			if tt.code != "" {
				wantCode(t, err, tt.code)
			}
		})
	}
}

func TestSetPassword(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	u, err := e.provider.Register(ctx, identity.Registration{Email: e.emu.UniqueEmail("setpw"), Password: password})
	if err != nil {
		t.Fatal(err)
	}
	wantCode(t, e.provider.SetPassword(ctx, u.UID, "short"), identity.EWEAKPASSWORD)
	if err := e.provider.SetPassword(ctx, u.UID, "brand-new-secret"); err != nil {
		t.Fatalf("SetPassword: %v", err)
	}
	if _, err := e.provider.SignIn(ctx, u.Email, "brand-new-secret"); err != nil {
		t.Fatalf("new password refused: %v", err)
	}
	_, err = e.provider.SignIn(ctx, u.Email, password)
	wantCode(t, err, identity.EINVALIDCREDENTIALS)
	row, err := e.users.FindUserByUID(ctx, u.UID)
	if err != nil {
		t.Fatal(err)
	}
	if row.PasswordChangedAt == nil {
		t.Fatal("password_changed_at not recorded")
	}
	rec, err := e.client.Auth().GetUser(ctx, u.UID)
	if err != nil {
		t.Fatal(err)
	}
	if rec.TokensValidAfterMillis == 0 {
		t.Fatal("refresh tokens not revoked at Firebase")
	}
}

func TestPasswordReset(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	u, err := e.provider.Register(ctx, identity.Registration{Email: e.emu.UniqueEmail("reset"), Password: password})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.provider.SendPasswordReset(ctx, strings.ToUpper(u.Email)); err != nil {
		t.Fatalf("SendPasswordReset: %v", err)
	}
	code := e.emu.LastOobCode(t, u.Email, "PASSWORD_RESET")

	_, err = e.provider.ConfirmPasswordReset(ctx, code, "short")
	wantCode(t, err, identity.EWEAKPASSWORD)
	_, err = e.provider.ConfirmPasswordReset(ctx, "not-a-code", "reset-new-password")
	wantCode(t, err, identity.EINVALIDTOKEN)

	uid, err := e.provider.ConfirmPasswordReset(ctx, code, "reset-new-password")
	if err != nil {
		t.Fatalf("ConfirmPasswordReset: %v", err)
	}
	if uid != u.UID {
		t.Fatalf("uid = %s, want %s", uid, u.UID)
	}
	if _, err := e.provider.SignIn(ctx, u.Email, "reset-new-password"); err != nil {
		t.Fatalf("new password refused: %v", err)
	}
	_, err = e.provider.SignIn(ctx, u.Email, password)
	wantCode(t, err, identity.EINVALIDCREDENTIALS)
	// The code is spent.
	_, err = e.provider.ConfirmPasswordReset(ctx, code, "yet-another-password")
	wantCode(t, err, identity.EINVALIDTOKEN)
}

// An unknown address answers like a known one and sends nothing.
func TestPasswordResetUnknownEmail(t *testing.T) {
	e := newEnv(t)
	email := e.emu.UniqueEmail("ghost")
	if err := e.provider.SendPasswordReset(context.Background(), email); err != nil {
		t.Fatalf("SendPasswordReset(unknown) = %v, want nil", err)
	}
	if codes := e.emu.OobCodes(t, email); len(codes) != 0 {
		t.Fatalf("codes for an unknown address: %+v", codes)
	}
}

func TestEmailVerification(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	u, err := e.provider.Register(ctx, identity.Registration{Email: e.emu.UniqueEmail("verify"), Password: password})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.provider.SendEmailVerification(ctx, u.UID); err != nil {
		t.Fatalf("SendEmailVerification: %v", err)
	}
	code := e.emu.LastOobCode(t, u.Email, "VERIFY_EMAIL")
	_, err = e.provider.ConfirmEmailVerification(ctx, "bogus")
	wantCode(t, err, identity.EINVALIDTOKEN)

	uid, err := e.provider.ConfirmEmailVerification(ctx, code)
	if err != nil {
		t.Fatalf("ConfirmEmailVerification: %v", err)
	}
	if uid != u.UID {
		t.Fatalf("uid = %s, want %s", uid, u.UID)
	}
	rec, err := e.client.Auth().GetUser(ctx, u.UID)
	if err != nil {
		t.Fatal(err)
	}
	row, err := e.users.FindUserByUID(ctx, u.UID)
	if err != nil {
		t.Fatal(err)
	}
	if !rec.EmailVerified || !row.EmailVerified {
		t.Fatalf("verified: at Firebase %v, row %v", rec.EmailVerified, row.EmailVerified)
	}
}

func TestUpdateProfile(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	u, err := e.provider.Register(ctx, identity.Registration{Email: e.emu.UniqueEmail("profile"), Password: password, DisplayName: "Old"})
	if err != nil {
		t.Fatal(err)
	}
	name, photo := "  New Name ", "https://example.com/me.png"
	got, err := e.provider.UpdateProfile(ctx, u.UID, identity.UserUpdate{DisplayName: &name, PhotoURL: &photo})
	if err != nil {
		t.Fatalf("UpdateProfile: %v", err)
	}
	if got.DisplayName != "New Name" || got.PhotoURL != photo {
		t.Fatalf("row = %+v", got)
	}
	rec, err := e.client.Auth().GetUser(ctx, u.UID)
	if err != nil {
		t.Fatal(err)
	}
	if rec.DisplayName != "New Name" || rec.PhotoURL != photo {
		t.Fatalf("at Firebase: name %q photo %q", rec.DisplayName, rec.PhotoURL)
	}
	// Empty values remove them at Firebase.
	empty := ""
	if _, err := e.provider.UpdateProfile(ctx, u.UID, identity.UserUpdate{DisplayName: &empty, PhotoURL: &empty}); err != nil {
		t.Fatal(err)
	}
	rec, err = e.client.Auth().GetUser(ctx, u.UID)
	if err != nil {
		t.Fatal(err)
	}
	if rec.DisplayName != "" || rec.PhotoURL != "" {
		t.Fatalf("not removed at Firebase: name %q photo %q", rec.DisplayName, rec.PhotoURL)
	}
	_, err = e.provider.UpdateProfile(ctx, "no-such-uid", identity.UserUpdate{DisplayName: &name})
	wantCode(t, err, identity.ENOTFOUND)
}

func TestDelete(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	u, err := e.provider.Register(ctx, identity.Registration{Email: e.emu.UniqueEmail("delete"), Password: password})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.provider.Delete(ctx, u.UID); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if e.emu.UserExists(t, u.UID) {
		t.Fatal("the user still exists at the emulator")
	}
	if _, err := e.users.FindUserByUID(ctx, u.UID); !identity.IsCode(err, identity.ENOTFOUND) {
		t.Fatalf("row after delete: %v", err)
	}
}

// A row whose Firebase account is already gone is still removed.
func TestDeleteAlreadyGoneAtFirebase(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	u, err := e.provider.Register(ctx, identity.Registration{Email: e.emu.UniqueEmail("gone"), Password: password})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.client.Auth().DeleteUser(ctx, u.UID); err != nil {
		t.Fatal(err)
	}
	if err := e.provider.Delete(ctx, u.UID); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if _, err := e.users.FindUserByUID(ctx, u.UID); !identity.IsCode(err, identity.ENOTFOUND) {
		t.Fatalf("row after delete: %v", err)
	}
}

func TestSyncRoles(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	email := e.emu.UniqueEmail("sync")
	u, err := e.provider.Register(ctx, identity.Registration{Email: email, Password: password})
	if err != nil {
		t.Fatal(err)
	}
	e.emu.SetCustomClaims(t, u.UID, map[string]any{"tier": "gold"})

	if err := e.provider.SyncRoles(ctx, u.UID, []string{"admin", " editor ", ""}); err != nil {
		t.Fatalf("SyncRoles: %v", err)
	}
	p, err := e.client.Verifier().Verify(ctx, e.emu.SignIn(t, email, password).IDToken)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(p.Roles, []string{"admin", "editor"}) || p.Claims["tier"] != "gold" {
		t.Fatalf("fresh token: roles %v claims %v", p.Roles, p.Claims)
	}

	if err := e.provider.SyncRoles(ctx, u.UID, nil); err != nil {
		t.Fatal(err)
	}
	p, err = e.client.Verifier().Verify(ctx, e.emu.SignIn(t, email, password).IDToken)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Roles) != 0 || p.Claims["tier"] != "gold" {
		t.Fatalf("after clearing: roles %v claims %v", p.Roles, p.Claims)
	}
	wantCode(t, e.provider.SyncRoles(ctx, "no-such-uid", []string{"admin"}), identity.ENOTFOUND)
}

func TestUpdateProfileRolesMirrorsClaim(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	email := e.emu.UniqueEmail("roles-row")
	u, err := e.provider.Register(ctx, identity.Registration{Email: email, Password: password})
	if err != nil {
		t.Fatal(err)
	}
	roles := []string{"admin"}
	row, err := e.provider.UpdateProfile(ctx, u.UID, identity.UserUpdate{Roles: &roles})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(row.Roles, roles) {
		t.Fatalf("row roles = %v", row.Roles)
	}
	p, err := e.client.Verifier().Verify(ctx, e.emu.SignIn(t, email, password).IDToken)
	if err != nil {
		t.Fatal(err)
	}
	if !p.HasRole("admin") {
		t.Fatalf("token roles = %v", p.Roles)
	}
}

func TestProviderUnreachable(t *testing.T) {
	c, err := firebase.New(context.Background(), firebase.Config{
		ProjectID: "demo-authgate", EmulatorHost: closedAddr(t), HTTPTimeout: 2 * time.Second, Users: openStore(t),
	})
	if err != nil {
		t.Fatal(err)
	}
	p, err := c.Provider()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	calls := map[string]func() error{
		"Register": func() error {
			_, err := p.Register(ctx, identity.Registration{Email: "a@example.com", Password: password})
			return err
		},
		"SignIn":            func() error { _, err := p.SignIn(ctx, "a@example.com", password); return err },
		"CheckPassword":     func() error { return p.CheckPassword(ctx, "uid", password) },
		"SendPasswordReset": func() error { return p.SendPasswordReset(ctx, "a@example.com") },
		"Delete":            func() error { return p.Delete(ctx, "uid") },
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) {
			err := call()
			wantCode(t, err, identity.EUNAVAILABLE)
			if msg := identity.ErrorMessage(err); !strings.Contains(msg, "unreachable") {
				t.Fatalf("message = %q", msg)
			}
		})
	}
}

func anyStrings(v any) []string {
	arr, _ := v.([]any)
	out := make([]string, 0, len(arr))
	for _, x := range arr {
		s, _ := x.(string)
		out = append(out, s)
	}
	return out
}
