package gateway

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/authgate/authgate/identity"
)

// headerKeys are the identity header names, canonical, prepared once.
type headerKeys struct {
	userID, email, emailVerified, roles, name string
	// folded are the names lower-cased with '_' read as '-', for matching
	// client-sent variants.
	folded [5]string
}

func newHeaderKeys(h HeaderNames) (headerKeys, error) {
	def := DefaultHeaderNames()
	pick := func(v, d string) string {
		if v == "" {
			return d
		}
		return v
	}
	names := [5]string{
		pick(h.UserID, def.UserID), pick(h.Email, def.Email), pick(h.EmailVerified, def.EmailVerified),
		pick(h.Roles, def.Roles), pick(h.Name, def.Name),
	}
	var k headerKeys
	seen := map[string]bool{}
	for i, n := range names {
		if !validToken(n) {
			return k, fmt.Errorf("gateway: identity header name %q is not a valid header name", n)
		}
		names[i] = http.CanonicalHeaderKey(n)
		f := foldName(n)
		if seen[f] {
			return k, fmt.Errorf("gateway: identity header name %q is used twice", n)
		}
		seen[f] = true
		switch f {
		case "authorization", "cookie", "host", "content-length", "transfer-encoding", "connection", "upgrade":
			return k, fmt.Errorf("gateway: %q cannot be an identity header", n)
		}
		k.folded[i] = f
	}
	k.userID, k.email, k.emailVerified, k.roles, k.name = names[0], names[1], names[2], names[3], names[4]
	return k, nil
}

func foldName(s string) string {
	return strings.ReplaceAll(strings.ToLower(s), "_", "-")
}

// isIdentity reports whether a header name is, ignoring case and reading
// '_' as '-', one of the identity headers. It does not allocate.
func (k *headerKeys) isIdentity(name string) bool {
	for _, f := range k.folded {
		if len(f) == len(name) && foldEqual(f, name) {
			return true
		}
	}
	return false
}

func foldEqual(folded, s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '_':
			c = '-'
		case c >= 'A' && c <= 'Z':
			c += 'a' - 'A'
		}
		if c != folded[i] {
			return false
		}
	}
	return true
}

// stripIdentity deletes every header that is an identity header in any
// letter case or with '_' for '-'.
func (k *headerKeys) stripIdentity(h http.Header) {
	for name := range h {
		if k.isIdentity(name) {
			delete(h, name)
		}
	}
}

// setIdentity sets the identity headers for p (p must not be nil), and
// Cache-Control: no-store with noStore, with one allocation for the values'
// backing array (plus the roles join).
func (k *headerKeys) setIdentity(h http.Header, p *identity.Principal, noStore bool) {
	vals := make([]string, 6)
	vals[0] = headerValue(p.UID)
	vals[1] = headerValue(p.Email)
	if p.EmailVerified {
		vals[2] = "true"
	} else {
		vals[2] = "false"
	}
	switch len(p.Roles) {
	case 0:
		vals[3] = ""
	case 1:
		vals[3] = headerValue(p.Roles[0])
	default:
		vals[3] = headerValue(strings.Join(p.Roles, ","))
	}
	vals[4] = headerValue(p.Name)
	h[k.userID] = vals[0:1:1]
	h[k.email] = vals[1:2:2]
	h[k.emailVerified] = vals[2:3:3]
	h[k.roles] = vals[3:4:4]
	h[k.name] = vals[4:5:5]
	if noStore {
		vals[5] = "no-store"
		h["Cache-Control"] = vals[5:6:6]
	}
}

// headerValue drops control characters (CR, LF, NUL, ...) that a token's
// claims could carry into a header, without allocating for clean values.
func headerValue(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < ' ' || c == 0x7f {
			return strings.Map(func(r rune) rune {
				if r < ' ' || r == 0x7f {
					return -1
				}
				return r
			}, s)
		}
	}
	return s
}

// cookieValue returns the value of the named cookie from the Cookie
// headers without allocating ("" when absent).
func cookieValue(h http.Header, name string) string {
	if name == "" {
		return ""
	}
	for _, line := range h["Cookie"] {
		for line != "" {
			var part string
			part, line, _ = strings.Cut(line, ";")
			part = strings.TrimSpace(part)
			n, v, ok := strings.Cut(part, "=")
			if !ok || n != name {
				continue
			}
			if len(v) > 1 && v[0] == '"' && v[len(v)-1] == '"' {
				v = v[1 : len(v)-1]
			}
			return v
		}
	}
	return ""
}

// stripCookie removes the named cookie from every Cookie header, keeping
// the others; a Cookie header left empty is deleted.
func stripCookie(h http.Header, name string) {
	lines, ok := h["Cookie"]
	if !ok || name == "" {
		return
	}
	found := false
	for _, line := range lines {
		if strings.Contains(line, name) {
			found = true
			break
		}
	}
	if !found {
		return
	}
	var kept []string
	for _, line := range lines {
		for _, part := range strings.Split(line, ";") {
			part = strings.TrimSpace(part)
			if part == "" {
				continue
			}
			if n, _, _ := strings.Cut(part, "="); strings.TrimSpace(n) == name {
				continue
			}
			kept = append(kept, part)
		}
	}
	if len(kept) == 0 {
		delete(h, "Cookie")
		return
	}
	h["Cookie"] = []string{strings.Join(kept, "; ")}
}
