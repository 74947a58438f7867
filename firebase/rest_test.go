package firebase_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/authgate/authgate/firebase"
	"github.com/authgate/authgate/identity"
)

// fakeToolkit answers every Identity Toolkit call with status and body, or
// hangs until the client gives up when hang is set.
func fakeToolkit(t *testing.T, status int, body string, hang bool) *firebase.Provider {
	t.Helper()
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if hang {
			select {
			case <-r.Context().Done():
			case <-release:
			}
			return
		}
		if !strings.HasPrefix(r.URL.Path, "/identitytoolkit.googleapis.com/v1/accounts:") || r.URL.Query().Get("key") != "test-key" {
			http.Error(w, "unexpected request "+r.URL.String(), http.StatusNotFound)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) }) // runs first: lets hanging handlers end
	c, err := firebase.New(context.Background(), firebase.Config{
		ProjectID:    "demo-fake",
		APIKey:       "test-key",
		EmulatorHost: strings.TrimPrefix(srv.URL, "http://"),
		HTTPTimeout:  500 * time.Millisecond,
		Users:        openStore(t),
	})
	if err != nil {
		t.Fatal(err)
	}
	p, err := c.Provider()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// The codes Firebase answers that the emulator cannot be made to produce.
func TestSignInErrorAnswers(t *testing.T) {
	googleErr := func(msg string) string {
		return `{"error":{"code":400,"message":"` + msg + `","errors":[{"message":"` + msg + `","domain":"global","reason":"invalid"}]}}`
	}
	tests := []struct {
		name   string
		status int
		body   string
		code   string
	}{
		{"rate limited", 400, googleErr("TOO_MANY_ATTEMPTS_TRY_LATER : Access to this account has been temporarily disabled"), identity.ERATELIMITED},
		{"disabled", 400, googleErr("USER_DISABLED"), identity.EUSERDISABLED},
		{"new credentials code", 400, googleErr("INVALID_LOGIN_CREDENTIALS"), identity.EINVALIDCREDENTIALS},
		{"server error", 503, `{"error":{"code":503,"message":"UNAVAILABLE"}}`, identity.EUNAVAILABLE},
		{"html error page", 502, `<html>bad gateway</html>`, identity.EUNAVAILABLE},
		{"bad API key", 400, googleErr("API key not valid. Please pass a valid API key."), identity.EINTERNAL},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := fakeToolkit(t, tt.status, tt.body, false)
			_, err := p.SignIn(context.Background(), "a@example.com", "whatever-pw")
			wantCode(t, err, tt.code)
		})
	}
}

// A Firebase that accepts the connection but never answers costs at most
// the configured timeout.
func TestHangingFirebaseTimesOut(t *testing.T) {
	p := fakeToolkit(t, 0, "", true)
	_, err := p.SignIn(context.Background(), "a@example.com", "whatever-pw")
	wantCode(t, err, identity.EUNAVAILABLE)
	wantCode(t, p.SendPasswordReset(context.Background(), "a@example.com"), identity.EUNAVAILABLE)
}
