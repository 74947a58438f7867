package authapi_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/authgate/authgate/identity"
	"github.com/authgate/authgate/oauth"
	"github.com/authgate/authgate/oauth/oauthtest"
)

const (
	oidcClientID     = "authgate-client"
	oidcClientSecret = "authgate-client-secret"
)

// oauthServer is the API on real parts (see newTestServer) with the OAuth
// flow over a generic OIDC provider ("oidc") at an in-process issuer and a
// Facebook stand-in.
type oauthServer struct {
	*testServer
	issuer *oauthtest.Issuer
	fb     *oauthtest.Facebook
}

func newOAuthServer(t testing.TB, extra ...func(t testing.TB, o *oauthServer) oauth.Provider) *oauthServer {
	t.Helper()
	return newOAuthServerWith(t, nil, extra...)
}

// newOAuthServerWith is newOAuthServer with more test server options
// (withTOTP, say), applied after the OAuth flow is set.
func newOAuthServerWith(t testing.TB, opts []func(*testConfig), extra ...func(t testing.TB, o *oauthServer) oauth.Provider) *oauthServer {
	t.Helper()
	o := &oauthServer{issuer: oauthtest.NewIssuer(t, oidcClientID, oidcClientSecret), fb: oauthtest.NewFacebook(t, "fb-app", "fb-secret")}
	o.testServer = newTestServer(t, append([]func(*testConfig){func(cfg *testConfig) {
		o.issuer.SetNow(cfg.api.Now)
		providers := []oauth.Provider{
			&oauth.OIDC{ProviderName: "oidc", Issuer: o.issuer.URL, ClientID: oidcClientID, ClientSecret: oidcClientSecret,
				HTTPClient: o.issuer.Client(), Now: cfg.api.Now},
			&oauth.Facebook{ClientID: "fb-app", ClientSecret: "fb-secret", DialogURL: o.fb.URL + "/dialog/oauth",
				TokenURL: o.fb.URL + "/oauth/access_token", GraphURL: o.fb.URL, HTTPClient: o.fb.Client()},
		}
		for _, f := range extra {
			providers = append(providers, f(t, o))
		}
		cfg.api.OAuth = &oauth.Flow{Providers: providers, States: cfg.db, BaseURL: cfg.api.PublicURL, Now: cfg.api.Now}
	}}, opts...)...)
	return o
}

// oauthBrowser is a user agent with its own cookies that does not follow
// redirects by itself.
type oauthBrowser struct {
	t      testing.TB
	s      *oauthServer
	client *http.Client
}

func (s *oauthServer) browser(t testing.TB) *oauthBrowser {
	jar, _ := cookiejar.New(nil)
	return &oauthBrowser{t: t, s: s, client: &http.Client{Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// local maps a URL on the public URL to the test server.
func (b *oauthBrowser) local(raw string) string {
	if rest, ok := strings.CutPrefix(raw, testPublicURL); ok {
		return b.s.URL + rest
	}
	return raw
}

func (b *oauthBrowser) send(req *http.Request) *response {
	b.t.Helper()
	req.Header.Set("User-Agent", testUserAgent)
	res, err := b.client.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return &response{Status: res.StatusCode, Header: res.Header, Body: body}
}

func (b *oauthBrowser) get(raw string) *response {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodGet, b.local(raw), nil)
	if err != nil {
		b.t.Fatal(err)
	}
	return b.send(req)
}

// start opens /oauth/{provider}/start and returns the provider's URL.
func (b *oauthBrowser) start(provider, rd string) string {
	b.t.Helper()
	res := b.get(testPublicURL + "/api/auth/oauth/" + provider + "/start?rd=" + url.QueryEscape(rd))
	res.wantStatus(b.t, http.StatusFound)
	return res.Header.Get("Location")
}

// oauthCallback is how the provider sends the browser back.
type oauthCallback struct {
	method, target string
	form           url.Values
}

// authorize visits the provider and returns the way back.
func (b *oauthBrowser) authorize(authURL string) oauthCallback {
	b.t.Helper()
	res := b.get(authURL)
	switch res.Status {
	case http.StatusFound:
		loc := res.Header.Get("Location")
		u, _ := url.Parse(loc)
		b.s.remember(u.Query().Get("code"), u.Query().Get("state"))
		return oauthCallback{method: http.MethodGet, target: loc}
	case http.StatusOK:
		action, form, err := oauthtest.ParseFormPost(string(res.Body))
		if err != nil {
			b.t.Fatal(err)
		}
		b.s.remember(form.Get("code"), form.Get("state"))
		return oauthCallback{method: http.MethodPost, target: action, form: form}
	default:
		b.t.Fatalf("authorize: status %d: %s", res.Status, res.Body)
		return oauthCallback{}
	}
}

// finish follows the way back to authgate.
func (b *oauthBrowser) finish(cb oauthCallback) *response {
	b.t.Helper()
	var req *http.Request
	var err error
	if cb.method == http.MethodPost {
		req, err = http.NewRequest(http.MethodPost, b.local(cb.target), strings.NewReader(cb.form.Encode()))
		if err == nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Origin", "https://appleid.apple.com")
			req.Header.Set("Sec-Fetch-Site", "cross-site")
		}
	} else {
		req, err = http.NewRequest(http.MethodGet, b.local(cb.target), nil)
	}
	if err != nil {
		b.t.Fatal(err)
	}
	res := b.send(req)
	for _, c := range (&http.Response{Header: res.Header}).Cookies() {
		b.s.remember(c.Value)
	}
	return res
}

// signIn runs the whole dance and returns authgate's last answer.
func (b *oauthBrowser) signIn(provider, rd string) *response {
	b.t.Helper()
	return b.finish(b.authorize(b.start(provider, rd)))
}

// oauthSessionCookie returns the session cookie of a 303 answer.
func oauthSessionCookie(t testing.TB, res *response) string {
	t.Helper()
	res.wantStatus(t, http.StatusSeeOther)
	for _, c := range (&http.Response{Header: res.Header}).Cookies() {
		if c.Name == testCookie && c.Value != "" {
			if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" {
				t.Errorf("session cookie attributes %+v", c)
			}
			return c.Value
		}
	}
	t.Fatalf("no session cookie in %v", res.Header["Set-Cookie"])
	return ""
}

func (s *oauthServer) profile(t testing.TB, sessionCookie string) userJSON {
	t.Helper()
	var u userJSON
	s.do(t, http.MethodGet, "/api/auth/profile", nil, cookie(testCookie, sessionCookie)).json(t, http.StatusOK, &u)
	return u
}

func TestOAuthNewUser(t *testing.T) {
	s := newOAuthServer(t)
	b := s.browser(t)
	authURL := b.start("oidc", "/app?tab=1")
	if !strings.HasPrefix(authURL, s.issuer.URL+"/authorize?") {
		t.Fatalf("start went to %q", authURL)
	}
	res := b.finish(b.authorize(authURL))
	if loc := res.Header.Get("Location"); loc != testPublicURL+"/app?tab=1" {
		t.Errorf("Location %q", loc)
	}
	var cleared bool
	for _, c := range (&http.Response{Header: res.Header}).Cookies() {
		cleared = cleared || (strings.HasPrefix(c.Name, oauth.DefaultCookiePrefix+"_") && c.MaxAge < 0)
	}
	if !cleared {
		t.Errorf("the binding cookie was not removed: %v", res.Header["Set-Cookie"])
	}
	sc := oauthSessionCookie(t, res)
	u := s.profile(t, sc)
	if u.Email != "ada@example.com" || !u.EmailVerified || u.DisplayName != "Ada Lovelace" || u.UID != oauth.SubjectUID("oidc", "sub-1") {
		t.Errorf("user %+v", u)
	}
	claims := jwtClaims(t, sc)
	if amr, _ := claims["amr"].([]any); len(amr) != 1 || amr[0] != "fed" {
		t.Errorf("amr %v", claims["amr"])
	}
	var sessions []sessionJSON
	s.do(t, http.MethodGet, "/api/auth/sessions", nil, cookie(testCookie, sc)).json(t, http.StatusOK, &sessions)
	if len(sessions) != 1 || sessions[0].DeviceInfo["browser"] != "Chrome" || sessions[0].IPAddress == "" {
		t.Errorf("sessions %+v", sessions)
	}
	s.wantAudit(t, identity.ActionRegister, u.UID, identity.StatusSuccess)
	s.wantAudit(t, identity.ActionOAuthLogin, u.UID, identity.StatusSuccess)
	// The account has no password.
	s.do(t, http.MethodPost, "/api/auth/login", map[string]any{"email": "ada@example.com", "password": "anything-at-all"}).
		wantProblem(t, http.StatusUnauthorized, identity.EINVALIDCREDENTIALS)

	// The next sign-in finds the account by subject, even with a new address.
	s.issuer.SetUser(oauthtest.User{Subject: "sub-1", Email: "ada@new.example", EmailVerified: true})
	again := s.profile(t, oauthSessionCookie(t, s.browser(t).signIn("oidc", "")))
	if again.UID != u.UID || again.Email != "ada@example.com" {
		t.Errorf("returning user %+v, want uid %s", again, u.UID)
	}
}

func TestOAuthLinksVerifiedAccount(t *testing.T) {
	s := newOAuthServer(t)
	local := s.register(t, "Ada@Example.com", "correct horse battery staple")
	verified := true
	if _, err := s.db.UpdateUser(context.Background(), local.User.UID, identity.UserUpdate{EmailVerified: &verified}); err != nil {
		t.Fatal(err)
	}
	u := s.profile(t, oauthSessionCookie(t, s.browser(t).signIn("oidc", "")))
	if u.UID != local.User.UID {
		t.Fatalf("signed in as %s, want the existing account %s", u.UID, local.User.UID)
	}
	// Linking a verified account leaves its password and sessions alone.
	s.login(t, "ada@example.com", "correct horse battery staple")
	s.do(t, http.MethodGet, "/api/auth/profile", nil, bearer(local.AccessToken)).wantStatus(t, http.StatusOK)
}

func TestOAuthSecuresUnverifiedAccountBeforeLinking(t *testing.T) {
	// Pre-account-takeover: someone registered the victim's address with a
	// password of their own and never verified it.
	s := newOAuthServer(t)
	squatter := s.register(t, "ada@example.com", "the squatter's password 1")
	u := s.profile(t, oauthSessionCookie(t, s.browser(t).signIn("oidc", "")))
	if u.UID != squatter.User.UID || !u.EmailVerified {
		t.Fatalf("user %+v", u)
	}
	s.do(t, http.MethodPost, "/api/auth/login", map[string]any{"email": "ada@example.com", "password": "the squatter's password 1"}).
		wantProblem(t, http.StatusUnauthorized, identity.EINVALIDCREDENTIALS)
	s.do(t, http.MethodGet, "/api/auth/profile", nil, bearer(squatter.AccessToken)).wantProblem(t, http.StatusUnauthorized, identity.EINVALIDTOKEN)
	s.do(t, http.MethodPost, "/api/auth/refresh", map[string]any{"refresh_token": squatter.RefreshToken}).
		wantProblem(t, http.StatusUnauthorized, identity.EINVALIDTOKEN)
}

func TestOAuthUnverifiedEmailDoesNotLink(t *testing.T) {
	for _, tc := range []struct {
		name     string
		verified any
	}{{"false", false}, {"claim absent", nil}, {"string false", "false"}} {
		t.Run(tc.name, func(t *testing.T) {
			s := newOAuthServer(t)
			local := s.register(t, "ada@example.com", "correct horse battery staple")
			s.issuer.SetUser(oauthtest.User{Subject: "attacker", Email: "ADA@example.com", EmailVerified: tc.verified})
			res := s.browser(t).signIn("oidc", "")
			res.wantProblem(t, http.StatusConflict, identity.EEMAILTAKEN)
			if strings.Contains(strings.Join(res.Header["Set-Cookie"], ";"), testCookie+"=") {
				t.Error("a session cookie was set")
			}
			s.wantAudit(t, identity.ActionOAuthLogin, local.User.UID, identity.StatusFailure)
			if _, err := s.db.FindUserByUID(context.Background(), oauth.SubjectUID("oidc", "attacker")); !identity.IsCode(err, identity.ENOTFOUND) {
				t.Errorf("an account was created: %v", err)
			}
			s.login(t, "ada@example.com", "correct horse battery staple")
		})
	}
}

func TestOAuthFacebook(t *testing.T) {
	s := newOAuthServer(t)
	u := s.profile(t, oauthSessionCookie(t, s.browser(t).signIn("facebook", "")))
	if u.Email != "grace@example.com" || u.EmailVerified || u.PhotoURL != "https://img.example/grace.png" || u.UID != oauth.SubjectUID("facebook", "10001") {
		t.Errorf("user %+v", u)
	}
	if again := s.profile(t, oauthSessionCookie(t, s.browser(t).signIn("facebook", ""))); again.UID != u.UID {
		t.Errorf("second sign-in as %s", again.UID)
	}
	if len(s.fb.Proofs()) != 2 {
		t.Errorf("Graph calls with appsecret_proof: %d", len(s.fb.Proofs()))
	}
	// A Facebook address is never trusted to link an existing account.
	s.register(t, "linus@example.com", "correct horse battery staple")
	s.fb.SetUser(oauthtest.FacebookUser{ID: "10002", Name: "Not Linus", Email: "linus@example.com"})
	s.browser(t).signIn("facebook", "").wantProblem(t, http.StatusConflict, identity.EEMAILTAKEN)
}

func TestOAuthRequireEmailVerificationRefusesUnverifiedNewAccounts(t *testing.T) {
	s := newOAuthServer(t)
	s.api.RequireEmailVerification = true // read per request
	s.browser(t).signIn("facebook", "").wantProblem(t, http.StatusForbidden, identity.EEMAILNOTVERIFIED)
	oauthSessionCookie(t, s.browser(t).signIn("oidc", ""))
}

func TestOAuthApple(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKCS8PrivateKey(key)
	s := newOAuthServer(t, func(t testing.TB, o *oauthServer) oauth.Provider {
		a, err := oauth.NewApple(oauth.AppleConfig{ClientID: oidcClientID, TeamID: "TEAM", KeyID: "KID",
			PrivateKeyPEM: pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})})
		if err != nil {
			t.Fatal(err)
		}
		a.Issuer, a.HTTPClient = o.issuer.URL, o.issuer.Client()
		return a
	})
	s.issuer.SetClientCheck(func(id, secret string) error {
		_, err := oauthSecretIssuer(secret, &key.PublicKey)
		return err
	})
	s.issuer.SetUser(oauthtest.User{Subject: "000123.apple", Email: "relay@privaterelay.appleid.com", EmailVerified: "true"})
	b := s.browser(t)
	cb := b.authorize(b.start("apple", "/"))
	if cb.method != http.MethodPost {
		t.Fatalf("Apple's callback must be a form post, got %s", cb.method)
	}
	cb.form.Set("user", `{"name":{"firstName":"Ada","lastName":"King"}}`)
	u := s.profile(t, oauthSessionCookie(t, b.finish(cb)))
	if u.Email != "relay@privaterelay.appleid.com" || !u.EmailVerified || u.DisplayName != "Ada King" {
		t.Errorf("user %+v", u)
	}
}

func TestOAuthRefusals(t *testing.T) {
	for _, tc := range []struct {
		name   string
		run    func(t *testing.T, s *oauthServer) *response
		status int
		code   string
	}{
		{"state reused", func(t *testing.T, s *oauthServer) *response {
			b := s.browser(t)
			cb := b.authorize(b.start("oidc", ""))
			oauthSessionCookie(t, b.finish(cb))
			return b.finish(cb)
		}, http.StatusUnauthorized, identity.EINVALIDTOKEN},
		{"callback in another browser", func(t *testing.T, s *oauthServer) *response {
			attacker := s.browser(t)
			cb := attacker.authorize(attacker.start("oidc", ""))
			victim := s.browser(t)
			victim.start("oidc", "") // the victim has a sign-in of their own going
			return victim.finish(cb)
		}, http.StatusForbidden, identity.EFORBIDDEN},
		{"expired state", func(t *testing.T, s *oauthServer) *response {
			b := s.browser(t)
			cb := b.authorize(b.start("oidc", ""))
			s.clock.Advance(oauth.DefaultStateTTL + time.Second)
			return b.finish(cb)
		}, http.StatusUnauthorized, identity.EINVALIDTOKEN},
		{"wrong nonce", func(t *testing.T, s *oauthServer) *response {
			s.issuer.SetKnobs(oauthtest.Knobs{Nonce: "replayed"})
			return s.browser(t).signIn("oidc", "")
		}, http.StatusUnauthorized, identity.EINVALIDTOKEN},
		{"wrong audience", func(t *testing.T, s *oauthServer) *response {
			s.issuer.SetKnobs(oauthtest.Knobs{Audience: "someone-else"})
			return s.browser(t).signIn("oidc", "")
		}, http.StatusUnauthorized, identity.EINVALIDTOKEN},
		{"tampered ID token", func(t *testing.T, s *oauthServer) *response {
			s.issuer.SetKnobs(oauthtest.Knobs{TamperPayload: true})
			return s.browser(t).signIn("oidc", "")
		}, http.StatusUnauthorized, identity.EINVALIDTOKEN},
		{"user cancelled", func(t *testing.T, s *oauthServer) *response {
			b := s.browser(t)
			u, _ := url.Parse(b.start("oidc", ""))
			return b.finish(oauthCallback{method: http.MethodGet,
				target: testPublicURL + "/api/auth/oauth/oidc/callback?error=access_denied&state=" + url.QueryEscape(u.Query().Get("state"))})
		}, http.StatusForbidden, identity.EFORBIDDEN},
		{"MFA account", func(t *testing.T, s *oauthServer) *response {
			local := s.register(t, "ada@example.com", "correct horse battery staple")
			on := true
			if _, err := s.db.UpdateUser(context.Background(), local.User.UID, identity.UserUpdate{EmailVerified: &on, MFAEnabled: &on}); err != nil {
				t.Fatal(err)
			}
			return s.browser(t).signIn("oidc", "")
		}, http.StatusForbidden, identity.EFORBIDDEN},
		{"disabled account", func(t *testing.T, s *oauthServer) *response {
			oauthSessionCookie(t, s.browser(t).signIn("oidc", ""))
			off := false
			if _, err := s.db.UpdateUser(context.Background(), oauth.SubjectUID("oidc", "sub-1"), identity.UserUpdate{IsActive: &off}); err != nil {
				t.Fatal(err)
			}
			return s.browser(t).signIn("oidc", "")
		}, http.StatusForbidden, identity.EUSERDISABLED},
		{"unknown provider", func(t *testing.T, s *oauthServer) *response {
			return s.browser(t).get(testPublicURL + "/api/auth/oauth/myspace/start")
		}, http.StatusNotFound, identity.ENOTFOUND},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newOAuthServer(t)
			res := tc.run(t, s)
			res.wantProblem(t, tc.status, tc.code)
			if strings.Contains(strings.Join(res.Header["Set-Cookie"], ";"), testCookie+"=ey") {
				t.Error("a session cookie was set")
			}
		})
	}
}

func TestOAuthBackLinks(t *testing.T) {
	s := newOAuthServer(t)
	for _, rd := range []string{
		"https://evil.example/", "//evil.example", "/\\evil.example", "http://authgate.test@evil.example/",
		"javascript:alert(1)", "http://authgate.test.evil.example/", "data:text/html,x", "http:\\\\evil.example",
	} {
		res := s.browser(t).get(testPublicURL + "/api/auth/oauth/oidc/start?rd=" + url.QueryEscape(rd))
		p := res.wantProblem(t, http.StatusBadRequest, identity.EINVALID)
		if p.Fields["rd"] == "" {
			t.Errorf("rd %q: problem %+v", rd, p)
		}
	}
	if n := len(s.issuer.AuthRequests()); n != 0 {
		t.Errorf("%d sign-ins started with a refused back-link", n)
	}
}

func TestOAuthProvidersAndDisabled(t *testing.T) {
	s := newOAuthServer(t)
	var out struct{ Providers []string }
	s.do(t, http.MethodGet, "/api/auth/oauth/providers", nil).json(t, http.StatusOK, &out)
	if strings.Join(out.Providers, ",") != "oidc,facebook" {
		t.Errorf("providers %v", out.Providers)
	}
	plain := newTestServer(t)
	plain.do(t, http.MethodGet, "/api/auth/oauth/google/start", nil).wantProblem(t, http.StatusNotFound, identity.ENOTFOUND)
	plain.do(t, http.MethodGet, "/api/auth/oauth/providers", nil).wantProblem(t, http.StatusNotFound, identity.ENOTFOUND)
}
