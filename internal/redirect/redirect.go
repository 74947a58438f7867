// Package redirect decides which back-links ("rd") a sign-in page may send
// a browser to after it has set the session cookie.
//
// An open redirect on a sign-in page is a phishing tool: the victim sees the
// real sign-in page and is then sent wherever the link said. A Policy
// therefore accepts only absolute http(s) URLs (or absolute paths on the
// public URL) whose host is the public URL's host or matches an allow-list
// pattern, and refuses everything a browser might read differently from a
// URL parser: protocol-relative and backslash tricks (//evil, /\evil),
// userinfo (https://good@evil), percent-encoded or non-ASCII host names,
// control characters, whitespace and backslashes anywhere, other schemes
// (javascript:, data:).
package redirect

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
)

// MaxLength bounds an accepted back-link, in bytes.
const MaxLength = 4096

// Policy checks back-links. Make one with New; the zero value accepts
// nothing. A Policy is safe for concurrent use.
type Policy struct {
	base     *url.URL
	patterns []pattern
}

// pattern is one allowed host: an exact host name or, with wildcard, every
// sub-domain of suffix (".example.com"); port "" matches any port.
type pattern struct {
	host     string // exact lower-case host name, or the suffix with its leading dot
	wildcard bool
	port     string
}

// New returns a Policy that accepts the host of base (an absolute http(s)
// URL, usually the public URL; any port) and the host patterns. A pattern
// is a host name ("app.example.com"), "*." and a domain
// ("*.example.com": every sub-domain, not the domain itself), or either
// with ":port" to accept only that port. Host names compare
// case-insensitively.
func New(base *url.URL, patterns []string) (*Policy, error) {
	if base == nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return nil, errors.New("redirect: the base URL must be an absolute http(s) URL")
	}
	p := &Policy{base: base}
	h := strings.ToLower(base.Hostname())
	if ip := net.ParseIP(h); ip != nil && strings.Contains(h, ":") {
		h = ip.String()
	}
	p.patterns = append(p.patterns, pattern{host: h})
	for _, s := range patterns {
		pt, err := parsePattern(s)
		if err != nil {
			return nil, err
		}
		p.patterns = append(p.patterns, pt)
	}
	return p, nil
}

// ParseHosts splits a comma-separated list of host patterns (the
// AUTHGATE_REDIRECT_HOSTS setting), dropping blanks, and checks each.
func ParseHosts(csv string) ([]string, error) {
	var out []string
	for _, s := range strings.Split(csv, ",") {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if _, err := parsePattern(s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

func parsePattern(s string) (pattern, error) {
	bad := func(why string) (pattern, error) {
		return pattern{}, fmt.Errorf("redirect: host pattern %q %s", s, why)
	}
	var pt pattern
	host := strings.ToLower(s)
	if i := strings.LastIndexByte(host, ':'); i >= 0 && !strings.HasSuffix(host, "]") {
		pt.port = host[i+1:]
		host = host[:i]
		if !validPort(pt.port) {
			return bad("has an invalid port")
		}
	}
	if rest, ok := strings.CutPrefix(host, "*."); ok {
		pt.wildcard = true
		host = rest
		if !strings.Contains(host, ".") {
			return bad("must name a domain with at least two labels after *. (e.g. *.example.com)")
		}
	}
	if strings.HasPrefix(host, "[") && strings.HasSuffix(host, "]") && !pt.wildcard {
		ip := net.ParseIP(host[1 : len(host)-1])
		if ip == nil || ip.To4() != nil {
			return bad("is not a valid IPv6 address")
		}
		pt.host = ip.String()
		return pt, nil
	}
	if !validHostName(host) {
		return bad("is not a host name, *.domain or either with :port")
	}
	if pt.wildcard {
		pt.host = "." + host
	} else {
		pt.host = host
	}
	return pt, nil
}

// Check returns the back-link raw as a clean absolute URL when the policy
// accepts it. An absolute path ("/account") is taken relative to the base
// URL. Everything else, including the empty string, is refused.
func (p *Policy) Check(raw string) (string, bool) {
	if p == nil || p.base == nil || raw == "" || len(raw) > MaxLength {
		return "", false
	}
	for i := 0; i < len(raw); i++ {
		if c := raw[i]; c <= ' ' || c == 0x7f || c == '\\' || c >= 0x80 {
			return "", false
		}
	}
	if raw[0] == '/' {
		if len(raw) > 1 && (raw[1] == '/' || raw[1] == '\\') {
			return "", false
		}
		return p.checkURL(p.base.Scheme + "://" + p.base.Host + raw)
	}
	return p.checkURL(raw)
}

func (p *Policy) checkURL(raw string) (string, bool) {
	scheme, rest, ok := strings.Cut(raw, "://")
	if !ok {
		return "", false
	}
	scheme = strings.ToLower(scheme)
	if scheme != "http" && scheme != "https" {
		return "", false
	}
	// The authority as the browser sees it: up to the first / ? or #. Only
	// host-name characters: no userinfo (@), no percent-encoding.
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	authority := rest[:end]
	if authority == "" || !safeAuthority(authority) {
		return "", false
	}
	u, err := url.Parse(scheme + "://" + rest)
	if err != nil || u.User != nil || u.Opaque != "" || u.Host != authority {
		return "", false
	}
	host, port := strings.ToLower(u.Hostname()), u.Port()
	if host == "" || (u.Port() == "" && strings.HasSuffix(authority, ":")) {
		return "", false
	}
	if strings.HasPrefix(authority, "[") {
		ip := net.ParseIP(host)
		if ip == nil || ip.To4() != nil {
			return "", false
		}
		host = ip.String()
	} else if !validHostName(host) {
		return "", false
	}
	if port != "" && !validPort(port) {
		return "", false
	}
	if !p.allowed(host, port) {
		return "", false
	}
	path := u.EscapedPath()
	if path == "" {
		path = "/"
	}
	if strings.HasPrefix(path, "//") {
		return "", false
	}
	out := scheme + "://" + u.Host + path
	if u.RawQuery != "" {
		out += "?" + u.RawQuery
	}
	if u.Fragment != "" {
		out += "#" + u.EscapedFragment()
	}
	if len(out) > MaxLength {
		return "", false
	}
	return out, true
}

func (p *Policy) allowed(host, port string) bool {
	for _, pt := range p.patterns {
		if pt.port != "" && pt.port != port {
			continue
		}
		if pt.wildcard {
			if len(host) > len(pt.host) && strings.HasSuffix(host, pt.host) {
				return true
			}
		} else if host == pt.host {
			return true
		}
	}
	return false
}

// safeAuthority accepts the characters of a host name, an IPv4 address, a
// bracketed IPv6 address and a port.
func safeAuthority(a string) bool {
	for i := 0; i < len(a); i++ {
		c := a[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case c == '.' || c == '-' || c == ':' || c == '[' || c == ']':
		default:
			return false
		}
	}
	return true
}

// validHostName accepts lower-case DNS names (and IPv4 addresses): labels of
// letters, digits and inner hyphens, no empty label, no trailing dot.
func validHostName(h string) bool {
	if h == "" || len(h) > 253 {
		return false
	}
	for _, label := range strings.Split(h, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}

func validPort(p string) bool {
	if p == "" || len(p) > 5 {
		return false
	}
	n := 0
	for i := 0; i < len(p); i++ {
		if p[i] < '0' || p[i] > '9' {
			return false
		}
		n = n*10 + int(p[i]-'0')
	}
	return n > 0 && n <= 65535
}
