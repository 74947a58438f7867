package mail

import (
	"crypto/tls"

	"github.com/authgate/authgate/mail/mailtest"
)

// RootCAs makes s trust srv's self-signed certificate (a no-op without TLS).
func (s *SMTP) RootCAs(srv *mailtest.Server) {
	if pool := srv.RootCAs(); pool != nil {
		s.TLSConfig = &tls.Config{RootCAs: pool}
	}
}
