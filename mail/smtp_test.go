package mail_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"net"
	netmail "net/mail"
	"net/textproto"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/authgate/authgate/identity"
	"github.com/authgate/authgate/mail"
	"github.com/authgate/authgate/mail/mailtest"
)

var sendTime = time.Date(2026, 5, 6, 7, 8, 9, 0, time.UTC)

// newSMTP returns an SMTP mailer for srv through mail.New, the path
// cmd/authgate takes.
func newSMTP(t *testing.T, srv *mailtest.Server) *mail.SMTP {
	t.Helper()
	m, err := mail.New(srv.URL(), "", slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	s, ok := m.(*mail.SMTP)
	if !ok {
		t.Fatalf("New(%q) = %T, want *mail.SMTP", srv.URL(), m)
	}
	s.Now = func() time.Time { return sendTime }
	s.RootCAs(srv)
	return s
}

func TestSMTPSendResetMail(t *testing.T) {
	srv := mailtest.Start(t)
	s := newSMTP(t, srv)
	link := "https://auth.example.com/reset?token=abc_DEF-123&from=mail#x"
	msg := mail.PasswordResetMessage("Alice@Example.com", link, 30*time.Minute)
	if err := s.Send(context.Background(), msg); err != nil {
		t.Fatal(err)
	}
	got := srv.WaitFor(t, "alice@example.com", 5*time.Second)

	// Envelope.
	if got.From != mailtest.From || len(got.To) != 1 || !strings.EqualFold(got.To[0], "alice@example.com") {
		t.Errorf("envelope from %q to %v", got.From, got.To)
	}
	// Every line ends in CRLF and none is longer than 998 octets.
	lines := bytes.Split(got.Raw, []byte("\r\n"))
	for i, l := range lines {
		if bytes.ContainsAny(l, "\r\n") {
			t.Fatalf("line %d has a bare CR or LF: %q", i, l)
		}
		if len(l) > 998 {
			t.Fatalf("line %d is %d octets", i, len(l))
		}
	}

	// Headers, parsed with the standard library only.
	pm, err := netmail.ReadMessage(bytes.NewReader(got.Raw))
	if err != nil {
		t.Fatal(err)
	}
	h := pm.Header
	if d, err := h.Date(); err != nil || !d.Equal(sendTime) {
		t.Errorf("Date %q (%v), want %v", h.Get("Date"), err, sendTime)
	}
	if from, err := netmail.ParseAddress(h.Get("From")); err != nil || from.Address != mailtest.From {
		t.Errorf("From %q", h.Get("From"))
	}
	if to, err := netmail.ParseAddress(h.Get("To")); err != nil || to.Address != "Alice@Example.com" {
		t.Errorf("To %q", h.Get("To"))
	}
	if h.Get("Subject") != "Reset your password" {
		t.Errorf("Subject %q", h.Get("Subject"))
	}
	if id := h.Get("Message-ID"); !strings.HasPrefix(id, "<") || !strings.HasSuffix(id, "@example.test>") || len(id) < 20 {
		t.Errorf("Message-ID %q", id)
	}
	if h.Get("MIME-Version") != "1.0" {
		t.Errorf("MIME-Version %q", h.Get("MIME-Version"))
	}

	// Body: multipart/alternative, text then HTML, both carrying the link.
	mt, params, err := mime.ParseMediaType(h.Get("Content-Type"))
	if err != nil || mt != "multipart/alternative" {
		t.Fatalf("Content-Type %q", h.Get("Content-Type"))
	}
	mr := multipart.NewReader(pm.Body, params["boundary"])
	var types []string
	bodies := map[string]string{}
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(p)
		if err != nil {
			t.Fatal(err)
		}
		ct, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		types = append(types, ct)
		bodies[ct] = string(b)
	}
	if strings.Join(types, ",") != "text/plain,text/html" {
		t.Fatalf("parts %v, want text/plain then text/html", types)
	}
	if !strings.Contains(bodies["text/plain"], link) || !strings.Contains(bodies["text/plain"], "30 minutes") {
		t.Errorf("text part lacks the link or the expiry:\n%s", bodies["text/plain"])
	}
	if !strings.Contains(bodies["text/html"], `href="https://auth.example.com/reset?token=abc_DEF-123&amp;from=mail#x"`) {
		t.Errorf("html part lacks the escaped link:\n%s", bodies["text/html"])
	}

	// mailtest decodes the same and finds the link.
	if got.ParseErr != nil || got.Subject != "Reset your password" || got.FirstURL() != link {
		t.Errorf("mailtest: err %v, subject %q, first URL %q", got.ParseErr, got.Subject, got.FirstURL())
	}
}

func TestSMTPTextOnlyAndEncodedSubject(t *testing.T) {
	srv := mailtest.Start(t)
	s := newSMTP(t, srv)
	subject := "Grüße – 你好, please verify"
	long := "https://example.com/" + strings.Repeat("x", 300) // longer than a QP line
	err := s.Send(context.Background(), identity.Message{
		To:      "Zoë <zoe@example.com>",
		Subject: subject,
		Text:    "Line one\nLine two: " + long + "\n.\n..starts with dots\n",
	})
	if err != nil {
		t.Fatal(err)
	}
	got := srv.WaitFor(t, "zoe@example.com", 5*time.Second)
	if raw := got.Header.Get("Subject"); !strings.HasPrefix(raw, "=?utf-8?") {
		t.Errorf("raw Subject %q is not RFC 2047-encoded", raw)
	}
	if got.Subject != subject {
		t.Errorf("decoded Subject %q, want %q", got.Subject, subject)
	}
	if ct := got.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Errorf("Content-Type %q", ct)
	}
	if got.HTML != "" {
		t.Error("HTML part in a text-only message")
	}
	want := "Line one\nLine two: " + long + "\n.\n..starts with dots\n"
	if got.Text != want {
		t.Errorf("text %q, want %q", got.Text, want)
	}
	if got.FirstURL() != long {
		t.Errorf("FirstURL %q", got.FirstURL())
	}
}

func TestSMTPTLS(t *testing.T) {
	for _, tt := range []struct {
		name string
		opt  mailtest.Option
	}{
		{"STARTTLS", mailtest.WithSTARTTLS()},
		{"implicit TLS", mailtest.WithImplicitTLS()},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv := mailtest.Start(t, tt.opt)
			msg := identity.Message{To: "tls@example.com", Subject: "hi", Text: "over TLS"}

			s := newSMTP(t, srv) // trusts the server's certificate
			if err := s.Send(context.Background(), msg); err != nil {
				t.Fatal(err)
			}
			if got := srv.WaitFor(t, "tls@example.com", 5*time.Second); !got.TLS || got.Text != "over TLS\n" {
				t.Errorf("TLS %v, text %q", got.TLS, got.Text)
			}

			// Without trusting the certificate, nothing is sent.
			untrusting := newSMTP(t, srv)
			untrusting.TLSConfig = nil
			err := untrusting.Send(context.Background(), msg)
			var verr *tls.CertificateVerificationError
			if !errors.As(err, &verr) {
				t.Errorf("send with an untrusted certificate: %v, want an x509 error", err)
			}

			// The alarmingly named option turns the check off.
			insecure := newSMTP(t, srv)
			insecure.TLSConfig = nil
			insecure.InsecureSkipVerifyDoNotUseInProduction = true
			if err := insecure.Send(context.Background(), msg); err != nil {
				t.Errorf("insecure send: %v", err)
			}
		})
	}
}

func TestSMTPRequireTLS(t *testing.T) {
	srv := mailtest.Start(t) // no STARTTLS
	m, err := mail.New(srv.URL()+"&require_tls=true", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	err = m.Send(context.Background(), identity.Message{To: "a@example.com", Subject: "s", Text: "t"})
	if err == nil || !strings.Contains(err.Error(), "STARTTLS") {
		t.Fatalf("err = %v, want a STARTTLS refusal", err)
	}
	if n := len(srv.Messages()); n != 0 {
		t.Fatalf("%d messages delivered", n)
	}
}

func TestSMTPAuthFailure(t *testing.T) {
	srv := mailtest.Start(t)
	s := newSMTP(t, srv)
	s.Password = "wrong-password"
	err := s.Send(context.Background(), identity.Message{To: "a@example.com", Subject: "s", Text: "t"})
	var proto *textproto.Error
	if !errors.As(err, &proto) || proto.Code != 535 {
		t.Fatalf("err = %v, want a 535 *textproto.Error", err)
	}
	if !strings.Contains(err.Error(), "AUTH PLAIN as \""+mailtest.Username+"\"") || !strings.Contains(err.Error(), srv.Addr()) {
		t.Errorf("error lacks context: %v", err)
	}
	if strings.Contains(err.Error(), "wrong-password") {
		t.Errorf("error shows the password: %v", err)
	}
	if n := len(srv.Messages()); n != 0 {
		t.Fatalf("%d messages delivered without auth", n)
	}
}

func TestSMTPServerDown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	m, err := mail.New("smtp://"+addr+"?from=a@example.com", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	m.(*mail.SMTP).DialTimeout = 2 * time.Second
	err = m.Send(context.Background(), identity.Message{To: "b@example.com", Subject: "s", Text: "t"})
	if err == nil || !strings.Contains(err.Error(), "connect") {
		t.Fatalf("err = %v, want a connect error", err)
	}
}

// silentServer accepts connections and never says a word.
func silentServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var (
		mu    sync.Mutex
		conns []net.Conn
	)
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	return ln.Addr().String()
}

func TestSMTPTimeout(t *testing.T) {
	addr := silentServer(t)
	m, err := mail.New("smtp://"+addr+"?from=a@example.com", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	m.(*mail.SMTP).Timeout = 200 * time.Millisecond
	err = m.Send(context.Background(), identity.Message{To: "b@example.com", Subject: "s", Text: "t"})
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("err = %v, want a deadline error", err)
	}
}

func TestSMTPContextCancel(t *testing.T) {
	addr := silentServer(t)
	m, err := mail.New("smtp://"+addr+"?from=a@example.com", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Send(ctx, identity.Message{To: "b@example.com", Subject: "s", Text: "t"}) }()
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

func TestSMTPRefusesHeaderInjection(t *testing.T) {
	srv := mailtest.Start(t)
	s := newSMTP(t, srv)
	tests := []identity.Message{
		{To: "victim@example.com\r\nBcc: everyone@example.com", Subject: "s", Text: "t"},
		{To: "victim@example.com\nBcc: everyone@example.com", Subject: "s", Text: "t"},
		{To: "victim@example.com", Subject: "hi\r\nBcc: everyone@example.com", Text: "t"},
		{To: "victim@example.com", Subject: "hi\nContent-Type: text/html", Text: "t"},
		{To: "a@example.com, b@example.com", Subject: "s", Text: "t"},
		{To: "victim@example.com\x00", Subject: "s", Text: "t"},
		{To: "not an address", Subject: "s", Text: "t"},
		{To: "", Subject: "s", Text: "t"},
		{To: "a@example.com", Subject: strings.Repeat("s", 513), Text: "t"},
		{To: "a@example.com", Subject: "no body"},
		{To: "a@example.com", Subject: "bell\x07", Text: "t"},
	}
	for _, m := range tests {
		if err := s.Send(context.Background(), m); !errors.Is(err, mail.ErrInvalidMessage) {
			t.Errorf("Send(%q, %q) = %v, want ErrInvalidMessage", m.To, m.Subject, err)
		}
		if err := (&mail.Log{Logger: slog.New(slog.DiscardHandler)}).Send(context.Background(), m); !errors.Is(err, mail.ErrInvalidMessage) {
			t.Errorf("Log.Send(%q, %q) = %v, want ErrInvalidMessage", m.To, m.Subject, err)
		}
	}
	if n := len(srv.Messages()); n != 0 {
		t.Fatalf("%d messages delivered", n)
	}
}
