package authapi

import (
	"errors"

	"github.com/authgate/authgate/identity"
)

// maxSecretInput bounds passwords and tokens in a request.
const maxSecretInput = 4096

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

// checkEmail validates an address (identity.ValidateEmail); it returns the
// normalized form.
func (f fieldErrors) checkEmail(field, email string) string {
	norm, err := identity.ValidateEmail(email)
	f.addFrom(field, "email", err)
	if err != nil {
		return identity.NormalizeEmail(email)
	}
	return norm
}

// addFrom records the reason an identity validator gave for its field
// (from) under this request's field name.
func (f fieldErrors) addFrom(field, from string, err error) {
	var ie *identity.Error
	if errors.As(err, &ie) {
		f.add(field, ie.Fields[from])
	}
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
	_, err := identity.ValidateDisplayName(v)
	f.addFrom(field, "display_name", err)
}

// checkPhotoURL accepts "" (no photo) or an absolute http(s) URL without
// credentials (identity.ValidatePhotoURL).
func (f fieldErrors) checkPhotoURL(field, v string) {
	_, err := identity.ValidatePhotoURL(v)
	f.addFrom(field, "photo_url", err)
}
