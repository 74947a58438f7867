package httpx

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// TrustedProxies is a set of CIDRs whose forwarding headers are believed.
// The zero value trusts nobody.
type TrustedProxies struct {
	prefixes []netip.Prefix
}

// ParseTrustedProxies parses comma- or space-separated CIDRs or addresses.
func ParseTrustedProxies(s string) (TrustedProxies, error) {
	var tp TrustedProxies
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' }) {
		if !strings.Contains(f, "/") {
			a, err := netip.ParseAddr(f)
			if err != nil {
				return tp, fmt.Errorf("trusted proxies: %q is not an address or CIDR", f)
			}
			tp.prefixes = append(tp.prefixes, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
			continue
		}
		p, err := netip.ParsePrefix(f)
		if err != nil {
			return tp, fmt.Errorf("trusted proxies: %q is not a CIDR", f)
		}
		p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()).Masked()
		tp.prefixes = append(tp.prefixes, p)
	}
	return tp, nil
}

// Contains reports whether addr is a trusted proxy.
func (tp TrustedProxies) Contains(addr netip.Addr) bool {
	addr = addr.Unmap()
	for _, p := range tp.prefixes {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

// Empty reports whether no proxy is trusted.
func (tp TrustedProxies) Empty() bool { return len(tp.prefixes) == 0 }

// RemoteAddr returns the address of the TCP peer.
func RemoteAddr(r *http.Request) netip.Addr {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}
	}
	return a.Unmap()
}

// IsTrusted reports whether the request's TCP peer is a trusted proxy.
func (tp TrustedProxies) IsTrusted(r *http.Request) bool { return tp.Contains(RemoteAddr(r)) }

// ClientIP returns the client's address: the TCP peer, unless the peer is a
// trusted proxy, in which case X-Forwarded-For is walked from the right,
// skipping trusted hops, and the first untrusted address is the client.
// A spoofed X-Forwarded-For from an untrusted peer is never believed.
func (tp TrustedProxies) ClientIP(r *http.Request) netip.Addr {
	peer := RemoteAddr(r)
	if !tp.Contains(peer) {
		return peer
	}
	var hops []string
	for _, v := range r.Header.Values("X-Forwarded-For") {
		hops = append(hops, strings.Split(v, ",")...)
	}
	if len(hops) == 0 {
		if xr := strings.TrimSpace(r.Header.Get("X-Real-Ip")); xr != "" {
			if a, err := netip.ParseAddr(xr); err == nil {
				return a.Unmap()
			}
		}
		return peer
	}
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			return peer // a garbled hop: stop believing the header
		}
		a = a.Unmap()
		if !tp.Contains(a) {
			return a
		}
		peer = a
	}
	return peer
}

// BearerToken extracts the token of an "Authorization: Bearer <token>"
// header. The scheme is case-insensitive; anything else gives "".
func BearerToken(r *http.Request) string {
	h := r.Header.Get("Authorization")
	const prefix = "bearer "
	if len(h) <= len(prefix) || !strings.EqualFold(h[:len(prefix)], prefix) {
		return ""
	}
	tok := strings.TrimSpace(h[len(prefix):])
	if tok == "" || strings.ContainsAny(tok, " \t\r\n") {
		return ""
	}
	return tok
}
