package identity

import (
	"net/mail"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Field limits of accounts, shared by every provider and the API.
const (
	// MaxEmailLength is RFC 5321's limit on a forward path (254 octets
	// between the angle brackets).
	MaxEmailLength = 254
	// MaxDisplayNameLength is counted in characters (runes).
	MaxDisplayNameLength = 256
	// MaxPhotoURLLength is counted in bytes.
	MaxPhotoURLLength = 2048
)

// ValidateEmail normalizes an address with NormalizeEmail and
// checks that it is a bare RFC 5322 address (no display name, no comments,
// no angle brackets) of at most MaxEmailLength bytes. The error is an
// *Error with code EINVALID and Fields{"email": reason}.
func ValidateEmail(raw string) (string, error) {
	email := NormalizeEmail(raw)
	switch {
	case email == "":
		return "", invalidField("email", "Email is required.")
	case len(email) > MaxEmailLength:
		return "", invalidField("email", "Email must be at most 254 characters.")
	}
	addr, err := mail.ParseAddress(email)
	if err != nil || addr.Name != "" || addr.Address != email || hasControl(email) {
		return "", invalidField("email", "Email is not a valid address.")
	}
	return email, nil
}

// ValidateDisplayName trims a display name and checks it; the error is an
// *Error with code EINVALID and Fields{"display_name": reason}.
func ValidateDisplayName(raw string) (string, error) {
	name, msg := validateDisplayName(raw)
	if msg != "" {
		return "", invalidField("display_name", msg)
	}
	return name, nil
}

// ValidatePhotoURL trims a photo URL and checks it; the error is an *Error
// with code EINVALID and Fields{"photo_url": reason}.
func ValidatePhotoURL(raw string) (string, error) {
	photo, msg := validatePhotoURL(raw)
	if msg != "" {
		return "", invalidField("photo_url", msg)
	}
	return photo, nil
}

// validateDisplayName trims the name and checks its length and that it
// holds no control characters: the name travels in the X-User-Name header,
// so a CR or LF here would be a header injection further down.
func validateDisplayName(raw string) (string, string) {
	name := strings.TrimSpace(raw)
	switch {
	case !utf8.ValidString(name):
		return "", "Display name must be valid UTF-8 text."
	case utf8.RuneCountInString(name) > MaxDisplayNameLength:
		return "", "Display name must be at most 256 characters."
	case hasControl(name):
		return "", "Display name must not contain control characters."
	}
	return name, ""
}

// validatePhotoURL accepts "" (no photo) or an absolute http(s) URL with a
// host, without credentials, of at most MaxPhotoURLLength bytes.
func validatePhotoURL(raw string) (string, string) {
	s := strings.TrimSpace(raw)
	if s == "" {
		return "", ""
	}
	if len(s) > MaxPhotoURLLength {
		return "", "Photo URL must be at most 2048 characters."
	}
	u, err := url.Parse(s)
	if err != nil || hasControl(s) || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.Opaque != "" {
		return "", "Photo URL must be an absolute http or https URL."
	}
	if u.User != nil {
		return "", "Photo URL must not contain credentials."
	}
	return s, ""
}

// ValidateProfile checks the DisplayName and PhotoURL of upd and, when
// both are valid, stores their trimmed forms in upd. The error is an *Error with code
// EINVALID and one Fields entry per bad field.
func ValidateProfile(upd *UserUpdate) error {
	fields := map[string]string{}
	if upd.DisplayName != nil {
		name, msg := validateDisplayName(*upd.DisplayName)
		if msg != "" {
			fields["display_name"] = msg
		} else {
			upd.DisplayName = &name
		}
	}
	if upd.PhotoURL != nil {
		photo, msg := validatePhotoURL(*upd.PhotoURL)
		if msg != "" {
			fields["photo_url"] = msg
		} else {
			upd.PhotoURL = &photo
		}
	}
	if len(fields) > 0 {
		return &Error{Code: EINVALID, Message: "The profile is not valid.", Fields: fields}
	}
	return nil
}

func hasControl(s string) bool {
	return strings.ContainsFunc(s, unicode.IsControl)
}

func invalidField(field, msg string) *Error {
	return &Error{Code: EINVALID, Message: msg, Fields: map[string]string{field: msg}}
}
