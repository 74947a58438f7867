package local_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/authgate/authgate/identity"
	"github.com/authgate/authgate/local"
	"github.com/authgate/authgate/password"
	"github.com/authgate/authgate/store"
)

// t0 is the test clock's time.
var t0 = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)

// fastParams keep argon2id cheap in tests; TestDefaultParams uses the real ones.
var fastParams = password.Params{Memory: 64, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}

// openStore opens a migrated SQLite file in t.TempDir().
func openStore(t testing.TB) *store.DB {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "auth.db"), store.Options{Now: func() time.Time { return t0 }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return db
}

// newProvider returns a Provider with fast hashing over a fresh store.
func newProvider(t testing.TB, hasherOpts ...password.Option) (*local.Provider, *store.DB) {
	t.Helper()
	h, err := password.New(append([]password.Option{password.WithParams(fastParams)}, hasherOpts...)...)
	if err != nil {
		t.Fatal(err)
	}
	db := openStore(t)
	p := local.New(db, h)
	p.Now = func() time.Time { return t0 }
	return p, db
}

func register(t testing.TB, p *local.Provider, email, pw string) *identity.User {
	t.Helper()
	u, err := p.Register(context.Background(), identity.Registration{Email: email, Password: pw})
	if err != nil {
		t.Fatalf("Register(%q): %v", email, err)
	}
	return u
}

// wantCode fails unless err is an *identity.Error with the code; it returns it.
func wantCode(t *testing.T, err error, code string) *identity.Error {
	t.Helper()
	var e *identity.Error
	if !errors.As(err, &e) || e.Code != code {
		t.Fatalf("err = %v, want code %q", err, code)
	}
	return e
}

func TestName(t *testing.T) {
	if got := (&local.Provider{}).Name(); got != "local" {
		t.Fatalf("Name() = %q", got)
	}
}

func TestRegister(t *testing.T) {
	ctx := context.Background()
	p, db := newProvider(t)
	u, err := p.Register(ctx, identity.Registration{
		Email:         "  Alice@Example.COM ",
		Password:      "tq8#vLz2-alice",
		DisplayName:   "  Alice  ",
		EmailVerified: true,
		Roles:         []string{"editor"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(u.UID) != 22 || strings.ContainsAny(u.UID, "+/=") {
		t.Errorf("uid %q, want 22 characters of URL-safe base64", u.UID)
	}
	if u.Email != "alice@example.com" || u.DisplayName != "Alice" || !u.EmailVerified || !u.IsActive || !u.HasRole("editor") {
		t.Errorf("user %+v", u)
	}
	if u.PasswordHash != "" {
		t.Error("Register returned the password hash")
	}
	if u.LastLoginAt != nil {
		t.Error("Register set last_login_at")
	}

	stored, err := db.FindUserByUID(ctx, u.UID)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(stored.PasswordHash, "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Errorf("stored hash %q", stored.PasswordHash)
	}
	if stored.PasswordChangedAt == nil || !stored.PasswordChangedAt.Equal(t0) || !stored.CreatedAt.Equal(t0) {
		t.Errorf("password_changed_at %v, created_at %v, want %v", stored.PasswordChangedAt, stored.CreatedAt, t0)
	}

	other := register(t, p, "bob@example.com", "tq8#vLz2-bob")
	if other.UID == u.UID {
		t.Error("two users got one uid")
	}
}

func TestRegisterEmailTaken(t *testing.T) {
	p, _ := newProvider(t)
	register(t, p, "carol@example.com", "tq8#vLz2-carol")
	_, err := p.Register(context.Background(), identity.Registration{Email: " CAROL@example.com", Password: "another-Passw0rd-x"})
	wantCode(t, err, identity.EEMAILTAKEN)
}

func TestRegisterValidation(t *testing.T) {
	long := strings.Repeat("a", 243) + "@example.com" // 255 bytes
	tests := []struct {
		name  string
		reg   identity.Registration
		code  string
		field string
	}{
		{"empty email", identity.Registration{Email: "  ", Password: "tq8#vLz2-x"}, identity.EINVALID, "email"},
		{"no at sign", identity.Registration{Email: "alice.example.com", Password: "tq8#vLz2-x"}, identity.EINVALID, "email"},
		{"no domain", identity.Registration{Email: "alice@", Password: "tq8#vLz2-x"}, identity.EINVALID, "email"},
		{"two at signs", identity.Registration{Email: "a@b@example.com", Password: "tq8#vLz2-x"}, identity.EINVALID, "email"},
		{"display name form", identity.Registration{Email: "Alice <alice@example.com>", Password: "tq8#vLz2-x"}, identity.EINVALID, "email"},
		{"two addresses", identity.Registration{Email: "a@example.com, b@example.com", Password: "tq8#vLz2-x"}, identity.EINVALID, "email"},
		{"header injection", identity.Registration{Email: "a@example.com\r\nBcc: x@evil.test", Password: "tq8#vLz2-x"}, identity.EINVALID, "email"},
		{"too long", identity.Registration{Email: long, Password: "tq8#vLz2-x"}, identity.EINVALID, "email"},
		{"display name too long", identity.Registration{Email: "d@example.com", Password: "tq8#vLz2-x", DisplayName: strings.Repeat("é", 257)}, identity.EINVALID, "display_name"},
		{"display name with newline", identity.Registration{Email: "d@example.com", Password: "tq8#vLz2-x", DisplayName: "Eve\r\nX-User-Roles: admin"}, identity.EINVALID, "display_name"},
		{"short password", identity.Registration{Email: "d@example.com", Password: "short"}, identity.EWEAKPASSWORD, "password"},
		{"common password", identity.Registration{Email: "d@example.com", Password: "iloveyou123"}, identity.EWEAKPASSWORD, "password"},
		{"password is the email", identity.Registration{Email: "Dave.Long@example.com", Password: "dave.long@example.com"}, identity.EWEAKPASSWORD, "password"},
		{"password is the local part", identity.Registration{Email: "dave.long@example.com", Password: "Dave.Long"}, identity.EWEAKPASSWORD, "password"},
	}
	p, db := newProvider(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := p.Register(context.Background(), tt.reg)
			e := wantCode(t, err, tt.code)
			if e.Fields[tt.field] == "" {
				t.Errorf("Fields = %v, want an entry for %q", e.Fields, tt.field)
			}
		})
	}
	if _, n, err := db.FindUsers(context.Background(), identity.UserFilter{}); err != nil || n != 0 {
		t.Fatalf("%d users stored after refused registrations (err %v)", n, err)
	}
	// 254 bytes is the limit, not over it.
	register(t, p, strings.Repeat("a", 242)+"@example.com", "tq8#vLz2-long")
}

func TestSignIn(t *testing.T) {
	ctx := context.Background()
	p, db := newProvider(t)
	alice := register(t, p, "alice@example.com", "tq8#vLz2-alice")
	dis := register(t, p, "disabled@example.com", "tq8#vLz2-dis")
	no := false
	if _, err := db.UpdateUser(ctx, dis.UID, identity.UserUpdate{IsActive: &no}); err != nil {
		t.Fatal(err)
	}
	// An account with no local password (made by another provider).
	if err := db.CreateUser(ctx, &identity.User{UID: "fb-uid-1", Email: "nopass@example.com", IsActive: true}); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name, email, pw string
		code            string // "" = success
	}{
		{"right password", "alice@example.com", "tq8#vLz2-alice", ""},
		{"email case and space ignored", "  ALICE@example.com ", "tq8#vLz2-alice", ""},
		{"wrong password", "alice@example.com", "tq8#vLz2-alicE", identity.EINVALIDCREDENTIALS},
		{"empty password", "alice@example.com", "", identity.EINVALIDCREDENTIALS},
		{"unknown email", "mallory@example.com", "tq8#vLz2-alice", identity.EINVALIDCREDENTIALS},
		{"empty email", "", "tq8#vLz2-alice", identity.EINVALIDCREDENTIALS},
		{"no local password", "nopass@example.com", "", identity.EINVALIDCREDENTIALS},
		{"disabled, wrong password", "disabled@example.com", "wrong-password", identity.EINVALIDCREDENTIALS},
		{"disabled, right password", "disabled@example.com", "tq8#vLz2-dis", identity.EUSERDISABLED},
	}
	var invalidMsg string
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, err := p.SignIn(ctx, tt.email, tt.pw)
			if tt.code == "" {
				if err != nil {
					t.Fatal(err)
				}
				if u.UID != alice.UID || u.PasswordHash != "" {
					t.Fatalf("user %+v", u)
				}
				return
			}
			e := wantCode(t, err, tt.code)
			if u != nil {
				t.Error("user returned with an error")
			}
			if tt.code == identity.EINVALIDCREDENTIALS {
				// One answer for every way to be wrong.
				if invalidMsg == "" {
					invalidMsg = e.Message
				} else if e.Message != invalidMsg {
					t.Errorf("message %q differs from %q", e.Message, invalidMsg)
				}
			}
		})
	}

	stored, err := db.FindUserByUID(ctx, alice.UID)
	if err != nil {
		t.Fatal(err)
	}
	if stored.LastLoginAt != nil {
		t.Error("SignIn set last_login_at (the API layer does that)")
	}
}

// cancelAfterLookup passes user lookups to the real store, then cancels the
// caller's context: whatever the provider does next that honours the
// context (waiting for a hashing slot) fails with context.Canceled.
type cancelAfterLookup struct {
	identity.UserStore
	cancel context.CancelFunc
}

func (s cancelAfterLookup) FindUserByEmail(ctx context.Context, email string) (*identity.User, error) {
	defer s.cancel()
	return s.UserStore.FindUserByEmail(ctx, email)
}

// TestSignInSameWork shows that an unknown email, an account without a
// password and a wrong password all go through the hasher, like a right
// password: with the context cancelled right after the lookup, each of
// them fails with the context's error instead of answering at once.
func TestSignInSameWork(t *testing.T) {
	p, db := newProvider(t)
	register(t, p, "alice@example.com", "tq8#vLz2-alice")
	if err := db.CreateUser(context.Background(), &identity.User{UID: "fb-uid-2", Email: "nopass@example.com", IsActive: true}); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ name, email, pw string }{
		{"right password", "alice@example.com", "tq8#vLz2-alice"},
		{"wrong password", "alice@example.com", "wrong-password"},
		{"unknown email", "nobody@example.com", "wrong-password"},
		{"no local password", "nopass@example.com", "wrong-password"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			q := *p
			q.Users = cancelAfterLookup{UserStore: db, cancel: cancel}
			if _, err := q.SignIn(ctx, tt.email, tt.pw); !errors.Is(err, context.Canceled) {
				t.Fatalf("SignIn = %v, want it to reach the hasher (context.Canceled)", err)
			}
		})
	}
}

func TestSignInRehash(t *testing.T) {
	ctx := context.Background()
	p, db := newProvider(t)

	bc, err := bcrypt.GenerateFromPassword([]byte("imported-Passw0rd"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	weakHasher, err := password.New(password.WithParams(password.Params{Memory: 32, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}))
	if err != nil {
		t.Fatal(err)
	}
	weak, err := weakHasher.Hash(ctx, "older-Passw0rd")
	if err != nil {
		t.Fatal(err)
	}
	changed := t0.Add(-time.Hour)
	for _, u := range []*identity.User{
		{UID: "imported-1", Email: "imported@example.com", IsActive: true, PasswordHash: string(bc), PasswordChangedAt: &changed},
		{UID: "older-1", Email: "older@example.com", IsActive: true, PasswordHash: weak, PasswordChangedAt: &changed},
	} {
		if err := db.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	for _, tt := range []struct{ uid, email, pw string }{
		{"imported-1", "imported@example.com", "imported-Passw0rd"},
		{"older-1", "older@example.com", "older-Passw0rd"},
	} {
		t.Run(tt.uid, func(t *testing.T) {
			if _, err := p.SignIn(ctx, tt.email, tt.pw+"x"); !identity.IsCode(err, identity.EINVALIDCREDENTIALS) {
				t.Fatalf("wrong password: %v", err)
			}
			before, _ := db.FindUserByUID(ctx, tt.uid)
			if _, err := p.SignIn(ctx, tt.email, tt.pw); err != nil {
				t.Fatal(err)
			}
			after, err := db.FindUserByUID(ctx, tt.uid)
			if err != nil {
				t.Fatal(err)
			}
			if after.PasswordHash == before.PasswordHash || p.Hasher.NeedsRehash(after.PasswordHash) {
				t.Fatalf("hash not upgraded: %q", after.PasswordHash)
			}
			if after.PasswordChangedAt == nil || !after.PasswordChangedAt.Equal(changed) {
				t.Errorf("password_changed_at moved to %v on a rehash", after.PasswordChangedAt)
			}
			if _, err := p.SignIn(ctx, tt.email, tt.pw); err != nil {
				t.Fatalf("sign-in with the upgraded hash: %v", err)
			}
		})
	}
}

func TestSignInUnreadableHash(t *testing.T) {
	ctx := context.Background()
	p, db := newProvider(t)
	if err := db.CreateUser(ctx, &identity.User{UID: "broken-1", Email: "broken@example.com", IsActive: true, PasswordHash: "$argon2id$garbage"}); err != nil {
		t.Fatal(err)
	}
	_, err := p.SignIn(ctx, "broken@example.com", "anything-at-all")
	wantCode(t, err, identity.EINVALIDCREDENTIALS)
}

func TestCheckPassword(t *testing.T) {
	ctx := context.Background()
	p, _ := newProvider(t)
	u := register(t, p, "alice@example.com", "tq8#vLz2-alice")
	if err := p.CheckPassword(ctx, u.UID, "tq8#vLz2-alice"); err != nil {
		t.Fatal(err)
	}
	wantCode(t, p.CheckPassword(ctx, u.UID, "tq8#vLz2-wrong"), identity.EINVALIDCREDENTIALS)
	wantCode(t, p.CheckPassword(ctx, "no-such-uid", "tq8#vLz2-alice"), identity.ENOTFOUND)
}

func TestSetPassword(t *testing.T) {
	ctx := context.Background()
	p, db := newProvider(t)
	u := register(t, p, "erin.lee@example.com", "tq8#vLz2-erin")

	for _, weak := range []string{"short", "password123", "Erin.Lee@Example.com", "erin.lee"} {
		wantCode(t, p.SetPassword(ctx, u.UID, weak), identity.EWEAKPASSWORD)
	}
	wantCode(t, p.SetPassword(ctx, "no-such-uid", "tq8#vLz2-new"), identity.ENOTFOUND)

	later := t0.Add(time.Hour)
	p.Now = func() time.Time { return later }
	if err := p.SetPassword(ctx, u.UID, "tq8#vLz2-new"); err != nil {
		t.Fatal(err)
	}
	if _, err := p.SignIn(ctx, "erin.lee@example.com", "tq8#vLz2-erin"); !identity.IsCode(err, identity.EINVALIDCREDENTIALS) {
		t.Errorf("old password after change: %v", err)
	}
	if _, err := p.SignIn(ctx, "erin.lee@example.com", "tq8#vLz2-new"); err != nil {
		t.Errorf("new password: %v", err)
	}
	stored, err := db.FindUserByUID(ctx, u.UID)
	if err != nil {
		t.Fatal(err)
	}
	if stored.PasswordChangedAt == nil || !stored.PasswordChangedAt.Equal(later) {
		t.Errorf("password_changed_at = %v, want %v", stored.PasswordChangedAt, later)
	}
}

func TestUpdateProfile(t *testing.T) {
	ctx := context.Background()
	p, _ := newProvider(t)
	u := register(t, p, "frank@example.com", "tq8#vLz2-frank")
	s := func(v string) *string { return &v }

	tests := []struct {
		name      string
		upd       identity.UserUpdate
		badFields []string // nil = valid
		wantName  string
		wantPhoto string
	}{
		{"both", identity.UserUpdate{DisplayName: s("  Frank Zappa "), PhotoURL: s("https://cdn.example.com/f.png?s=64")}, nil, "Frank Zappa", "https://cdn.example.com/f.png?s=64"},
		{"name only keeps photo", identity.UserUpdate{DisplayName: s("Frank")}, nil, "Frank", "https://cdn.example.com/f.png?s=64"},
		{"http photo", identity.UserUpdate{PhotoURL: s("http://img.example.com/a.jpg")}, nil, "Frank", "http://img.example.com/a.jpg"},
		{"empty photo clears", identity.UserUpdate{PhotoURL: s("")}, nil, "Frank", ""},
		{"256 runes", identity.UserUpdate{DisplayName: s(strings.Repeat("ß", 256))}, nil, strings.Repeat("ß", 256), ""},
		{"nothing", identity.UserUpdate{}, nil, strings.Repeat("ß", 256), ""},
		{"257 runes", identity.UserUpdate{DisplayName: s(strings.Repeat("ß", 257))}, []string{"display_name"}, "", ""},
		{"name with CRLF", identity.UserUpdate{DisplayName: s("F\r\nX-User-Roles: admin")}, []string{"display_name"}, "", ""},
		{"name with NUL", identity.UserUpdate{DisplayName: s("F\x00")}, []string{"display_name"}, "", ""},
		{"name not UTF-8", identity.UserUpdate{DisplayName: s("F\xff")}, []string{"display_name"}, "", ""},
		{"javascript URL", identity.UserUpdate{PhotoURL: s("javascript:alert(1)")}, []string{"photo_url"}, "", ""},
		{"data URL", identity.UserUpdate{PhotoURL: s("data:image/png;base64,AAAA")}, []string{"photo_url"}, "", ""},
		{"ftp URL", identity.UserUpdate{PhotoURL: s("ftp://example.com/a.png")}, []string{"photo_url"}, "", ""},
		{"relative URL", identity.UserUpdate{PhotoURL: s("/images/a.png")}, []string{"photo_url"}, "", ""},
		{"scheme-relative URL", identity.UserUpdate{PhotoURL: s("//evil.test/a.png")}, []string{"photo_url"}, "", ""},
		{"no host", identity.UserUpdate{PhotoURL: s("https:///a.png")}, []string{"photo_url"}, "", ""},
		{"credentials", identity.UserUpdate{PhotoURL: s("https://user:pw@example.com/a.png")}, []string{"photo_url"}, "", ""},
		{"too long", identity.UserUpdate{PhotoURL: s("https://example.com/" + strings.Repeat("a", 2029))}, []string{"photo_url"}, "", ""},
		{"both bad", identity.UserUpdate{DisplayName: s("\x07"), PhotoURL: s("nope")}, []string{"display_name", "photo_url"}, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := p.UpdateProfile(ctx, u.UID, tt.upd)
			if tt.badFields != nil {
				e := wantCode(t, err, identity.EINVALID)
				if len(e.Fields) != len(tt.badFields) {
					t.Errorf("Fields = %v, want %v", e.Fields, tt.badFields)
				}
				for _, f := range tt.badFields {
					if e.Fields[f] == "" {
						t.Errorf("Fields = %v, want an entry for %q", e.Fields, f)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.DisplayName != tt.wantName || got.PhotoURL != tt.wantPhoto || got.PasswordHash != "" {
				t.Errorf("got name %q photo %q, want %q %q", got.DisplayName, got.PhotoURL, tt.wantName, tt.wantPhoto)
			}
		})
	}

	// 2048 bytes is the limit, not over it.
	if _, err := p.UpdateProfile(ctx, u.UID, identity.UserUpdate{PhotoURL: s("https://example.com/" + strings.Repeat("a", 2028))}); err != nil {
		t.Errorf("2048-byte URL: %v", err)
	}
	// Roles are not a profile field.
	roles := []string{"admin"}
	if _, err := p.UpdateProfile(ctx, u.UID, identity.UserUpdate{Roles: &roles}); err == nil {
		t.Error("UpdateProfile accepted a role change")
	}
	if got, _ := p.Users.FindUserByUID(ctx, u.UID); got.HasRole("admin") {
		t.Error("role stored through UpdateProfile")
	}
	wantCode(t, func() error {
		_, err := p.UpdateProfile(ctx, "no-such-uid", identity.UserUpdate{DisplayName: s("x")})
		return err
	}(), identity.ENOTFOUND)
}

func TestDelete(t *testing.T) {
	ctx := context.Background()
	p, db := newProvider(t)
	u := register(t, p, "gina@example.com", "tq8#vLz2-gina")
	if err := p.Delete(ctx, u.UID); err != nil {
		t.Fatal(err)
	}
	if _, err := db.FindUserByUID(ctx, u.UID); !identity.IsCode(err, identity.ENOTFOUND) {
		t.Errorf("user still found: %v", err)
	}
	wantCode(t, func() error { _, err := p.SignIn(ctx, "gina@example.com", "tq8#vLz2-gina"); return err }(), identity.EINVALIDCREDENTIALS)
	wantCode(t, p.Delete(ctx, u.UID), identity.ENOTFOUND)
	// The email is free again.
	register(t, p, "gina@example.com", "tq8#vLz2-gina2")
}

// TestDefaultParams runs register and sign-in once with the production
// argon2id parameters.
func TestDefaultParams(t *testing.T) {
	ctx := context.Background()
	h, err := password.New()
	if err != nil {
		t.Fatal(err)
	}
	db := openStore(t)
	p := &local.Provider{Users: db, Hasher: h}
	u := register(t, p, "hank@example.com", "tq8#vLz2-hank")
	stored, err := db.FindUserByUID(ctx, u.UID)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(stored.PasswordHash, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("stored hash %q", stored.PasswordHash)
	}
	if _, err := p.SignIn(ctx, "hank@example.com", "tq8#vLz2-hank"); err != nil {
		t.Fatal(err)
	}
	wantCode(t, func() error { _, err := p.SignIn(ctx, "hank@example.com", "tq8#vLz2-hanK"); return err }(), identity.EINVALIDCREDENTIALS)
}
