package oauth_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/authgate/authgate/identity"
	"github.com/authgate/authgate/internal/testenv"
	"github.com/authgate/authgate/oauth"
	"github.com/authgate/authgate/oauth/oauthtest"
	"github.com/authgate/authgate/store"
)

const (
	publicURL    = "https://auth.example.test"
	clientID     = "client-123"
	clientSecret = "secret-456"
)

type clock = testenv.Clock

// openStore opens a migrated SQLite store in a temporary directory.
func openStore(t testing.TB, now func() time.Time) *store.DB {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "auth.db"),
		store.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: now})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(ctx); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	return db
}

// env is a Flow over a real SQLite store with one generic OIDC provider
// ("oidc") at an in-process issuer.
type env struct {
	flow   *oauth.Flow
	issuer *oauthtest.Issuer
	oidc   *oauth.OIDC
	clock  *clock
}

func newEnv(t testing.TB, extra ...oauth.Provider) *env {
	t.Helper()
	c := testenv.NewClock(time.Now().UTC().Truncate(time.Second))
	iss := oauthtest.NewIssuer(t, clientID, clientSecret)
	iss.SetNow(c.Now)
	o := &oauth.OIDC{ProviderName: "oidc", Issuer: iss.URL, ClientID: clientID, ClientSecret: clientSecret,
		HTTPClient: iss.Client(), Now: c.Now}
	base, _ := url.Parse(publicURL)
	f := &oauth.Flow{
		Providers: append([]oauth.Provider{o}, extra...),
		States:    openStore(t, c.Now),
		BaseURL:   base,
		Now:       c.Now,
	}
	return &env{flow: f, issuer: iss, oidc: o, clock: c}
}

// noRedirect is a client that returns redirects instead of following them.
var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// authorize plays the browser at the provider: it opens the authorization
// URL and returns the request the provider sends the browser back with
// (a GET with the query, or for form_post a POST of the form).
func authorize(t testing.TB, authURL string) *http.Request {
	t.Helper()
	resp, err := noRedirect.Get(authURL)
	if err != nil {
		t.Fatalf("authorize: %v", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	switch resp.StatusCode {
	case http.StatusFound:
		return httptest.NewRequest(http.MethodGet, resp.Header.Get("Location"), nil)
	case http.StatusOK:
		action, form, err := oauthtest.ParseFormPost(string(body))
		if err != nil {
			t.Fatal(err)
		}
		r := httptest.NewRequest(http.MethodPost, action, strings.NewReader(form.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		return r
	default:
		t.Fatalf("authorize: status %d: %s", resp.StatusCode, body)
		return nil
	}
}

// start begins a sign-in and returns the provider's callback request with
// the browser's binding cookie on it.
func (e *env) start(t testing.TB, provider string) (*oauth.Started, *http.Request) {
	t.Helper()
	st, err := e.flow.Start(context.Background(), provider, "/app")
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	cb := authorize(t, st.URL)
	cb.AddCookie(&http.Cookie{Name: st.Cookie.Name, Value: st.Cookie.Value})
	return st, cb
}

// wantErr fails unless err wraps want and carries code.
func wantErr(t testing.TB, err, want error, code string) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("error %v, want %v", err, want)
	}
	if got := identity.ErrorCode(err); got != code {
		t.Errorf("code %q, want %q (%v)", got, code, err)
	}
}

// clone copies a callback request so that it can be sent again.
func clone(t testing.TB, r *http.Request) *http.Request {
	t.Helper()
	c := r.Clone(context.Background())
	if r.Method == http.MethodPost {
		if err := r.ParseForm(); err != nil {
			t.Fatal(err)
		}
		c.Body = io.NopCloser(strings.NewReader(r.PostForm.Encode()))
	}
	return c
}
