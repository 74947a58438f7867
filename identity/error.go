package identity

import (
	"errors"
	"fmt"
)

// Stable error codes. They are part of the external contract: they appear as
// the "code" member of every problem+json answer, so never rename one.
const (
	EINTERNAL           = "internal"
	EINVALID            = "validation_failed"
	ENOTFOUND           = "not_found"
	ECONFLICT           = "conflict"
	EINVALIDCREDENTIALS = "invalid_credentials"
	EEMAILTAKEN         = "email_taken"
	EWEAKPASSWORD       = "weak_password"
	EINVALIDTOKEN       = "invalid_token"
	ETOKENEXPIRED       = "token_expired"
	EUNAUTHENTICATED    = "unauthenticated"
	EFORBIDDEN          = "forbidden"
	EMFAREQUIRED        = "mfa_required"
	EINVALIDMFA         = "invalid_mfa_code"
	ERATELIMITED        = "rate_limited"
	EUSERDISABLED       = "user_disabled"
	EEMAILNOTVERIFIED   = "email_not_verified"
	EREAUTHREQUIRED     = "reauthentication_required"
	EUNAVAILABLE        = "service_unavailable"
	EPAYLOADTOOLARGE    = "payload_too_large"
	EMALFORMED          = "malformed_request"
	EMETHODNOTALLOWED   = "method_not_allowed"
	EUNSUPPORTED        = "unsupported_media_type"
	EBADGATEWAY         = "bad_gateway"
	EGATEWAYTIMEOUT     = "gateway_timeout"
)

// Error is an application error: a stable Code, a Message safe to show to the
// client, optional per-field details and an optional wrapped cause that is
// logged but never shown.
type Error struct {
	Code    string
	Message string
	// Fields maps a request field to what is wrong with it (validation_failed).
	Fields map[string]string
	// RetryAfterSeconds, when > 0, becomes a Retry-After header (rate_limited).
	RetryAfterSeconds int
	// Extra members merged into the problem document (e.g. mfa_ticket).
	Extra map[string]any
	// Err is the underlying cause, for logs and errors.Is/As only.
	Err error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

func (e *Error) Unwrap() error { return e.Err }

// Is makes errors.Is(err, &Error{Code: X}) match any *Error with code X.
// A target with a Message (a sentinel such as ErrRefreshReuse) matches only
// itself, so a sentinel is never confused with another error of its code.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code && t.Message == "" && t.Err == nil
}

// Errorf returns an *Error with the code and a formatted, client-safe message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Wrap returns an *Error with the code and message, keeping err as its cause.
func Wrap(code, message string, err error) *Error {
	return &Error{Code: code, Message: message, Err: err}
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL
// for any other non-nil error, and "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the client-safe message of err; internal errors get a
// generic message so that nothing internal leaks.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) && e.Code != EINTERNAL {
		return e.Message
	}
	return "Internal error."
}

// IsCode reports whether err carries the given code.
func IsCode(err error, code string) bool { return ErrorCode(err) == code }

// Sentinel errors, matched with errors.Is.
var (
	// ErrNotResponsible is returned by a Verifier for a token that is not of
	// its kind (wrong issuer, wrong format): the Chain then tries the next one.
	ErrNotResponsible = errors.New("identity: verifier not responsible for this token")
	// ErrNotFound is the generic not-found error stores return (code not_found).
	ErrNotFound = &Error{Code: ENOTFOUND, Message: "Not found."}
)
