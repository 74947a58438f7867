// Package mailtest runs a real SMTP server (github.com/emersion/go-smtp)
// inside a test, so that tests can send mail through mail.SMTP and read
// what arrived: the parsed headers, the decoded text and HTML bodies, and
// the first link in them.
//
//	srv := mailtest.Start(t)
//	mailer, _ := mail.New(srv.URL(), "", logger)
//	... // the code under test sends a reset mail
//	msg := srv.WaitFor(t, "alice@example.com", 5*time.Second)
//	link := msg.FirstURL()
package mailtest

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Credentials the server accepts with AUTH PLAIN, and the sender URL()
// names.
const (
	Username = "mailtest"
	Password = "mailtest-password"
	From     = "authgate@example.test"
)

// Server is an SMTP server listening on 127.0.0.1 until the test ends.
type Server struct {
	srv      *smtp.Server
	addr     string
	implicit bool
	roots    *x509.CertPool

	mu       sync.Mutex
	msgs     []Received
	returned []bool        // msgs[i] was returned by WaitFor
	arrived  chan struct{} // closed and replaced on every message
}

// Option configures Start.
type Option func(*config)

type config struct{ starttls, implicit bool }

// WithSTARTTLS makes the server offer STARTTLS with a self-signed
// certificate for 127.0.0.1 (trust it with RootCAs).
func WithSTARTTLS() Option { return func(c *config) { c.starttls = true } }

// WithImplicitTLS makes the server speak TLS from the first byte (smtps)
// with a self-signed certificate for 127.0.0.1 (trust it with RootCAs).
func WithImplicitTLS() Option { return func(c *config) { c.implicit = true } }

// Start starts a server on a free loopback port; it stops when the test
// ends. It requires AUTH PLAIN with Username and Password before MAIL, and
// allows it without TLS (the connection never leaves the machine).
func Start(t testing.TB, opts ...Option) *Server {
	t.Helper()
	var cfg config
	for _, o := range opts {
		o(&cfg)
	}
	s := &Server{arrived: make(chan struct{}), implicit: cfg.implicit}

	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		_, isTLS := c.TLSConnectionState()
		return &session{s: s, conn: c, tls: isTLS}, nil
	}))
	srv.Domain = "mailtest.localhost"
	srv.AllowInsecureAuth = true
	srv.ReadTimeout = 10 * time.Second
	srv.WriteTimeout = 10 * time.Second
	srv.MaxMessageBytes = 4 << 20
	srv.MaxRecipients = 10
	srv.ErrorLog = testLogger{t}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("mailtest: listen: %v", err)
	}
	if cfg.starttls || cfg.implicit {
		cert, roots, err := selfSigned()
		if err != nil {
			t.Fatalf("mailtest: certificate: %v", err)
		}
		s.roots = roots
		tlsCfg := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		if cfg.implicit {
			ln = tls.NewListener(ln, tlsCfg)
		} else {
			srv.TLSConfig = tlsCfg // advertised as STARTTLS
		}
	}
	s.srv, s.addr = srv, ln.Addr().String()
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := srv.Serve(ln); err != nil && !errors.Is(err, smtp.ErrServerClosed) {
			t.Errorf("mailtest: serve: %v", err)
		}
	}()
	t.Cleanup(func() {
		srv.Close()
		// Close may run before Serve registered the listener with the
		// server (a test that never connects): close it here as well.
		ln.Close()
		<-done
	})
	return s
}

// Addr is the server's host:port.
func (s *Server) Addr() string { return s.addr }

// URL is an AUTHGATE_SMTP_URL for this server, with its credentials and
// From as the sender: smtp://… or, with WithImplicitTLS, smtps://….
func (s *Server) URL() string {
	scheme := "smtp"
	if s.implicit {
		scheme = "smtps"
	}
	u := url.URL{
		Scheme:   scheme,
		User:     url.UserPassword(Username, Password),
		Host:     s.addr,
		RawQuery: url.Values{"from": {From}}.Encode(),
	}
	return u.String()
}

// RootCAs trusts the server's self-signed certificate (nil without TLS).
func (s *Server) RootCAs() *x509.CertPool { return s.roots }

// Messages returns every message received so far, oldest first.
func (s *Server) Messages() []Received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Received(nil), s.msgs...)
}

// WaitFor returns the oldest message to the recipient (compared
// case-insensitively) that WaitFor has not returned before, waiting up to
// timeout for it to arrive; it fails the test when none does. Each message
// is returned once, so two calls see the first and then the second mail.
func (s *Server) WaitFor(t testing.TB, to string, timeout time.Duration) Received {
	t.Helper()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		s.mu.Lock()
		for i, m := range s.msgs {
			if !s.returned[i] && m.sentTo(to) {
				s.returned[i] = true
				s.mu.Unlock()
				return m
			}
		}
		arrived := s.arrived
		s.mu.Unlock()
		select {
		case <-arrived:
		case <-timer.C:
			t.Fatalf("mailtest: no new message to %s within %v (%d received in all)", to, timeout, len(s.Messages()))
			return Received{}
		}
	}
}

func (s *Server) add(m Received) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.msgs = append(s.msgs, m)
	s.returned = append(s.returned, false)
	close(s.arrived)
	s.arrived = make(chan struct{})
}

// session is one SMTP connection.
type session struct {
	s      *Server
	conn   *smtp.Conn
	tls    bool
	authed bool
	from   string
	to     []string
}

func (ss *session) AuthMechanisms() []string { return []string{sasl.Plain} }

func (ss *session) Auth(mech string) (sasl.Server, error) {
	if mech != sasl.Plain {
		return nil, smtp.ErrAuthUnknownMechanism
	}
	return sasl.NewPlainServer(func(identity, username, password string) error {
		if username != Username || password != Password {
			return smtp.ErrAuthFailed
		}
		ss.authed = true
		return nil
	}), nil
}

func (ss *session) Mail(from string, _ *smtp.MailOptions) error {
	if !ss.authed {
		return smtp.ErrAuthRequired
	}
	ss.from = from
	return nil
}

func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if !ss.authed {
		return smtp.ErrAuthRequired
	}
	ss.to = append(ss.to, to)
	return nil
}

func (ss *session) Data(r io.Reader) error {
	if !ss.authed {
		return smtp.ErrAuthRequired
	}
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	_, isTLS := ss.conn.TLSConnectionState()
	m := parse(raw)
	m.From, m.To, m.TLS = ss.from, append([]string(nil), ss.to...), isTLS || ss.tls
	ss.s.add(m)
	return nil
}

func (ss *session) Reset()        { ss.from, ss.to = "", nil }
func (ss *session) Logout() error { return nil }

// testLogger sends the server's error log to the test log.
type testLogger struct{ t testing.TB }

func (l testLogger) Printf(format string, v ...any) { l.t.Logf("mailtest: "+format, v...) }
func (l testLogger) Println(v ...any)               { l.t.Log(append([]any{"mailtest:"}, v...)...) }

// sentTo reports whether the envelope names the recipient.
func (m Received) sentTo(to string) bool {
	for _, r := range m.To {
		if strings.EqualFold(r, strings.TrimSpace(to)) {
			return true
		}
	}
	return false
}
