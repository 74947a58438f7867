package gateway

import (
	"net/http"
	"net/netip"
	"strings"
)

// SignInURLHeader is the header of a forward-auth 401 that tells an
// nginx-style caller where to send a browser: the sign-in URL with the rd
// back-link already encoded. nginx auth_request treats a 3xx from authgate
// as an error, and nginx has no way to URL-encode the back-link itself, so
// the nginx example copies this header with auth_request_set and answers
// the 401 with "return 302 $authgate_signin" (configs/nginx/authgate.conf).
const SignInURLHeader = "X-Authgate-Signin-Url"

// signInMode is how a refused browser request is pointed at the sign-in
// page.
type signInMode uint8

const (
	// signInNone: a plain 401 (API requests, sidecar methods other than
	// GET and HEAD).
	signInNone signInMode = iota
	// signInRedirect: 302 to the sign-in page (Traefik, Caddy, sidecar).
	signInRedirect
	// signInHeader: 401 carrying SignInURLHeader (nginx auth_request).
	signInHeader
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

// signInLocation is the configured sign-in URL with rd set to the original
// URL when the decision's original request was described by the caller
// (sidecar requests, forward-auth calls from a trusted proxy) and that URL
// is safe to come back to (an http(s) URL on a plain host name with an
// absolute path); otherwise without rd. rd is query-encoded here, so any
// '&', '+', '#' or '%' of the original URL survives the trip. The sign-in
// page must still check rd against its allowed hosts before following it.
//
// The result is built only from the sign-in URL validated by Provision and
// the encoded rd: an absolute http(s) URL or a root-relative path, safe to
// send as a Location.
func (g *Gateway) signInLocation(d *Decision) string {
	u := *g.signIn
	if !d.undescribed {
		if rd, ok := backLink(d.Original); ok {
			q := u.Query()
			q.Set("rd", rd)
			u.RawQuery = q.Encode()
		}
	}
	return u.String()
}

// redirectToSignIn answers 302 to signInLocation.
func (g *Gateway) redirectToSignIn(w http.ResponseWriter, d *Decision) {
	h := w.Header()
	h.Set("Location", g.signInLocation(d))
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusFound)
}

// backLink builds the URL to return to after sign-in from the original
// request, refusing anything that could be read as another host or that
// the sign-in page's check would refuse anyway: a path not starting with a
// single '/', and backslashes, '#', whitespace, control or non-ASCII bytes
// or a '%' without two hex digits anywhere in the path or query.
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
	if p[0] != '/' || strings.HasPrefix(p, "//") || !safeURIPart(p) {
		return "", false
	}
	if o.Query != "" {
		if !safeURIPart(o.Query) {
			return "", false
		}
		p += "?" + o.Query
	}
	return o.Scheme + "://" + o.Host + p, true
}

// safeURIPart accepts printable ASCII other than backslash and '#', with every
// '%' starting a valid escape.
func safeURIPart(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c <= ' ' || c >= 0x7f || c == '\\' || c == '#':
			return false
		case c == '%':
			if i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
				return false
			}
		}
	}
	return true
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// safeHost accepts a host name or IPv4 address (letters, digits, '.' and
// '-'), or a bracketed IPv6 address, either with an optional numeric port.
func safeHost(h string) bool {
	name, port := h, ""
	if strings.HasPrefix(h, "[") {
		end := strings.IndexByte(h, ']')
		if end < 0 {
			return false
		}
		ip, err := netip.ParseAddr(h[1:end])
		if err != nil || !ip.Is6() || ip.Zone() != "" {
			return false
		}
		rest := h[end+1:]
		if rest == "" {
			return true
		}
		if rest[0] != ':' {
			return false
		}
		return validPort(rest[1:])
	}
	if i := strings.IndexByte(h, ':'); i >= 0 {
		name, port = h[:i], h[i+1:]
		if !validPort(port) {
			return false
		}
	}
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case c == '.' || c == '-':
		default:
			return false
		}
	}
	return true
}

// validPort accepts 1 to 5 digits.
func validPort(p string) bool {
	if p == "" || len(p) > 5 {
		return false
	}
	for i := 0; i < len(p); i++ {
		if p[i] < '0' || p[i] > '9' {
			return false
		}
	}
	return true
}
