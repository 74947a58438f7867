package main_test

import (
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"

	"github.com/authgate/authgate/internal/testenv"
	"github.com/authgate/authgate/oauth/oauthtest"
)

// The real binary wired with AUTHGATE_OAUTH_OIDC_*: the whole browser
// dance against an in-process OpenID Connect issuer ends signed in.
func TestOAuthSignInThroughTheBinary(t *testing.T) {
	iss := oauthtest.NewIssuer(t, "bin-client", "bin-secret")
	a := testenv.StartAuthgate(t, "AUTHGATE_DATA_DIR="+t.TempDir(),
		"AUTHGATE_OAUTH_OIDC_ISSUER="+iss.URL, "AUTHGATE_OAUTH_OIDC_CLIENT_ID=bin-client",
		"AUTHGATE_OAUTH_OIDC_CLIENT_SECRET=bin-secret", "AUTHGATE_OAUTH_OIDC_NAME=corp")

	if st, body, _ := call(t, "GET", a.URL+"/api/auth/oauth/providers", "", nil); st != http.StatusOK || len(body["providers"].([]any)) != 1 {
		t.Fatalf("providers: %d %v", st, body)
	}
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	next := a.URL + "/api/auth/oauth/corp/start?rd=" + url.QueryEscape("/welcome")
	var last *http.Response
	for hops := 0; hops < 3; hops++ {
		res, err := browser.Get(next)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		last = res
		next = res.Header.Get("Location")
	}
	if last.StatusCode != http.StatusSeeOther || next != a.URL+"/welcome" {
		t.Fatalf("ended with %d to %q", last.StatusCode, next)
	}
	auth := iss.AuthRequests()
	if len(auth) != 1 || auth[0].Get("redirect_uri") != a.URL+"/api/auth/oauth/corp/callback" {
		t.Fatalf("authorization requests %v", auth)
	}
	req, _ := http.NewRequest("GET", a.URL+"/api/auth/profile", nil)
	res, err := browser.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("profile with the session cookie: %d", res.StatusCode)
	}
}

func TestOAuthConfigProblemsExit2(t *testing.T) {
	code, _, stderr := runCLI(t, "", []string{"AUTHGATE_DATA_DIR=" + t.TempDir(),
		"AUTHGATE_OAUTH_GOOGLE_CLIENT_ID=x", "AUTHGATE_OAUTH_APPLE_CLIENT_ID=y"}, "config", "check")
	if code != 2 || !strings.Contains(stderr, "OAUTH_GOOGLE_CLIENT_SECRET") || !strings.Contains(stderr, "OAUTH_APPLE_CLIENT_ID") {
		t.Errorf("exit %d, stderr %s", code, stderr)
	}
}
