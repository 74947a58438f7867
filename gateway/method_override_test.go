package gateway_test

import (
	"net/http"
	"testing"

	"github.com/authgate/authgate/gateway"
)

const overridePolicy = `
rules:
  - match: { path: "/posts/**", methods: [DELETE, PUT] }
    allow: { roles: [admin] }
  - match: { path: "/posts/**" }
    allow: anonymous
default: deny
`

// Frameworks (Symfony and Laravel, Rails' Rack::MethodOverride, Express
// method-override, ASP.NET Core) let a POST carrying X-HTTP-Method-Override
// stand for another method: the application acts on the method the header
// names, so the policy must decide that method too.
func TestMethodOverrideIsDecided(t *testing.T) {
	echo, hits := newEcho(t)
	withPolicy := func(g *gateway.Gateway) { g.Policy = mustPolicy(t, overridePolicy) }
	sidecar := newSidecar(t, echo.URL, withPolicy)
	fa, _ := newGateway(t, withPolicy)
	admin := [2]string{"Authorization", "Bearer admin-token"}
	user := [2]string{"Authorization", "Bearer user-token"}
	cases := []struct {
		name string
		hdr  [][2]string
		want int
	}{
		{"plain POST", nil, http.StatusOK},
		{"X-HTTP-Method-Override anonymous", [][2]string{{"X-HTTP-Method-Override", "DELETE"}}, http.StatusUnauthorized},
		{"X-HTTP-Method-Override lower-case value", [][2]string{{"x-http-method-override", "delete"}}, http.StatusUnauthorized},
		{"X-HTTP-Method user", [][2]string{{"X-HTTP-Method", "PUT"}, user}, http.StatusForbidden},
		{"X-Method-Override second value", [][2]string{{"X-Method-Override", "PATCH"}, {"X-Method-Override", "DELETE"}, user}, http.StatusForbidden},
		{"override to an allowed method", [][2]string{{"X-HTTP-Method-Override", "PATCH"}}, http.StatusOK},
		{"admin may", [][2]string{{"X-HTTP-Method-Override", "DELETE"}, admin}, http.StatusOK},
	}
	for _, tc := range cases {
		t.Run("sidecar "+tc.name, func(t *testing.T) {
			before := hits.Load()
			resp, body := do(t, "POST", sidecar.URL+"/posts/1", tc.hdr)
			if resp.StatusCode != tc.want {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tc.want, body)
			}
			if reached := hits.Load() > before; reached != (tc.want == http.StatusOK) {
				t.Fatalf("upstream reached = %v with status %d", reached, resp.StatusCode)
			}
		})
		t.Run("forward-auth "+tc.name, func(t *testing.T) {
			hdr := map[string]string{"X-Original-Method": "POST", "X-Original-Url": "https://app.example.com/posts/1"}
			r := faRequest("GET", loopback, hdr)
			for _, kv := range tc.hdr {
				r.Header.Add(kv[0], kv[1])
			}
			resp, body := serve(t, fa, r)
			if resp.StatusCode != tc.want {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tc.want, body)
			}
		})
	}
}
