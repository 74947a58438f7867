package oauth_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/authgate/authgate/internal/testenv"
	"github.com/authgate/authgate/oauth"
	"github.com/authgate/authgate/oauth/oauthtest"
)

const (
	appleServicesID = "com.example.web"
	appleTeamID     = "TEAM123456"
	appleKeyID      = "KEY7654321"
)

func appleKeyPEM(t testing.TB) (*ecdsa.PrivateKey, []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return key, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
}

// checkAppleSecret verifies a client secret JWT as Apple does.
func checkAppleSecret(pub *ecdsa.PublicKey, now func() time.Time) func(clientID, secret string) error {
	return func(clientID, secret string) error {
		var c jwt.RegisteredClaims
		tok, err := jwt.ParseWithClaims(secret, &c, func(*jwt.Token) (any, error) { return pub, nil },
			jwt.WithValidMethods([]string{"ES256"}), jwt.WithTimeFunc(now),
			jwt.WithIssuer(appleTeamID), jwt.WithSubject(appleServicesID), jwt.WithAudience(oauth.AppleIssuer),
			jwt.WithExpirationRequired(), jwt.WithIssuedAt())
		if err != nil {
			return err
		}
		if tok.Header["kid"] != appleKeyID || clientID != appleServicesID {
			return fmt.Errorf("kid %v client %q", tok.Header["kid"], clientID)
		}
		if c.ExpiresAt.Sub(c.IssuedAt.Time) > oauth.AppleMaxSecretLifetime {
			return errors.New("lifetime over six months")
		}
		return nil
	}
}

func newApple(t testing.TB, e *env) (*oauth.OIDC, *ecdsa.PrivateKey) {
	t.Helper()
	key, pemBytes := appleKeyPEM(t)
	a, err := oauth.NewApple(oauth.AppleConfig{ClientID: appleServicesID, TeamID: appleTeamID, KeyID: appleKeyID, PrivateKeyPEM: pemBytes})
	if err != nil {
		t.Fatal(err)
	}
	a.Issuer, a.HTTPClient, a.Now = e.issuer.URL, e.issuer.Client(), e.clock.Now
	return a, key
}

func TestAppleFormPostFlow(t *testing.T) {
	e := newEnv(t)
	apple, key := newApple(t, e)
	e.flow.Providers = append(e.flow.Providers, apple)
	e.issuer.ClientID = appleServicesID
	e.issuer.SetClientCheck(checkAppleSecret(&key.PublicKey, e.clock.Now))
	e.issuer.SetUser(oauthtest.User{Subject: "001234.abcd", Email: "x1@privaterelay.appleid.com", EmailVerified: "true"})

	st, err := e.flow.Start(context.Background(), "apple", "")
	if err != nil {
		t.Fatal(err)
	}
	if st.Cookie.SameSite != http.SameSiteNoneMode || !st.Cookie.Secure {
		t.Errorf("a form_post provider's cookie must be SameSite=None; Secure: %+v", st.Cookie)
	}
	u, _ := url.Parse(st.URL)
	if q := u.Query(); q.Get("response_mode") != "form_post" || q.Get("scope") != "name email" {
		t.Errorf("authorization request %v", q)
	}
	cb := authorize(t, st.URL)
	if cb.Method != http.MethodPost {
		t.Fatalf("callback method %s", cb.Method)
	}
	// Apple adds the user's name on the first sign-in.
	if err := cb.ParseForm(); err != nil {
		t.Fatal(err)
	}
	cb.PostForm.Set("user", `{"name":{"firstName":"Ada","lastName":"King"},"email":"spoofed@example.com"}`)
	cb = clone(t, cb)
	cb.AddCookie(&http.Cookie{Name: st.Cookie.Name, Value: st.Cookie.Value})

	res, _, err := e.flow.Finish(context.Background(), cb, "apple")
	if err != nil {
		t.Fatalf("finish: %v", err)
	}
	want := oauth.Identity{Provider: "apple", Subject: "001234.abcd", Email: "x1@privaterelay.appleid.com", EmailVerified: true, Name: "Ada King"}
	if *res.Identity != want {
		t.Errorf("identity %+v, want %+v", *res.Identity, want)
	}
	if _, via := e.issuer.TokenRequests(); len(via) != 1 || via[0] != "post" {
		t.Errorf("Apple's client secret must be sent in the body, got %v", via)
	}
}

func TestAppleWrongKeyIsRefused(t *testing.T) {
	e := newEnv(t)
	apple, _ := newApple(t, e)
	e.flow.Providers = append(e.flow.Providers, apple)
	e.issuer.ClientID = appleServicesID
	other, _ := appleKeyPEM(t)
	e.issuer.SetClientCheck(checkAppleSecret(&other.PublicKey, e.clock.Now))
	_, cb := e.start(t, "apple")
	_, _, err := e.flow.Finish(context.Background(), cb, "apple")
	if !errors.Is(err, oauth.ErrExchange) {
		t.Fatalf("a secret signed with another key: %v", err)
	}
}

func TestAppleSecretClaims(t *testing.T) {
	key, _ := appleKeyPEM(t)
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		life, want time.Duration
	}{
		{0, oauth.DefaultAppleSecretLifetime},
		{24 * time.Hour, 24 * time.Hour},
		{365 * 24 * time.Hour, oauth.AppleMaxSecretLifetime},
	} {
		s := &oauth.AppleSecret{TeamID: appleTeamID, KeyID: appleKeyID, ClientID: appleServicesID, Key: key, Lifetime: tc.life,
			Now: func() time.Time { return now }}
		raw, err := s.Secret()
		if err != nil {
			t.Fatal(err)
		}
		if err := checkAppleSecret(&key.PublicKey, func() time.Time { return now })(appleServicesID, raw); err != nil {
			t.Errorf("lifetime %v: %v", tc.life, err)
		}
		var c jwt.RegisteredClaims
		if _, _, err := jwt.NewParser().ParseUnverified(raw, &c); err != nil {
			t.Fatal(err)
		}
		if got := c.ExpiresAt.Sub(now); got != tc.want {
			t.Errorf("lifetime %v: exp-now = %v, want %v", tc.life, got, tc.want)
		}
	}
}

func TestAppleSecretIsCachedAndRenewed(t *testing.T) {
	key, _ := appleKeyPEM(t)
	c := testenv.NewClock(time.Now())
	s := &oauth.AppleSecret{TeamID: appleTeamID, KeyID: appleKeyID, ClientID: appleServicesID, Key: key, Now: c.Now}
	first, _ := s.Secret()
	c.Advance(30 * time.Minute)
	if again, _ := s.Secret(); again != first {
		t.Error("a fresh secret was signed while the cached one had half its life left")
	}
	c.Advance(25 * time.Minute)
	if renewed, _ := s.Secret(); renewed == first {
		t.Error("the secret was not renewed near its expiry")
	}
}

func TestParseAppleKey(t *testing.T) {
	_, good := appleKeyPEM(t)
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 1024)
	rsaDER, _ := x509.MarshalPKCS8PrivateKey(rsaKey)
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	p384DER, _ := x509.MarshalECPrivateKey(p384)
	for name, tc := range map[string]struct {
		pem []byte
		ok  bool
	}{
		"pkcs8 p256": {good, true},
		"not pem":    {[]byte("hello"), false},
		"rsa":        {pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: rsaDER}), false},
		"p384":       {pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: p384DER}), false},
		"cert type":  {pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte{1}}), false},
		"garbage":    {pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: []byte{1, 2, 3}}), false},
	} {
		_, err := oauth.ParseAppleKey(tc.pem)
		if (err == nil) != tc.ok {
			t.Errorf("%s: %v", name, err)
		}
	}
}
