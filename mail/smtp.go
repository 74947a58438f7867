package mail

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/smtp"
	"strings"
	"time"

	"github.com/authgate/authgate/identity"
)

// Default timeouts of SMTP.
const (
	DefaultDialTimeout = 10 * time.Second
	DefaultTimeout     = 30 * time.Second
)

// SMTP sends mail through an SMTP server: one connection per message,
// STARTTLS whenever the server offers it (or implicit TLS), AUTH PLAIN when
// a username is set. Build it with ParseURL or New, or as a struct literal.
//
// Credentials are never sent over an unencrypted connection to a host
// other than localhost: net/smtp's PLAIN refuses to.
type SMTP struct {
	// Host and Port of the server.
	Host string
	Port string
	// Username and Password for AUTH PLAIN; empty Username means no AUTH.
	Username string
	Password string
	// From is the sender, "noreply@example.com" or "Example <noreply@example.com>".
	From string
	// ImplicitTLS connects with TLS from the first byte (smtps, port 465)
	// instead of upgrading with STARTTLS.
	ImplicitTLS bool
	// RequireTLS refuses to send when the server does not offer STARTTLS.
	// Without it, a server that does not offer STARTTLS gets the message
	// in clear text (but never the password, see above).
	RequireTLS bool
	// TLSConfig is the base TLS configuration (e.g. RootCAs for a private
	// CA); nil means the system roots. ServerName defaults to Host.
	TLSConfig *tls.Config
	// InsecureSkipVerifyDoNotUseInProduction disables the verification of
	// the server's certificate. Anyone on the network path can then read
	// every message, password reset links included, and the SMTP password.
	// It MUST NOT be set outside a test or a throwaway development setup:
	// give a private CA in TLSConfig.RootCAs instead.
	InsecureSkipVerifyDoNotUseInProduction bool
	// DialTimeout bounds connecting (default DefaultDialTimeout); Timeout
	// bounds the whole conversation after that (default DefaultTimeout).
	// The context's deadline, when sooner, wins.
	DialTimeout time.Duration
	Timeout     time.Duration
	// HeloName is the name sent in EHLO (default "localhost").
	HeloName string
	// Now is the clock for the Date header; nil means time.Now.
	Now func() time.Time
}

var _ identity.Mailer = (*SMTP)(nil)

// addr returns host:port.
func (s *SMTP) addr() string { return net.JoinHostPort(s.Host, s.Port) }

// Validate checks the configuration: host, port and a sender address.
func (s *SMTP) Validate() error {
	if s.Host == "" || s.Port == "" {
		return errors.New("mail: SMTP host and port are required")
	}
	if s.From == "" {
		return errors.New("mail: SMTP sender address is required (add ?from=noreply@example.com to the SMTP URL)")
	}
	if _, err := parseAddress(s.From); err != nil {
		return fmt.Errorf("mail: SMTP sender address %q: %w", s.From, err)
	}
	return nil
}

// Send delivers m. A refused message wraps ErrInvalidMessage and is refused
// before any connection is made. Other errors say which step failed
// (connect, TLS, AUTH, MAIL FROM, RCPT TO, DATA) and wrap the server's
// *textproto.Error or the network error; when ctx ended first, they wrap
// ctx.Err() too.
func (s *SMTP) Send(ctx context.Context, m identity.Message) error {
	to, err := checkMessage(m)
	if err != nil {
		return err
	}
	if err := s.Validate(); err != nil {
		return err
	}
	from, _ := parseAddress(s.From)
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	msg, err := compose(from, to, m, now())
	if err != nil {
		return fmt.Errorf("mail: compose: %w", err)
	}
	if err := s.send(ctx, from.Address, to.Address, msg); err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("%w: %w", ctx.Err(), err)
		}
		return err
	}
	return nil
}

func (s *SMTP) send(ctx context.Context, from, to string, msg []byte) error {
	addr := s.addr()
	conn, err := s.dial(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()

	// One deadline for the whole conversation; an ending context moves it
	// to the past, which unblocks any read or write at once.
	timeout := s.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	deadline := time.Now().Add(timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	conn.SetDeadline(deadline)
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()

	c, err := smtp.NewClient(conn, s.Host)
	if err != nil {
		return fmt.Errorf("mail: smtp %s: greeting: %w", addr, err)
	}
	defer c.Close()
	helo := s.HeloName
	if helo == "" {
		helo = "localhost"
	}
	if err := c.Hello(helo); err != nil {
		return fmt.Errorf("mail: smtp %s: EHLO: %w", addr, err)
	}
	if !s.ImplicitTLS {
		if ok, _ := c.Extension("STARTTLS"); ok {
			if err := c.StartTLS(s.tlsConfig()); err != nil {
				return fmt.Errorf("mail: smtp %s: STARTTLS: %w", addr, err)
			}
		} else if s.RequireTLS {
			return fmt.Errorf("mail: smtp %s: server does not offer STARTTLS and TLS is required", addr)
		}
	}
	if s.Username != "" {
		if ok, _ := c.Extension("AUTH"); !ok {
			return fmt.Errorf("mail: smtp %s: a username is configured but the server does not offer AUTH", addr)
		}
		if err := c.Auth(smtp.PlainAuth("", s.Username, s.Password, s.Host)); err != nil {
			return fmt.Errorf("mail: smtp %s: AUTH PLAIN as %q: %w", addr, s.Username, err)
		}
	}
	if err := c.Mail(from); err != nil {
		return fmt.Errorf("mail: smtp %s: MAIL FROM: %w", addr, err)
	}
	if err := c.Rcpt(to); err != nil {
		return fmt.Errorf("mail: smtp %s: RCPT TO: %w", addr, err)
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("mail: smtp %s: DATA: %w", addr, err)
	}
	if _, err := w.Write(msg); err != nil {
		return fmt.Errorf("mail: smtp %s: DATA: %w", addr, err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("mail: smtp %s: end of DATA: %w", addr, err)
	}
	// The message is accepted; a failing QUIT changes nothing.
	_ = c.Quit()
	return nil
}

// dial connects, with TLS from the start for ImplicitTLS.
func (s *SMTP) dial(ctx context.Context) (net.Conn, error) {
	dt := s.DialTimeout
	if dt <= 0 {
		dt = DefaultDialTimeout
	}
	d := &net.Dialer{Timeout: dt}
	addr := s.addr()
	if !s.ImplicitTLS {
		conn, err := d.DialContext(ctx, "tcp", addr)
		if err != nil {
			return nil, fmt.Errorf("mail: smtp %s: connect: %w", addr, err)
		}
		return conn, nil
	}
	td := &tls.Dialer{NetDialer: d, Config: s.tlsConfig()}
	dctx, cancel := context.WithTimeout(ctx, dt)
	defer cancel()
	conn, err := td.DialContext(dctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("mail: smtp %s: connect with TLS: %w", addr, err)
	}
	return conn, nil
}

func (s *SMTP) tlsConfig() *tls.Config {
	var cfg *tls.Config
	if s.TLSConfig != nil {
		cfg = s.TLSConfig.Clone()
	} else {
		cfg = &tls.Config{}
	}
	if cfg.ServerName == "" {
		cfg.ServerName = s.Host
	}
	if cfg.MinVersion == 0 {
		cfg.MinVersion = tls.VersionTLS12
	}
	if s.InsecureSkipVerifyDoNotUseInProduction {
		cfg.InsecureSkipVerify = true
	}
	return cfg
}

// hasScheme reports whether raw starts with scheme:// (case-insensitive).
func hasScheme(raw, scheme string) bool {
	return len(raw) > len(scheme)+3 && strings.EqualFold(raw[:len(scheme)+3], scheme+"://")
}
