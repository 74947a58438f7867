package mailtest_test

import (
	"context"
	"testing"
	"time"

	"github.com/authgate/authgate/identity"
	"github.com/authgate/authgate/mail"
	"github.com/authgate/authgate/mail/mailtest"
)

func TestFirstURL(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"no link here", ""},
		{"Open https://a.example/x?t=1&u=2 now.", "https://a.example/x?t=1&u=2"},
		{"first http://a.example/1, then https://b.example/2", "http://a.example/1"},
		{"(see https://a.example/p).", "https://a.example/p"},
		{`<a href="https://a.example/h">`, "https://a.example/h"},
		{"line\nhttps://a.example/next\nline", "https://a.example/next"},
	} {
		if got := mailtest.FirstURL(tt.in); got != tt.want {
			t.Errorf("FirstURL(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestWaitForReturnsEachMessageOnce sends two mails to one address and one
// to another; WaitFor hands them out in order, each once.
func TestWaitForReturnsEachMessageOnce(t *testing.T) {
	srv := mailtest.Start(t)
	m, err := mail.New(srv.URL(), "", nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, msg := range []identity.Message{
		{To: "a@example.com", Subject: "first", Text: "https://x.example/1"},
		{To: "b@example.com", Subject: "other", Text: "https://x.example/b"},
		{To: "a@example.com", Subject: "second", Text: "https://x.example/2"},
	} {
		if err := m.Send(ctx, msg); err != nil {
			t.Fatal(err)
		}
	}
	if got := srv.WaitFor(t, "A@example.com", 5*time.Second); got.Subject != "first" || got.FirstURL() != "https://x.example/1" {
		t.Errorf("first WaitFor: %q %q", got.Subject, got.FirstURL())
	}
	if got := srv.WaitFor(t, "a@example.com", 5*time.Second); got.Subject != "second" {
		t.Errorf("second WaitFor: %q", got.Subject)
	}
	if got := srv.WaitFor(t, "b@example.com", 5*time.Second); got.Subject != "other" {
		t.Errorf("WaitFor b: %q", got.Subject)
	}
	if n := len(srv.Messages()); n != 3 {
		t.Errorf("Messages() has %d, want 3", n)
	}
}

// TestWaitForWaits starts waiting before the mail is sent.
func TestWaitForWaits(t *testing.T) {
	srv := mailtest.Start(t)
	m, err := mail.New(srv.URL(), "", nil)
	if err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() {
		errc <- m.Send(context.Background(), identity.Message{To: "late@example.com", Subject: "late", Text: "t"})
	}()
	if got := srv.WaitFor(t, "late@example.com", 10*time.Second); got.Subject != "late" {
		t.Errorf("subject %q", got.Subject)
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
}
