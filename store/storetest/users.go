package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/authgate/authgate/identity"
	"github.com/authgate/authgate/store"
)

func testCreateAndFindUser(t *testing.T, db *store.DB) {
	login := t0.Add(time.Minute)
	changed := t0.Add(-time.Hour)
	u := &identity.User{
		UID: "uid-1", Email: "  Alice@Example.COM ", DisplayName: "Alice", PhotoURL: "https://img/a.png",
		EmailVerified: true, Roles: []string{"editor", " admin ", "editor", ""}, CreatedAt: t0, UpdatedAt: t0,
		LastLoginAt: &login, IsActive: true, MFAEnabled: true,
		PasswordHash: "$argon2id$v=19$m=19456,t=2,p=1$salt$hash", TOTPSecret: "JBSWY3DPEHPK3PXP",
		TOTPLastStep: 12345, PasswordChangedAt: &changed,
	}
	mustNil(t, db.CreateUser(ctx(t), u))
	if u.ID == 0 {
		t.Error("CreateUser did not set ID")
	}
	if u.Email != "alice@example.com" {
		t.Errorf("CreateUser left Email %q, want the normalized address", u.Email)
	}
	for _, find := range []struct {
		name string
		fn   func() (*identity.User, error)
	}{
		{"by uid", func() (*identity.User, error) { return db.FindUserByUID(ctx(t), "uid-1") }},
		{"by email", func() (*identity.User, error) { return db.FindUserByEmail(ctx(t), "alice@example.com") }},
		{"by email other case", func() (*identity.User, error) { return db.FindUserByEmail(ctx(t), " ALICE@example.Com\t") }},
	} {
		t.Run(find.name, func(t *testing.T) {
			got, err := find.fn()
			mustNil(t, err)
			if got.ID != u.ID || got.UID != "uid-1" || got.Email != "alice@example.com" || got.DisplayName != "Alice" ||
				got.PhotoURL != "https://img/a.png" || !got.EmailVerified || !got.IsActive || !got.MFAEnabled ||
				got.PasswordHash != u.PasswordHash || got.TOTPSecret != u.TOTPSecret || got.TOTPLastStep != 12345 {
				t.Errorf("got %+v, want %+v", got, u)
			}
			if !equalStrings(got.Roles, []string{"admin", "editor"}) {
				t.Errorf("Roles = %q, want [admin editor]", got.Roles)
			}
			sameTime(t, "CreatedAt", got.CreatedAt, t0)
			sameTime(t, "UpdatedAt", got.UpdatedAt, t0)
			sameTimePtr(t, "LastLoginAt", got.LastLoginAt, &login)
			sameTimePtr(t, "PasswordChangedAt", got.PasswordChangedAt, &changed)
		})
	}

	// Zero times get the store's clock; no roles reads as an empty list.
	v := mustCreateUser(t, db, &identity.User{UID: "uid-2", Email: "bob@example.com"})
	got, err := db.FindUserByUID(ctx(t), "uid-2")
	mustNil(t, err)
	if got.CreatedAt.IsZero() || !got.CreatedAt.Equal(v.CreatedAt) || got.Roles == nil || len(got.Roles) != 0 ||
		got.IsActive || got.LastLoginAt != nil || got.PasswordChangedAt != nil {
		t.Errorf("defaults: got %+v", got)
	}
}

func testCreateUserValidation(t *testing.T, db *store.DB) {
	for _, u := range []*identity.User{
		{UID: "", Email: "a@example.com"},
		{UID: "  ", Email: "a@example.com"},
		{UID: "u", Email: ""},
		{UID: "u", Email: "   "},
	} {
		wantCode(t, db.CreateUser(ctx(t), u), identity.EINVALID)
	}
}

func testCreateUserTaken(t *testing.T, db *store.DB) {
	mustCreateUser(t, db, newUser("uid-1", "carol@example.com", "admin"))
	for _, tc := range []struct{ name, uid, email string }{
		{"same email", "uid-2", "carol@example.com"},
		{"email differing in case", "uid-3", "Carol@Example.com"},
		{"email with spaces", "uid-4", " carol@example.com "},
		{"same uid", "uid-1", "other@example.com"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantCode(t, db.CreateUser(ctx(t), newUser(tc.uid, tc.email, "x")), identity.EEMAILTAKEN)
		})
	}
	// The failed creations left nothing behind (roles included).
	users, total, err := db.FindUsers(ctx(t), identity.UserFilter{})
	mustNil(t, err)
	if total != 1 || len(users) != 1 || !equalStrings(users[0].Roles, []string{"admin"}) {
		t.Fatalf("after failed creations: total %d users %+v", total, users)
	}
	if _, total, _ := db.FindUsers(ctx(t), identity.UserFilter{Role: "x"}); total != 0 {
		t.Errorf("a failed creation left %d role rows", total)
	}
}

func testFindUserNotFound(t *testing.T, db *store.DB) {
	mustCreateUser(t, db, newUser("uid-1", "dave@example.com"))
	_, err := db.FindUserByUID(ctx(t), "nobody")
	wantCode(t, err, identity.ENOTFOUND)
	_, err = db.FindUserByEmail(ctx(t), "nobody@example.com")
	wantCode(t, err, identity.ENOTFOUND)
	_, err = db.FindUserByUID(ctx(t), "")
	wantCode(t, err, identity.ENOTFOUND)
	_, err = db.FindUserByEmail(ctx(t), "dave@example.co") // no prefix matching
	wantCode(t, err, identity.ENOTFOUND)
}

func testUpdateUser(t *testing.T, db *store.DB) {
	mustCreateUser(t, db, newUser("uid-1", "erin@example.com", "admin", "editor"))
	login, changed := t0.Add(time.Hour), t0.Add(2*time.Hour)
	upd := identity.UserUpdate{
		Email: ptr(" Erin.New@Example.com"), DisplayName: ptr("Erin N"), PhotoURL: ptr("https://img/e.png"),
		EmailVerified: ptr(true), IsActive: ptr(false), PasswordHash: ptr("new-hash"),
		PasswordChangedAt: &changed, LastLoginAt: &login, MFAEnabled: ptr(true),
		TOTPSecret: ptr("SECRET"), TOTPLastStep: ptr(int64(99)),
	}
	got, err := db.UpdateUser(ctx(t), "uid-1", upd)
	mustNil(t, err)
	if got.Email != "erin.new@example.com" || got.DisplayName != "Erin N" || got.PhotoURL != "https://img/e.png" ||
		!got.EmailVerified || got.IsActive || got.PasswordHash != "new-hash" || !got.MFAEnabled ||
		got.TOTPSecret != "SECRET" || got.TOTPLastStep != 99 {
		t.Errorf("UpdateUser returned %+v", got)
	}
	sameTimePtr(t, "LastLoginAt", got.LastLoginAt, &login)
	sameTimePtr(t, "PasswordChangedAt", got.PasswordChangedAt, &changed)
	if got.UpdatedAt.Equal(t0) {
		t.Errorf("UpdatedAt = %v, want it set by the update", got.UpdatedAt)
	}
	if !equalStrings(got.Roles, []string{"admin", "editor"}) {
		t.Errorf("nil Roles changed the roles to %q", got.Roles)
	}
	// The stored row matches what UpdateUser returned.
	again, err := db.FindUserByEmail(ctx(t), "ERIN.NEW@example.com")
	mustNil(t, err)
	if again.DisplayName != "Erin N" || again.IsActive {
		t.Errorf("stored %+v", again)
	}
	if _, err := db.FindUserByEmail(ctx(t), "erin@example.com"); !identity.IsCode(err, identity.ENOTFOUND) {
		t.Errorf("old email still finds the user: %v", err)
	}

	for _, tc := range []struct {
		name  string
		roles []string
		want  []string
	}{
		{"replace", []string{"viewer", "admin", "viewer"}, []string{"admin", "viewer"}},
		{"clear", []string{}, []string{}},
		{"set again", []string{"ops"}, []string{"ops"}},
	} {
		t.Run("roles "+tc.name, func(t *testing.T) {
			got, err := db.UpdateUser(ctx(t), "uid-1", identity.UserUpdate{Roles: &tc.roles})
			mustNil(t, err)
			if !equalStrings(got.Roles, tc.want) {
				t.Errorf("Roles = %q, want %q", got.Roles, tc.want)
			}
			stored, err := db.FindUserByUID(ctx(t), "uid-1")
			mustNil(t, err)
			if !equalStrings(stored.Roles, tc.want) {
				t.Errorf("stored Roles = %q, want %q", stored.Roles, tc.want)
			}
		})
	}

	// An empty update only touches UpdatedAt.
	got, err = db.UpdateUser(ctx(t), "uid-1", identity.UserUpdate{})
	mustNil(t, err)
	if got.Email != "erin.new@example.com" || got.DisplayName != "Erin N" {
		t.Errorf("empty update changed %+v", got)
	}
	_, err = db.UpdateUser(ctx(t), "uid-1", identity.UserUpdate{Email: ptr("  ")})
	wantCode(t, err, identity.EINVALID)
}

func testUpdateUserEmailTakenIsAtomic(t *testing.T, db *store.DB) {
	mustCreateUser(t, db, newUser("uid-1", "frank@example.com", "admin"))
	mustCreateUser(t, db, newUser("uid-2", "grace@example.com", "viewer"))
	roles := []string{"owner"}
	_, err := db.UpdateUser(ctx(t), "uid-2", identity.UserUpdate{
		Email: ptr("FRANK@example.com"), DisplayName: ptr("changed"), Roles: &roles,
	})
	wantCode(t, err, identity.EEMAILTAKEN)
	got, err := db.FindUserByUID(ctx(t), "uid-2")
	mustNil(t, err)
	if got.Email != "grace@example.com" || got.DisplayName != "User uid-2" || !equalStrings(got.Roles, []string{"viewer"}) {
		t.Errorf("a failed update left a partial change: %+v", got)
	}
}

func testUpdateUserNotFound(t *testing.T, db *store.DB) {
	roles := []string{"admin"}
	_, err := db.UpdateUser(ctx(t), "nobody", identity.UserUpdate{DisplayName: ptr("x"), Roles: &roles})
	wantCode(t, err, identity.ENOTFOUND)
	if _, total, _ := db.FindUsers(ctx(t), identity.UserFilter{Role: "admin"}); total != 0 {
		t.Errorf("roles written for a missing user")
	}
}

func testFindUsers(t *testing.T, db *store.DB) {
	fixtures := []*identity.User{
		newUser("u1", "anna@corp.example", "admin"),
		newUser("u2", "ben@corp.example", "admin", "editor"),
		newUser("u3", "cleo@home.example"),
		newUser("u4", "dan_x@home.example", "editor"),
		newUser("u5", "e100%@home.example"),
	}
	fixtures[2].DisplayName = "Cleo BENNETT"
	for _, u := range fixtures {
		mustCreateUser(t, db, u)
	}
	uids := func(us []*identity.User) []string {
		out := make([]string, len(us))
		for i, u := range us {
			out[i] = u.UID
		}
		return out
	}
	for _, tc := range []struct {
		name string
		f    identity.UserFilter
		want []string
	}{
		{"all", identity.UserFilter{}, []string{"u1", "u2", "u3", "u4", "u5"}},
		{"query email", identity.UserFilter{Query: "CORP"}, []string{"u1", "u2"}},
		{"query display name, case-insensitive", identity.UserFilter{Query: "benn"}, []string{"u3"}},
		{"query email or name", identity.UserFilter{Query: "Ben"}, []string{"u2", "u3"}},
		{"underscore is literal", identity.UserFilter{Query: "n_x"}, []string{"u4"}},
		{"underscore does not match any char", identity.UserFilter{Query: "a_n"}, nil},
		{"percent is literal", identity.UserFilter{Query: "100%"}, []string{"u5"}},
		{"percent does not match anything", identity.UserFilter{Query: "an%corp"}, nil},
		{"role", identity.UserFilter{Role: "admin"}, []string{"u1", "u2"}},
		{"role and query", identity.UserFilter{Role: "editor", Query: "home"}, []string{"u4"}},
		{"unknown role", identity.UserFilter{Role: "root"}, nil},
		{"uid", identity.UserFilter{UID: ptr("u3")}, []string{"u3"}},
		{"email any case", identity.UserFilter{Email: ptr("BEN@corp.example")}, []string{"u2"}},
		{"offset", identity.UserFilter{Offset: 3}, []string{"u4", "u5"}},
		{"limit", identity.UserFilter{Limit: 2}, []string{"u1", "u2"}},
		{"offset and limit", identity.UserFilter{Offset: 1, Limit: 2}, []string{"u2", "u3"}},
		{"offset past the end", identity.UserFilter{Offset: 10}, nil},
		{"negative offset", identity.UserFilter{Offset: -5, Limit: 1}, []string{"u1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			users, total, err := db.FindUsers(ctx(t), tc.f)
			mustNil(t, err)
			if got := uids(users); !equalStrings(got, tc.want) {
				t.Errorf("uids = %q, want %q", got, tc.want)
			}
			// total counts every match, ignoring paging.
			g := tc.f
			g.Offset, g.Limit = 0, 500
			all, _, err := db.FindUsers(ctx(t), g)
			mustNil(t, err)
			if total != len(all) {
				t.Errorf("total = %d, want %d", total, len(all))
			}
		})
	}
	users, _, err := db.FindUsers(ctx(t), identity.UserFilter{Role: "editor"})
	mustNil(t, err)
	if len(users) != 2 || !equalStrings(users[0].Roles, []string{"admin", "editor"}) || !equalStrings(users[1].Roles, []string{"editor"}) {
		t.Errorf("roles of listed users: %+v", users)
	}
}

func testFindUsersPaging(t *testing.T, db *store.DB) {
	const n = 55
	for i := range n {
		mustCreateUser(t, db, newUser(fmt.Sprintf("u%03d", i), fmt.Sprintf("user%03d@example.com", i)))
	}
	users, total, err := db.FindUsers(ctx(t), identity.UserFilter{})
	mustNil(t, err)
	if total != n || len(users) != 50 {
		t.Errorf("default page: %d users of %d, want 50 of %d", len(users), total, n)
	}
	users, total, err = db.FindUsers(ctx(t), identity.UserFilter{Offset: 50, Limit: 1000})
	mustNil(t, err)
	if total != n || len(users) != 5 || users[0].UID != "u050" {
		t.Errorf("last page: %d users of %d", len(users), total)
	}
}

func testDeleteUser(t *testing.T, db *store.DB) {
	for _, uid := range []string{"gone", "kept"} {
		mustCreateUser(t, db, newUser(uid, uid+"@example.com", "admin"))
		mustCreateSession(t, db, uid)
		mustCreateSession(t, db, uid)
		ott, _ := newOTT(uid, identity.PurposePasswordReset, t0.Add(time.Hour))
		mustNil(t, db.CreateOneTimeToken(ctx(t), ott))
		mustNil(t, db.RecordAudit(ctx(t), &identity.AuditEvent{UID: uid, Action: identity.ActionLogin, Status: identity.StatusSuccess, CreatedAt: t0}))
	}
	goneSession, goneRT := mustCreateSession(t, db, "gone")
	goneOTT, _ := newOTT("gone", identity.PurposeEmailVerification, t0.Add(time.Hour))
	mustNil(t, db.CreateOneTimeToken(ctx(t), goneOTT))

	mustNil(t, db.DeleteUser(ctx(t), "gone"))

	_, err := db.FindUserByUID(ctx(t), "gone")
	wantCode(t, err, identity.ENOTFOUND)
	_, err = db.FindUserByEmail(ctx(t), "gone@example.com")
	wantCode(t, err, identity.ENOTFOUND)
	_, err = db.FindSessionByID(ctx(t), goneSession.ID)
	wantCode(t, err, identity.ENOTFOUND)
	if ss, _ := db.FindSessions(ctx(t), "gone", t0); len(ss) != 0 {
		t.Errorf("%d sessions left", len(ss))
	}
	_, err = db.RotateRefreshToken(ctx(t), goneRT.Hash, nextToken(t0.Add(time.Hour)), "j", t0)
	wantCode(t, err, identity.EINVALIDTOKEN)
	_, err = db.ConsumeOneTimeToken(ctx(t), identity.PurposeEmailVerification, goneOTT.Hash, t0)
	wantCode(t, err, identity.EINVALIDTOKEN)
	if users, _, _ := db.FindUsers(ctx(t), identity.UserFilter{Role: "admin"}); len(users) != 1 || users[0].UID != "kept" {
		t.Errorf("admins after delete: %+v", users)
	}
	// Audit rows stay.
	if _, n, _ := db.FindAuditEvents(ctx(t), identity.AuditFilter{UID: "gone"}); n != 1 {
		t.Errorf("audit rows of the deleted user: %d, want 1", n)
	}
	// The other user is untouched.
	if ss, _ := db.FindSessions(ctx(t), "kept", t0); len(ss) != 2 {
		t.Errorf("other user's sessions: %d, want 2", len(ss))
	}
	// The email is free again.
	mustCreateUser(t, db, newUser("new", "GONE@example.com"))

	wantCode(t, db.DeleteUser(ctx(t), "gone"), identity.ENOTFOUND)
	wantCode(t, db.DeleteUser(ctx(t), "nobody"), identity.ENOTFOUND)
}
