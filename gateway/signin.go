package gateway

import (
	"net/http"
	"strings"
)

// wantsHTML reports whether the client is a browser navigating (Accept
// names text/html).
func wantsHTML(r *http.Request) bool {
	for _, a := range r.Header["Accept"] {
		if strings.Contains(a, "text/html") {
			return true
		}
	}
	return false
}

// redirectToSignIn answers 302 to the sign-in page with rd set to the
// original URL when that URL is safe to come back to (an http(s) URL on a
// plain host name with an absolute path); otherwise without rd. The sign-in
// page must still check rd against its allowed hosts before following it.
func (g *Gateway) redirectToSignIn(w http.ResponseWriter, d *Decision) {
	u := *g.signIn
	if rd, ok := backLink(d.Original); ok {
		q := u.Query()
		q.Set("rd", rd)
		u.RawQuery = q.Encode()
	}
	h := w.Header()
	h.Set("Location", u.String())
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusFound)
}

// backLink builds the URL to return to after sign-in from the original
// request, refusing anything that could be read as another host.
func backLink(o OriginalRequest) (string, bool) {
	if o.Scheme != "http" && o.Scheme != "https" {
		return "", false
	}
	if o.Host == "" || !safeHost(o.Host) {
		return "", false
	}
	p := o.Path
	if p == "" {
		p = "/"
	}
	if p[0] != '/' || strings.HasPrefix(p, "//") || strings.HasPrefix(p, "/\\") || strings.ContainsAny(p, "\\\r\n\t ") {
		return "", false
	}
	if o.Query != "" {
		if strings.ContainsAny(o.Query, "#\r\n") {
			return "", false
		}
		p += "?" + o.Query
	}
	return o.Scheme + "://" + o.Host + p, true
}

// safeHost accepts host names, IPv4, bracketed IPv6 and a port.
func safeHost(h string) bool {
	for i := 0; i < len(h); i++ {
		c := h[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case c == '.' || c == '-' || c == ':' || c == '[' || c == ']':
		default:
			return false
		}
	}
	return true
}
