package authapi_test

import (
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/authgate/authgate/identity"
	"github.com/authgate/authgate/mail"
	"github.com/authgate/authgate/mail/mailtest"
)

// mailbox is a real SMTP server in the test and the mail.SMTP mailer that
// sends to it.
type mailbox struct {
	srv    *mailtest.Server
	mailer identity.Mailer
}

func newMailbox(t testing.TB, log *slog.Logger) *mailbox {
	t.Helper()
	srv := mailtest.Start(t)
	m, err := mail.New(srv.URL(), "", log)
	if err != nil {
		t.Fatalf("mailer: %v", err)
	}
	return &mailbox{srv: srv, mailer: m}
}

// waitFor returns the next message to the address.
func (mb *mailbox) waitFor(t *testing.T, to string) mailtest.Received {
	t.Helper()
	return mb.srv.WaitFor(t, to, 10*time.Second)
}

// count returns how many messages went to the address so far.
func (mb *mailbox) count(to string) int {
	n := 0
	for _, m := range mb.srv.Messages() {
		for _, rcpt := range m.To {
			if strings.EqualFold(rcpt, to) {
				n++
			}
		}
	}
	return n
}
