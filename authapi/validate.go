package authapi

import (
	"net/mail"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/authgate/authgate/identity"
)

// Input bounds.
const (
	maxEmail       = 254
	maxDisplayName = 256
	maxPhotoURL    = 2048
	maxSecretInput = 4096 // passwords and tokens in a request
)

// fieldErrors collects per-field problems into one validation_failed error.
type fieldErrors map[string]string

func (f fieldErrors) add(field, problem string) {
	if _, seen := f[field]; !seen {
		f[field] = problem
	}
}

func (f fieldErrors) err() error {
	if len(f) == 0 {
		return nil
	}
	return &identity.Error{Code: identity.EINVALID, Message: "Some fields are not valid.", Fields: f}
}

// checkEmail validates an address for registration; it returns the
// normalized form.
func (f fieldErrors) checkEmail(field, email string) string {
	email = identity.NormalizeEmail(email)
	switch {
	case email == "":
		f.add(field, "is required")
	case len(email) > maxEmail:
		f.add(field, "is too long")
	default:
		addr, err := mail.ParseAddress(email)
		if err != nil || addr.Address != email || addr.Name != "" || strings.ContainsAny(email, " \t\r\n<>") {
			f.add(field, "is not an email address")
		}
	}
	return email
}

// checkRequired validates a secret-bearing field (password, token): present
// and of a sane size. Its content is never echoed.
func (f fieldErrors) checkRequired(field, v string) {
	switch {
	case v == "":
		f.add(field, "is required")
	case len(v) > maxSecretInput:
		f.add(field, "is too long")
	}
}

func (f fieldErrors) checkDisplayName(field, v string) {
	switch {
	case utf8.RuneCountInString(v) > maxDisplayName:
		f.add(field, "is too long")
	case strings.IndexFunc(v, unicode.IsControl) >= 0:
		f.add(field, "must not contain control characters")
	}
}

// checkPhotoURL accepts "" (no photo) or an absolute http(s) URL.
func (f fieldErrors) checkPhotoURL(field, v string) {
	if v == "" {
		return
	}
	if len(v) > maxPhotoURL {
		f.add(field, "is too long")
		return
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil ||
		strings.IndexFunc(v, unicode.IsControl) >= 0 {
		f.add(field, "must be an absolute http or https URL")
	}
}
