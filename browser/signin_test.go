package browser_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/authgate/authgate/internal/testenv"
	"github.com/authgate/authgate/mfa"
)

const cookieName = "authgate_session"

// screenshotPath is where TestSignInPage leaves a picture of the page.
const screenshotPath = "/tmp/authgate-signin.png"

// TestSignInPage: the hosted page in Chromium against the real binary. A
// wrong password is shown in the page without navigating; the right one
// sets the cookie and lands on rd, an app on another port of 127.0.0.1
// (cookies are per host, not per port), which sees the cookie; the API
// then accepts the cookie in the browser.
func TestSignInPage(t *testing.T) {
	ctx := newTab(t)
	ag := testenv.StartAuthgate(t, baseEnv...)
	app := newApp(t, cookieName)
	user := register(t, ag.URL, "browser@example.com")

	rd := app.URL + "/after?x=1&y=2"
	page := ag.URL + "/api/auth/signin?rd=" + url.QueryEscape(rd)
	do(t, ctx, "open the sign-in page", chromedp.Navigate(page), chromedp.WaitVisible(chromedp.ID("email")))
	if title := get(t, ctx, "title", chromedp.Title()); title != "Sign in" {
		t.Errorf("title %q", title)
	}
	png := get(t, ctx, "screenshot", chromedp.FullScreenshot(100))
	if err := os.WriteFile(screenshotPath, png, 0o644); err != nil {
		t.Errorf("write screenshot: %v", err)
	}

	// Wrong password: an error in the page, no navigation, no cookie.
	do(t, ctx, "type a wrong password",
		chromedp.SendKeys(chromedp.ID("email"), "browser@example.com"),
		chromedp.SendKeys(chromedp.ID("password"), "not the password"),
		chromedp.Click(chromedp.ID("submit")),
	)
	msg := waitText(t, ctx, "msg", "")
	if !strings.Contains(strings.ToLower(msg), "password") {
		t.Errorf("error message %q does not mention the password", msg)
	}
	if loc := location(ctx); loc != page {
		t.Errorf("a wrong password navigated to %s", loc)
	}
	if cs := cookies(t, ctx, ag.URL); len(cs) != 0 {
		t.Errorf("a wrong password set cookies %+v", cs)
	}
	if role := get(t, ctx, "msg role", chromedp.AttributeValue(chromedp.ID("msg"), "role")); role.Value != "alert" {
		t.Errorf("the error is not announced (role=%q)", role.Value)
	}

	// The right password: back at rd with the cookie.
	do(t, ctx, "sign in",
		clear("password"),
		chromedp.SendKeys(chromedp.ID("password"), password),
		chromedp.Click(chromedp.ID("submit")),
	)
	if got := waitText(t, ctx, "path", "/after"); got != "/after?x=1&y=2" {
		t.Errorf("the app was asked for %q", got)
	}
	if loc := location(ctx); loc != rd {
		t.Errorf("landed on %s, want %s", loc, rd)
	}
	if got := waitText(t, ctx, "cookie", ""); got != "present" {
		t.Errorf("the app on another port of the host got the cookie: %s", got)
	}
	var session *network.Cookie
	for _, c := range cookies(t, ctx, ag.URL) {
		if c.Name == cookieName {
			session = c
		}
	}
	if session == nil || !session.HTTPOnly || session.SameSite != network.CookieSameSiteLax || session.Path != "/" ||
		session.Session || session.Expires < float64(time.Now().Add(11*time.Hour).Unix()) {
		t.Fatalf("session cookie %+v", session)
	}
	if hidden := get(t, ctx, "document.cookie", chromedp.Evaluate[string](`document.cookie`)); strings.Contains(hidden, cookieName) {
		t.Error("the session cookie is readable from JavaScript")
	}

	// The API takes the cookie in the browser.
	do(t, ctx, "open the profile", chromedp.Navigate(ag.URL+"/api/auth/profile"))
	body := get(t, ctx, "profile body", chromedp.Evaluate[string](`document.body.innerText`))
	var profile struct {
		UID   string `json:"uid"`
		Email string `json:"email"`
	}
	if err := json.Unmarshal([]byte(body), &profile); err != nil || profile.UID != user.User.UID {
		t.Fatalf("profile with the cookie: %q (%v)", body, err)
	}

	// The sign-in page now says who is signed in; signing out there revokes
	// the session and deletes the cookie.
	do(t, ctx, "open the sign-in page again", chromedp.Navigate(page), chromedp.WaitVisible(chromedp.ID("signout")))
	if got := get(t, ctx, "signed-in text", chromedp.Text(chromedp.CSS("main"))); !strings.Contains(got, "browser@example.com") {
		t.Errorf("signed-in page says %q", got)
	}
	do(t, ctx, "sign out", chromedp.Click(chromedp.ID("signout")), chromedp.WaitVisible(chromedp.ID("email")))
	for _, c := range cookies(t, ctx, ag.URL) {
		if c.Name == cookieName {
			t.Errorf("the cookie survived sign-out: %+v", c)
		}
	}
	req, _ := http.NewRequest(http.MethodGet, ag.URL+"/api/auth/profile", nil)
	req.AddCookie(&http.Cookie{Name: cookieName, Value: session.Value})
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusUnauthorized {
		t.Errorf("the signed-out cookie still works: %d", res.StatusCode)
	}
}

// TestSignInPageTOTP: a user with TOTP gets the code step in the same page
// after the password, and lands on rd after typing the code.
func TestSignInPageTOTP(t *testing.T) {
	ctx := newTab(t)
	ag := testenv.StartAuthgate(t, baseEnv...)
	app := newApp(t, cookieName)
	user := register(t, ag.URL, "totp@example.com")
	var enr struct {
		Secret string `json:"secret"`
	}
	if st := postJSON(t, ag.URL+"/api/auth/mfa/totp/enroll", user.AccessToken, map[string]string{}, &enr); st != http.StatusOK || enr.Secret == "" {
		t.Fatalf("enroll: %d", st)
	}
	code, err := mfa.GenerateCode(enr.Secret, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if st := postJSON(t, ag.URL+"/api/auth/mfa/totp/confirm", user.AccessToken, map[string]string{"code": code}, nil); st != http.StatusOK {
		t.Fatalf("confirm: %d", st)
	}

	rd := app.URL + "/totp"
	do(t, ctx, "password step",
		chromedp.Navigate(ag.URL+"/api/auth/signin?rd="+url.QueryEscape(rd)),
		chromedp.WaitVisible(chromedp.ID("email")),
		chromedp.SendKeys(chromedp.ID("email"), "totp@example.com"),
		chromedp.SendKeys(chromedp.ID("password"), password),
		chromedp.Click(chromedp.ID("submit")),
		chromedp.WaitVisible(chromedp.ID("code")),
		chromedp.WaitNotVisible(chromedp.ID("password")),
	)
	if focused := get(t, ctx, "focus", chromedp.Evaluate[string](`document.activeElement.id`)); focused != "code" {
		t.Errorf("focus is on %q, want the code field", focused)
	}

	// A wrong code: an error, still the code step.
	do(t, ctx, "wrong code", chromedp.SendKeys(chromedp.ID("code"), "000000"), chromedp.Click(chromedp.ID("submit")))
	waitText(t, ctx, "msg", "code")
	if cs := cookies(t, ctx, ag.URL); len(cs) != 0 {
		t.Fatalf("a wrong code set cookies %+v", cs)
	}

	// The next step's code (the confirm used this step's; ±1 step is
	// accepted, a used step never again).
	next, err := mfa.GenerateCode(enr.Secret, time.Now().Add(mfa.Period*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	do(t, ctx, "right code", clear("code"), chromedp.SendKeys(chromedp.ID("code"), next), chromedp.Click(chromedp.ID("submit")))
	waitText(t, ctx, "path", "/totp")
	if got := waitText(t, ctx, "cookie", ""); got != "present" {
		t.Errorf("after TOTP the app says the cookie is %s", got)
	}
}
