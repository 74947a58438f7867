package gateway_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/authgate/authgate/gateway"
)

// BenchmarkForwardAuth measures a whole forward-auth answer with a cached
// (in-memory) verifier: the hot path of nginx/Traefik/Caddy deployments.
func BenchmarkForwardAuth(b *testing.B) {
	g, _ := newGateway(b)
	cases := map[string]map[string]string{
		"traefik-allowed":   with(traefik("GET", "app.example.com", "/app/dashboard?tab=1"), "Authorization", "Bearer admin-token"),
		"nginx-allowed":     with(nginxHdr("GET", "https://app.example.com/admin/users"), "X-Original-Uri", "/admin/users", "Authorization", "Bearer admin-token"),
		"anonymous-public":  traefik("GET", "app.example.com", "/public/logo.png"),
		"unauthenticated":   traefik("GET", "app.example.com", "/app"),
		"cookie-credential": with(traefik("GET", "app.example.com", "/app"), "Cookie", "a=b; authgate_session=user-token"),
	}
	for name, hdr := range cases {
		b.Run(name, func(b *testing.B) {
			r := faRequest("GET", loopback, hdr)
			rec := httptest.NewRecorder()
			b.ReportAllocs()
			for b.Loop() {
				clear(rec.Header())
				rec.Code = 0
				rec.Body.Reset()
				g.ServeForwardAuth(rec, r)
			}
		})
	}
}

// BenchmarkDecide measures authenticate → authorize alone.
func BenchmarkDecide(b *testing.B) {
	g, _ := newGateway(b)
	r := httptest.NewRequest("GET", "/app/x", nil)
	r.Header.Set("Authorization", "Bearer user-token")
	orig := gateway.OriginalRequest{Method: http.MethodGet, Host: "app.example.com", Path: "/app/x/y"}
	b.ReportAllocs()
	for b.Loop() {
		if d := g.Decide(r, orig); !d.Allowed() {
			b.Fatal("denied")
		}
	}
}
