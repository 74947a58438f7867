package gateway_test

import (
	"bufio"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/authgate/authgate/gateway"
	"github.com/authgate/authgate/internal/testenv"
)

// e2eStack is an echo upstream and the gateway on real ports.
type e2eStack struct {
	echo    *httptest.Server
	gateway *httptest.Server
}

func newE2EStack(t *testing.T, opts ...func(*gateway.Gateway)) *e2eStack {
	t.Helper()
	echo, _ := newEcho(t)
	g, _ := newGateway(t, opts...)
	gw := httptest.NewServer(g)
	t.Cleanup(gw.Close)
	return &e2eStack{echo: echo, gateway: gw}
}

func hostPort(u string) string { return strings.TrimPrefix(u, "http://") }

func startNginx(t *testing.T, s *e2eStack) string {
	return testenv.StartNginx(t, hostPort(s.gateway.URL), hostPort(s.echo.URL))
}

func startCaddy(t *testing.T, s *e2eStack) string {
	return testenv.StartCaddy(t, hostPort(s.gateway.URL), hostPort(s.echo.URL))
}

// TestEndToEndRealProxies runs the example nginx and Caddy configs of
// configs/, unchanged but for the ports, in front of an echo upstream with
// the gateway as their forward-auth endpoint.
func TestEndToEndRealProxies(t *testing.T) {
	fronts := map[string]func(*testing.T, *e2eStack) string{"nginx": startNginx, "caddy": startCaddy}
	for name, start := range fronts {
		t.Run(name, func(t *testing.T) {
			s := newE2EStack(t)
			front := start(t, s)
			bearer := func(tok string) [2]string { return [2]string{"Authorization", "Bearer " + tok} }

			t.Run("401 without a token", func(t *testing.T) {
				resp, body := do(t, "GET", front+"/app/page", nil)
				if resp.StatusCode != 401 {
					t.Fatalf("status %d: %s", resp.StatusCode, body)
				}
				if !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Bearer") {
					t.Fatalf("WWW-Authenticate %q", resp.Header.Get("WWW-Authenticate"))
				}
			})
			t.Run("401 with a bad token", func(t *testing.T) {
				if resp, body := do(t, "GET", front+"/app/page", [][2]string{bearer("forged")}); resp.StatusCode != 401 {
					t.Fatalf("status %d: %s", resp.StatusCode, body)
				}
			})
			t.Run("200 with a token, uid upstream", func(t *testing.T) {
				e := echoOf(t, "POST", front+"/app/page?x=1", [][2]string{bearer("user-token")})
				if e.HeaderGet("X-User-Id") != "u-1" || e.HeaderGet("X-User-Email") != "user@example.com" || e.HeaderGet("X-User-Email-Verified") != "true" {
					t.Fatalf("identity upstream: %v", identityKeys(e.Header))
				}
				if e.Method != "POST" || e.RequestURI != "/app/page?x=1" {
					t.Fatalf("upstream got %s %s", e.Method, e.RequestURI)
				}
			})
			t.Run("cookie credential", func(t *testing.T) {
				e := echoOf(t, "GET", front+"/app/page", [][2]string{{"Cookie", "authgate_session=user-token"}})
				if e.HeaderGet("X-User-Id") != "u-1" {
					t.Fatalf("identity upstream: %v", identityKeys(e.Header))
				}
			})
			t.Run("403 on a role rule", func(t *testing.T) {
				if resp, body := do(t, "GET", front+"/admin/users", [][2]string{bearer("user-token")}); resp.StatusCode != 403 {
					t.Fatalf("status %d: %s", resp.StatusCode, body)
				}
				e := echoOf(t, "GET", front+"/admin/users", [][2]string{bearer("admin-token")})
				if e.HeaderGet("X-User-Roles") != "admin,staff" {
					t.Fatalf("roles upstream %q", e.HeaderGet("X-User-Roles"))
				}
			})
			t.Run("client identity headers never reach the upstream", func(t *testing.T) {
				for _, path := range []string{"/public/page", "/app/page"} {
					hdr := append([][2]string{}, spoofed...)
					want := map[string]string{}
					if path == "/app/page" {
						hdr = append(hdr, bearer("user-token"))
						want = map[string]string{"X-User-Id": "u-1", "X-User-Email": "user@example.com",
							"X-User-Email-Verified": "true", "X-User-Roles": "", "X-User-Name": "Ann User"}
					}
					e := echoOf(t, "GET", front+path, hdr)
					got := identityKeys(e.Header)
					for k, vs := range got {
						w, ok := want[k]
						if !ok || len(vs) != 1 || vs[0] != w {
							t.Errorf("%s: upstream got %s: %q (want %v)", path, k, vs, want)
						}
					}
					// nginx leaves out a header whose value is empty (X-User-Roles for a user without roles).
					for k, w := range want {
						if _, ok := got[k]; !ok && w != "" {
							t.Errorf("%s: upstream lacks %s", path, k)
						}
					}
				}
			})
			t.Run("client cannot describe another request", func(t *testing.T) {
				for _, h := range [][][2]string{
					{{"X-Forwarded-Uri", "/public/x"}, {"X-Forwarded-Method", "GET"}},
					{{"X-Original-Uri", "/public/x"}, {"X-Original-Url", "http://x/public/x"}},
				} {
					if resp, body := do(t, "GET", front+"/app/page", h); resp.StatusCode != 401 {
						t.Fatalf("%v: status %d: %s", h, resp.StatusCode, body)
					}
				}
			})
			t.Run("normalization bypass", func(t *testing.T) {
				for _, p := range []string{"/%61dmin/users", "/public/..%2Fadmin/users", "/public/../admin/users"} {
					req, _ := http.NewRequest("GET", front, nil)
					req.URL.Opaque = p
					req.Header.Set("Authorization", "Bearer user-token")
					resp, err := http.DefaultTransport.RoundTrip(req)
					if err != nil {
						t.Fatal(err)
					}
					resp.Body.Close()
					if resp.StatusCode == 200 {
						t.Fatalf("%s reached the upstream for a non-admin", p)
					}
				}
			})
			t.Run("anonymous public route", func(t *testing.T) {
				e := echoOf(t, "GET", front+"/public/page", nil)
				if len(identityKeys(e.Header)) != 0 {
					t.Fatalf("identity on anonymous route: %v", identityKeys(e.Header))
				}
			})
		})
	}
}

// TestEndToEndNginxSignIn runs configs/nginx/authgate.conf with a gateway
// that has a sign-in URL: nginx turns the 401 carrying
// X-Authgate-Signin-Url into a 302 for browsers, with the back-link
// encoded by authgate, and keeps the plain 401 for API clients.
func TestEndToEndNginxSignIn(t *testing.T) {
	for _, signIn := range []string{"/api/auth/signin", "https://auth.example.com/api/auth/signin"} {
		t.Run(signIn, func(t *testing.T) {
			s := newE2EStack(t, func(g *gateway.Gateway) { g.SignInURL = signIn })
			front := startNginx(t, s)
			const page = "/app/page?a=1&b=x+y&c=%26d%3De&e=%23f"
			browser := [][2]string{{"Accept", "text/html,application/xhtml+xml,*/*;q=0.8"}}

			resp, body := do(t, "GET", front+page, browser)
			if resp.StatusCode != http.StatusFound {
				t.Fatalf("browser: status %d, want 302: %s", resp.StatusCode, body)
			}
			loc := resp.Header.Get("Location")
			if !strings.HasPrefix(loc, signIn+"?rd=") {
				t.Fatalf("Location %q, want %s?rd=...", loc, signIn)
			}
			u, err := url.Parse(loc)
			if err != nil {
				t.Fatal(err)
			}
			if rd := u.Query().Get("rd"); rd != front+page {
				t.Fatalf("rd %q, want %q", rd, front+page)
			}
			if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
				t.Errorf("redirect Cache-Control %q, want no-store", cc)
			}
			if v := resp.Header.Get(gateway.SignInURLHeader); v != "" {
				t.Errorf("nginx passed %s on to the client: %q", gateway.SignInURLHeader, v)
			}

			for name, hdr := range map[string][][2]string{
				"API client":             {{"Accept", "application/json"}},
				"no Accept":              nil,
				"browser with bad token": append([][2]string{{"Authorization", "Bearer forged"}}, browser...),
			} {
				resp, body := do(t, "GET", front+page, hdr)
				if name == "browser with bad token" {
					if resp.StatusCode != http.StatusFound {
						t.Errorf("%s: status %d, want 302", name, resp.StatusCode)
					}
					continue
				}
				if resp.StatusCode != http.StatusUnauthorized {
					t.Fatalf("%s: status %d, want 401: %s", name, resp.StatusCode, body)
				}
				if !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Bearer") {
					t.Errorf("%s: WWW-Authenticate %q", name, resp.Header.Get("WWW-Authenticate"))
				}
				if resp.Header.Get("Location") != "" {
					t.Errorf("%s: Location %q on a 401", name, resp.Header.Get("Location"))
				}
			}

			// Signed in, the same page reaches the app with the query intact.
			e := echoOf(t, "GET", front+page, append([][2]string{{"Authorization", "Bearer user-token"}}, browser...))
			if e.RequestURI != page || e.HeaderGet("X-User-Id") != "u-1" {
				t.Fatalf("upstream got %s as %q", e.RequestURI, e.HeaderGet("X-User-Id"))
			}
			// An absolute-form request line names the host nginx decides for
			// and proxies to; a different Host header lends only its port
			// to the back-link, never its host name.
			rd := rawSignInRD(t, front, "GET http://app.example.com"+page+" HTTP/1.1\r\nHost: evil.example.com:1234\r\nAccept: text/html\r\nConnection: close\r\n\r\n")
			if rd != "http://app.example.com:1234"+page {
				t.Fatalf("absolute-form request: rd %q", rd)
			}
			// A policy denial stays a 403, never a sign-in redirect.
			if resp, _ := do(t, "GET", front+"/admin/x", append([][2]string{{"Authorization", "Bearer user-token"}}, browser...)); resp.StatusCode != http.StatusForbidden {
				t.Fatalf("403 route: status %d", resp.StatusCode)
			}
		})
	}
}

// rawSignInRD sends the raw request to the proxy at base and returns the
// rd of the sign-in redirect it answers.
func rawSignInRD(t *testing.T, base, raw string) string {
	t.Helper()
	c, err := net.Dial("tcp", hostPort(base))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write([]byte(raw)); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("status %d, want 302", resp.StatusCode)
	}
	u, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	return u.Query().Get("rd")
}
