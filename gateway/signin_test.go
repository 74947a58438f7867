package gateway_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/authgate/authgate/gateway"
	"github.com/authgate/authgate/httpx"
	"github.com/authgate/authgate/identity"
)

const browserAccept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"

func asBrowser(h map[string]string) map[string]string { return with(h, "Accept", browserAccept) }

// TestForwardAuthSignInHeader: an nginx-style caller's 401 for a browser
// carries the sign-in URL with the encoded back-link in
// X-Authgate-Signin-Url, and only then.
func TestForwardAuthSignInHeader(t *testing.T) {
	const signIn = "https://auth.example.com/api/auth/signin"
	tp, err := httpx.ParseTrustedProxies("10.0.0.0/8")
	if err != nil {
		t.Fatal(err)
	}
	withSignIn := func(u string) func(*gateway.Gateway) {
		return func(g *gateway.Gateway) { g.SignInURL = u; g.Trusted = tp }
	}
	gAbs, _ := newGateway(t, withSignIn(signIn))
	gRel, _ := newGateway(t, withSignIn("/api/auth/signin"))
	gQuery, _ := newGateway(t, withSignIn("https://auth.example.com/signin?lang=de"))
	gNone, _ := newGateway(t, func(g *gateway.Gateway) { g.Trusted = tp })

	const noHeader = "-"
	cases := []struct {
		name   string
		g      *gateway.Gateway
		remote string
		hdr    map[string]string
		status int
		code   string
		want   string // the header's sign-in URL without its query; noHeader: absent
		rd     string // the decoded rd; "" = no rd
		query  url.Values
	}{
		{name: "browser, X-Original-URL", g: gAbs, remote: loopback,
			hdr:    asBrowser(nginxHdr("GET", "https://app.example.com/app/page?a=1&b=x+y")),
			status: 401, code: identity.EUNAUTHENTICATED, want: signIn, rd: "https://app.example.com/app/page?a=1&b=x+y"},
		{name: "browser, escapes in the query survive", g: gAbs, remote: loopback,
			hdr:    asBrowser(nginxHdr("GET", "http://app.example.com:8443/search?q=a%26b%23c%2Bd&next=%2Fx&sp=a+b")),
			status: 401, code: identity.EUNAUTHENTICATED, want: signIn, rd: "http://app.example.com:8443/search?q=a%26b%23c%2Bd&next=%2Fx&sp=a+b"},
		{name: "browser, X-Original-URI with Host and X-Forwarded-Proto", g: gAbs, remote: loopback,
			hdr:    asBrowser(map[string]string{"X-Original-Uri": "/app/x?y=1&z=2", "X-Original-Method": "GET", "Host": "app.example.com", "X-Forwarded-Proto": "https"}),
			status: 401, code: identity.EUNAUTHENTICATED, want: signIn, rd: "https://app.example.com/app/x?y=1&z=2"},
		{name: "X-Original-URL's scheme wins over X-Forwarded-Proto", g: gAbs, remote: loopback,
			hdr:    asBrowser(with(nginxHdr("GET", "http://app.example.com/app"), "X-Forwarded-Proto", "https")),
			status: 401, code: identity.EUNAUTHENTICATED, want: signIn, rd: "http://app.example.com/app"},
		{name: "bad token in the cookie still goes to sign-in", g: gAbs, remote: loopback,
			hdr:    asBrowser(with(nginxHdr("GET", "https://app.example.com/app"), "Cookie", "authgate_session=expired-token")),
			status: 401, code: identity.ETOKENEXPIRED, want: signIn, rd: "https://app.example.com/app"},
		{name: "trusted CIDR", g: gAbs, remote: "10.9.8.7:5000",
			hdr:    asBrowser(nginxHdr("POST", "https://app.example.com/app/form")),
			status: 401, code: identity.EUNAUTHENTICATED, want: signIn, rd: "https://app.example.com/app/form"},
		{name: "root-relative sign-in URL", g: gRel, remote: loopback,
			hdr:    asBrowser(nginxHdr("GET", "https://app.example.com/app?x=1&y=2")),
			status: 401, code: identity.EUNAUTHENTICATED, want: "/api/auth/signin", rd: "https://app.example.com/app?x=1&y=2"},
		{name: "sign-in URL's own query kept", g: gQuery, remote: loopback,
			hdr:    asBrowser(nginxHdr("GET", "https://app.example.com/app")),
			status: 401, code: identity.EUNAUTHENTICATED, want: "https://auth.example.com/signin", rd: "https://app.example.com/app",
			query: url.Values{"lang": {"de"}}},
		{name: "untrusted caller: sign-in URL without rd", g: gAbs, remote: "203.0.113.9:5000",
			hdr:    asBrowser(nginxHdr("GET", "https://app.example.com/app?x=1")),
			status: 401, code: identity.EUNAUTHENTICATED, want: signIn},
		{name: "unsafe path: no rd", g: gAbs, remote: loopback,
			hdr:    asBrowser(map[string]string{"X-Original-Uri": "//evil.com/x", "Host": "app.example.com"}),
			status: 401, code: identity.EUNAUTHENTICATED, want: signIn},
		{name: "backslash path: no rd", g: gAbs, remote: loopback,
			hdr:    asBrowser(map[string]string{"X-Original-Uri": "/\\evil.com/x", "Host": "app.example.com"}),
			status: 401, code: identity.EUNAUTHENTICATED, want: signIn},
		{name: "odd host: no rd", g: gAbs, remote: loopback,
			hdr:    asBrowser(nginxHdr("GET", "https://evil.com%2f.app.example.com/app")),
			status: 401, code: identity.EUNAUTHENTICATED, want: signIn},
		{name: "API client: plain 401", g: gAbs, remote: loopback,
			hdr:    with(nginxHdr("GET", "https://app.example.com/app"), "Accept", "application/json"),
			status: 401, code: identity.EUNAUTHENTICATED, want: noHeader},
		{name: "no Accept: plain 401", g: gAbs, remote: loopback,
			hdr:    nginxHdr("GET", "https://app.example.com/app"),
			status: 401, code: identity.EUNAUTHENTICATED, want: noHeader},
		{name: "no sign-in URL configured", g: gNone, remote: loopback,
			hdr:    asBrowser(nginxHdr("GET", "https://app.example.com/app")),
			status: 401, code: identity.EUNAUTHENTICATED, want: noHeader},
		{name: "forbidden: no sign-in", g: gAbs, remote: loopback,
			hdr:    asBrowser(with(nginxHdr("GET", "https://app.example.com/admin/x"), "Authorization", "Bearer user-token")),
			status: 403, code: identity.EFORBIDDEN, want: noHeader},
		{name: "verifier down: no sign-in", g: gAbs, remote: loopback,
			hdr:    asBrowser(with(nginxHdr("GET", "https://app.example.com/app"), "Authorization", "Bearer down-token")),
			status: 503, code: identity.EUNAVAILABLE, want: noHeader},
		{name: "allowed: no header", g: gAbs, remote: loopback,
			hdr:    asBrowser(with(nginxHdr("GET", "https://app.example.com/app"), "Authorization", "Bearer user-token")),
			status: 200, want: noHeader},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := faRequest("GET", tc.remote, tc.hdr)
			if h, ok := tc.hdr["Host"]; ok {
				r.Host = h
			}
			resp, body := serve(t, tc.g, r)
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d; %s", resp.StatusCode, tc.status, body)
			}
			if loc := resp.Header.Get("Location"); loc != "" {
				t.Fatalf("nginx-style caller got Location %q", loc)
			}
			if tc.code != "" {
				if p := decodeProblem(t, resp, body); p.Code != tc.code {
					t.Fatalf("code %q, want %q", p.Code, tc.code)
				}
			}
			vs, present := resp.Header[gateway.SignInURLHeader]
			if tc.want == noHeader {
				if present {
					t.Fatalf("%s set: %q", gateway.SignInURLHeader, vs)
				}
				return
			}
			if len(vs) != 1 {
				t.Fatalf("%s = %q, want one value", gateway.SignInURLHeader, vs)
			}
			if !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), `Bearer realm="authgate"`) {
				t.Fatalf("401 without the Bearer challenge: %q", resp.Header.Get("WWW-Authenticate"))
			}
			u := checkSignInHeader(t, vs[0])
			if got := strings.SplitN(vs[0], "?", 2)[0]; got != tc.want {
				t.Fatalf("sign-in URL %q, want %q", got, tc.want)
			}
			q := u.Query()
			if got := q.Get("rd"); got != tc.rd {
				t.Fatalf("rd %q, want %q", got, tc.rd)
			}
			if _, ok := q["rd"]; !ok && tc.rd != "" || ok && tc.rd == "" {
				t.Fatalf("rd presence wrong in %q", vs[0])
			}
			for k, want := range tc.query {
				if got := q[k]; len(got) != len(want) || got[0] != want[0] {
					t.Fatalf("query %s = %q, want %q", k, got, want)
				}
			}
		})
	}
}

// checkSignInHeader asserts what nginx relies on when it sends the value
// as a Location: one line, no spaces, an absolute http(s) URL or a
// root-relative path (never //host), and rd, if any, an http(s) URL.
func checkSignInHeader(t *testing.T, v string) *url.URL {
	t.Helper()
	for i := 0; i < len(v); i++ {
		if c := v[i]; c <= ' ' || c >= 0x7f {
			t.Fatalf("header value %q has byte %#x", v, c)
		}
	}
	u, err := url.Parse(v)
	if err != nil {
		t.Fatalf("header value %q: %v", v, err)
	}
	switch {
	case u.IsAbs():
		if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
			t.Fatalf("header value %q is not an http(s) URL", v)
		}
	case strings.HasPrefix(v, "/") && !strings.HasPrefix(v, "//") && u.Host == "":
	default:
		t.Fatalf("header value %q is neither absolute nor root-relative", v)
	}
	if rd := u.Query().Get("rd"); rd != "" {
		if !strings.HasPrefix(rd, "http://") && !strings.HasPrefix(rd, "https://") {
			t.Fatalf("rd %q is not an http(s) URL", rd)
		}
	}
	return u
}

// TestForwardAuthSignInRedirectUnchanged: Traefik/Caddy-style callers keep
// the 302 and never see the nginx header; the 302 carries the same URL the
// nginx header would.
func TestForwardAuthSignInRedirectUnchanged(t *testing.T) {
	g, _ := newGateway(t, func(g *gateway.Gateway) { g.SignInURL = "/api/auth/signin" })
	const orig = "/app/page?a=1&b=x+y&c=%23"
	resp, _ := serve(t, g, faRequest("GET", loopback, asBrowser(traefik("GET", "app.example.com", orig))))
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("status %d, want 302", resp.StatusCode)
	}
	if _, ok := resp.Header[gateway.SignInURLHeader]; ok {
		t.Fatalf("a 302 carries %s", gateway.SignInURLHeader)
	}
	loc := resp.Header.Get("Location")
	nresp, _ := serve(t, g, faRequest("GET", loopback, asBrowser(nginxHdr("GET", "https://app.example.com"+orig))))
	if got := nresp.Header.Get(gateway.SignInURLHeader); got != loc {
		t.Fatalf("nginx header %q, Traefik Location %q", got, loc)
	}
	u := checkSignInHeader(t, loc)
	if rd := u.Query().Get("rd"); rd != "https://app.example.com"+orig {
		t.Fatalf("rd %q", rd)
	}
	// No forwarding headers at all: nothing to come back to.
	resp, _ = serve(t, g, faRequest("GET", loopback, asBrowser(nil)))
	if resp.StatusCode != http.StatusFound || strings.Contains(resp.Header.Get("Location"), "rd=") {
		t.Fatalf("undescribed request: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
}

// FuzzSignInHeader: whatever an nginx-style caller describes, the header
// is the configured sign-in URL plus at most an rd that is an http(s) URL
// on a plain host with an absolute path, and the rd decodes back to
// exactly the URL described.
func FuzzSignInHeader(f *testing.F) {
	for _, s := range [][2]string{
		{"https://app.example.com/a?b=1&c=2", ""},
		{"http://app.example.com:8080/x%23y?z=a+b#frag", ""},
		{"", "//evil.com/x"},
		{"https://evil.com@app.example.com/", "/\\x"},
		{"javascript:alert(1)", "/a b"},
		{"https://[::1]:8443/p?q", "/p?q=%0d%0a"},
	} {
		f.Add(s[0], s[1])
	}
	g, _ := newGateway(f, func(g *gateway.Gateway) { g.SignInURL = "https://auth.example.com/api/auth/signin" })
	f.Fuzz(func(t *testing.T, origURL, origURI string) {
		hdr := asBrowser(map[string]string{"X-Original-Method": "GET"})
		if !validHeaderValue(origURL) || !validHeaderValue(origURI) {
			return
		}
		if origURL != "" {
			hdr["X-Original-Url"] = origURL
		}
		if origURI != "" {
			hdr["X-Original-Uri"] = origURI
		}
		r := faRequest("GET", loopback, hdr)
		resp, _ := serve(t, g, r)
		v := resp.Header.Get(gateway.SignInURLHeader)
		if resp.StatusCode != 401 {
			if v != "" {
				t.Fatalf("status %d with %s %q", resp.StatusCode, gateway.SignInURLHeader, v)
			}
			return
		}
		if v == "" {
			t.Fatal("browser 401 without the sign-in header")
		}
		u := checkSignInHeader(t, v)
		if u.Host != "auth.example.com" || u.Path != "/api/auth/signin" {
			t.Fatalf("header %q does not point at the sign-in page", v)
		}
		rd := u.Query().Get("rd")
		if rd == "" {
			return
		}
		b, err := url.Parse(rd)
		if err != nil || (b.Scheme != "http" && b.Scheme != "https") || b.Host == "" || b.User != nil ||
			!strings.HasPrefix(b.EscapedPath(), "/") || strings.HasPrefix(b.EscapedPath(), "//") ||
			strings.ContainsAny(rd, "\\ \r\n\t#") {
			t.Fatalf("unsafe rd %q (from %q, %q)", rd, origURL, origURI)
		}
		if origURI != "" && !strings.HasSuffix(rd, origURI) {
			t.Fatalf("rd %q does not end in X-Original-URI %q", rd, origURI)
		}
	})
}

// validHeaderValue reports whether v can travel in an HTTP header at all.
func validHeaderValue(v string) bool {
	for i := 0; i < len(v); i++ {
		if c := v[i]; c < ' ' && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}
