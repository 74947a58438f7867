package identity_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/authgate/authgate/identity"
)

func TestValidateEmail(t *testing.T) {
	good := map[string]string{"Ada@Example.com": "ada@example.com", "  x+tag@sub.example.org ": "x+tag@sub.example.org"}
	for in, want := range good {
		if got, err := identity.ValidateEmail(in); err != nil || got != want {
			t.Errorf("ValidateEmail(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	bad := []string{"", "no-at", "Ada <ada@example.com>", "a b@example.com", "a@b.c\r\nBcc: x@y.z", "(comment)a@b.c",
		strings.Repeat("a", 250) + "@b.cd"}
	for _, in := range bad {
		_, err := identity.ValidateEmail(in)
		var ie *identity.Error
		if err == nil || !identity.IsCode(err, identity.EINVALID) {
			t.Errorf("ValidateEmail(%q) = %v, want validation_failed", in, err)
		} else if errorsAs(err, &ie); ie.Fields["email"] == "" {
			t.Errorf("ValidateEmail(%q): no reason for the field", in)
		}
	}
}

func TestValidateProfile(t *testing.T) {
	str := func(s string) *string { return &s }
	ok := identity.UserUpdate{DisplayName: str("  Ada Lovelace "), PhotoURL: str("https://example.com/a.png")}
	if err := identity.ValidateProfile(&ok); err != nil || *ok.DisplayName != "Ada Lovelace" {
		t.Fatalf("valid profile: %v %q", err, *ok.DisplayName)
	}
	tests := []struct {
		name  string
		upd   identity.UserUpdate
		field string
	}{
		{"header injection in name", identity.UserUpdate{DisplayName: str("Ada\r\nX-User-Roles: admin")}, "display_name"},
		{"name too long", identity.UserUpdate{DisplayName: str(strings.Repeat("é", identity.MaxDisplayNameLength+1))}, "display_name"},
		{"javascript photo", identity.UserUpdate{PhotoURL: str("javascript:alert(1)")}, "photo_url"},
		{"relative photo", identity.UserUpdate{PhotoURL: str("/a.png")}, "photo_url"},
		{"photo with credentials", identity.UserUpdate{PhotoURL: str("https://user:pw@example.com/a.png")}, "photo_url"},
		{"photo too long", identity.UserUpdate{PhotoURL: str("https://example.com/" + strings.Repeat("a", identity.MaxPhotoURLLength))}, "photo_url"},
	}
	for _, tt := range tests {
		err := identity.ValidateProfile(&tt.upd)
		var ie *identity.Error
		if !errorsAs(err, &ie) || ie.Code != identity.EINVALID || ie.Fields[tt.field] == "" {
			t.Errorf("%s: %v, want validation_failed on %s", tt.name, err, tt.field)
		}
	}
}

func errorsAs(err error, target **identity.Error) bool { return errors.As(err, target) }
