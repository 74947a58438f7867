package mail_test

import (
	"bytes"
	"errors"
	"mime"
	"net/mail"
	"strings"
	"testing"
	"time"

	"github.com/authgate/authgate/identity"
	authmail "github.com/authgate/authgate/mail"
)

// FuzzCompose feeds arbitrary recipients, subjects and bodies (the
// recipient is a user's email, the subject may carry user text). Either the
// message is refused with ErrInvalidMessage, or it parses back with exactly
// one To address, the original subject (less surrounding blanks, which
// header parsing drops), and the fixed set of top-level
// headers: nothing can inject a header.
func FuzzCompose(f *testing.F) {
	for _, s := range [][3]string{
		{"alice@example.com", "Reset your password", "https://x.example/?t=1"},
		{"Zoë <zoe@example.com>", "Grüße", "text\nwith\r\nlines"},
		{"a@example.com\r\nBcc: b@example.com", "s", "t"},
		{"a@example.com", "s\nX-Evil: 1", "t"},
		{`"quoted\"name" <q@example.com>`, "=?utf-8?q?pre-encoded?=", "."},
	} {
		f.Add(s[0], s[1], s[2])
	}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, to, subject, text string) {
		raw, err := authmail.Compose("authgate@example.test", identity.Message{To: to, Subject: subject, Text: text}, now)
		if err != nil {
			if !errors.Is(err, authmail.ErrInvalidMessage) {
				t.Fatalf("error %v does not wrap ErrInvalidMessage", err)
			}
			return
		}
		msg, err := mail.ReadMessage(bytes.NewReader(raw))
		if err != nil {
			t.Fatalf("composed message does not parse: %v\n%q", err, raw)
		}
		want := []string{"Content-Transfer-Encoding", "Content-Type", "Date", "From", "Message-Id", "Mime-Version", "Subject", "To"}
		var got []string
		for k := range msg.Header {
			got = append(got, k)
		}
		if len(got) != len(want) {
			t.Fatalf("headers %v, want %v\n%q", got, want, raw)
		}
		list, err := msg.Header.AddressList("To")
		if err != nil || len(list) != 1 {
			t.Fatalf("To %q parses as %v (%v)", msg.Header.Get("To"), list, err)
		}
		if dec, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject")); err == nil && strings.ToValidUTF8(subject, "\uFFFD") == subject && dec != subject && dec != strings.Trim(subject, " \t") {
			t.Fatalf("subject %q came back as %q", subject, dec)
		}
	})
}
