package identity

import "time"

// Session is a signed-in device. Its ID is the sid claim of the access tokens
// issued for it. TokenID holds the jti of the newest access token.
type Session struct {
	ID         string            `json:"id"`
	UID        string            `json:"-"`
	TokenID    string            `json:"-"`
	CreatedAt  time.Time         `json:"created_at"`
	ExpiresAt  time.Time         `json:"expires_at"`
	LastUsedAt *time.Time        `json:"last_used_at,omitempty"`
	DeviceInfo map[string]string `json:"device_info"`
	IPAddress  string            `json:"ip_address"`
	AMR        []string          `json:"amr,omitempty"`
	RevokedAt  *time.Time        `json:"-"`
	// Current is set by the API for the session making the request.
	Current bool `json:"current"`
}

// Active reports whether the session is neither revoked nor expired at now.
func (s *Session) Active(now time.Time) bool {
	return s.RevokedAt == nil && now.Before(s.ExpiresAt)
}

// RefreshToken is one link of a rotation chain. Only the hash of the opaque
// token is stored. Family groups every token descending from one sign-in
// (= the session): presenting a spent token revokes the family.
type RefreshToken struct {
	ID        int64
	Hash      string
	SessionID string
	UID       string
	ParentID  *int64
	CreatedAt time.Time
	ExpiresAt time.Time
	SpentAt   *time.Time
	RevokedAt *time.Time
}

// Purposes of one-time tokens.
const (
	PurposePasswordReset     = "password_reset"
	PurposeEmailVerification = "email_verification"
	PurposeMFATicket         = "mfa_ticket"
)

// OneTimeToken is a single-use secret (reset link, verification link, MFA
// ticket). Only its hash is stored.
type OneTimeToken struct {
	ID         int64
	Hash       string
	Purpose    string
	UID        string
	Data       string // purpose-specific payload, never a secret
	CreatedAt  time.Time
	ExpiresAt  time.Time
	ConsumedAt *time.Time
}
