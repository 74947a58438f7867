package gateway

import (
	"net/http"
	"time"
)

// ServeForwardAuth is the forward-auth endpoint (any method): 200 with the
// identity headers for an allowed request (none for an anonymous one), 401
// with WWW-Authenticate, 403 on a policy denial, each with
// Cache-Control: no-store. When SignInURL is set, browsers may get a 302 to
// the sign-in page instead of the 401, but never from nginx-style callers
// (X-Original-URI or X-Original-URL present), for which auth_request treats
// 3xx as an error: their 401 carries the same sign-in URL in
// SignInURLHeader for nginx to redirect to.
func (g *Gateway) ServeForwardAuth(w http.ResponseWriter, r *http.Request) {
	g.mustBeReady()
	start := time.Now()
	d := g.decideForwardAuth(r)
	g.metrics.duration[doorForwardAuth].Observe(time.Since(start).Seconds())
	g.metrics.count(doorForwardAuth, &d)
	if !d.Allowed() {
		mode := signInRedirect
		if nginxStyle(r) {
			mode = signInHeader
		}
		g.deny(w, r, doorForwardAuth, &d, mode)
		return
	}
	h := w.Header()
	if d.Principal != nil {
		g.hdr.setIdentity(h, d.Principal, true)
	} else {
		h.Set("Cache-Control", "no-store")
	}
	w.WriteHeader(http.StatusOK)
}
