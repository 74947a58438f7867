package password_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/authgate/authgate/identity"
	"github.com/authgate/authgate/password"
)

func TestCheck(t *testing.T) {
	const email = "Alice.Smith@Example.com"
	tests := []struct {
		name     string
		password string
		email    string
		ok       bool
		reason   string // substring of the message when refused
	}{
		{"eight characters", "tq8#vLz2", email, true, ""},
		{"seven characters", "tq8#vLz", email, false, "at least 8"},
		{"empty", "", email, false, "at least 8"},
		{"no composition rules: all lower-case letters", "correct horse battery staple", email, true, ""},
		{"no composition rules: digits only", "90417263548", email, true, ""},
		{"spaces count and are kept", "  a b c d  ", email, true, ""},
		{"eight runes, more bytes", "пароль日本語", email, true, ""},
		{"seven runes, many bytes", "日本語日本語日", email, false, "at least 8"},
		{"NFKC: fullwidth digits are digits", "１２３４５６７８", email, false, "too common"},
		{"NFKC: ligature expands to two runes", "ﬁﬁﬁﬁ", email, true, ""},
		{"256 runes accepted", strings.Repeat("xY9!", 64), email, true, ""},
		{"257 runes refused", strings.Repeat("xY9!", 64) + "z", email, false, "at most 256"},
		{"over the byte cap", strings.Repeat("é", password.MaxBytes), email, false, "at most 256"},
		{"invalid UTF-8", "abcdefgh\xff", email, false, "UTF-8"},
		{"common password", "password", email, false, "too common"},
		{"common password, other case", "PassWord1", email, false, "too common"},
		{"common password 12345678", "12345678", email, false, "too common"},
		{"common keyboard walk", "qwertyuiop", email, false, "too common"},
		{"service name", "authgate123", email, false, "too common"},
		{"equals email", "alice.smith@example.com", email, false, "email"},
		{"equals email, other case", "ALICE.SMITH@EXAMPLE.COM", email, false, "email"},
		{"equals local part", "alice.smith", email, false, "email"},
		{"equals local part, padded email", "alice.smith", "  alice.smith@example.com ", false, "email"},
		{"contains local part is fine", "alice.smith-rides-bikes", email, true, ""},
		{"no email given", "alice.smith", "", true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := password.Check(tt.password, tt.email)
			if tt.ok {
				if err != nil {
					t.Fatalf("Check(%q) = %v, want nil", tt.password, err)
				}
				return
			}
			var e *identity.Error
			if !errors.As(err, &e) {
				t.Fatalf("Check(%q) = %v, want *identity.Error", tt.password, err)
			}
			if e.Code != identity.EWEAKPASSWORD {
				t.Errorf("code = %q, want %q", e.Code, identity.EWEAKPASSWORD)
			}
			if !strings.Contains(e.Message, tt.reason) {
				t.Errorf("message = %q, want it to mention %q", e.Message, tt.reason)
			}
			if e.Fields["password"] == "" {
				t.Errorf("Fields = %v, want a password entry", e.Fields)
			}
		})
	}
}

func TestIsCommon(t *testing.T) {
	for _, p := range []string{"password", "iloveyou", "sunshine", "football", "baseball", "trustno1", "p@ssw0rd", "changeme"} {
		if !password.IsCommon(p) {
			t.Errorf("IsCommon(%q) = false, want true", p)
		}
	}
	for _, p := range []string{"", "x7#Lq!v9Zr", "correct horse battery staple"} {
		if password.IsCommon(p) {
			t.Errorf("IsCommon(%q) = true, want false", p)
		}
	}
}
