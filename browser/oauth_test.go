package browser_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/authgate/authgate/internal/testenv"
	"github.com/authgate/authgate/mfa"
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

// oauthSignInHTTP runs the OAuth dance with a plain HTTP client and returns
// the session cookie of the new account.
func oauthSignInHTTP(t *testing.T, base string) *http.Cookie {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 10 * time.Second}
	res, err := c.Get(base + "/api/auth/oauth/corp/start?rd=" + url.QueryEscape("/api/auth/profile"))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("OAuth sign-in over HTTP ended with %d at %s", res.StatusCode, res.Request.URL)
	}
	u, _ := url.Parse(base)
	for _, ck := range jar.Cookies(u) {
		if ck.Name == cookieName {
			return ck
		}
	}
	t.Fatal("no session cookie after the OAuth sign-in")
	return nil
}

// TestOAuthButtonSignInMFA: an account made by the provider turns TOTP on;
// the next sign-in with the button stops at the sign-in page's code step
// (the ticket in an HttpOnly cookie, not in the URL), a wrong code is
// shown in the page, the right one lands on rd signed in.
func TestOAuthButtonSignInMFA(t *testing.T) {
	ctx := newTab(t)
	ag, _ := startOAuthAuthgate(t)
	app := newApp(t, cookieName)

	// Sign up through the provider, then enroll TOTP with that session.
	session := oauthSignInHTTP(t, ag.URL)
	var enr struct {
		Secret string `json:"secret"`
	}
	if st := postCookie(t, ag.URL+"/api/auth/mfa/totp/enroll", session, map[string]string{}, &enr); st != http.StatusOK || enr.Secret == "" {
		t.Fatalf("enroll: %d", st)
	}
	code, err := mfa.GenerateCode(enr.Secret, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if st := postCookie(t, ag.URL+"/api/auth/mfa/totp/confirm", session, map[string]string{"code": code}, nil); st != http.StatusOK {
		t.Fatalf("confirm: %d", st)
	}

	rd := app.URL + "/mfa"
	do(t, ctx, "click the provider button",
		chromedp.Navigate(ag.URL+"/api/auth/signin?rd="+url.QueryEscape(rd)),
		chromedp.WaitVisible(chromedp.ID("provider-corp")),
		chromedp.Click(chromedp.ID("provider-corp")),
		chromedp.WaitVisible(chromedp.ID("code")),
		chromedp.WaitNotVisible(chromedp.ID("password")),
		chromedp.WaitNotVisible(chromedp.ID("provider-corp")),
	)
	loc := location(ctx)
	if want := ag.URL + "/api/auth/signin?rd=" + url.QueryEscape(rd); loc != want {
		t.Errorf("code step at %s, want %s", loc, want)
	}
	if strings.Contains(loc, "#") || strings.Contains(loc, "ticket") {
		t.Errorf("the ticket is in the URL %s", loc)
	}
	if focused := get(t, ctx, "focus", chromedp.Evaluate[string](`document.activeElement.id`)); focused != "code" {
		t.Errorf("focus is on %q, want the code field", focused)
	}
	if js := get(t, ctx, "document.cookie", chromedp.Evaluate[string](`document.cookie`)); strings.Contains(js, cookieName) {
		t.Errorf("a sign-in cookie is readable from JavaScript: %q", js)
	}
	var ticket bool
	for _, c := range cookies(t, ctx, ag.URL+"/api/auth/signin") {
		if c.Name == cookieName {
			t.Fatalf("signed in before the second factor: %+v", c)
		}
		ticket = ticket || (c.Name == cookieName+"_mfa" && c.HTTPOnly && c.Path == "/api/auth/signin")
	}
	if !ticket {
		t.Error("no HttpOnly ticket cookie on the sign-in path")
	}

	// A wrong code: an error in the page, still the code step.
	do(t, ctx, "wrong code", chromedp.SendKeys(chromedp.ID("code"), "000000"), chromedp.Click(chromedp.ID("submit")))
	waitText(t, ctx, "msg", "code")
	for _, c := range cookies(t, ctx, ag.URL) {
		if c.Name == cookieName {
			t.Fatalf("a wrong code signed in: %+v", c)
		}
	}

	// The next step's code (confirm used this step's).
	next, err := mfa.GenerateCode(enr.Secret, time.Now().Add(mfa.Period*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	do(t, ctx, "right code", clear("code"), chromedp.SendKeys(chromedp.ID("code"), next), chromedp.Click(chromedp.ID("submit")))
	if got := waitText(t, ctx, "path", "/mfa"); got != "/mfa" {
		t.Errorf("the app was asked for %q", got)
	}
	if got := waitText(t, ctx, "cookie", ""); got != "present" {
		t.Errorf("after the code the app says the cookie is %s", got)
	}
	for _, c := range cookies(t, ctx, ag.URL+"/api/auth/signin") {
		if c.Name == cookieName+"_mfa" {
			t.Errorf("the ticket cookie outlived the sign-in: %+v", c)
		}
	}
	uid, _ := profileInBrowser(t, ctx, ag.URL)
	if uid != oauth.SubjectUID("corp", "sub-1") {
		t.Errorf("signed in as %s", uid)
	}
}

// postCookie posts body as JSON with the session cookie and decodes a 2xx
// answer into out (when not nil); it returns the status.
func postCookie(t *testing.T, target string, session *http.Cookie, body, out any) int {
	t.Helper()
	b, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, target, bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.AddCookie(session)
	res, err := client.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", target, err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	if out != nil && res.StatusCode < 300 {
		if err := json.Unmarshal(data, out); err != nil {
			t.Fatalf("POST %s: decode %s: %v", target, data, err)
		}
	}
	if res.StatusCode >= 300 {
		t.Logf("POST %s: %d %s", target, res.StatusCode, data)
	}
	return res.StatusCode
}
