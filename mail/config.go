package mail

import (
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"

	"github.com/authgate/authgate/identity"
)

// ParseURL builds an SMTP from an AUTHGATE_SMTP_URL value:
//
//	smtp://user:pass@host:port?from=noreply@example.com    STARTTLS when offered (port 587 by default)
//	smtps://user:pass@host:port?from=...                   implicit TLS (port 465 by default)
//
// User and password are optional and URL-encoded (a "@" in a username is
// "%40"). Query parameters: from (the sender; when absent, a username that
// is an email address is used), require_tls=true (refuse servers that do
// not offer STARTTLS). Any other parameter is an error, so that a typo
// does not silently weaken the setup. Errors never contain the password.
func ParseURL(raw string) (*SMTP, error) {
	if !hasScheme(raw, "smtp") && !hasScheme(raw, "smtps") {
		return nil, errors.New("mail: SMTP URL must start with smtp:// or smtps://")
	}
	u, err := url.Parse(raw)
	if err != nil {
		// url.Parse's error repeats the URL, password included.
		return nil, errors.New("mail: SMTP URL is not a valid URL (special characters in the user or password must be percent-encoded)")
	}
	s := &SMTP{Host: u.Hostname(), Port: u.Port(), ImplicitTLS: strings.EqualFold(u.Scheme, "smtps")}
	if s.Host == "" {
		return nil, errors.New("mail: SMTP URL has no host")
	}
	if s.Port == "" {
		s.Port = "587"
		if s.ImplicitTLS {
			s.Port = "465"
		}
	}
	if n, err := strconv.Atoi(s.Port); err != nil || n < 1 || n > 65535 {
		return nil, fmt.Errorf("mail: SMTP URL port %q is not a port number", s.Port)
	}
	if u.Path != "" && u.Path != "/" {
		return nil, errors.New("mail: SMTP URL must not have a path")
	}
	if u.User != nil {
		s.Username = u.User.Username()
		s.Password, _ = u.User.Password()
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return nil, fmt.Errorf("mail: SMTP URL query: %w", err)
	}
	for k, v := range q {
		switch k {
		case "from":
			s.From = v[len(v)-1]
		case "require_tls":
			b, err := strconv.ParseBool(v[len(v)-1])
			if err != nil {
				return nil, fmt.Errorf("mail: SMTP URL require_tls=%q is not a boolean", v[len(v)-1])
			}
			s.RequireTLS = b
		default:
			return nil, fmt.Errorf("mail: SMTP URL has an unknown parameter %q (known: from, require_tls)", k)
		}
	}
	if s.From == "" && strings.Contains(s.Username, "@") {
		s.From = s.Username
	}
	return s, nil
}

// New returns the Mailer for an AUTHGATE_SMTP_URL value: Log when url is
// empty (and a warning on log saying that one-time links will be logged),
// otherwise SMTP from ParseURL. A non-empty from overrides the URL's sender.
func New(url, from string, log *slog.Logger) (identity.Mailer, error) {
	if log == nil {
		log = slog.Default()
	}
	if url == "" {
		log.Warn("mail: no SMTP server configured (AUTHGATE_SMTP_URL); messages, with their one-time links, are written to this log instead of being sent")
		return &Log{Logger: log}, nil
	}
	s, err := ParseURL(url)
	if err != nil {
		return nil, err
	}
	if from != "" {
		s.From = from
	}
	if err := s.Validate(); err != nil {
		return nil, err
	}
	return s, nil
}
