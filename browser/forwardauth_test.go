package browser_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/authgate/authgate/internal/testenv"
)

// TestForwardAuthBrowserFlow: the real Caddy with configs/caddy/Caddyfile in
// front of an app, authgate with AUTHGATE_SIGNIN_URL set to the path of the
// hosted page. Chromium asks for a protected page, is sent to the sign-in
// page on the same host with an rd back-link, signs in, and is back at the
// page, which now gets the identity headers from the proxy.
func TestForwardAuthBrowserFlow(t *testing.T) {
	ctx := newTab(t)
	app := newApp(t, cookieName)
	ag := testenv.StartAuthgate(t, append(baseEnv, "AUTHGATE_SIGNIN_URL=/api/auth/signin")...)
	proxy := testenv.StartCaddy(t, ag.Addr, strings.TrimPrefix(app.URL, "http://"))
	user := register(t, ag.URL, "proxied@example.com")

	want := proxy + "/dashboard?tab=1"
	do(t, ctx, "open the protected page", chromedp.Navigate(want), chromedp.WaitVisible(chromedp.ID("email")))
	loc := location(ctx)
	signin := proxy + "/api/auth/signin?rd=" + url.QueryEscape(want)
	if loc != signin {
		t.Fatalf("the protected page sent the browser to %s, want %s", loc, signin)
	}
	if rd := get(t, ctx, "rd", chromedp.AttributeValue(chromedp.ID("f"), "data-rd")); rd.Value != want {
		t.Errorf("the page will go back to %q, want %q", rd.Value, want)
	}

	do(t, ctx, "sign in",
		chromedp.SendKeys(chromedp.ID("email"), "proxied@example.com"),
		chromedp.SendKeys(chromedp.ID("password"), password),
		chromedp.Click(chromedp.ID("submit")),
	)
	if got := waitText(t, ctx, "uid", user.User.UID); got != user.User.UID {
		t.Errorf("the app got X-User-Id %q, want %q", got, user.User.UID)
	}
	if got := waitText(t, ctx, "email", "@"); got != "proxied@example.com" {
		t.Errorf("the app got X-User-Email %q", got)
	}
	if got := waitText(t, ctx, "path", "/dashboard"); got != "/dashboard?tab=1" {
		t.Errorf("the app was asked for %q", got)
	}
	if loc := location(ctx); loc != want {
		t.Errorf("landed on %s, want %s", loc, want)
	}

	// Signing out on the sign-in page sends the next visit back there.
	do(t, ctx, "sign out",
		chromedp.Navigate(proxy+"/api/auth/signin"),
		chromedp.WaitVisible(chromedp.ID("signout")),
		chromedp.Click(chromedp.ID("signout")),
		chromedp.WaitVisible(chromedp.ID("email")),
		chromedp.Navigate(want),
		chromedp.WaitVisible(chromedp.ID("email")),
	)
	if loc := location(ctx); loc != signin {
		t.Errorf("after sign-out the protected page went to %s", loc)
	}
}

// TestForwardAuthBrowserFlowNginx: the same flow through the real nginx with
// configs/nginx/authgate.conf. nginx cannot follow a redirect from
// auth_request, so authgate's 401 carries X-Authgate-Signin-Url and nginx
// answers the browser's request with a 302 there. The protected URL's query
// has '&', '+' and escaped '&' and '#': the back-link must bring the
// browser back to exactly that URL.
func TestForwardAuthBrowserFlowNginx(t *testing.T) {
	ctx := newTab(t)
	app := newApp(t, cookieName)
	ag := testenv.StartAuthgate(t, append(baseEnv, "AUTHGATE_SIGNIN_URL=/api/auth/signin")...)
	proxy := testenv.StartNginx(t, ag.Addr, strings.TrimPrefix(app.URL, "http://"))
	user := register(t, ag.URL, "nginx-proxied@example.com")

	const uri = "/reports/view?tab=1&q=a+b&name=x%26y%3Dz&frag=%23top"
	want := proxy + uri
	do(t, ctx, "open the protected page", chromedp.Navigate(want), chromedp.WaitVisible(chromedp.ID("email")))
	signin := proxy + "/api/auth/signin?rd=" + url.QueryEscape(want)
	if loc := location(ctx); loc != signin {
		t.Fatalf("the protected page sent the browser to %s, want %s", loc, signin)
	}
	if rd := get(t, ctx, "rd", chromedp.AttributeValue(chromedp.ID("f"), "data-rd")); rd.Value != want {
		t.Errorf("the page will go back to %q, want %q", rd.Value, want)
	}

	do(t, ctx, "sign in",
		chromedp.SendKeys(chromedp.ID("email"), "nginx-proxied@example.com"),
		chromedp.SendKeys(chromedp.ID("password"), password),
		chromedp.Click(chromedp.ID("submit")),
	)
	if got := waitText(t, ctx, "uid", user.User.UID); got != user.User.UID {
		t.Errorf("the app got X-User-Id %q, want %q", got, user.User.UID)
	}
	if got := waitText(t, ctx, "path", "/reports"); got != uri {
		t.Errorf("the app was asked for %q, want %q", got, uri)
	}
	if loc := location(ctx); loc != want {
		t.Errorf("landed on %s, want %s", loc, want)
	}
}
