package firebase

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"

	"firebase.google.com/go/v4/auth"
	"firebase.google.com/go/v4/errorutils"

	"github.com/authgate/authgate/identity"
)

// APIError is an error answer of the Identity Toolkit REST API. Code is the
// stable error code Firebase documents ("EMAIL_EXISTS", "WEAK_PASSWORD"),
// the part of error.message before " : "; Detail is the rest, if any.
type APIError struct {
	Status int
	Code   string
	Detail string
}

func (e *APIError) Error() string {
	if e.Detail != "" {
		return fmt.Sprintf("identity toolkit: %d %s: %s", e.Status, e.Code, e.Detail)
	}
	return fmt.Sprintf("identity toolkit: %d %s", e.Status, e.Code)
}

// parseAPIErrorMessage splits error.message ("WEAK_PASSWORD : Password should
// be at least 6 characters") into the code and the detail.
func parseAPIErrorMessage(msg string) (code, detail string) {
	msg = strings.TrimSpace(msg)
	if i := strings.Index(msg, " : "); i >= 0 {
		return strings.TrimSpace(msg[:i]), strings.TrimSpace(msg[i+3:])
	}
	return msg, ""
}

// Client-safe messages, shared so that equal codes read equally.
const (
	msgUnavailable        = "Firebase is unreachable."
	msgInvalidCredentials = "Invalid email or password."
	msgInvalidToken       = "The token is not valid."
	msgExpiredToken       = "The token has expired."
	msgInvalidCode        = "The link is invalid or has expired."
	msgEmailTaken         = "An account with this email already exists."
	msgWeakPassword       = "The password is too weak."
	msgUserDisabled       = "This account is disabled."
	msgRateLimited        = "Too many attempts. Try again later."
	msgInvalidEmail       = "The email address is not valid."
	msgUserNotFound       = "User not found."
)

// restCode maps an Identity Toolkit error code to authgate's code and
// client message. Codes not listed are internal errors.
var restCode = map[string]struct{ code, msg string }{
	"EMAIL_EXISTS":                   {identity.EEMAILTAKEN, msgEmailTaken},
	"INVALID_LOGIN_CREDENTIALS":      {identity.EINVALIDCREDENTIALS, msgInvalidCredentials},
	"INVALID_PASSWORD":               {identity.EINVALIDCREDENTIALS, msgInvalidCredentials},
	"EMAIL_NOT_FOUND":                {identity.EINVALIDCREDENTIALS, msgInvalidCredentials},
	"USER_DISABLED":                  {identity.EUSERDISABLED, msgUserDisabled},
	"TOO_MANY_ATTEMPTS_TRY_LATER":    {identity.ERATELIMITED, msgRateLimited},
	"QUOTA_EXCEEDED":                 {identity.ERATELIMITED, msgRateLimited},
	"WEAK_PASSWORD":                  {identity.EWEAKPASSWORD, msgWeakPassword},
	"INVALID_OOB_CODE":               {identity.EINVALIDTOKEN, msgInvalidCode},
	"EXPIRED_OOB_CODE":               {identity.EINVALIDTOKEN, msgInvalidCode},
	"INVALID_EMAIL":                  {identity.EINVALID, msgInvalidEmail},
	"MISSING_EMAIL":                  {identity.EINVALID, msgInvalidEmail},
	"MISSING_PASSWORD":               {identity.EINVALIDCREDENTIALS, msgInvalidCredentials},
	"USER_NOT_FOUND":                 {identity.ENOTFOUND, msgUserNotFound},
	"INVALID_ID_TOKEN":               {identity.EINVALIDTOKEN, msgInvalidToken},
	"TOKEN_EXPIRED":                  {identity.EINVALIDTOKEN, msgInvalidToken},
	"CREDENTIAL_TOO_OLD_LOGIN_AGAIN": {identity.EREAUTHREQUIRED, "Sign in again to do this."},
}

// restError turns an error of a REST call into an *identity.Error.
func restError(op string, err error) error {
	if err == nil {
		return nil
	}
	var ae *APIError
	if errors.As(err, &ae) {
		if m, ok := restCode[ae.Code]; ok {
			e := identity.Wrap(m.code, m.msg, fmt.Errorf("firebase: %s: %w", op, err))
			if m.code == identity.EINVALID {
				e.Fields = map[string]string{"email": m.msg}
			}
			return e
		}
		if ae.Status >= 500 {
			return identity.Wrap(identity.EUNAVAILABLE, msgUnavailable, fmt.Errorf("firebase: %s: %w", op, err))
		}
		return identity.Wrap(identity.EINTERNAL, "Internal error.", fmt.Errorf("firebase: %s: %w", op, err))
	}
	if isUnreachable(err) {
		return identity.Wrap(identity.EUNAVAILABLE, msgUnavailable, fmt.Errorf("firebase: %s: %w", op, err))
	}
	return identity.Wrap(identity.EINTERNAL, "Internal error.", fmt.Errorf("firebase: %s: %w", op, err))
}

// adminError turns an Admin SDK error into an *identity.Error, using the
// SDK's predicates.
func adminError(op string, err error) error {
	if err == nil {
		return nil
	}
	var ie *identity.Error
	if errors.As(err, &ie) {
		return err
	}
	wrapped := fmt.Errorf("firebase: %s: %w", op, err)
	switch {
	case auth.IsEmailAlreadyExists(err):
		return identity.Wrap(identity.EEMAILTAKEN, msgEmailTaken, wrapped)
	case auth.IsUserNotFound(err), auth.IsEmailNotFound(err):
		return identity.Wrap(identity.ENOTFOUND, msgUserNotFound, wrapped)
	case auth.IsUIDAlreadyExists(err):
		return identity.Wrap(identity.ECONFLICT, "The account already exists.", wrapped)
	case errorutils.IsResourceExhausted(err):
		return identity.Wrap(identity.ERATELIMITED, msgRateLimited, wrapped)
	case isUnreachable(err):
		return identity.Wrap(identity.EUNAVAILABLE, msgUnavailable, wrapped)
	}
	return identity.Wrap(identity.EINTERNAL, "Internal error.", wrapped)
}

// tokenError maps an error of ID-token verification: expired tokens get
// ETOKENEXPIRED, an unreachable Firebase EUNAVAILABLE, anything else
// EINVALIDTOKEN (bad signature, wrong audience, revoked, deleted or disabled
// user).
func tokenError(err error) error {
	wrapped := fmt.Errorf("firebase: verify id token: %w", err)
	switch {
	case auth.IsIDTokenExpired(err):
		return identity.Wrap(identity.ETOKENEXPIRED, msgExpiredToken, wrapped)
	case auth.IsCertificateFetchFailed(err), isUnreachable(err):
		return identity.Wrap(identity.EUNAVAILABLE, msgUnavailable, wrapped)
	}
	return identity.Wrap(identity.EINVALIDTOKEN, msgInvalidToken, wrapped)
}

// isUnreachable reports whether err means Firebase could not be reached or
// did not answer in time.
func isUnreachable(err error) bool {
	if errorutils.IsUnavailable(err) || errorutils.IsDeadlineExceeded(err) {
		return true
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return true
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return true
	}
	var oe *net.OpError
	return errors.As(err, &oe)
}
