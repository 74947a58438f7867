package mfa

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/authgate/authgate/identity"
)

// Defaults for the zero values of Service's settings.
const (
	DefaultIssuer    = "authgate"
	DefaultTicketTTL = 5 * time.Minute
	DefaultQRSize    = 256
)

// Purposes of the one-time tokens this package keeps (identity defines
// PurposeMFATicket).
const (
	// PurposeRecoveryCode marks a hashed recovery code.
	PurposeRecoveryCode = "mfa_recovery"
	// PurposeTOTPStep marks a claimed TOTP time step of a user (stored
	// consumed; it only exists so that the step cannot be claimed again).
	PurposeTOTPStep = "mfa_totp_step"
)

// ActionRecoveryCodes is the audit action of regenerating recovery codes
// (identity has no constant for it).
const ActionRecoveryCodes = "mfa_recovery_codes"

// Method is the second factor a code proved.
type Method string

// The second factors.
const (
	MethodTOTP         Method = "totp"
	MethodRecoveryCode Method = "recovery_code"
)

// AMR returns the RFC 8176 authentication methods of a password sign-in
// completed with m: ["pwd", "otp"] for both, because a recovery code is a
// one-time password too (a NIST 800-63B look-up secret) and a policy rule
// demanding MFA must accept the user who lost the phone. The audit trail
// records which of the two it was.
func (m Method) AMR() []string { return []string{"pwd", "otp"} }

// Service enrolls, checks and removes TOTP second factors. Set the fields,
// then use it from any number of goroutines; do not change the fields
// afterwards.
type Service struct {
	Users   identity.UserStore
	OneTime identity.OneTimeTokenStore
	// Issuer names the service in authenticator apps (DefaultIssuer). It
	// must not contain a colon.
	Issuer string
	// TicketTTL is the lifetime of a sign-in ticket (DefaultTicketTTL).
	TicketTTL time.Duration
	// QRSize is the width of the enrollment QR code in pixels (DefaultQRSize).
	QRSize int
	// Now is the clock (time.Now).
	Now func() time.Time
}

// Validate reports every problem of the configuration at once.
func (s *Service) Validate() error {
	var errs []error
	if s.Users == nil {
		errs = append(errs, errors.New("mfa: Users is required"))
	}
	if s.OneTime == nil {
		errs = append(errs, errors.New("mfa: OneTime is required"))
	}
	if strings.ContainsAny(s.Issuer, ":\r\n") {
		errs = append(errs, fmt.Errorf("mfa: Issuer %q must not contain a colon or a line break", s.Issuer))
	}
	if s.TicketTTL < 0 || s.QRSize < 0 {
		errs = append(errs, errors.New("mfa: TicketTTL and QRSize must not be negative"))
	}
	return errors.Join(errs...)
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Service) issuer() string {
	if s.Issuer == "" {
		return DefaultIssuer
	}
	return s.Issuer
}

func (s *Service) ticketTTL() time.Duration {
	if s.TicketTTL <= 0 {
		return DefaultTicketTTL
	}
	return s.TicketTTL
}

func (s *Service) qrSize() int {
	if s.QRSize <= 0 {
		return DefaultQRSize
	}
	return s.QRSize
}

// errInvalidCode is the one answer for a wrong, expired or reused code, so
// that the answer does not tell which.
func errInvalidCode() *identity.Error {
	return identity.Errorf(identity.EINVALIDMFA, "The code is not valid or was already used.")
}

// ErrReplayed is the cause (errors.Is) of the invalid_mfa_code answer to a
// TOTP code that was valid but already used; the client sees the same
// answer as for a wrong code, the audit trail can tell them apart.
var ErrReplayed = errors.New("mfa: code already used")

func replayed() *identity.Error {
	e := errInvalidCode()
	e.Err = ErrReplayed
	return e
}

func errNotEnabled() *identity.Error {
	return identity.Errorf(identity.ECONFLICT, "Multi-factor authentication is not enabled for this account.")
}
