// Package gateway puts authgate in front of other people's applications.
// Two front doors share one decision (Ory Oathkeeper's authenticate →
// authorize → mutate):
//
//   - the forward-auth endpoint (/api/auth/forward-auth) answers nginx
//     auth_request, Traefik forwardAuth, Caddy forward_auth and Envoy-style
//     callers with 200 + identity headers, 401 or 403;
//   - the sidecar reverse proxy (AUTHGATE_UPSTREAM) decides every request
//     outside authgate's own paths and proxies the allowed ones with the
//     identity headers set, after deleting every client-sent copy of them.
//
// Both call Gateway.Decide: the credential (a Bearer token or authgate's
// session cookie) is verified by the Verifier (a cached, revocation-aware
// chain built elsewhere), and the policy decides the original request.
//
// A Gateway is configured by its exported fields, then Provision validates
// them and builds the proxy; after that it is an http.Handler safe for
// concurrent use.
//
//	gw := &gateway.Gateway{
//		Verifier: chain,
//		Policy:   watcher,          // *policy.Watcher or policy.Static{}
//		Trusted:  trusted,          // httpx.ParseTrustedProxies(AUTHGATE_TRUSTED_PROXIES)
//		CookieName: "authgate_session",
//		Upstream: upstreamURL,      // nil without sidecar mode
//		Log:      log,
//		Registerer: prometheus.DefaultRegisterer,
//	}
//	if err := gw.Provision(); err != nil { ... }
//	mux.Handle("/api/auth/forward-auth", http.HandlerFunc(gw.ServeForwardAuth))
//	mux.Handle("/", http.HandlerFunc(gw.ServeProxy)) // sidecar mode only
package gateway
