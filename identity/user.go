package identity

import (
	"slices"
	"strings"
	"time"
)

// Well-known roles.
const RoleAdmin = "admin"

// User is an account. UID is the external identifier: authgate's own uid in
// local mode, the Firebase localId in firebase mode (the firebase_uid column).
type User struct {
	ID            int64      `json:"-"`
	UID           string     `json:"uid"`
	Email         string     `json:"email"`
	DisplayName   string     `json:"display_name"`
	PhotoURL      string     `json:"photo_url"`
	EmailVerified bool       `json:"email_verified"`
	Roles         []string   `json:"roles"`
	CreatedAt     time.Time  `json:"created_at"`
	UpdatedAt     time.Time  `json:"updated_at"`
	LastLoginAt   *time.Time `json:"last_login_at"`
	IsActive      bool       `json:"is_active"`
	MFAEnabled    bool       `json:"mfa_enabled"`

	// Never serialized.
	PasswordHash string `json:"-"`
	TOTPSecret   string `json:"-"`
	// TOTPLastStep is the last accepted TOTP time step: a code is never accepted twice.
	TOTPLastStep int64 `json:"-"`
	// PasswordChangedAt lets verifiers refuse tokens issued before a change.
	PasswordChangedAt *time.Time `json:"-"`
}

// HasRole reports whether the user has the role.
func (u *User) HasRole(role string) bool { return slices.Contains(u.Roles, role) }

// NormalizeEmail trims and lower-cases an address: emails are compared
// case-insensitively after trimming.
func NormalizeEmail(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

// UserUpdate is a partial update; nil fields are left alone.
type UserUpdate struct {
	Email             *string
	DisplayName       *string
	PhotoURL          *string
	EmailVerified     *bool
	Roles             *[]string
	IsActive          *bool
	PasswordHash      *string
	PasswordChangedAt *time.Time
	LastLoginAt       *time.Time
	MFAEnabled        *bool
	TOTPSecret        *string
	TOTPLastStep      *int64
}

// UserFilter selects users; zero fields match everything.
type UserFilter struct {
	UID    *string
	Email  *string
	Query  string // substring of email or display name
	Role   string
	Offset int
	Limit  int // 0 = a store default
}
