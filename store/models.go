package store

import (
	"encoding/json"
	"time"

	"github.com/authgate/authgate/identity"
)

// Row types mirror the tables. Columns inherited from the Flask service are
// nullable there, hence the pointers; autoCreateTime/autoUpdateTime are off
// because the store sets every time itself (UTC, from its clock).

type userRow struct {
	ID                int64      `gorm:"column:id;primaryKey"`
	FirebaseUID       string     `gorm:"column:firebase_uid"`
	Email             string     `gorm:"column:email"`
	DisplayName       *string    `gorm:"column:display_name"`
	PhotoURL          *string    `gorm:"column:photo_url"`
	EmailVerified     *bool      `gorm:"column:email_verified"`
	CreatedAt         *time.Time `gorm:"column:created_at;autoCreateTime:false"`
	UpdatedAt         *time.Time `gorm:"column:updated_at;autoUpdateTime:false"`
	LastLoginAt       *time.Time `gorm:"column:last_login_at"`
	IsActive          *bool      `gorm:"column:is_active"`
	PasswordHash      *string    `gorm:"column:password_hash"`
	PasswordChangedAt *time.Time `gorm:"column:password_changed_at"`
	MFAEnabled        *bool      `gorm:"column:mfa_enabled"`
	TOTPSecret        *string    `gorm:"column:totp_secret"`
	TOTPLastStep      *int64     `gorm:"column:totp_last_step"`
}

func (userRow) TableName() string { return "users" }

type userRoleRow struct {
	UserID int64  `gorm:"column:user_id;primaryKey"`
	Role   string `gorm:"column:role;primaryKey"`
}

func (userRoleRow) TableName() string { return "user_roles" }

type sessionRow struct {
	ID          int64      `gorm:"column:id;primaryKey"`
	SID         *string    `gorm:"column:sid"`
	FirebaseUID string     `gorm:"column:firebase_uid"`
	TokenID     *string    `gorm:"column:token_id"`
	CreatedAt   *time.Time `gorm:"column:created_at;autoCreateTime:false"`
	ExpiresAt   *time.Time `gorm:"column:expires_at"`
	DeviceInfo  *string    `gorm:"column:device_info"`
	IPAddress   *string    `gorm:"column:ip_address"`
	RevokedAt   *time.Time `gorm:"column:revoked_at"`
	LastUsedAt  *time.Time `gorm:"column:last_used_at"`
	AMR         *string    `gorm:"column:amr"`
}

func (sessionRow) TableName() string { return "sessions" }

type refreshTokenRow struct {
	ID          int64      `gorm:"column:id;primaryKey"`
	TokenHash   string     `gorm:"column:token_hash"`
	SessionID   string     `gorm:"column:session_id"`
	FirebaseUID string     `gorm:"column:firebase_uid"`
	ParentID    *int64     `gorm:"column:parent_id"`
	CreatedAt   time.Time  `gorm:"column:created_at;autoCreateTime:false"`
	ExpiresAt   time.Time  `gorm:"column:expires_at"`
	SpentAt     *time.Time `gorm:"column:spent_at"`
	RevokedAt   *time.Time `gorm:"column:revoked_at"`
}

func (refreshTokenRow) TableName() string { return "refresh_tokens" }

type oneTimeTokenRow struct {
	ID          int64      `gorm:"column:id;primaryKey"`
	TokenHash   string     `gorm:"column:token_hash"`
	Purpose     string     `gorm:"column:purpose"`
	FirebaseUID string     `gorm:"column:firebase_uid"`
	Data        string     `gorm:"column:data"`
	CreatedAt   time.Time  `gorm:"column:created_at;autoCreateTime:false"`
	ExpiresAt   time.Time  `gorm:"column:expires_at"`
	ConsumedAt  *time.Time `gorm:"column:consumed_at"`
}

func (oneTimeTokenRow) TableName() string { return "one_time_tokens" }

type auditRow struct {
	ID          int64      `gorm:"column:id;primaryKey"`
	FirebaseUID *string    `gorm:"column:firebase_uid"`
	Action      string     `gorm:"column:action"`
	IPAddress   *string    `gorm:"column:ip_address"`
	UserAgent   *string    `gorm:"column:user_agent"`
	Status      *string    `gorm:"column:status"`
	Detail      *string    `gorm:"column:detail"`
	CreatedAt   *time.Time `gorm:"column:created_at;autoCreateTime:false"`
}

func (auditRow) TableName() string { return "audit_logs" }

type signingKeyRow struct {
	KID        string     `gorm:"column:kid;primaryKey"`
	Algorithm  string     `gorm:"column:algorithm"`
	PrivatePEM string     `gorm:"column:private_pem"`
	CreatedAt  time.Time  `gorm:"column:created_at;autoCreateTime:false"`
	RetiredAt  *time.Time `gorm:"column:retired_at"`
}

func (signingKeyRow) TableName() string { return "signing_keys" }

// Conversions.

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func ptr[T any](v T) *T { return &v }

func boolOr(p *bool, def bool) bool {
	if p == nil {
		return def
	}
	return *p
}

func timeOr(p *time.Time) time.Time {
	if p == nil {
		return time.Time{}
	}
	return p.UTC()
}

func utcp(p *time.Time) *time.Time {
	if p == nil {
		return nil
	}
	v := p.UTC()
	return &v
}

func (r *userRow) user(roles []string) *identity.User {
	if roles == nil {
		roles = []string{}
	}
	var step int64
	if r.TOTPLastStep != nil {
		step = *r.TOTPLastStep
	}
	return &identity.User{
		ID:                r.ID,
		UID:               r.FirebaseUID,
		Email:             r.Email,
		DisplayName:       str(r.DisplayName),
		PhotoURL:          str(r.PhotoURL),
		EmailVerified:     boolOr(r.EmailVerified, false),
		Roles:             roles,
		CreatedAt:         timeOr(r.CreatedAt),
		UpdatedAt:         timeOr(r.UpdatedAt),
		LastLoginAt:       utcp(r.LastLoginAt),
		IsActive:          boolOr(r.IsActive, false),
		MFAEnabled:        boolOr(r.MFAEnabled, false),
		PasswordHash:      str(r.PasswordHash),
		TOTPSecret:        str(r.TOTPSecret),
		TOTPLastStep:      step,
		PasswordChangedAt: utcp(r.PasswordChangedAt),
	}
}

func (r *sessionRow) session() *identity.Session {
	s := &identity.Session{
		ID:         str(r.SID),
		UID:        r.FirebaseUID,
		TokenID:    str(r.TokenID),
		CreatedAt:  timeOr(r.CreatedAt),
		ExpiresAt:  timeOr(r.ExpiresAt),
		LastUsedAt: utcp(r.LastUsedAt),
		IPAddress:  str(r.IPAddress),
		RevokedAt:  utcp(r.RevokedAt),
		DeviceInfo: map[string]string{},
	}
	if r.DeviceInfo != nil && *r.DeviceInfo != "" {
		// Flask rows may hold any JSON; keep the string members we understand.
		var m map[string]any
		if json.Unmarshal([]byte(*r.DeviceInfo), &m) == nil {
			for k, v := range m {
				if sv, ok := v.(string); ok {
					s.DeviceInfo[k] = sv
				}
			}
		}
	}
	if r.AMR != nil && *r.AMR != "" {
		_ = json.Unmarshal([]byte(*r.AMR), &s.AMR) // written by us; a bad value reads as none
	}
	return s
}

func sessionToRow(s *identity.Session) (*sessionRow, error) {
	info := s.DeviceInfo
	if info == nil {
		info = map[string]string{}
	}
	di, err := json.Marshal(info)
	if err != nil {
		return nil, err
	}
	row := &sessionRow{
		SID:         ptr(s.ID),
		FirebaseUID: s.UID,
		TokenID:     ptr(s.TokenID),
		CreatedAt:   ptr(ts(s.CreatedAt)),
		ExpiresAt:   ptr(ts(s.ExpiresAt)),
		DeviceInfo:  ptr(string(di)),
		IPAddress:   ptr(s.IPAddress),
		RevokedAt:   tsp(s.RevokedAt),
		LastUsedAt:  tsp(s.LastUsedAt),
	}
	if len(s.AMR) > 0 {
		amr, err := json.Marshal(s.AMR)
		if err != nil {
			return nil, err
		}
		row.AMR = ptr(string(amr))
	}
	return row, nil
}
func (r *oneTimeTokenRow) token() *identity.OneTimeToken {
	return &identity.OneTimeToken{
		ID:         r.ID,
		Hash:       r.TokenHash,
		Purpose:    r.Purpose,
		UID:        r.FirebaseUID,
		Data:       r.Data,
		CreatedAt:  r.CreatedAt.UTC(),
		ExpiresAt:  r.ExpiresAt.UTC(),
		ConsumedAt: utcp(r.ConsumedAt),
	}
}

func (r *auditRow) event() *identity.AuditEvent {
	return &identity.AuditEvent{
		ID:        r.ID,
		UID:       str(r.FirebaseUID),
		Action:    r.Action,
		IPAddress: str(r.IPAddress),
		UserAgent: str(r.UserAgent),
		Status:    str(r.Status),
		Detail:    str(r.Detail),
		CreatedAt: timeOr(r.CreatedAt),
	}
}

func (r *signingKeyRow) key() *identity.SigningKey {
	return &identity.SigningKey{
		KID:        r.KID,
		Algorithm:  r.Algorithm,
		PrivatePEM: r.PrivatePEM,
		CreatedAt:  r.CreatedAt.UTC(),
		RetiredAt:  utcp(r.RetiredAt),
	}
}
