package gateway_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/authgate/authgate/gateway"
	"github.com/authgate/authgate/httpx"
	"github.com/authgate/authgate/identity"
	"github.com/authgate/authgate/policy"
)

const loopback = "127.0.0.1:40000"

func faRequest(method, remote string, hdr map[string]string) *http.Request {
	r := httptest.NewRequest(method, "http://authgate.internal:8001"+gateway.ForwardAuthPath, nil)
	r.RemoteAddr = remote
	for k, v := range hdr {
		r.Header.Set(k, v)
	}
	return r
}

func traefik(method, host, uri string) map[string]string {
	return map[string]string{"X-Forwarded-Method": method, "X-Forwarded-Proto": "https", "X-Forwarded-Host": host, "X-Forwarded-Uri": uri}
}

func nginxHdr(method, url string) map[string]string {
	return map[string]string{"X-Original-Method": method, "X-Original-Url": url}
}

func with(h map[string]string, kv ...string) map[string]string {
	out := map[string]string{}
	for k, v := range h {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i]] = kv[i+1]
	}
	return out
}

func TestForwardAuthStatuses(t *testing.T) {
	g, _ := newGateway(t)
	cases := []struct {
		name    string
		remote  string
		hdr     map[string]string
		status  int
		code    string
		uid     string // expected X-User-Id ("" = header absent)
		roles   *string
		noIdent bool
	}{
		{name: "anonymous public", remote: loopback, hdr: traefik("GET", "app.example.com", "/public/x"), status: 200, noIdent: true},
		{name: "user on public gets identity", remote: loopback, hdr: with(traefik("GET", "app.example.com", "/public/x"), "Authorization", "Bearer user-token"), status: 200, uid: "u-1"},
		{name: "no token", remote: loopback, hdr: traefik("GET", "app.example.com", "/app"), status: 401, code: identity.EUNAUTHENTICATED},
		{name: "bad token", remote: loopback, hdr: with(traefik("GET", "app.example.com", "/app"), "Authorization", "Bearer forged"), status: 401, code: identity.EINVALIDTOKEN},
		{name: "expired token", remote: loopback, hdr: with(traefik("GET", "app.example.com", "/app"), "Authorization", "Bearer expired-token"), status: 401, code: identity.ETOKENEXPIRED},
		{name: "bad token on public passes anonymously", remote: loopback, hdr: with(traefik("GET", "app.example.com", "/public/x"), "Authorization", "Bearer forged"), status: 200, noIdent: true},
		{name: "user allowed", remote: loopback, hdr: with(traefik("POST", "app.example.com", "/app/x"), "Authorization", "Bearer user-token"), status: 200, uid: "u-1"},
		{name: "user on admin forbidden", remote: loopback, hdr: with(traefik("GET", "app.example.com", "/admin/x"), "Authorization", "Bearer user-token"), status: 403, code: identity.EFORBIDDEN},
		{name: "admin on admin", remote: loopback, hdr: with(traefik("GET", "app.example.com", "/admin/x"), "Authorization", "Bearer admin-token"), status: 200, uid: "a-1"},
		{name: "deny rule", remote: loopback, hdr: with(traefik("GET", "app.example.com", "/blocked"), "Authorization", "Bearer admin-token"), status: 403, code: identity.EFORBIDDEN},
		{name: "cookie credential", remote: loopback, hdr: with(traefik("GET", "app.example.com", "/app"), "Cookie", "theme=dark; authgate_session=user-token"), status: 200, uid: "u-1"},
		{name: "bearer wins over cookie", remote: loopback, hdr: with(traefik("GET", "app.example.com", "/admin/"), "Cookie", "authgate_session=user-token", "Authorization", "Bearer admin-token"), status: 200, uid: "a-1"},
		{name: "basic auth is no credential", remote: loopback, hdr: with(traefik("GET", "app.example.com", "/app"), "Authorization", "Basic dXNlcjpwYXNz"), status: 401, code: identity.EUNAUTHENTICATED},
		{name: "verifier down fails closed", remote: loopback, hdr: with(traefik("GET", "app.example.com", "/app"), "Authorization", "Bearer down-token"), status: 503, code: identity.EUNAVAILABLE},
		{name: "verifier down on public passes", remote: loopback, hdr: with(traefik("GET", "app.example.com", "/public/"), "Authorization", "Bearer down-token"), status: 200, noIdent: true},
		{name: "host rule", remote: loopback, hdr: traefik("GET", "OPEN.example.com:443", "/anything"), status: 200, noIdent: true},
		{name: "nginx style allowed", remote: loopback, hdr: nginxHdr("GET", "https://app.example.com/public/a?b=c"), status: 200, noIdent: true},
		{name: "nginx style URI only", remote: loopback, hdr: map[string]string{"X-Original-Uri": "/admin/x", "X-Original-Method": "GET", "Authorization": "Bearer user-token"}, status: 403, code: identity.EFORBIDDEN},
		{name: "nginx style 401", remote: loopback, hdr: nginxHdr("GET", "https://app.example.com/app"), status: 401, code: identity.EUNAUTHENTICATED},
		{name: "no forwarded headers: GET / on own host", remote: loopback, status: 401, code: identity.EUNAUTHENTICATED},
		{name: "crlf in claims is sanitized", remote: loopback, hdr: with(traefik("GET", "app.example.com", "/app"), "Authorization", "Bearer crlf-token"), status: 200, uid: "c-1"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, method := range []string{"GET", "POST", "HEAD"} {
				resp, body := serve(t, g, faRequest(method, tc.remote, tc.hdr))
				if resp.StatusCode != tc.status {
					t.Fatalf("%s: status %d, want %d; body %s", method, resp.StatusCode, tc.status, body)
				}
				if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
					t.Fatalf("Cache-Control %q, want no-store", cc)
				}
				if got := resp.Header.Get("X-User-Id"); got != tc.uid {
					t.Fatalf("X-User-Id %q, want %q", got, tc.uid)
				}
				if tc.noIdent || tc.status != 200 {
					for _, h := range []string{"X-User-Id", "X-User-Email", "X-User-Email-Verified", "X-User-Roles", "X-User-Name"} {
						if _, ok := resp.Header[h]; ok {
							t.Fatalf("%s set on a %d / anonymous answer", h, tc.status)
						}
					}
				}
				for k, vs := range resp.Header {
					for _, v := range vs {
						if strings.ContainsAny(v, "\r\n") {
							t.Fatalf("header %s carries a line break: %q", k, v)
						}
					}
				}
				if tc.status == 401 && !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), `Bearer realm="authgate"`) {
					t.Fatalf("401 without Bearer challenge: %q", resp.Header.Get("WWW-Authenticate"))
				}
				if tc.code != "" && method != "HEAD" {
					if p := decodeProblem(t, resp, body); p.Code != tc.code {
						t.Fatalf("code %q, want %q", p.Code, tc.code)
					}
				}
			}
		})
	}
}

func TestForwardAuthIdentityHeaders(t *testing.T) {
	g, _ := newGateway(t)
	resp, _ := serve(t, g, faRequest("GET", loopback, with(traefik("GET", "app.example.com", "/admin/"), "Authorization", "Bearer admin-token")))
	want := map[string]string{"X-User-Id": "a-1", "X-User-Email": "admin@example.com", "X-User-Email-Verified": "true",
		"X-User-Roles": "admin,staff", "X-User-Name": "Ada Admin"}
	for k, v := range want {
		if got := resp.Header.Values(k); len(got) != 1 || got[0] != v {
			t.Errorf("%s = %q, want [%q]", k, got, v)
		}
	}
	// A user without roles gets an empty X-User-Roles, present.
	resp, _ = serve(t, g, faRequest("GET", loopback, with(traefik("GET", "app.example.com", "/app"), "Authorization", "Bearer user-token")))
	if v, ok := resp.Header["X-User-Roles"]; !ok || len(v) != 1 || v[0] != "" {
		t.Errorf("X-User-Roles for a user without roles = %q (present %v), want one empty value", v, ok)
	}
	// Configured names.
	g2, _ := newGateway(t, func(g *gateway.Gateway) {
		g.Headers = gateway.HeaderNames{UserID: "Remote-User", Roles: "remote-groups"}
	})
	resp, _ = serve(t, g2, faRequest("GET", loopback, with(traefik("GET", "app.example.com", "/admin/"), "Authorization", "Bearer admin-token")))
	if resp.Header.Get("Remote-User") != "a-1" || resp.Header.Get("Remote-Groups") != "admin,staff" || resp.Header.Get("X-User-Email") != "admin@example.com" {
		t.Errorf("configured header names not used: %v", resp.Header)
	}
	if resp.Header.Get("X-User-Id") != "" {
		t.Error("default X-User-Id set although renamed")
	}
}

// TestForwardAuthUntrustedCaller: forwarded headers from an untrusted peer
// are ignored; the decision is for GET / on the request's own host.
func TestForwardAuthUntrustedCaller(t *testing.T) {
	tp, err := httpx.ParseTrustedProxies("10.0.0.0/8")
	if err != nil {
		t.Fatal(err)
	}
	g, _ := newGateway(t, func(g *gateway.Gateway) { g.Trusted = tp })
	cases := []struct {
		name   string
		remote string
		hdr    map[string]string
		status int
	}{
		{"untrusted X-Forwarded-Uri=/public does not open /", "203.0.113.9:5000", traefik("GET", "app.example.com", "/public/x"), 401},
		{"untrusted X-Original-URI=/public does not open /", "203.0.113.9:5000", map[string]string{"X-Original-Uri": "/public/x"}, 401},
		{"untrusted X-Forwarded-Host open.example.com ignored", "203.0.113.9:5000", traefik("GET", "open.example.com", "/"), 401},
		{"trusted CIDR is believed", "10.1.2.3:5000", traefik("GET", "app.example.com", "/public/x"), 200},
		{"loopback is believed", "127.0.0.1:5000", traefik("GET", "app.example.com", "/public/x"), 200},
		{"IPv6 loopback is believed", "[::1]:5000", traefik("GET", "app.example.com", "/public/x"), 200},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := serve(t, g, faRequest("GET", tc.remote, tc.hdr))
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d; %s", resp.StatusCode, tc.status, body)
			}
		})
	}
	// An untrusted caller's claim of /public must not open /admin for a
	// user either: the decision is GET / (allowed for a user), not /admin;
	// and on a deny-by-default policy it stays closed.
	gd, _ := newGateway(t, func(g *gateway.Gateway) {
		g.Policy = mustPolicy(t, "rules:\n  - match: {path: /public/**}\n    allow: anonymous\ndefault: deny\n")
	})
	resp, _ := serve(t, gd, faRequest("GET", "198.51.100.7:1", traefik("GET", "app.example.com", "/public/x")))
	if resp.StatusCode != 403 {
		t.Fatalf("untrusted claim of /public on a deny-default policy: %d, want 403", resp.StatusCode)
	}
}

// TestForwardAuthMixedHeaderStyles: a client can add the header style its
// proxy does not set (proxies pass client headers to the auth subrequest);
// the stricter reading must win.
func TestForwardAuthMixedHeaderStyles(t *testing.T) {
	g, _ := newGateway(t)
	cases := []struct {
		name   string
		hdr    map[string]string
		status int
	}{
		{"Caddy sets /admin, client adds X-Original-URI /public", with(traefik("GET", "app.example.com", "/admin/x"), "X-Original-Uri", "/public/x"), 401},
		{"nginx sets /admin, client adds X-Forwarded-Uri /public", with(nginxHdr("GET", "https://app.example.com/admin/x"), "X-Forwarded-Uri", "/public/x", "X-Forwarded-Method", "GET"), 401},
		{"nginx sets /app, client adds X-Forwarded-Host open", with(nginxHdr("GET", "https://app.example.com/app"), "X-Forwarded-Host", "open.example.com"), 401},
		{"both agree on public", with(traefik("GET", "app.example.com", "/public/x"), "X-Original-Uri", "/public/y"), 200},
		// ingress-nginx sets X-Original-URL only: a client-sent X-Original-URI
		// must not replace its path.
		{"ingress-nginx sets URL /admin, client adds X-Original-URI /public", with(nginxHdr("GET", "https://app.example.com/admin/x"), "X-Original-Uri", "/public/x"), 401},
		// nginx with X-Original-URI only: a client-sent X-Original-URL must
		// not choose the host.
		{"nginx sets URI /app, client adds X-Original-URL on the open host", map[string]string{"X-Original-Method": "GET", "X-Original-Uri": "/app", "X-Original-Url": "https://open.example.com/app"}, 401},
		{"nginx sets URL and URI alike", with(nginxHdr("GET", "https://app.example.com/public/x?a=1"), "X-Original-Uri", "/public/x?a=1"), 200},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := serve(t, g, faRequest("GET", loopback, tc.hdr))
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d; %s", resp.StatusCode, tc.status, body)
			}
		})
	}
}

func TestForwardAuthSignInRedirect(t *testing.T) {
	g, _ := newGateway(t, func(g *gateway.Gateway) { g.SignInURL = "https://auth.example.com/api/auth/signin" })
	browser := func(h map[string]string) map[string]string {
		return with(h, "Accept", "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8")
	}
	t.Run("browser via Traefik gets 302 with rd", func(t *testing.T) {
		resp, _ := serve(t, g, faRequest("GET", loopback, browser(traefik("GET", "app.example.com", "/app/page?x=1"))))
		if resp.StatusCode != http.StatusFound {
			t.Fatalf("status %d, want 302", resp.StatusCode)
		}
		loc, err := url.Parse(resp.Header.Get("Location"))
		if err != nil {
			t.Fatal(err)
		}
		if loc.Host != "auth.example.com" || loc.Path != "/api/auth/signin" {
			t.Fatalf("Location %s", loc)
		}
		if rd := loc.Query().Get("rd"); rd != "https://app.example.com/app/page?x=1" {
			t.Fatalf("rd %q", rd)
		}
		if resp.Header.Get("Cache-Control") != "no-store" {
			t.Fatal("302 without no-store")
		}
	})
	t.Run("nginx-style caller never gets 3xx", func(t *testing.T) {
		resp, _ := serve(t, g, faRequest("GET", loopback, browser(nginxHdr("GET", "https://app.example.com/app"))))
		if resp.StatusCode != 401 {
			t.Fatalf("status %d, want 401", resp.StatusCode)
		}
		resp, _ = serve(t, g, faRequest("GET", loopback, browser(map[string]string{"X-Original-Uri": "/app"})))
		if resp.StatusCode != 401 {
			t.Fatalf("X-Original-URI caller: status %d, want 401", resp.StatusCode)
		}
	})
	t.Run("API client gets 401", func(t *testing.T) {
		resp, _ := serve(t, g, faRequest("GET", loopback, with(traefik("GET", "app.example.com", "/app"), "Accept", "application/json")))
		if resp.StatusCode != 401 {
			t.Fatalf("status %d, want 401", resp.StatusCode)
		}
	})
	t.Run("forbidden is never a redirect", func(t *testing.T) {
		resp, _ := serve(t, g, faRequest("GET", loopback, browser(with(traefik("GET", "app.example.com", "/admin/"), "Authorization", "Bearer user-token"))))
		if resp.StatusCode != 403 {
			t.Fatalf("status %d, want 403", resp.StatusCode)
		}
	})
	t.Run("unsafe back-link is dropped", func(t *testing.T) {
		for _, hdr := range []map[string]string{
			traefik("GET", "evil.com/x", "/app"),
			traefik("GET", "app.example.com", "//evil.com/app"),
			traefik("GET", "app.example.com@evil.com", "/app"),
			traefik("GET", "app.example.com", "/\\evil.com"),
		} {
			resp, _ := serve(t, g, faRequest("GET", loopback, browser(hdr)))
			if resp.StatusCode != http.StatusFound {
				t.Fatalf("%v: status %d", hdr, resp.StatusCode)
			}
			loc, _ := url.Parse(resp.Header.Get("Location"))
			if rd := loc.Query().Get("rd"); rd != "" {
				t.Fatalf("%v: unsafe rd %q kept", hdr, rd)
			}
		}
	})
}

func TestForwardAuthMetricsAndAudit(t *testing.T) {
	reg := prometheus.NewRegistry()
	var denials []gateway.Denial
	g, _ := newGateway(t, func(g *gateway.Gateway) {
		g.Registerer = reg
		g.Audit = gateway.AuditFunc(func(_ context.Context, d *gateway.Denial) { denials = append(denials, *d) })
	})
	serve(t, g, faRequest("GET", loopback, traefik("GET", "app.example.com", "/public/")))
	serve(t, g, faRequest("GET", loopback, traefik("GET", "app.example.com", "/app")))
	serve(t, g, faRequest("GET", loopback, with(traefik("DELETE", "app.example.com", "/admin/x"), "Authorization", "Bearer user-token")))
	for result, want := range map[string]float64{"allow": 1, "unauthenticated": 1, "forbidden": 1, "error": 0} {
		if got := counterValue(t, reg, "authgate_decisions_total", map[string]string{"result": result, "door": "forward_auth"}); got != want {
			t.Errorf("decisions{%s} = %v, want %v", result, got, want)
		}
	}
	if got := counterValue(t, reg, "authgate_decision_duration_seconds", map[string]string{"door": "forward_auth"}); got != 3 {
		t.Errorf("duration samples = %v, want 3", got)
	}
	if len(denials) != 2 {
		t.Fatalf("audit saw %d denials, want 2", len(denials))
	}
	d := denials[1]
	if d.Door != gateway.DoorForwardAuth || d.Outcome != policy.Forbidden || d.UID != "u-1" || d.Method != "DELETE" || d.Path != "/admin/x" || d.Rule != 1 || d.Code != identity.EFORBIDDEN {
		t.Fatalf("denial %+v", d)
	}
}

func TestProvisionErrors(t *testing.T) {
	bad := []func(*gateway.Gateway){
		func(g *gateway.Gateway) { g.Verifier = nil },
		func(g *gateway.Gateway) { g.Headers.UserID = "X User" },
		func(g *gateway.Gateway) { g.Headers.Email = "x-user-id" }, // duplicate of UserID
		func(g *gateway.Gateway) { g.Headers.Name = "Cookie" },
		func(g *gateway.Gateway) { g.CookieName = "a;b" },
		func(g *gateway.Gateway) { g.SignInURL = "javascript:alert(1)" },
		func(g *gateway.Gateway) { g.SignInURL = "//evil.com/x" },
		func(g *gateway.Gateway) { g.Upstream = &url.URL{Scheme: "ftp", Host: "x"} },
		func(g *gateway.Gateway) { g.DialTimeout = -1 },
	}
	for i, mut := range bad {
		g := &gateway.Gateway{Verifier: &fakeVerifier{}}
		mut(g)
		if err := g.Provision(); err == nil {
			t.Errorf("case %d: Provision accepted a bad configuration", i)
		}
	}
	// Two gateways on one registry: the second is refused, not a panic.
	reg := prometheus.NewRegistry()
	if err := (&gateway.Gateway{Verifier: &fakeVerifier{}, Registerer: reg}).Provision(); err != nil {
		t.Fatal(err)
	}
	if err := (&gateway.Gateway{Verifier: &fakeVerifier{}, Registerer: reg}).Provision(); err == nil {
		t.Fatal("second registration accepted")
	}
}
