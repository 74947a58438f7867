package mail_test

import (
	"strings"
	"testing"
	"time"

	"github.com/authgate/authgate/identity"
	"github.com/authgate/authgate/mail"
)

func TestTemplates(t *testing.T) {
	const link = "https://auth.example.com/confirm?token=abc&next=%2F"
	for _, tt := range []struct {
		name    string
		msg     identity.Message
		subject string
		expiry  string
	}{
		{"reset", mail.PasswordResetMessage("a@example.com", link, time.Hour), "Reset your password", "1 hour"},
		{"verification", mail.VerificationMessage("a@example.com", link, 48*time.Hour+30*time.Minute), "Verify your email address", "2 days 30 minutes"},
		{"short ttl", mail.PasswordResetMessage("a@example.com", link, 15*time.Minute), "Reset your password", "15 minutes"},
		{"odd ttl", mail.PasswordResetMessage("a@example.com", link, 25*time.Hour+time.Minute), "Reset your password", "1 day 1 hour 1 minute"},
		{"tiny ttl", mail.PasswordResetMessage("a@example.com", link, time.Second), "Reset your password", "less than a minute"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			m := tt.msg
			if m.To != "a@example.com" || m.Subject != tt.subject {
				t.Errorf("to %q subject %q", m.To, m.Subject)
			}
			if !strings.Contains(m.Text, link) || !strings.Contains(m.Text, tt.expiry) {
				t.Errorf("text lacks link or %q:\n%s", tt.expiry, m.Text)
			}
			escaped := strings.ReplaceAll(link, "&", "&amp;")
			if !strings.Contains(m.HTML, `href="`+escaped+`"`) || !strings.Contains(m.HTML, tt.expiry) {
				t.Errorf("html lacks escaped link or %q:\n%s", tt.expiry, m.HTML)
			}
		})
	}
}

func TestTemplateEscapesLink(t *testing.T) {
	evil := `https://x.example/"><script>alert(1)</script>`
	m := mail.PasswordResetMessage("a@example.com", evil, time.Hour)
	if strings.Contains(m.HTML, "<script>") || strings.Contains(m.HTML, `"><script`) {
		t.Fatalf("link not escaped in HTML:\n%s", m.HTML)
	}
	js := mail.PasswordResetMessage("a@example.com", "javascript:alert(1)", time.Hour)
	if strings.Contains(js.HTML, `href="javascript:`) {
		t.Fatalf("javascript: URL kept in href:\n%s", js.HTML)
	}
}
