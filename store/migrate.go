package store

import (
	"context"
	"fmt"
	"strings"

	"gorm.io/gorm"

	"github.com/authgate/authgate/identity"
)

// migrateLockKey is the PostgreSQL advisory lock that serializes Migrate
// across replicas starting at the same time ("authgate" in ASCII).
const migrateLockKey int64 = 0x6175746867617465

// types holds the column types that differ between the databases. The
// legacy* ones are what Flask-SQLAlchemy created, so a fresh database looks
// like one the Flask service made.
type types struct {
	legacyPK, legacyTime string
	pk, time, bigint     string
}

func (db *DB) types() types {
	if db.dialect == DialectPostgres {
		return types{
			legacyPK: "SERIAL PRIMARY KEY", legacyTime: "TIMESTAMP WITHOUT TIME ZONE",
			pk: "BIGSERIAL PRIMARY KEY", time: "TIMESTAMP WITH TIME ZONE", bigint: "BIGINT",
		}
	}
	return types{
		legacyPK: "INTEGER NOT NULL PRIMARY KEY", legacyTime: "DATETIME",
		pk: "INTEGER PRIMARY KEY", time: "DATETIME", bigint: "INTEGER",
	}
}

// legacySchema is the Flask service's schema, created when absent.
func (t types) legacySchema() []string {
	return []string{
		`CREATE TABLE IF NOT EXISTS users (
	id ` + t.legacyPK + `,
	firebase_uid VARCHAR(128) NOT NULL,
	email VARCHAR(255) NOT NULL,
	display_name VARCHAR(255),
	photo_url VARCHAR(512),
	email_verified BOOLEAN,
	created_at ` + t.legacyTime + `,
	updated_at ` + t.legacyTime + `,
	last_login_at ` + t.legacyTime + `,
	is_active BOOLEAN
)`,
		`CREATE UNIQUE INDEX IF NOT EXISTS ix_users_firebase_uid ON users (firebase_uid)`,
		`CREATE UNIQUE INDEX IF NOT EXISTS ix_users_email ON users (email)`,
		`CREATE TABLE IF NOT EXISTS sessions (
	id ` + t.legacyPK + `,
	firebase_uid VARCHAR(128) NOT NULL,
	token_id VARCHAR(255),
	created_at ` + t.legacyTime + `,
	expires_at ` + t.legacyTime + `,
	device_info JSON,
	ip_address VARCHAR(45)
)`,
		`CREATE INDEX IF NOT EXISTS ix_sessions_firebase_uid ON sessions (firebase_uid)`,
		`CREATE TABLE IF NOT EXISTS audit_logs (
	id ` + t.legacyPK + `,
	firebase_uid VARCHAR(128),
	action VARCHAR(50) NOT NULL,
	ip_address VARCHAR(45),
	user_agent VARCHAR(512),
	status VARCHAR(20),
	created_at ` + t.legacyTime + `
)`,
	}
}

type column struct{ table, name, def string }

// addedColumns are authgate's columns on the Flask tables: nullable or
// defaulted, so that adding them never rewrites nor rejects old rows.
func (t types) addedColumns() []column {
	return []column{
		{"users", "password_hash", "TEXT"},
		{"users", "password_changed_at", t.time},
		{"users", "mfa_enabled", "BOOLEAN NOT NULL DEFAULT FALSE"},
		{"users", "totp_secret", "TEXT"},
		{"users", "totp_last_step", t.bigint + " NOT NULL DEFAULT 0"},
		{"sessions", "sid", "VARCHAR(64)"},
		{"sessions", "revoked_at", t.time},
		{"sessions", "last_used_at", t.time},
		{"sessions", "amr", "TEXT"},
		{"audit_logs", "detail", "TEXT"},
	}
}

// schema is everything authgate adds besides columns. The unique index on
// sessions.sid comes before refresh_tokens, whose foreign key needs it.
func (t types) schema() []string {
	return []string{
		`CREATE UNIQUE INDEX IF NOT EXISTS ux_sessions_sid ON sessions (sid)`,
		`CREATE INDEX IF NOT EXISTS ix_audit_logs_created_at ON audit_logs (created_at)`,
		`CREATE INDEX IF NOT EXISTS ix_audit_logs_firebase_uid ON audit_logs (firebase_uid, created_at)`,
		`CREATE TABLE IF NOT EXISTS user_roles (
	user_id ` + t.bigint + ` NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	role VARCHAR(64) NOT NULL,
	PRIMARY KEY (user_id, role)
)`,
		`CREATE INDEX IF NOT EXISTS ix_user_roles_role ON user_roles (role)`,
		`CREATE TABLE IF NOT EXISTS refresh_tokens (
	id ` + t.pk + `,
	token_hash VARCHAR(128) NOT NULL,
	session_id VARCHAR(64) NOT NULL REFERENCES sessions (sid) ON DELETE CASCADE,
	firebase_uid VARCHAR(128) NOT NULL,
	parent_id ` + t.bigint + `,
	created_at ` + t.time + ` NOT NULL,
	expires_at ` + t.time + ` NOT NULL,
	spent_at ` + t.time + `,
	revoked_at ` + t.time + `
)`,
		`CREATE UNIQUE INDEX IF NOT EXISTS ux_refresh_tokens_hash ON refresh_tokens (token_hash)`,
		`CREATE INDEX IF NOT EXISTS ix_refresh_tokens_session ON refresh_tokens (session_id)`,
		`CREATE INDEX IF NOT EXISTS ix_refresh_tokens_firebase_uid ON refresh_tokens (firebase_uid)`,
		`CREATE TABLE IF NOT EXISTS one_time_tokens (
	id ` + t.pk + `,
	token_hash VARCHAR(128) NOT NULL,
	purpose VARCHAR(32) NOT NULL,
	firebase_uid VARCHAR(128) NOT NULL,
	data TEXT NOT NULL DEFAULT '',
	created_at ` + t.time + ` NOT NULL,
	expires_at ` + t.time + ` NOT NULL,
	consumed_at ` + t.time + `
)`,
		`CREATE UNIQUE INDEX IF NOT EXISTS ux_one_time_tokens_hash ON one_time_tokens (token_hash)`,
		`CREATE INDEX IF NOT EXISTS ix_one_time_tokens_uid ON one_time_tokens (firebase_uid, purpose)`,
		`CREATE TABLE IF NOT EXISTS signing_keys (
	kid VARCHAR(128) NOT NULL PRIMARY KEY,
	algorithm VARCHAR(16) NOT NULL,
	private_pem TEXT NOT NULL,
	created_at ` + t.time + ` NOT NULL,
	retired_at ` + t.time + `
)`,
		`CREATE TABLE IF NOT EXISTS schema_migrations (
	name VARCHAR(128) NOT NULL PRIMARY KEY,
	applied_at ` + t.time + ` NOT NULL
)`,
	}
}

// dataMigration is a one-off change of existing rows, run once and recorded
// by name in schema_migrations.
type dataMigration struct {
	name string
	run  func(db *DB, tx *gorm.DB) error
}

var dataMigrations = []dataMigration{
	{"legacy_null_flags", migrateNullFlags},
	{"normalize_emails", migrateNormalizeEmails},
	{"backfill_session_ids", migrateSessionIDs},
}

// Migrate brings the schema up to date: it creates what is missing and
// never drops or rewrites a column. It is idempotent and runs in one
// transaction (both databases have transactional DDL), so a failure leaves
// the schema as it was. On PostgreSQL an advisory lock serializes replicas
// migrating at once.
func (db *DB) Migrate(ctx context.Context) error {
	t := db.types()
	err := db.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if db.dialect == DialectPostgres {
			if err := tx.Exec("SELECT pg_advisory_xact_lock(?)", migrateLockKey).Error; err != nil {
				return fmt.Errorf("lock: %w", err)
			}
		}
		for _, stmt := range t.legacySchema() {
			if err := tx.Exec(stmt).Error; err != nil {
				return fmt.Errorf("%s: %w", firstLine(stmt), err)
			}
		}
		for _, c := range t.addedColumns() {
			has, err := db.hasColumn(tx, c.table, c.name)
			if err != nil {
				return fmt.Errorf("inspect %s.%s: %w", c.table, c.name, err)
			}
			if has {
				continue
			}
			if err := tx.Exec(fmt.Sprintf("ALTER TABLE %s ADD COLUMN %s %s", c.table, c.name, c.def)).Error; err != nil {
				return fmt.Errorf("add column %s.%s: %w", c.table, c.name, err)
			}
		}
		for _, stmt := range t.schema() {
			if err := tx.Exec(stmt).Error; err != nil {
				return fmt.Errorf("%s: %w", firstLine(stmt), err)
			}
		}
		for _, m := range dataMigrations {
			var n int64
			if err := tx.Table("schema_migrations").Where("name = ?", m.name).Count(&n).Error; err != nil {
				return fmt.Errorf("data migration %s: %w", m.name, err)
			}
			if n > 0 {
				continue
			}
			if err := m.run(db, tx); err != nil {
				return fmt.Errorf("data migration %s: %w", m.name, err)
			}
			if err := tx.Exec("INSERT INTO schema_migrations (name, applied_at) VALUES (?, ?)", m.name, ts(db.now())).Error; err != nil {
				return fmt.Errorf("data migration %s: %w", m.name, err)
			}
			db.log.InfoContext(ctx, "store: applied data migration", "name", m.name)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: migrate: %w", err)
	}
	return nil
}

func (db *DB) hasColumn(tx *gorm.DB, table, column string) (bool, error) {
	var n int64
	var err error
	if db.dialect == DialectPostgres {
		err = tx.Raw(`SELECT COUNT(*) FROM information_schema.columns
WHERE table_schema = current_schema() AND table_name = ? AND column_name = ?`, table, column).Scan(&n).Error
	} else {
		err = tx.Raw(`SELECT COUNT(*) FROM pragma_table_info(?) WHERE name = ?`, table, column).Scan(&n).Error
	}
	return n > 0, err
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return strings.TrimSuffix(strings.TrimSpace(s), "(")
}

// migrateNullFlags gives Flask rows with NULL flags the Flask defaults
// (is_active true, email_verified false); the store reads NULL as false.
func migrateNullFlags(_ *DB, tx *gorm.DB) error {
	if err := tx.Exec("UPDATE users SET is_active = ? WHERE is_active IS NULL", true).Error; err != nil {
		return err
	}
	return tx.Exec("UPDATE users SET email_verified = ? WHERE email_verified IS NULL", false).Error
}

// migrateNormalizeEmails stores every email in its normalized form (see the
// package doc). The comparison runs in Go, because SQLite's lower() knows
// only ASCII.
func migrateNormalizeEmails(db *DB, tx *gorm.DB) error {
	var rows []struct {
		ID    int64
		Email string
	}
	if err := tx.Raw("SELECT id, email FROM users ORDER BY id").Scan(&rows).Error; err != nil {
		return err
	}
	for _, r := range rows {
		norm := identity.NormalizeEmail(r.Email)
		if norm == r.Email {
			continue
		}
		var clash int64
		if err := tx.Raw("SELECT COUNT(*) FROM users WHERE email = ? AND id <> ?", norm, r.ID).Scan(&clash).Error; err != nil {
			return err
		}
		if clash > 0 {
			db.log.Warn("store: legacy user's email differs only in case from another user's; left unnormalized, it cannot sign in by email until resolved",
				"user_id", r.ID)
			continue
		}
		if err := tx.Exec("UPDATE users SET email = ? WHERE id = ?", norm, r.ID).Error; err != nil {
			return err
		}
	}
	return nil
}

// migrateSessionIDs gives Flask sessions a public id, so they can be listed
// and revoked like authgate's own.
func migrateSessionIDs(_ *DB, tx *gorm.DB) error {
	var ids []int64
	if err := tx.Raw("SELECT id FROM sessions WHERE sid IS NULL").Scan(&ids).Error; err != nil {
		return err
	}
	for _, id := range ids {
		if err := tx.Exec("UPDATE sessions SET sid = ? WHERE id = ?", identity.NewID(), id).Error; err != nil {
			return err
		}
	}
	return nil
}
