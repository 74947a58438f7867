package oauth_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/authgate/authgate/identity"
	"github.com/authgate/authgate/oauth"
	"github.com/authgate/authgate/oauth/oauthtest"
)

func TestFlowHappyPath(t *testing.T) {
	e := newEnv(t)
	st, cb := e.start(t, "oidc")

	if !st.Cookie.HttpOnly || !st.Cookie.Secure || st.Cookie.SameSite != http.SameSiteLaxMode ||
		st.Cookie.Path != "/api/auth/oauth/oidc/callback" || st.Cookie.MaxAge != 600 {
		t.Errorf("binding cookie %+v", st.Cookie)
	}
	auths := e.issuer.AuthRequests()
	q := auths[len(auths)-1]
	if q.Get("redirect_uri") != publicURL+"/api/auth/oauth/oidc/callback" || q.Get("nonce") == "" ||
		q.Get("code_challenge_method") != "S256" || q.Get("scope") != "openid email profile" {
		t.Errorf("authorization request %v", q)
	}
	if strings.Contains(st.URL, st.Cookie.Value) {
		t.Error("the browser secret leaked into the authorization URL")
	}

	res, clear, err := e.flow.Finish(context.Background(), cb, "oidc")
	if err != nil {
		t.Fatalf("finish: %v", err)
	}
	want := oauth.Identity{Provider: "oidc", Subject: "sub-1", Email: "ada@example.com", EmailVerified: true, Name: "Ada Lovelace"}
	if *res.Identity != want {
		t.Errorf("identity %+v, want %+v", *res.Identity, want)
	}
	if res.RD != publicURL+"/app" {
		t.Errorf("rd %q", res.RD)
	}
	if clear.MaxAge >= 0 || clear.Name != st.Cookie.Name || clear.Path != st.Cookie.Path {
		t.Errorf("clearing cookie %+v", clear)
	}
	forms, _ := e.issuer.TokenRequests()
	if v := forms[len(forms)-1].Get("code_verifier"); len(v) != 43 {
		t.Errorf("code_verifier %q", v)
	}
}

func TestFlowStateIsSingleUse(t *testing.T) {
	e := newEnv(t)
	_, cb := e.start(t, "oidc")
	again := clone(t, cb)
	if _, _, err := e.flow.Finish(context.Background(), cb, "oidc"); err != nil {
		t.Fatalf("first finish: %v", err)
	}
	_, _, err := e.flow.Finish(context.Background(), again, "oidc")
	wantErr(t, err, oauth.ErrState, identity.EINVALIDTOKEN)
}

func TestFlowStateIsConsumedEvenWhenRefused(t *testing.T) {
	e := newEnv(t)
	_, cb := e.start(t, "oidc")
	stolen := clone(t, cb)
	stolen.Header.Del("Cookie")
	_, _, err := e.flow.Finish(context.Background(), stolen, "oidc")
	wantErr(t, err, oauth.ErrBrowserMismatch, identity.EFORBIDDEN)
	_, _, err = e.flow.Finish(context.Background(), cb, "oidc")
	wantErr(t, err, oauth.ErrState, identity.EINVALIDTOKEN)
}

func TestFlowBrowserBinding(t *testing.T) {
	for _, tc := range []struct {
		name   string
		cookie func(st *oauth.Started) *http.Cookie
	}{
		{"no cookie", func(*oauth.Started) *http.Cookie { return nil }},
		{"another browser's secret", func(st *oauth.Started) *http.Cookie {
			raw, _ := identity.NewSecret()
			return &http.Cookie{Name: st.Cookie.Name, Value: raw}
		}},
		{"empty value", func(st *oauth.Started) *http.Cookie { return &http.Cookie{Name: st.Cookie.Name, Value: ""} }},
		{"the state's hash as value", func(st *oauth.Started) *http.Cookie {
			return &http.Cookie{Name: st.Cookie.Name, Value: "x"}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			st, cb := e.start(t, "oidc")
			cb.Header.Del("Cookie")
			if c := tc.cookie(st); c != nil {
				cb.AddCookie(c)
			}
			_, _, err := e.flow.Finish(context.Background(), cb, "oidc")
			wantErr(t, err, oauth.ErrBrowserMismatch, identity.EFORBIDDEN)
			if forms, _ := e.issuer.TokenRequests(); len(forms) != 0 {
				t.Error("the code was redeemed for a browser that did not start the sign-in")
			}
		})
	}
}

func TestFlowAttackerStateInVictimBrowser(t *testing.T) {
	// Login CSRF: the attacker starts a sign-in, gets the provider's
	// callback link and makes the victim's browser open it. The victim has
	// a binding cookie of their own sign-in, not of the attacker's.
	e := newEnv(t)
	victim, _ := e.start(t, "oidc")
	_, attackerCB := e.start(t, "oidc")
	attackerCB.Header.Del("Cookie")
	attackerCB.AddCookie(&http.Cookie{Name: victim.Cookie.Name, Value: victim.Cookie.Value})
	_, _, err := e.flow.Finish(context.Background(), attackerCB, "oidc")
	wantErr(t, err, oauth.ErrBrowserMismatch, identity.EFORBIDDEN)
}

func TestFlowExpiredState(t *testing.T) {
	e := newEnv(t)
	_, cb := e.start(t, "oidc")
	e.clock.Advance(oauth.DefaultStateTTL + time.Second)
	_, _, err := e.flow.Finish(context.Background(), cb, "oidc")
	wantErr(t, err, oauth.ErrState, identity.EINVALIDTOKEN)
}

func TestFlowBadStates(t *testing.T) {
	e := newEnv(t)
	for _, state := range []string{"", "nonsense", strings.Repeat("a", 600), "' OR 1=1 --"} {
		r := httptest.NewRequest(http.MethodGet, "/cb?code=x&state="+url.QueryEscape(state), nil)
		_, _, err := e.flow.Finish(context.Background(), r, "oidc")
		wantErr(t, err, oauth.ErrState, identity.EINVALIDTOKEN)
	}
}

func TestFlowStateOfAnotherProvider(t *testing.T) {
	other := &oauth.Facebook{ClientID: "x", ClientSecret: "y"}
	e := newEnv(t, other)
	_, cb := e.start(t, "oidc")
	_, _, err := e.flow.Finish(context.Background(), cb, "facebook")
	wantErr(t, err, oauth.ErrState, identity.EINVALIDTOKEN)
}

func TestFlowProviderError(t *testing.T) {
	e := newEnv(t)
	st, err := e.flow.Start(context.Background(), "oidc", "")
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(st.URL)
	for _, tc := range []struct{ sent, want string }{
		{"access_denied", "access_denied"},
		{"<script>alert(1)</script>", "unknown"},
	} {
		state := u.Query().Get("state")
		if tc.want == "unknown" {
			st, _ = e.flow.Start(context.Background(), "oidc", "")
			u, _ = url.Parse(st.URL)
			state = u.Query().Get("state")
		}
		r := httptest.NewRequest(http.MethodGet, "/cb?error="+url.QueryEscape(tc.sent)+"&state="+url.QueryEscape(state), nil)
		r.AddCookie(&http.Cookie{Name: st.Cookie.Name, Value: st.Cookie.Value})
		_, _, err := e.flow.Finish(context.Background(), r, "oidc")
		wantErr(t, err, oauth.ErrDenied, identity.EFORBIDDEN)
		var ie *identity.Error
		if !errors.As(err, &ie) || ie.Extra["provider_error"] != tc.want {
			t.Errorf("provider_error of %q: %v", tc.sent, ie.Extra)
		}
	}
}

func TestFlowIDTokenChecks(t *testing.T) {
	for _, tc := range []struct {
		name  string
		knobs oauthtest.Knobs
	}{
		{"wrong nonce", oauthtest.Knobs{Nonce: "not-the-nonce"}},
		{"wrong audience", oauthtest.Knobs{Audience: "another-client"}},
		{"wrong issuer", oauthtest.Knobs{Issuer: "https://evil.example"}},
		{"expired", oauthtest.Knobs{ExpiresIn: -time.Minute}},
		{"tampered payload", oauthtest.Knobs{TamperPayload: true}},
		{"no id_token", oauthtest.Knobs{NoIDToken: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			e.issuer.SetKnobs(tc.knobs)
			_, cb := e.start(t, "oidc")
			res, _, err := e.flow.Finish(context.Background(), cb, "oidc")
			if res != nil {
				t.Fatalf("accepted: %+v", res.Identity)
			}
			wantErr(t, err, oauth.ErrIDToken, identity.EINVALIDTOKEN)
		})
	}
}

func TestFlowUnverifiedEmail(t *testing.T) {
	for _, tc := range []struct {
		name     string
		verified any
		want     bool
	}{
		{"false", false, false},
		{"absent", nil, false},
		{"string true (Apple)", "true", true},
		{"string false (Apple)", "false", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			e.issuer.SetUser(oauthtest.User{Subject: "s", Email: "x@example.com", EmailVerified: tc.verified})
			_, cb := e.start(t, "oidc")
			res, _, err := e.flow.Finish(context.Background(), cb, "oidc")
			if err != nil {
				t.Fatal(err)
			}
			if res.Identity.EmailVerified != tc.want {
				t.Errorf("EmailVerified %v, want %v", res.Identity.EmailVerified, tc.want)
			}
		})
	}
}

// The token endpoint refuses a code redeemed with another PKCE verifier;
// the provider reports that as ErrExchange.
func TestOIDCExchangeChecksPKCE(t *testing.T) {
	e := newEnv(t)
	st, cb := e.start(t, "oidc")
	_ = st
	code := cb.URL.Query().Get("code")
	_, err := e.oidc.Exchange(context.Background(), oauth.Callback{
		Code: code, Verifier: strings.Repeat("v", 43), Nonce: "n",
		RedirectURL: e.flow.CallbackURL("oidc"),
	})
	if !errors.Is(err, oauth.ErrExchange) {
		t.Fatalf("wrong verifier: %v", err)
	}
	// The code is spent by the failed attempt: the right browser cannot
	// use it afterwards either.
	_, _, err = e.flow.Finish(context.Background(), cb, "oidc")
	wantErr(t, err, oauth.ErrExchange, identity.EINVALIDTOKEN)
}

func TestFlowBackLinks(t *testing.T) {
	e := newEnv(t)
	for _, rd := range []string{
		"https://evil.example/", "//evil.example/x", "/\\evil.example", "https://auth.example.test@evil.example/",
		"javascript:alert(1)", "https://auth.example.test.evil.example/", "http://evil.example%2f@auth.example.test/",
		"https://xn--uth-example-test/", " /app", "https:evil.example",
	} {
		_, err := e.flow.Start(context.Background(), "oidc", rd)
		if identity.ErrorCode(err) != identity.EINVALID {
			t.Errorf("rd %q: %v, want validation_failed", rd, err)
		}
	}
	for rd, want := range map[string]string{
		"":                                 publicURL + "/",
		"/app?x=1#frag":                    publicURL + "/app?x=1#frag",
		"https://auth.example.test/other":  publicURL + "/other",
		"https://AUTH.example.test:8443/p": "https://AUTH.example.test:8443/p",
	} {
		st, err := e.flow.Start(context.Background(), "oidc", rd)
		if err != nil {
			t.Errorf("rd %q: %v", rd, err)
			continue
		}
		cb := authorize(t, st.URL)
		cb.AddCookie(&http.Cookie{Name: st.Cookie.Name, Value: st.Cookie.Value})
		res, _, err := e.flow.Finish(context.Background(), cb, "oidc")
		if err != nil || res.RD != want {
			t.Errorf("rd %q: got %v %v, want %q", rd, res, err, want)
		}
	}
}

func TestFlowUnknownProvider(t *testing.T) {
	e := newEnv(t)
	if _, err := e.flow.Start(context.Background(), "myspace", ""); identity.ErrorCode(err) != identity.ENOTFOUND {
		t.Errorf("start: %v", err)
	}
	r := httptest.NewRequest(http.MethodGet, "/cb?state=x", nil)
	if _, _, err := e.flow.Finish(context.Background(), r, "myspace"); identity.ErrorCode(err) != identity.ENOTFOUND {
		t.Errorf("finish: %v", err)
	}
}

func TestFlowDiscoveryFailure(t *testing.T) {
	e := newEnv(t)
	e.issuer.Close()
	_, err := e.flow.Start(context.Background(), "oidc", "")
	wantErr(t, err, oauth.ErrUnavailable, identity.EBADGATEWAY)
}

func TestFlowValidate(t *testing.T) {
	base, _ := url.Parse(publicURL)
	f := &oauth.Flow{BaseURL: base, Providers: []oauth.Provider{
		&oauth.OIDC{ProviderName: "Bad Name", Issuer: "https://x", ClientID: "a", ClientSecret: "b"},
		&oauth.Facebook{},
		&oauth.Facebook{ClientID: "a", ClientSecret: "b"},
	}}
	err := f.Validate()
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{"States is required", `"Bad Name"`, "facebook: client id and secret", `"facebook" is configured twice`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%v lacks %q", err, want)
		}
	}
}

func TestReason(t *testing.T) {
	for err, want := range map[error]string{
		identity.Wrap(identity.EINVALIDTOKEN, "x", oauth.ErrState): "state",
		oauth.ErrBrowserMismatch:                                   "browser_mismatch",
		identity.Errorf(identity.ENOTFOUND, "x"):                   identity.ENOTFOUND,
	} {
		if got := oauth.Reason(err); got != want {
			t.Errorf("Reason(%v) = %q, want %q", err, got, want)
		}
	}
}

func TestSubjectUID(t *testing.T) {
	a := oauth.SubjectUID("google", "123")
	if len(a) != len(identity.NewID()) || a != oauth.SubjectUID("google", "123") {
		t.Errorf("uid %q", a)
	}
	for _, other := range [][2]string{{"google", "1234"}, {"apple", "123"}, {"google1", "23"}, {"google\x001", "23"}} {
		if oauth.SubjectUID(other[0], other[1]) == a {
			t.Errorf("%q collides", other)
		}
	}
}
