package password

import (
	"strings"
	"unicode/utf8"

	"github.com/authgate/authgate/identity"
)

// Length limits, counted on the NFKC form of the password.
//
// NIST SP 800-63B asks for at least 8 characters and for accepting at least
// 64; we accept up to 256 characters, and cap the raw input at 1024 bytes so
// that a password field cannot be used to make every hash start with a
// megabyte of input. The length of a hash's input does not change its
// memory cost, so the caps are generous.
const (
	MinLength = 8
	MaxLength = 256
	MaxBytes  = 1024
)

// Check applies the password rules of NIST SP 800-63B §5.1.1.2 to a new
// password for the account with the given email (which may be empty):
// at least MinLength and at most MaxLength characters (runes after NFKC
// normalization), at most MaxBytes bytes, valid UTF-8, not in the list of
// common and breached passwords, and not the email address or its local
// part (compared case-insensitively). There are no composition rules.
//
// A refused password gives an *identity.Error with code EWEAKPASSWORD, a
// message that says what to do, and Fields{"password": reason}.
func Check(password, email string) error {
	if len(password) > MaxBytes {
		return weak("Password must be at most %d characters.", MaxLength)
	}
	if !utf8.ValidString(password) {
		return weak("Password must be valid UTF-8 text.")
	}
	normalized := normalize(password)
	n := utf8.RuneCountInString(normalized)
	if n < MinLength {
		return weak("Password must be at least %d characters.", MinLength)
	}
	if n > MaxLength {
		return weak("Password must be at most %d characters.", MaxLength)
	}
	if isEmailLike(normalized, email) {
		return weak("Password must not be your email address or its name part.")
	}
	if IsCommon(normalized) {
		return weak("This password is too common: it appears in lists of passwords that attackers try first. Choose a longer or less predictable one, such as a few unrelated words.")
	}
	return nil
}

// isEmailLike reports whether the password equals the email or its local
// part, ignoring case and surrounding space in the email.
func isEmailLike(password, email string) bool {
	email = strings.TrimSpace(email)
	if email == "" {
		return false
	}
	if strings.EqualFold(password, email) {
		return true
	}
	if at := strings.LastIndexByte(email, '@'); at > 0 {
		return strings.EqualFold(password, email[:at])
	}
	return false
}

func weak(format string, args ...any) *identity.Error {
	e := identity.Errorf(identity.EWEAKPASSWORD, format, args...)
	e.Fields = map[string]string{"password": e.Message}
	return e
}
