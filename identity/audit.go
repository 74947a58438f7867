package identity

import "time"

// Audit actions. The seed's names stay ('login', 'logout', 'register', ...).
const (
	ActionRegister              = "register"
	ActionLogin                 = "login"
	ActionLogout                = "logout"
	ActionRefresh               = "refresh"
	ActionRefreshReuse          = "refresh_reuse"
	ActionVerifyToken           = "verify_token"
	ActionPasswordReset         = "password_reset"
	ActionPasswordResetComplete = "password_reset_complete"
	ActionPasswordChange        = "password_change"
	ActionProfileUpdate         = "profile_update"
	ActionSessionRevoke         = "session_revoke"
	ActionAccountDelete         = "account_delete"
	ActionMFAEnroll             = "mfa_enroll"
	ActionMFAEnable             = "mfa_enable"
	ActionMFADisable            = "mfa_disable"
	ActionMFAVerify             = "mfa_verify"
	ActionEmailVerifySend       = "email_verification_send"
	ActionEmailVerify           = "email_verify"
	ActionRateLimited           = "rate_limited"
	ActionAdminSetRoles         = "admin_set_roles"
	ActionAdminDisable          = "admin_disable_user"
	ActionAdminEnable           = "admin_enable_user"
	ActionAdminRevokeSessions   = "admin_revoke_sessions"
	ActionForwardAuthDeny       = "forward_auth_deny"
	ActionOAuthLogin            = "oauth_login"
)

// Audit statuses.
const (
	StatusSuccess = "success"
	StatusFailure = "failure"
)

// AuditEvent is one row of audit_logs. Detail is a short machine-readable
// reason (an error code, a session id); never a password or token.
type AuditEvent struct {
	ID        int64     `json:"id"`
	UID       string    `json:"uid"`
	Action    string    `json:"action"`
	IPAddress string    `json:"ip_address"`
	UserAgent string    `json:"user_agent"`
	Status    string    `json:"status"`
	Detail    string    `json:"detail,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

// AuditFilter selects audit rows; zero fields match everything.
type AuditFilter struct {
	UID    string
	Action string
	Since  time.Time
	Until  time.Time
	Offset int
	Limit  int
}
