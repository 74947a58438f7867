package oauth_test

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/authgate/authgate/oauth"
	"github.com/authgate/authgate/oauth/oauthtest"
)

func newFacebook(t testing.TB, e *env) (*oauth.Facebook, *oauthtest.Facebook) {
	t.Helper()
	fb := oauthtest.NewFacebook(t, "fb-app", "fb-secret")
	p := &oauth.Facebook{ClientID: "fb-app", ClientSecret: "fb-secret",
		DialogURL: fb.URL + "/dialog/oauth", TokenURL: fb.URL + "/oauth/access_token", GraphURL: fb.URL, HTTPClient: fb.Client()}
	e.flow.Providers = append(e.flow.Providers, p)
	return p, fb
}

func TestFacebookFlow(t *testing.T) {
	e := newEnv(t)
	_, fb := newFacebook(t, e)
	st, cb := e.start(t, "facebook")
	if st.Cookie.SameSite != http.SameSiteLaxMode {
		t.Errorf("cookie %+v", st.Cookie)
	}
	res, _, err := e.flow.Finish(context.Background(), cb, "facebook")
	if err != nil {
		t.Fatalf("finish: %v", err)
	}
	want := oauth.Identity{Provider: "facebook", Subject: "10001", Email: "grace@example.com", EmailVerified: false,
		Name: "Grace Hopper", Picture: "https://img.example/grace.png"}
	if *res.Identity != want {
		t.Errorf("identity %+v, want %+v", *res.Identity, want)
	}
	if len(fb.Proofs()) != 1 {
		t.Errorf("appsecret_proof calls: %v", fb.Proofs())
	}
}

func TestFacebookWrongSecretIsRefused(t *testing.T) {
	e := newEnv(t)
	p, _ := newFacebook(t, e)
	_, cb := e.start(t, "facebook")
	code := cb.URL.Query().Get("code")
	bad := *p
	bad.ClientSecret = "other"
	_, err := bad.Exchange(context.Background(), oauth.Callback{Code: code, Verifier: "v", RedirectURL: e.flow.CallbackURL("facebook")})
	if !errors.Is(err, oauth.ErrExchange) {
		t.Errorf("wrong app secret at the token endpoint: %v", err)
	}
}

func TestAppSecretProof(t *testing.T) {
	// HMAC-SHA256 of "token" keyed with "secret", computed with openssl.
	const want = "e941110e3d2bfe82621f0e3e1434730d7305d106c5f68c87165d0b27a4611a4a"
	if got := oauth.AppSecretProof("secret", "token"); got != want {
		t.Errorf("proof %q, want %q", got, want)
	}
}
