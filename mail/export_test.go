package mail

import (
	"crypto/tls"
	"time"

	"github.com/authgate/authgate/identity"

	"github.com/authgate/authgate/mail/mailtest"
)

// RootCAs makes s trust srv's self-signed certificate (a no-op without TLS).
func (s *SMTP) RootCAs(srv *mailtest.Server) {
	if pool := srv.RootCAs(); pool != nil {
		s.TLSConfig = &tls.Config{RootCAs: pool}
	}
}

// Compose renders m as Send would, after the same checks.
func Compose(from string, m identity.Message, now time.Time) ([]byte, error) {
	to, err := checkMessage(m)
	if err != nil {
		return nil, err
	}
	f, err := parseAddress(from)
	if err != nil {
		return nil, err
	}
	return compose(f, to, m, now)
}
