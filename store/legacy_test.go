package store_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	_ "github.com/glebarez/go-sqlite"  // database/sql driver "sqlite", to write the Flask-era file
	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"

	"github.com/authgate/authgate/identity"
	"github.com/authgate/authgate/internal/testenv"
	"github.com/authgate/authgate/store"
)

// flaskSchema is what Flask-SQLAlchemy's create_all() emits for the seed's
// models on each database, followed by rows as the Flask service wrote
// them: SQLAlchemy's DATETIME text format without a zone on SQLite, a
// mixed-case email, NULL flags, a JSON device_info with a non-string member,
// and two addresses that differ only in case.
var flaskSchema = map[string][]string{
	"sqlite": {
		`CREATE TABLE users (
	id INTEGER NOT NULL, 
	firebase_uid VARCHAR(128) NOT NULL, 
	email VARCHAR(255) NOT NULL, 
	display_name VARCHAR(255), 
	photo_url VARCHAR(512), 
	email_verified BOOLEAN, 
	created_at DATETIME, 
	updated_at DATETIME, 
	last_login_at DATETIME, 
	is_active BOOLEAN, 
	PRIMARY KEY (id)
)`,
		`CREATE UNIQUE INDEX ix_users_firebase_uid ON users (firebase_uid)`,
		`CREATE UNIQUE INDEX ix_users_email ON users (email)`,
		`CREATE TABLE sessions (
	id INTEGER NOT NULL, 
	firebase_uid VARCHAR(128) NOT NULL, 
	token_id VARCHAR(255), 
	created_at DATETIME, 
	expires_at DATETIME, 
	device_info JSON, 
	ip_address VARCHAR(45), 
	PRIMARY KEY (id)
)`,
		`CREATE INDEX ix_sessions_firebase_uid ON sessions (firebase_uid)`,
		`CREATE TABLE audit_logs (
	id INTEGER NOT NULL, 
	firebase_uid VARCHAR(128), 
	action VARCHAR(50) NOT NULL, 
	ip_address VARCHAR(45), 
	user_agent VARCHAR(512), 
	status VARCHAR(20), 
	created_at DATETIME, 
	PRIMARY KEY (id)
)`,
		`INSERT INTO users (firebase_uid, email, display_name, photo_url, email_verified, created_at, updated_at, last_login_at, is_active)
VALUES ('fb-legacy-1', 'Legacy.User@Example.COM', 'Legacy User', 'https://img/l.png', 1,
 '2023-05-01 12:00:00.123456', '2023-05-02 08:30:00.000000', '2023-06-01 09:15:30.500000', NULL)`,
		`INSERT INTO users (firebase_uid, email, display_name, email_verified, created_at, is_active)
VALUES ('fb-legacy-2', 'Twin@Example.com', NULL, NULL, '2023-05-03 10:00:00', 1)`,
		`INSERT INTO users (firebase_uid, email, email_verified, created_at, is_active)
VALUES ('fb-legacy-3', 'twin@example.com', 0, '2023-05-04 10:00:00', 0)`,
		`INSERT INTO sessions (firebase_uid, token_id, created_at, expires_at, device_info, ip_address)
VALUES ('fb-legacy-1', 'firebase-jti', '2023-06-01 09:15:30.500000', '2099-01-01 00:00:00.000000',
 '{"browser": "Firefox", "os": "Linux", "screen": 1080}', '192.0.2.10')`,
		`INSERT INTO audit_logs (firebase_uid, action, ip_address, user_agent, status, created_at)
VALUES ('fb-legacy-1', 'login', '192.0.2.10', 'Mozilla/5.0', 'success', '2023-06-01 09:15:30.500000')`,
	},
	"postgres": {
		`CREATE TABLE users (
	id SERIAL NOT NULL, 
	firebase_uid VARCHAR(128) NOT NULL, 
	email VARCHAR(255) NOT NULL, 
	display_name VARCHAR(255), 
	photo_url VARCHAR(512), 
	email_verified BOOLEAN, 
	created_at TIMESTAMP WITHOUT TIME ZONE, 
	updated_at TIMESTAMP WITHOUT TIME ZONE, 
	last_login_at TIMESTAMP WITHOUT TIME ZONE, 
	is_active BOOLEAN, 
	PRIMARY KEY (id)
)`,
		`CREATE UNIQUE INDEX ix_users_firebase_uid ON users (firebase_uid)`,
		`CREATE UNIQUE INDEX ix_users_email ON users (email)`,
		`CREATE TABLE sessions (
	id SERIAL NOT NULL, 
	firebase_uid VARCHAR(128) NOT NULL, 
	token_id VARCHAR(255), 
	created_at TIMESTAMP WITHOUT TIME ZONE, 
	expires_at TIMESTAMP WITHOUT TIME ZONE, 
	device_info JSON, 
	ip_address VARCHAR(45), 
	PRIMARY KEY (id)
)`,
		`CREATE INDEX ix_sessions_firebase_uid ON sessions (firebase_uid)`,
		`CREATE TABLE audit_logs (
	id SERIAL NOT NULL, 
	firebase_uid VARCHAR(128), 
	action VARCHAR(50) NOT NULL, 
	ip_address VARCHAR(45), 
	user_agent VARCHAR(512), 
	status VARCHAR(20), 
	created_at TIMESTAMP WITHOUT TIME ZONE, 
	PRIMARY KEY (id)
)`,
		`INSERT INTO users (firebase_uid, email, display_name, photo_url, email_verified, created_at, updated_at, last_login_at, is_active)
VALUES ('fb-legacy-1', 'Legacy.User@Example.COM', 'Legacy User', 'https://img/l.png', true,
 '2023-05-01 12:00:00.123456', '2023-05-02 08:30:00', '2023-06-01 09:15:30.5', NULL)`,
		`INSERT INTO users (firebase_uid, email, display_name, email_verified, created_at, is_active)
VALUES ('fb-legacy-2', 'Twin@Example.com', NULL, NULL, '2023-05-03 10:00:00', true)`,
		`INSERT INTO users (firebase_uid, email, email_verified, created_at, is_active)
VALUES ('fb-legacy-3', 'twin@example.com', false, '2023-05-04 10:00:00', false)`,
		`INSERT INTO sessions (firebase_uid, token_id, created_at, expires_at, device_info, ip_address)
VALUES ('fb-legacy-1', 'firebase-jti', '2023-06-01 09:15:30.5', '2099-01-01 00:00:00',
 '{"browser": "Firefox", "os": "Linux", "screen": 1080}', '192.0.2.10')`,
		`INSERT INTO audit_logs (firebase_uid, action, ip_address, user_agent, status, created_at)
VALUES ('fb-legacy-1', 'login', '192.0.2.10', 'Mozilla/5.0', 'success', '2023-06-01 09:15:30.5')`,
	},
}

func TestFlaskDatabaseOpens(t *testing.T) {
	for _, tc := range []struct {
		name, driver string
		urls         func(t *testing.T) (dsn, url string)
	}{
		{"sqlite", "sqlite", func(t *testing.T) (string, string) {
			path := filepath.Join(t.TempDir(), "auth.db")
			return path, "sqlite:" + path
		}},
		{"postgres", "pgx", func(t *testing.T) (string, string) {
			u := testenv.PostgresURL(t)
			return u, u
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			dsn, url := tc.urls(t)
			raw, err := sql.Open(tc.driver, dsn)
			if err != nil {
				t.Fatal(err)
			}
			for _, stmt := range flaskSchema[tc.name] {
				if _, err := raw.ExecContext(ctx, stmt); err != nil {
					t.Fatalf("%s: %v", stmt, err)
				}
			}
			raw.Close()

			db, err := store.Open(ctx, url, store.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			for range 2 { // idempotent
				if err := db.Migrate(ctx); err != nil {
					t.Fatal(err)
				}
			}
			checkFlaskData(t, db)

			// And once more after a restart.
			db.Close()
			db, err = store.Open(ctx, url, store.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if err := db.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			if u, err := db.FindUserByEmail(ctx, "TWIN@example.com"); err != nil || u.UID != "fb-legacy-3" {
				t.Fatalf("after restart: %+v, %v", u, err)
			}
		})
	}
}

func checkFlaskData(t *testing.T, db *store.DB) {
	ctx := context.Background()
	u, err := db.FindUserByEmail(ctx, "LEGACY.user@example.com")
	if err != nil {
		t.Fatalf("legacy user by email: %v", err)
	}
	if u.UID != "fb-legacy-1" || u.Email != "legacy.user@example.com" || u.DisplayName != "Legacy User" ||
		u.PhotoURL != "https://img/l.png" || !u.EmailVerified || !u.IsActive || u.MFAEnabled ||
		u.PasswordHash != "" || u.TOTPLastStep != 0 || len(u.Roles) != 0 {
		t.Errorf("legacy user = %+v", u)
	}
	wantTimes := map[string][2]time.Time{
		"CreatedAt":   {u.CreatedAt, time.Date(2023, 5, 1, 12, 0, 0, 123456000, time.UTC)},
		"UpdatedAt":   {u.UpdatedAt, time.Date(2023, 5, 2, 8, 30, 0, 0, time.UTC)},
		"LastLoginAt": {deref(u.LastLoginAt), time.Date(2023, 6, 1, 9, 15, 30, 500000000, time.UTC)},
	}
	for name, p := range wantTimes {
		if !p[0].Equal(p[1]) {
			t.Errorf("%s = %v, want %v", name, p[0], p[1])
		}
	}
	if v, err := db.FindUserByUID(ctx, "fb-legacy-2"); err != nil || v.EmailVerified || !v.IsActive || v.DisplayName != "" {
		t.Errorf("legacy user with NULL columns: %+v, %v", v, err)
	}
	// Of the two addresses differing only in case, the lower-case one is
	// found by email; the other keeps its row and uid.
	if v, err := db.FindUserByEmail(ctx, "TWIN@example.com"); err != nil || v.UID != "fb-legacy-3" || v.IsActive {
		t.Errorf("twin by email: %+v, %v", v, err)
	}
	if v, err := db.FindUserByUID(ctx, "fb-legacy-2"); err != nil || v.Email != "Twin@Example.com" {
		t.Errorf("unnormalizable twin: %+v, %v", v, err)
	}
	if err := db.CreateUser(ctx, &identity.User{UID: "new", Email: "legacy.USER@example.com"}); !identity.IsCode(err, identity.EEMAILTAKEN) {
		t.Errorf("new user with a legacy email in other case: %v", err)
	}

	// The Flask session got a public id and works like a new one.
	now := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	ss, err := db.FindSessions(ctx, "fb-legacy-1", now)
	if err != nil || len(ss) != 1 {
		t.Fatalf("legacy sessions: %+v, %v", ss, err)
	}
	s := ss[0]
	if s.ID == "" || s.TokenID != "firebase-jti" || s.IPAddress != "192.0.2.10" ||
		s.DeviceInfo["browser"] != "Firefox" || s.DeviceInfo["os"] != "Linux" {
		t.Errorf("legacy session = %+v", s)
	}
	if !s.ExpiresAt.Equal(time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("legacy session ExpiresAt = %v", s.ExpiresAt)
	}
	if got, err := db.FindSessionByID(ctx, s.ID); err != nil || got.UID != "fb-legacy-1" {
		t.Errorf("legacy session by id: %+v, %v", got, err)
	}
	if ids, err := db.RevokeUserSessions(ctx, "fb-legacy-1", "", now); err != nil || len(ids) != 1 || ids[0] != s.ID {
		t.Errorf("revoke legacy session: %q, %v", ids, err)
	}

	// New features on a legacy user.
	roles := []string{"admin"}
	if _, err := db.UpdateUser(ctx, "fb-legacy-1", identity.UserUpdate{Roles: &roles, PasswordHash: ptr("h")}); err != nil {
		t.Fatal(err)
	}
	if users, n, err := db.FindUsers(ctx, identity.UserFilter{Role: "admin"}); err != nil || n != 1 || users[0].UID != "fb-legacy-1" {
		t.Errorf("admins: %+v, %d, %v", users, n, err)
	}
	s2 := &identity.Session{UID: "fb-legacy-1", CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
	_, h := identity.NewSecret()
	if err := db.CreateSession(ctx, s2, &identity.RefreshToken{Hash: h, ExpiresAt: now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.RotateRefreshToken(ctx, h, &identity.RefreshToken{Hash: identity.HashSecret("n"), ExpiresAt: now.Add(time.Hour)}, "j", now); err != nil {
		t.Fatal(err)
	}
	if ev, n, err := db.FindAuditEvents(ctx, identity.AuditFilter{UID: "fb-legacy-1"}); err != nil || n != 1 || ev[0].Action != "login" || ev[0].UserAgent != "Mozilla/5.0" {
		t.Errorf("legacy audit rows: %+v, %d, %v", ev, n, err)
	}
	if err := db.DeleteUser(ctx, "fb-legacy-1"); err != nil {
		t.Fatal(err)
	}
}

func deref(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return *t
}

func ptr[T any](v T) *T { return &v }
