package gateway_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/authgate/authgate/gateway"
	"github.com/authgate/authgate/httpx"
)

const hostPolicy = `
rules:
  - match: { host: "admin.example.com" }
    allow: deny
  - match: { host: "open.example.com" }
    allow: anonymous
default: authenticated
`

// A trusted proxy's X-Forwarded-Host is passed on to the application, which
// may route by it instead of Host: the policy must not decide for one host
// and let the request reach another.
func TestProxyForwardedHostIsDecided(t *testing.T) {
	echo, hits := newEcho(t)
	tp, err := httpx.ParseTrustedProxies("127.0.0.1/32")
	if err != nil {
		t.Fatal(err)
	}
	withPolicy := func(g *gateway.Gateway) { g.Policy = mustPolicy(t, hostPolicy) }
	trusted := newSidecar(t, echo.URL, withPolicy, func(g *gateway.Gateway) { g.Trusted = tp })
	untrusted := newSidecar(t, echo.URL, withPolicy)
	user := [2]string{"Authorization", "Bearer user-token"}
	cases := []struct {
		name string
		gw   string
		hdr  [][2]string
		want int
	}{
		{"anonymous host, forwarded host needs a user", trusted.URL, [][2]string{{"Host", "open.example.com"}, {"X-Forwarded-Host", "app.example.com"}}, http.StatusUnauthorized},
		{"forwarded host denied", trusted.URL, [][2]string{{"Host", "open.example.com"}, {"X-Forwarded-Host", "admin.example.com"}, user}, http.StatusForbidden},
		{"denied host in a forwarded list", trusted.URL, [][2]string{{"Host", "open.example.com"}, {"X-Forwarded-Host", "open.example.com, admin.example.com"}, user}, http.StatusForbidden},
		{"denied host in a list, any spelling", trusted.URL, [][2]string{{"Host", "open.example.com"}, {"X-Forwarded-Host", "open.example.com,ADMIN.example.com."}}, http.StatusForbidden},
		// Only the first X-Forwarded-Host header is passed on.
		{"second header not passed on", trusted.URL, [][2]string{{"Host", "open.example.com"}, {"X-Forwarded-Host", "open.example.com"}, {"X-Forwarded-Host", "admin.example.com"}}, http.StatusOK},
		{"Host denied, forwarded host open", trusted.URL, [][2]string{{"Host", "admin.example.com"}, {"X-Forwarded-Host", "open.example.com"}}, http.StatusForbidden},
		{"same host", trusted.URL, [][2]string{{"Host", "open.example.com"}, {"X-Forwarded-Host", "open.example.com:443"}}, http.StatusOK},
		{"both hosts allow the user", trusted.URL, [][2]string{{"Host", "open.example.com"}, {"X-Forwarded-Host", "app.example.com"}, user}, http.StatusOK},
		// An untrusted client's X-Forwarded-Host is replaced, not passed on.
		{"untrusted forwarded host ignored", untrusted.URL, [][2]string{{"Host", "open.example.com"}, {"X-Forwarded-Host", "admin.example.com"}}, http.StatusOK},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := hits.Load()
			resp, body := do(t, "GET", tc.gw+"/app/x", tc.hdr)
			if resp.StatusCode != tc.want {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tc.want, body)
			}
			if reached := hits.Load() > before; reached != (tc.want == http.StatusOK) {
				t.Fatalf("upstream reached = %v with status %d", reached, resp.StatusCode)
			}
			if tc.want == http.StatusOK {
				// What the application sees is one of the hosts decided.
				e := decodeEcho(t, resp, body)
				if v := e.Header["X-Forwarded-Host"]; tc.gw == untrusted.URL && (len(v) != 1 || v[0] != "open.example.com") {
					t.Fatalf("X-Forwarded-Host upstream %q", v)
				}
				if v := e.Header["X-Forwarded-Host"]; len(v) != 1 || strings.Contains(strings.ToLower(v[0]), "admin") {
					t.Fatalf("X-Forwarded-Host upstream %q after an allow", v)
				}
			}
		})
	}
}
