package browser_test

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/authgate/authgate/internal/testenv"
	"github.com/authgate/authgate/oauth"
	"github.com/authgate/authgate/oauth/oauthtest"
)

// startOAuthAuthgate runs the real binary with the generic OpenID Connect
// provider "corp" at an in-process issuer (which approves at once).
func startOAuthAuthgate(t *testing.T) (*testenv.Authgate, *oauthtest.Issuer) {
	t.Helper()
	iss := oauthtest.NewIssuer(t, "browser-client", "browser-secret")
	ag := testenv.StartAuthgate(t, append(baseEnv,
		"AUTHGATE_OAUTH_OIDC_ISSUER="+iss.URL, "AUTHGATE_OAUTH_OIDC_CLIENT_ID=browser-client",
		"AUTHGATE_OAUTH_OIDC_CLIENT_SECRET=browser-secret", "AUTHGATE_OAUTH_OIDC_NAME=corp")...)
	return ag, iss
}

// profileInBrowser opens /api/auth/profile in the tab and decodes it.
func profileInBrowser(t *testing.T, ctxTab context.Context, base string) (uid, email string) {
	t.Helper()
	do(t, ctxTab, "open the profile", chromedp.Navigate(base+"/api/auth/profile"))
	body := get(t, ctxTab, "profile body", chromedp.Evaluate[string](`document.body.innerText`))
	var p struct {
		UID   string `json:"uid"`
		Email string `json:"email"`
	}
	if err := json.Unmarshal([]byte(body), &p); err != nil {
		t.Fatalf("profile with the cookie: %q (%v)", body, err)
	}
	return p.UID, p.Email
}

// TestOAuthButtonSignIn: the sign-in page of the real binary shows the
// provider's button; clicking it runs the whole redirect dance in Chromium
// (authgate → issuer → callback) and lands on rd signed in.
func TestOAuthButtonSignIn(t *testing.T) {
	ctx := newTab(t)
	ag, iss := startOAuthAuthgate(t)
	app := newApp(t, cookieName)

	rd := app.URL + "/after?x=1"
	do(t, ctx, "open the sign-in page",
		chromedp.Navigate(ag.URL+"/api/auth/signin?rd="+url.QueryEscape(rd)),
		chromedp.WaitVisible(chromedp.ID("provider-corp")))
	if label := get(t, ctx, "button label", chromedp.Text(chromedp.ID("provider-corp"))); label != "Continue with Corp" {
		t.Errorf("button says %q", label)
	}
	do(t, ctx, "click the provider button", chromedp.Click(chromedp.ID("provider-corp")))
	if got := waitText(t, ctx, "path", "/after"); got != "/after?x=1" {
		t.Errorf("the app was asked for %q", got)
	}
	if loc := location(ctx); loc != rd {
		t.Errorf("landed on %s, want %s", loc, rd)
	}
	if got := waitText(t, ctx, "cookie", ""); got != "present" {
		t.Errorf("the app says the session cookie is %s", got)
	}
	auth := iss.AuthRequests()
	if len(auth) != 1 || auth[0].Get("redirect_uri") != ag.URL+"/api/auth/oauth/corp/callback" || auth[0].Get("code_challenge_method") != "S256" {
		t.Fatalf("authorization requests %v", auth)
	}
	var session, binding bool
	for _, c := range cookies(t, ctx, ag.URL+"/api/auth/oauth/corp/callback") {
		session = session || (c.Name == cookieName && c.HTTPOnly)
		binding = binding || strings.HasPrefix(c.Name, oauth.DefaultCookiePrefix+"_")
	}
	if !session || binding {
		t.Errorf("cookies after the callback: session %v, binding left behind %v", session, binding)
	}
	uid, email := profileInBrowser(t, ctx, ag.URL)
	if uid != oauth.SubjectUID("corp", "sub-1") || email != "ada@example.com" {
		t.Errorf("signed in as %s <%s>", uid, email)
	}
}
