package gateway_test

import (
	"net/http"
	"testing"
)

// Some frameworks (Zend Framework, Symfony before CVE-2018-14773, IIS
// rewrites) route by X-Original-URL or X-Rewrite-URL instead of the request
// line: the sidecar passes those headers on, so it must decide their paths
// too.
func TestProxyRewriteURLHeadersAreDecided(t *testing.T) {
	echo, hits := newEcho(t)
	gw := newSidecar(t, echo.URL)
	cases := []struct {
		name string
		hdr  [][2]string
		want int
	}{
		{"plain public", nil, http.StatusOK},
		{"X-Original-URL to admin", [][2]string{{"X-Original-URL", "/admin/users"}}, http.StatusUnauthorized},
		{"X-Rewrite-URL to admin", [][2]string{{"X-Rewrite-Url", "/admin/users?x=1"}}, http.StatusUnauthorized},
		{"absolute X-Original-URL to blocked", [][2]string{{"X-Original-Url", "https://app.example.com/blocked/x"}, {"Authorization", "Bearer admin-token"}}, http.StatusForbidden},
		{"X-Original-URL to another public page", [][2]string{{"X-Original-Url", "/public/other"}}, http.StatusOK},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := hits.Load()
			resp, body := do(t, "GET", gw.URL+"/public/page", tc.hdr)
			if resp.StatusCode != tc.want {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tc.want, body)
			}
			if reached := hits.Load() > before; reached != (tc.want == http.StatusOK) {
				t.Fatalf("upstream reached = %v with status %d", reached, resp.StatusCode)
			}
		})
	}
}
