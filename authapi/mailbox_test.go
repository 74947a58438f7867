package authapi_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/authgate/authgate/identity"
)

// mail is one delivered message.
type mail struct {
	To, Subject, Body string
}

// mailbox receives the API's mail.
type mailbox struct {
	mailer identity.Mailer
	mu     sync.Mutex
	msgs   []mail
	notify chan struct{}
}

func newMailbox(t *testing.T) *mailbox {
	mb := &mailbox{notify: make(chan struct{}, 1)}
	mb.mailer = mailerFunc(func(_ context.Context, m identity.Message) error {
		mb.mu.Lock()
		mb.msgs = append(mb.msgs, mail{To: m.To, Subject: m.Subject, Body: m.Text + "\n" + m.HTML})
		mb.mu.Unlock()
		select {
		case mb.notify <- struct{}{}:
		default:
		}
		return nil
	})
	return mb
}

type mailerFunc func(context.Context, identity.Message) error

func (f mailerFunc) Send(ctx context.Context, m identity.Message) error { return f(ctx, m) }

// waitFor returns the first message to the address, waiting for it.
func (mb *mailbox) waitFor(t *testing.T, to string) mail {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		mb.mu.Lock()
		for _, m := range mb.msgs {
			if m.To == to {
				mb.mu.Unlock()
				return m
			}
		}
		mb.mu.Unlock()
		select {
		case <-mb.notify:
		case <-time.After(50 * time.Millisecond):
		case <-deadline:
			t.Fatalf("no mail to %s", to)
		}
	}
}

// count returns how many messages went to the address.
func (mb *mailbox) count(to string) int {
	mb.mu.Lock()
	defer mb.mu.Unlock()
	n := 0
	for _, m := range mb.msgs {
		if m.To == to {
			n++
		}
	}
	return n
}
