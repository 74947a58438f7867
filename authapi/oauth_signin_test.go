package authapi_test

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/authgate/authgate/oauth"
)

// providerLink matches one provider button of the sign-in page.
var providerLink = regexp.MustCompile(`<a class="provider" id="provider-([a-z0-9_-]+)" href="([^"]*)">([^<]*)</a>`)

type pageButton struct{ name, href, label string }

func pageButtons(t testing.TB, body string) []pageButton {
	t.Helper()
	var out []pageButton
	for _, m := range providerLink.FindAllStringSubmatch(body, -1) {
		out = append(out, pageButton{name: m[1], href: html.UnescapeString(m[2]), label: html.UnescapeString(m[3])})
	}
	return out
}

// labelledProvider is an OIDC provider that names itself for people.
type labelledProvider struct {
	*oauth.OIDC
	label string
}

func (p labelledProvider) DisplayName() string { return p.label }

func TestSignInPageProviderButtons(t *testing.T) {
	s := newOAuthServer(t, func(t testing.TB, o *oauthServer) oauth.Provider {
		return labelledProvider{&oauth.OIDC{ProviderName: "corp", Issuer: o.issuer.URL, ClientID: oidcClientID,
			ClientSecret: oidcClientSecret, HTTPClient: o.issuer.Client()}, `<Corp & "Co">`}
	})
	for _, tt := range []struct {
		name, rd, wantQuery string
	}{
		{"no rd", "", ""},
		{"relative rd", "/app?tab=1&x=2", "?rd=" + url.QueryEscape(testPublicURL+"/app?tab=1&x=2")},
		{"refused rd", "https://evil.example/", ""},
		{"markup in rd", `/a"><script>alert(1)</script>`, "?rd=" + url.QueryEscape(testPublicURL+"/a%22%3E%3Cscript%3Ealert%281%29%3C/script%3E")},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res := s.do(t, http.MethodGet, "/api/auth/signin?rd="+url.QueryEscape(tt.rd), nil)
			res.wantStatus(t, http.StatusOK)
			body := string(res.Body)
			got := pageButtons(t, body)
			want := []pageButton{
				{"oidc", "oauth/oidc/start" + tt.wantQuery, "Continue with OpenID Connect"},
				{"facebook", "oauth/facebook/start" + tt.wantQuery, "Continue with Facebook"},
				{"corp", "oauth/corp/start" + tt.wantQuery, `Continue with <Corp & "Co">`},
			}
			if len(got) != len(want) {
				t.Fatalf("buttons %+v, want %+v\n%s", got, want, body)
			}
			for i := range want {
				if got[i] != want[i] {
					t.Errorf("button %d = %+v, want %+v", i, got[i], want[i])
				}
			}
			if strings.Contains(body, "<Corp") || strings.Contains(body, "<script>alert") {
				t.Error("a provider label or rd reached the page unescaped")
			}
			if csp := res.Header.Get("Content-Security-Policy"); !containsAll(csp, "default-src 'none'", "form-action 'none'", "connect-src 'self'") {
				t.Errorf("CSP changed: %q", csp)
			}

			// The link, resolved against the page, starts that provider's
			// sign-in with the page's back-link.
			page, _ := url.Parse(testPublicURL + "/api/auth/signin")
			start, err := page.Parse(got[0].href)
			if err != nil {
				t.Fatal(err)
			}
			if start.Path != "/api/auth/oauth/oidc/start" {
				t.Errorf("the button goes to %s", start)
			}
			b := s.browser(t)
			authURL := b.get(start.String())
			authURL.wantStatus(t, http.StatusFound)
			if !strings.HasPrefix(authURL.Header.Get("Location"), s.issuer.URL+"/authorize?") {
				t.Errorf("start went to %q", authURL.Header.Get("Location"))
			}
		})
	}

	// A signed-in visitor gets no buttons.
	sc := oauthSessionCookie(t, s.browser(t).signIn("oidc", ""))
	res := s.do(t, http.MethodGet, "/api/auth/signin", nil, cookie(testCookie, sc))
	res.wantStatus(t, http.StatusOK)
	if got := pageButtons(t, string(res.Body)); len(got) != 0 || !strings.Contains(string(res.Body), "You are signed in") {
		t.Errorf("signed-in page shows buttons %+v", got)
	}
}

func TestSignInPageWithoutOAuthHasNoButtons(t *testing.T) {
	s := newTestServer(t)
	res := s.do(t, http.MethodGet, "/api/auth/signin", nil)
	res.wantStatus(t, http.StatusOK)
	if strings.Contains(string(res.Body), `class="provider"`) || strings.Contains(string(res.Body), `id="providers"`) {
		t.Errorf("page without OAuth shows provider buttons:\n%s", res.Body)
	}
}
