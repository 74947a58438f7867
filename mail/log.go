package mail

import (
	"context"
	"log/slog"

	"github.com/authgate/authgate/identity"
)

// Log is the Mailer used when no SMTP server is configured: each message
// is written to Logger at info level with its recipient, subject and text
// body, and nothing is sent.
//
// The body carries one-time links (password reset, email verification), so
// anyone who can read the log can take over the accounts it mentions. That
// is what makes Log convenient for development and wrong for production:
// configure AUTHGATE_SMTP_URL there.
type Log struct {
	// Logger receives the messages; nil means slog.Default().
	Logger *slog.Logger
}

var _ identity.Mailer = (*Log)(nil)

// Send logs m. It refuses the same malformed recipients and subjects as
// SMTP does, so that development catches what production would refuse.
func (l *Log) Send(ctx context.Context, m identity.Message) error {
	if _, err := checkMessage(m); err != nil {
		return err
	}
	logger := l.Logger
	if logger == nil {
		logger = slog.Default()
	}
	body := m.Text
	if body == "" {
		body = m.HTML
	}
	logger.InfoContext(ctx, "mail (not sent: no SMTP server configured)",
		"to", m.To, "subject", m.Subject, "body", body)
	return nil
}
