package identity

import (
	"context"
	"time"
)

// UserStore keeps users. Errors: ENOTFOUND for a missing user, EEMAILTAKEN
// when the email (compared case-insensitively) or uid is taken.
type UserStore interface {
	CreateUser(ctx context.Context, u *User) error
	FindUserByUID(ctx context.Context, uid string) (*User, error)
	FindUserByEmail(ctx context.Context, email string) (*User, error)
	FindUsers(ctx context.Context, f UserFilter) ([]*User, int, error)
	UpdateUser(ctx context.Context, uid string, upd UserUpdate) (*User, error)
	// DeleteUser removes the user with its sessions, refresh tokens and
	// one-time tokens in one transaction; audit rows are kept.
	DeleteUser(ctx context.Context, uid string) error
}

// SessionStore keeps sessions and their refresh-token chains.
type SessionStore interface {
	// CreateSession stores the session and its first refresh token in one transaction.
	CreateSession(ctx context.Context, s *Session, rt *RefreshToken) error
	FindSessionByID(ctx context.Context, id string) (*Session, error)
	// FindSessions lists a user's sessions that are neither revoked nor expired at now.
	FindSessions(ctx context.Context, uid string, now time.Time) ([]*Session, error)
	// RevokeSession revokes the session and all its refresh tokens.
	RevokeSession(ctx context.Context, id string, now time.Time) error
	// RevokeUserSessions revokes every session of uid except exceptID
	// (empty = all) and returns the ids it revoked.
	RevokeUserSessions(ctx context.Context, uid, exceptID string, now time.Time) ([]string, error)
	// RotateRefreshToken spends the token whose hash is oldHash and stores
	// next in the same session, in one transaction. An unknown, expired or
	// revoked token, or one whose session is no longer active, gives
	// EINVALIDTOKEN. A token already spent gives an error wrapping
	// ErrRefreshReuse after revoking the whole session, and returns that
	// session (ID and UID at least) so the caller can drop it from caches.
	// next.SessionID and next.UID are filled in from the old token.
	RotateRefreshToken(ctx context.Context, oldHash string, next *RefreshToken, newTokenID string, now time.Time) (*Session, error)
}

// ErrRefreshReuse marks the presentation of a spent refresh token (code invalid_token).
var ErrRefreshReuse = &Error{Code: EINVALIDTOKEN, Message: "The refresh token is not valid."}

// OneTimeTokenStore keeps single-use tokens.
type OneTimeTokenStore interface {
	CreateOneTimeToken(ctx context.Context, t *OneTimeToken) error
	// ConsumeOneTimeToken marks the token used and returns it; an unknown,
	// expired or already used token gives EINVALIDTOKEN.
	ConsumeOneTimeToken(ctx context.Context, purpose, hash string, now time.Time) (*OneTimeToken, error)
	// DeleteOneTimeTokens removes every unconsumed token of purpose for uid.
	DeleteOneTimeTokens(ctx context.Context, uid, purpose string) error
}

// AuditLog records security events.
type AuditLog interface {
	RecordAudit(ctx context.Context, e *AuditEvent) error
	FindAuditEvents(ctx context.Context, f AuditFilter) ([]*AuditEvent, int, error)
	// DeleteAuditEventsBefore enforces the retention setting.
	DeleteAuditEventsBefore(ctx context.Context, t time.Time) (int64, error)
}

// SigningKey is a private key kept in the database, so that instances that
// share a database share keys.
type SigningKey struct {
	KID        string
	Algorithm  string // RS256, ES256, EdDSA
	PrivatePEM string
	CreatedAt  time.Time
	RetiredAt  *time.Time
}

// KeyStore keeps signing keys.
type KeyStore interface {
	FindSigningKeys(ctx context.Context) ([]*SigningKey, error)
	// CreateSigningKey stores k; ECONFLICT if its kid exists.
	CreateSigningKey(ctx context.Context, k *SigningKey) error
}

// Registration is the input of Provider.Register.
type Registration struct {
	Email       string
	Password    string
	DisplayName string
	// EmailVerified marks the address verified at once (admin bootstrap).
	EmailVerified bool
	Roles         []string
}

// Provider is an identity provider: where passwords live. The local one keeps
// argon2id hashes in the users table; the Firebase one delegates to Firebase
// Authentication. Both keep the users row (profile, roles) up to date.
//
// SignIn answers EINVALIDCREDENTIALS for an unknown email and for a wrong
// password alike, after the same work.
type Provider interface {
	Name() string
	Register(ctx context.Context, r Registration) (*User, error)
	SignIn(ctx context.Context, email, password string) (*User, error)
	// CheckPassword re-checks the password of a signed-in user (sensitive actions).
	CheckPassword(ctx context.Context, uid, password string) error
	// SetPassword sets a new password (after the caller checked the old one
	// or a reset token), enforcing the password rules (EWEAKPASSWORD).
	SetPassword(ctx context.Context, uid, newPassword string) error
	// UpdateProfile stores the update and mirrors it to the provider.
	UpdateProfile(ctx context.Context, uid string, upd UserUpdate) (*User, error)
	// Delete removes the account at the provider and the users row.
	Delete(ctx context.Context, uid string) error
}

// PasswordResetter is implemented by providers that send reset mail
// themselves (Firebase's oobCode). Without it, authapi mails its own link.
type PasswordResetter interface {
	SendPasswordReset(ctx context.Context, email string) error
	ConfirmPasswordReset(ctx context.Context, code, newPassword string) (uid string, err error)
}

// EmailVerificationSender is implemented by providers that send verification
// mail themselves (Firebase). Without it, authapi mails its own link.
type EmailVerificationSender interface {
	SendEmailVerification(ctx context.Context, uid string) error
	ConfirmEmailVerification(ctx context.Context, code string) (uid string, err error)
}

// TokenIssuer signs authgate access tokens.
type TokenIssuer interface {
	// IssueAccessToken signs a token for u in session s; it returns the
	// token, its jti and its expiry.
	IssueAccessToken(ctx context.Context, u *User, s *Session, amr []string) (raw, jti string, exp time.Time, err error)
}

// Invalidator is told about changes that must take effect at once in every
// cache (this instance's and, through Redis, the other replicas').
type Invalidator interface {
	InvalidateSession(ctx context.Context, sid string)
	InvalidateUser(ctx context.Context, uid string)
}

// Message is one mail.
type Message struct {
	To      string
	Subject string
	Text    string
	HTML    string
}

// Mailer sends mail.
type Mailer interface {
	Send(ctx context.Context, m Message) error
}

// LimitResult is the state of one rate limit after a call.
type LimitResult struct {
	Limit      int64
	Remaining  int64
	Reached    bool
	RetryAfter time.Duration
}

// Limiter counts events per (limit name, key), e.g. ("login_account", email).
type Limiter interface {
	// Take counts one event and reports whether the limit is now exceeded.
	Take(ctx context.Context, limit, key string) (LimitResult, error)
	// Peek reports the state without counting.
	Peek(ctx context.Context, limit, key string) (LimitResult, error)
	// Reset forgets the key's count.
	Reset(ctx context.Context, limit, key string) error
}
