package store

import (
	"errors"

	gosqlite "github.com/glebarez/go-sqlite"
	"github.com/jackc/pgx/v5/pgconn"
	"gorm.io/gorm"

	"github.com/authgate/authgate/identity"
)

// SQLite extended result codes (sqlite3.h) and PostgreSQL SQLSTATEs for a
// violated unique constraint.
const (
	sqliteConstraintPrimaryKey = 1555 // SQLITE_CONSTRAINT_PRIMARYKEY
	sqliteConstraintUnique     = 2067 // SQLITE_CONSTRAINT_UNIQUE
	pgUniqueViolation          = "23505"
)

// isUniqueViolation reports whether err is a unique or primary-key
// violation, on either database, by the drivers' typed errors.
func isUniqueViolation(err error) bool {
	if errors.Is(err, gorm.ErrDuplicatedKey) {
		return true
	}
	var se *gosqlite.Error
	if errors.As(err, &se) {
		return se.Code() == sqliteConstraintUnique || se.Code() == sqliteConstraintPrimaryKey
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == pgUniqueViolation
	}
	return false
}

// Client-safe errors. Each call builds a fresh *identity.Error so that a
// caller may not mutate a shared value; the cause is kept for logs.
func errNotFound(what string) error {
	return identity.Errorf(identity.ENOTFOUND, "%s not found.", what)
}

func errEmailTaken(cause error) error {
	return identity.Wrap(identity.EEMAILTAKEN, "The email address is already registered.", cause)
}

func errInvalidToken() error {
	return identity.Errorf(identity.EINVALIDTOKEN, "The token is not valid.")
}

func errInvalid(field, problem string) error {
	return &identity.Error{
		Code:    identity.EINVALID,
		Message: "The request is not valid.",
		Fields:  map[string]string{field: problem},
	}
}
