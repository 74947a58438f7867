package authapi_test

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/authgate/authgate/identity"
)

// oobProvider stands in for a provider that mails its own verification
// links (Firebase, tested against the emulator in package firebase): it
// records the uids it was asked to mail and accepts the code "oob:<uid>".
type oobProvider struct {
	identity.Provider
	users identity.UserStore

	mu   sync.Mutex
	sent []string
}

func (p *oobProvider) SendEmailVerification(_ context.Context, uid string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.sent = append(p.sent, uid)
	return nil
}

func (p *oobProvider) ConfirmEmailVerification(ctx context.Context, code string) (string, error) {
	uid, ok := strings.CutPrefix(code, "oob:")
	if !ok {
		return "", identity.Errorf(identity.EINVALIDTOKEN, "The code is not valid.")
	}
	verified := true
	if _, err := p.users.UpdateUser(ctx, uid, identity.UserUpdate{EmailVerified: &verified}); err != nil {
		return "", err
	}
	return uid, nil
}

func (p *oobProvider) sentTo() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.sent...)
}

func TestEmailVerificationDelegatesToProvider(t *testing.T) {
	var prov *oobProvider
	s := newTestServer(t, func(c *testConfig) {
		prov = &oobProvider{Provider: c.api.Provider, users: c.db}
		c.api.Provider = prov
	})
	const email = "oob@example.com"
	reg := s.register(t, email, "correct horse battery staple")
	s.do(t, "POST", "/api/auth/email/verify/send", nil, bearer(reg.AccessToken)).wantStatus(t, http.StatusAccepted)
	if got := prov.sentTo(); len(got) != 1 || got[0] != reg.User.UID {
		t.Fatalf("provider asked to mail %v, want [%s]", got, reg.User.UID)
	}
	if n := s.mail.count(email); n != 0 {
		t.Errorf("authgate sent %d mails itself; the provider mails", n)
	}
	s.confirmEmail(t, "forged").wantProblem(t, http.StatusUnauthorized, identity.EINVALIDTOKEN)
	var u userJSON
	s.confirmEmail(t, "oob:"+reg.User.UID).json(t, http.StatusOK, &u)
	if !u.EmailVerified || u.UID != reg.User.UID {
		t.Fatalf("confirm answered %+v", u)
	}
	s.wantAudit(t, identity.ActionEmailVerify, reg.User.UID, identity.StatusSuccess)
	s.wantAudit(t, identity.ActionEmailVerifySend, reg.User.UID, identity.StatusSuccess)
}
