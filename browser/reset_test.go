package browser_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/authgate/authgate/internal/testenv"
	"github.com/authgate/authgate/mail/mailtest"
)

// TestPasswordResetPage: a reset requested through the API is mailed over
// real SMTP; the link opens authgate's reset page in Chromium, which takes
// the token from the fragment and sets the typed password; the API then
// signs in with it and no longer with the old one.
func TestPasswordResetPage(t *testing.T) {
	ctx := newTab(t)
	smtp := mailtest.Start(t)
	ag := testenv.StartAuthgate(t, append(baseEnv, "AUTHGATE_SMTP_URL="+smtp.URL(), "AUTHGATE_MAIL_FROM="+mailtest.From)...)
	register(t, ag.URL, "reset@example.com")

	if st := postJSON(t, ag.URL+"/api/auth/password/reset", "", map[string]string{"email": "reset@example.com"}, nil); st != http.StatusAccepted {
		t.Fatalf("request reset: %d", st)
	}
	msg := smtp.WaitFor(t, "reset@example.com", 15*time.Second)
	link := msg.FirstURL()
	if !strings.HasPrefix(link, ag.URL+"/api/auth/password/reset/confirm#token=") {
		t.Fatalf("reset link %q", link)
	}

	const newPassword = "a brand new passphrase"
	do(t, ctx, "open the link", chromedp.Navigate(link), chromedp.WaitVisible(chromedp.ID("pw")))
	if loc := location(ctx); strings.Contains(loc, "token=") {
		t.Errorf("the token stays in the address bar: %s", loc)
	}
	// Two different passwords are caught in the page.
	do(t, ctx, "mistype",
		chromedp.SendKeys(chromedp.ID("pw"), newPassword),
		chromedp.SendKeys(chromedp.ID("pw2"), newPassword+"!"),
		chromedp.Click(chromedp.CSS("button[type=submit]")),
	)
	waitText(t, ctx, "msg", "differ")
	do(t, ctx, "retype", clear("pw2"), chromedp.SendKeys(chromedp.ID("pw2"), newPassword), chromedp.Click(chromedp.CSS("button[type=submit]")))
	waitText(t, ctx, "msg", "changed")

	if st := postJSON(t, ag.URL+"/api/auth/login", "", map[string]string{"email": "reset@example.com", "password": newPassword}, nil); st != http.StatusOK {
		t.Errorf("login with the new password: %d", st)
	}
	if st := postJSON(t, ag.URL+"/api/auth/login", "", map[string]string{"email": "reset@example.com", "password": password}, nil); st != http.StatusUnauthorized {
		t.Errorf("login with the old password: %d", st)
	}
	// The link is spent. (From about:blank: from the page itself, only the
	// fragment would change and nothing would load.)
	do(t, ctx, "open the link again", chromedp.Navigate("about:blank"), chromedp.Navigate(link), chromedp.WaitVisible(chromedp.ID("pw")),
		chromedp.SendKeys(chromedp.ID("pw"), "yet another passphrase"),
		chromedp.SendKeys(chromedp.ID("pw2"), "yet another passphrase"),
		chromedp.Click(chromedp.CSS("button[type=submit]")),
	)
	got := waitText(t, ctx, "msg", "")
	if class := get(t, ctx, "message class", chromedp.Evaluate[string](`document.getElementById("msg").className`)); strings.Contains(got, "changed") || class != "err" {
		t.Errorf("a spent link was accepted: %q (%s)", got, class)
	}
}
