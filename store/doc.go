// Package store keeps authgate's state (users, roles, sessions, refresh
// tokens, one-time tokens, audit events, signing keys) in SQLite or
// PostgreSQL through gorm. *DB implements every store interface of package
// identity.
//
// # Compatibility with the Flask service
//
// The tables users, sessions and audit_logs and their columns are exactly
// those of the Flask-SQLAlchemy service authgate replaces, so its auth.db
// opens as is: Migrate only adds nullable or defaulted columns, new tables
// and indexes, and runs a few one-off data fixes recorded in
// schema_migrations. In local mode users.firebase_uid holds authgate's own
// uid.
//
// # Emails
//
// Emails are compared case-insensitively after trimming. The store keeps the
// normalized form (identity.NormalizeEmail) in users.email and normalizes
// every email it is given, so a lookup is one equality on the existing
// unique index ix_users_email, and two addresses differing only in case
// collide on that index (EEMAILTAKEN). Rows written by the Flask service are
// normalized once by Migrate (data migration "normalize_emails"); a legacy
// row whose normalized address already belongs to another row is left as it
// was and reported in the log, since merging accounts is not the store's
// decision.
//
// # Roles
//
// Roles live in user_roles (user_id → users.id ON DELETE CASCADE, role),
// one row per role, primary key (user_id, role) and an index on role: "users
// with role X" is an indexed EXISTS on both databases and "set roles" is a
// delete and insert in the user's transaction.
//
// # Time
//
// Every time is stored in UTC with microsecond precision, the finest that
// PostgreSQL keeps, so both databases hand back the same values.
package store
