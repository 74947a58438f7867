package gateway_test

import (
	"net/http"
	"net/http/httptest"
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

func newE2EStack(t *testing.T) *e2eStack {
	t.Helper()
	echo, _ := newEcho(t)
	g, _ := newGateway(t, func(g *gateway.Gateway) {})
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
