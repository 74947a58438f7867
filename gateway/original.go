package gateway

import (
	"net/http"
	"strings"

	"github.com/authgate/authgate/httpx"
)

// OriginalRequest is the request being decided: the client's request to
// the application, not the proxy's subrequest to authgate.
type OriginalRequest struct {
	Method string
	Scheme string // "http" or "https"; for the sign-in back-link
	Host   string // may carry a port
	Path   string // the request URI: path and optional query, possibly escaped
	// Query is the raw query when Path does not carry it (sidecar mode); it
	// only serves the sign-in back-link.
	Query string
}

// maxDescriptions is the most original requests one forward-auth call can
// describe: X-Forwarded-*; X-Original-URL's host with X-Original-URI's path
// (or either alone); and, when both are sent, each of them on its own.
const maxDescriptions = 4

// forwardAuthOriginals reads the original request of a forward-auth call:
// the descriptions in descs[:n], n = 0 meaning none.
//
// Only a trusted caller (loopback, or a trusted proxy) is believed; for
// anyone else, and when no forwarding header is sent, n is 0 and own is GET
// / on the request's own host. A trusted caller's headers may come in
// several styles: X-Forwarded-Method/-Uri (Traefik, Caddy), X-Original-URL
// (ingress-nginx, Authelia-style nginx) and X-Original-URI (nginx's own
// example), the nginx ones with X-Original-Method. The first nginx
// description takes X-Original-URL's scheme and host and X-Original-URI's
// path (the sign-in back-link is built from it). Proxies pass the client's
// own headers through to the auth subrequest, so a client can add the
// headers its proxy does not set: when both X-Original headers are sent,
// each is also a description of its own (X-Original-URL with its host,
// X-Original-URI on the call's Host, as nginx sets it with
// "proxy_set_header Host $host"). The caller decides each description,
// keeping the stricter, so an extra header can only ever narrow access.
func (g *Gateway) forwardAuthOriginals(r *http.Request) (descs [maxDescriptions]OriginalRequest, n int, own OriginalRequest) {
	own = OriginalRequest{Method: http.MethodGet, Scheme: requestScheme(r), Host: r.Host, Path: "/"}
	if !g.trustedForwardAuthCaller(r) {
		return descs, 0, own
	}
	h := r.Header
	xfMethod, xfURI := h.Get("X-Forwarded-Method"), h.Get("X-Forwarded-Uri")
	if xfMethod != "" || xfURI != "" {
		fwd := own
		if xfMethod != "" {
			fwd.Method = xfMethod
		}
		if xfURI != "" {
			fwd.Path = xfURI
		}
		if v := h.Get("X-Forwarded-Host"); v != "" {
			fwd.Host = v
		}
		if v := h.Get("X-Forwarded-Proto"); v == "https" || v == "http" {
			fwd.Scheme = v
		}
		descs[n] = fwd
		n++
	}
	oURL, oURI := h.Get("X-Original-Url"), h.Get("X-Original-Uri")
	if oURL != "" || oURI != "" {
		ngx := own
		if m := h.Get("X-Original-Method"); m != "" {
			ngx.Method = m
		}
		// The scheme only serves the sign-in back-link: X-Original-URL's,
		// else X-Forwarded-Proto (nginx behind a TLS terminator), else the
		// call's own.
		if v := h.Get("X-Forwarded-Proto"); v == "https" || v == "http" {
			ngx.Scheme = v
		}
		comb := ngx // X-Original-URL's scheme and host, X-Original-URI's path
		if oURL != "" {
			scheme, host, uri := splitURL(oURL)
			if scheme != "" {
				comb.Scheme = scheme
			}
			if host != "" {
				comb.Host = host
			}
			comb.Path = uri
		}
		if oURI != "" {
			comb.Path = oURI
		}
		descs[n] = comb
		n++
		if oURL != "" && oURI != "" {
			// Either header may be the client's: decide each on its own too.
			u := comb
			_, _, u.Path = splitURL(oURL)
			ngx.Path = oURI
			descs[n], descs[n+1] = u, ngx
			n += 2
		}
	}
	return descs, n, own
}

// nginxStyle reports whether the caller looks like nginx auth_request,
// which treats any 3xx answer as an error: it must never get a redirect.
func nginxStyle(r *http.Request) bool {
	h := r.Header
	return len(h["X-Original-Uri"]) > 0 || len(h["X-Original-Url"]) > 0
}

func (g *Gateway) trustedForwardAuthCaller(r *http.Request) bool {
	a := httpx.RemoteAddr(r)
	return a.IsLoopback() || g.Trusted.Contains(a)
}

// splitURL splits an absolute URL ("https://host:port/path?q") or a
// request URI ("/path?q") without allocating. A URL with a scheme but no
// path gives "/".
func splitURL(s string) (scheme, host, uri string) {
	if strings.HasPrefix(s, "/") {
		return "", "", s
	}
	i := strings.Index(s, "://")
	if i <= 0 {
		return "", "", "/" + s
	}
	scheme = strings.ToLower(s[:i])
	if scheme != "http" && scheme != "https" {
		scheme = ""
	}
	rest := s[i+3:]
	host, uri = rest, "/"
	if j := strings.IndexAny(rest, "/?#"); j >= 0 {
		host, uri = rest[:j], rest[j:]
		if uri[0] != '/' {
			uri = "/" + uri
		}
	}
	if k := strings.LastIndexByte(host, '@'); k >= 0 { // userinfo is never part of the host
		host = host[k+1:]
	}
	return scheme, host, uri
}

func requestScheme(r *http.Request) string {
	if r.TLS != nil {
		return "https"
	}
	return "http"
}
