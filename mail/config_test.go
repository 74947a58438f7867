package mail_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"

	"github.com/authgate/authgate/identity"
	"github.com/authgate/authgate/mail"
)

func TestParseURL(t *testing.T) {
	tests := []struct {
		url  string
		want mail.SMTP // compared on the fields below
		err  string    // substring; "" = ok
	}{
		{url: "smtp://user:p%40ss@mail.example.com:2525?from=noreply@example.com",
			want: mail.SMTP{Host: "mail.example.com", Port: "2525", Username: "user", Password: "p@ss", From: "noreply@example.com"}},
		{url: "smtp://mail.example.com?from=noreply@example.com",
			want: mail.SMTP{Host: "mail.example.com", Port: "587", From: "noreply@example.com"}},
		{url: "smtps://me%40example.com:secret@smtp.example.com",
			want: mail.SMTP{Host: "smtp.example.com", Port: "465", Username: "me@example.com", Password: "secret", From: "me@example.com", ImplicitTLS: true}},
		{url: "SMTP://[::1]:25?from=a@example.com&require_tls=true",
			want: mail.SMTP{Host: "::1", Port: "25", From: "a@example.com", RequireTLS: true}},
		{url: "http://mail.example.com", err: "smtp:// or smtps://"},
		{url: "mail.example.com:25", err: "smtp:// or smtps://"},
		{url: "smtp://?from=a@example.com", err: "no host"},
		{url: "smtp://mail.example.com:99999", err: "port"},
		{url: "smtp://user:secret@mail.example.com:abc", err: "not a valid URL"},
		{url: "smtp://mail.example.com/path", err: "path"},
		{url: "smtp://mail.example.com?insecure_skip_verify=true", err: "unknown parameter"},
		{url: "smtp://mail.example.com?require_tls=maybe", err: "boolean"},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			s, err := mail.ParseURL(tt.url)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want %q", err, tt.err)
				}
				if strings.Contains(err.Error(), "secret") {
					t.Errorf("error shows the password: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			w := tt.want
			if s.Host != w.Host || s.Port != w.Port || s.Username != w.Username || s.Password != w.Password ||
				s.From != w.From || s.ImplicitTLS != w.ImplicitTLS || s.RequireTLS != w.RequireTLS || s.InsecureSkipVerifyDoNotUseInProduction {
				t.Errorf("got %+v, want %+v", *s, w)
			}
		})
	}
}

func TestNew(t *testing.T) {
	var logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, nil))

	m, err := mail.New("", "", logger)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := m.(*mail.Log); !ok {
		t.Fatalf("New(\"\") = %T, want *mail.Log", m)
	}
	if !strings.Contains(logs.String(), "one-time links") {
		t.Errorf("no warning about logged links: %s", logs.String())
	}

	m, err = mail.New("smtp://mail.example.com?from=a@example.com", "Example <b@example.com>", logger)
	if err != nil {
		t.Fatal(err)
	}
	if s := m.(*mail.SMTP); s.From != "Example <b@example.com>" {
		t.Errorf("From = %q, want the argument to win", s.From)
	}

	for _, bad := range []struct{ url, from string }{
		{"smtp://mail.example.com", ""}, // no sender at all
		{"smtp://mail.example.com?from=not-an-address", ""},
		{"smtp://mail.example.com", "a@example.com\r\nBcc: x@example.com"},
		{"ftp://mail.example.com", "a@example.com"},
	} {
		if _, err := mail.New(bad.url, bad.from, logger); err == nil {
			t.Errorf("New(%q, %q) = nil error", bad.url, bad.from)
		}
	}
}

func TestLogMailer(t *testing.T) {
	var logs bytes.Buffer
	l := &mail.Log{Logger: slog.New(slog.NewJSONHandler(&logs, nil))}
	msg := mail.PasswordResetMessage("alice@example.com", "https://auth.example.com/reset?token=t0k3n", 0)
	if err := l.Send(context.Background(), msg); err != nil {
		t.Fatal(err)
	}
	var rec map[string]any
	if err := json.Unmarshal(logs.Bytes(), &rec); err != nil {
		t.Fatalf("log line %q: %v", logs.String(), err)
	}
	if rec["level"] != "INFO" || rec["to"] != "alice@example.com" || rec["subject"] != "Reset your password" ||
		!strings.Contains(rec["body"].(string), "https://auth.example.com/reset?token=t0k3n") {
		t.Errorf("log record %v", rec)
	}

	// An HTML-only message logs its HTML.
	logs.Reset()
	if err := l.Send(context.Background(), identity.Message{To: "b@example.com", Subject: "s", HTML: "<p>hi</p>"}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs.String(), "<p>hi</p>") {
		t.Errorf("log %s", logs.String())
	}
}
