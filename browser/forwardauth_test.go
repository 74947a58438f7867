package browser_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/authgate/authgate/internal/testenv"
)

// TestForwardAuthBrowserFlow: the real Caddy (configs/caddy/Caddyfile) and
// the real nginx (configs/nginx/authgate.conf) in front of an app, authgate
// with AUTHGATE_SIGNIN_URL set to the path of the hosted page. Chromium asks
// for a protected page, is sent to the sign-in page on the same host with an
// rd back-link, signs in, and is back at exactly that page, which now gets
// the identity headers from the proxy; after signing out, the page sends the
// browser to sign in again.
//
// Caddy follows authgate's 302. nginx cannot follow a redirect from
// auth_request, so authgate's 401 carries X-Authgate-Signin-Url and nginx
// answers the browser with a 302 there; its URL's query has '&', '+' and
// escaped '&' and '#', which the back-link must keep.
func TestForwardAuthBrowserFlow(t *testing.T) {
	proxies := []struct {
		name       string
		start      func(tb testing.TB, authgateAddr, appAddr string) string
		uri, first string // the protected URI; the start of it the app echoes
	}{
		{"caddy", testenv.StartCaddy, "/dashboard?tab=1", "/dashboard"},
		{"nginx", testenv.StartNginx, "/reports/view?tab=1&q=a+b&name=x%26y%3Dz&frag=%23top", "/reports"},
	}
	for _, px := range proxies {
		t.Run(px.name, func(t *testing.T) {
			ctx := newTab(t)
			app := newApp(t, cookieName)
			ag := testenv.StartAuthgate(t, append(baseEnv, "AUTHGATE_SIGNIN_URL=/api/auth/signin")...)
			proxy := px.start(t, ag.Addr, strings.TrimPrefix(app.URL, "http://"))
			email := px.name + "-proxied@example.com"
			user := register(t, ag.URL, email)

			want := proxy + px.uri
			do(t, ctx, "open the protected page", chromedp.Navigate(want), chromedp.WaitVisible(chromedp.ID("email")))
			signin := proxy + "/api/auth/signin?rd=" + url.QueryEscape(want)
			if loc := location(ctx); loc != signin {
				t.Fatalf("the protected page sent the browser to %s, want %s", loc, signin)
			}
			if rd := get(t, ctx, "rd", chromedp.AttributeValue(chromedp.ID("f"), "data-rd")); rd.Value != want {
				t.Errorf("the page will go back to %q, want %q", rd.Value, want)
			}

			do(t, ctx, "sign in",
				chromedp.SendKeys(chromedp.ID("email"), email),
				chromedp.SendKeys(chromedp.ID("password"), password),
				chromedp.Click(chromedp.ID("submit")),
			)
			if got := waitText(t, ctx, "uid", user.User.UID); got != user.User.UID {
				t.Errorf("the app got X-User-Id %q, want %q", got, user.User.UID)
			}
			if got := waitText(t, ctx, "email", "@"); got != email {
				t.Errorf("the app got X-User-Email %q", got)
			}
			if got := waitText(t, ctx, "path", px.first); got != px.uri {
				t.Errorf("the app was asked for %q, want %q", got, px.uri)
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
		})
	}
}
