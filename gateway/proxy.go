package gateway

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"strings"
	"time"

	"github.com/authgate/authgate/httpx"
	"github.com/authgate/authgate/identity"
	"github.com/authgate/authgate/policy"
)

// ownPrefixes are authgate's own paths; the proxy never forwards them.
var ownPrefixes = []string{"/api/auth/", "/.well-known/"}

var ownPaths = []string{"/api/auth", "/.well-known", "/healthz", "/readyz", "/metrics"}

// IsOwnPath reports whether path belongs to authgate itself (/api/auth/**,
// /.well-known/**, /healthz, /readyz, /metrics), after the same
// normalization as the policy's, so "//api/auth/x" and "/x/../metrics"
// count too.
func IsOwnPath(path string) bool {
	p := cleanForOwn(path)
	for _, own := range ownPaths {
		if p == own {
			return true
		}
	}
	for _, pre := range ownPrefixes {
		if strings.HasPrefix(p, pre) {
			return true
		}
	}
	return false
}

// proxyKey carries the decision from ServeProxy to the Rewrite hook.
type proxyKey struct{}

type proxyState struct {
	d     Decision
	start time.Time
}

// ServeProxy decides the request and, if allowed, proxies it to the
// upstream with the identity headers set. authgate's own paths and a
// Gateway without Upstream answer 404.
func (g *Gateway) ServeProxy(w http.ResponseWriter, r *http.Request) {
	g.mustBeReady()
	if g.proxy == nil || IsOwnPath(r.URL.Path) {
		httpx.Error(w, r, g.Log, identity.Errorf(identity.ENOTFOUND, "Not found."))
		return
	}
	start := time.Now()
	st := &proxyState{}
	st.d = g.decideProxy(r)
	g.metrics.duration[doorProxy].Observe(time.Since(start).Seconds())
	g.metrics.count(doorProxy, &st.d)
	if !st.d.Allowed() {
		mode := signInNone
		if r.Method == http.MethodGet || r.Method == http.MethodHead {
			mode = signInRedirect
		}
		g.deny(w, r, doorProxy, &st.d, mode)
		return
	}
	st.start = time.Now()
	out := r.WithContext(context.WithValue(r.Context(), proxyKey{}, st))
	if upgradesToH2C(r.Header) {
		// Tunneled, an h2c upgrade lets the client send the upstream any
		// number of HTTP/2 requests that are never decided and carry
		// whatever identity headers the client likes (h2c smuggling). The
		// request goes on as plain HTTP/1.1, as the client must accept.
		out.Header = r.Header.Clone()
		out.Header.Del("Upgrade")
		out.Header.Del("Http2-Settings")
	}
	g.proxy.ServeHTTP(w, out)
}

// upgradesToH2C reports whether any Upgrade header names h2c.
func upgradesToH2C(h http.Header) bool {
	for _, v := range h["Upgrade"] {
		for v != "" {
			var tok string
			tok, v, _ = strings.Cut(v, ",")
			if strings.EqualFold(strings.TrimSpace(tok), "h2c") {
				return true
			}
		}
	}
	return false
}

// proxyOriginal is the request itself: in sidecar mode authgate sees the
// client's request (possibly through a trusted load balancer).
func (g *Gateway) proxyOriginal(r *http.Request) OriginalRequest {
	o := OriginalRequest{Method: r.Method, Scheme: requestScheme(r), Host: r.Host, Path: r.URL.EscapedPath(), Query: r.URL.RawQuery}
	if g.Trusted.IsTrusted(r) {
		if v := r.Header.Get("X-Forwarded-Proto"); v == "http" || v == "https" {
			o.Scheme = v
		}
	}
	return o
}

// rewriteURLHeaders name the path some applications route by instead of
// the request line's (Zend Framework, Symfony before CVE-2018-14773, IIS
// URL Rewrite). They are passed on to the upstream, so their paths are
// decided too.
var rewriteURLHeaders = [...]string{"X-Original-Url", "X-Rewrite-Url"}

// decideProxy decides a sidecar request, under the request line's path and
// under the path of any rewriteURLHeaders. A trusted proxy's X-Forwarded-Host
// is passed on to the application (see rewrite), which may route by it
// rather than by Host: every host it names (a comma-separated list, as
// proxy chains write it) is decided too, and the stricter decision kept, so
// a rule for the Host cannot let the request reach another host.
func (g *Gateway) decideProxy(r *http.Request) Decision {
	orig := g.proxyOriginal(r)
	p, verr := g.authenticate(r)
	pol := g.Policy.Current()
	d := g.decideOriginal(pol, r.Header, orig, p, verr)
	for _, k := range rewriteURLHeaders {
		for _, v := range r.Header[k] {
			alt := orig
			_, _, alt.Path = splitURL(strings.TrimSpace(v))
			if a := g.decideOriginal(pol, r.Header, alt, p, verr); stricter(&a, &d) {
				a.Original = orig // the back-link stays the request's own URL
				d = a
			}
		}
	}
	fh := r.Header.Get("X-Forwarded-Host") // the value rewrite passes on
	if fh == "" || !g.Trusted.IsTrusted(r) {
		return d
	}
	for fh != "" {
		var h string
		h, fh, _ = strings.Cut(fh, ",")
		if h = strings.TrimSpace(h); h == "" || h == orig.Host {
			continue
		}
		alt := orig
		alt.Host = h
		if a := g.decideOriginal(pol, r.Header, alt, p, verr); stricter(&a, &d) {
			d = a
		}
	}
	return d
}

func (g *Gateway) newProxy() *httputil.ReverseProxy {
	transport := g.Transport
	if transport == nil {
		transport = g.newTransport()
	}
	return &httputil.ReverseProxy{
		Rewrite:        g.rewrite,
		Transport:      transport,
		FlushInterval:  g.FlushInterval,
		ErrorHandler:   g.proxyError,
		ModifyResponse: g.upstreamResponded,
		ErrorLog:       slog.NewLogLogger(g.logHandler(), slog.LevelWarn),
	}
}

func (g *Gateway) logHandler() slog.Handler {
	if g.Log == nil {
		return slog.DiscardHandler
	}
	return g.Log.Handler()
}

func (g *Gateway) newTransport() *http.Transport {
	dial, header, idle, perHost := g.DialTimeout, g.ResponseHeaderTimeout, g.IdleConnTimeout, g.MaxIdleConnsPerHost
	if dial == 0 {
		dial = DefaultDialTimeout
	}
	if header == 0 {
		header = DefaultResponseHeaderTimeout
	}
	if idle == 0 {
		idle = DefaultIdleConnTimeout
	}
	if perHost <= 0 {
		perHost = DefaultMaxIdleConnsPerHost
	}
	d := &net.Dialer{Timeout: dial, KeepAlive: 30 * time.Second}
	return &http.Transport{
		Proxy:                 nil, // never an environment proxy between a sidecar and its app
		DialContext:           d.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          0,
		MaxIdleConnsPerHost:   perHost,
		IdleConnTimeout:       idle,
		TLSHandshakeTimeout:   dial,
		ResponseHeaderTimeout: header,
		ExpectContinueTimeout: time.Second,
	}
}

// rewrite builds the upstream request: client identity headers out (every
// case and '_' variant, on every path), authgate's cookie out, forwarding
// headers set (the client's kept only from a trusted proxy), then the
// verified identity in.
func (g *Gateway) rewrite(pr *httputil.ProxyRequest) {
	pr.SetURL(g.Upstream)
	pr.Out.Host = pr.In.Host // the app sees the host the client asked for

	out := pr.Out.Header
	g.hdr.stripIdentity(out)
	stripCookie(out, g.CookieName)

	trusted := g.Trusted.IsTrusted(pr.In)
	if trusted {
		if prior, ok := pr.In.Header["X-Forwarded-For"]; ok {
			out["X-Forwarded-For"] = prior
		}
	} else {
		out.Del("X-Real-Ip")
	}
	pr.SetXForwarded()
	if trusted {
		for _, k := range []string{"X-Forwarded-Host", "X-Forwarded-Proto"} {
			if v := pr.In.Header.Get(k); v != "" {
				out.Set(k, v)
			}
		}
	}

	if st, ok := pr.In.Context().Value(proxyKey{}).(*proxyState); ok && st.d.Principal != nil {
		g.hdr.setIdentity(out, st.d.Principal, false)
	}
}

func (g *Gateway) upstreamResponded(resp *http.Response) error {
	if st, ok := resp.Request.Context().Value(proxyKey{}).(*proxyState); ok {
		g.metrics.upstream.Observe(time.Since(st.start).Seconds())
	}
	return nil
}

// proxyError answers a failed upstream request: 504 for a timeout (dial or
// response headers), 502 for anything else, nothing for a client that went
// away.
func (g *Gateway) proxyError(w http.ResponseWriter, r *http.Request, err error) {
	kind := classifyUpstreamError(r, err)
	g.metrics.upstreamErr[kind].Inc()
	switch kind {
	case UpstreamErrCanceled:
		// The client is gone; there is nobody to answer. 499 is what nginx
		// logs for it.
		w.WriteHeader(499)
		return
	case UpstreamErrTimeout:
		g.Log.WarnContext(r.Context(), "upstream timed out", "upstream", g.Upstream.Host, "path", r.URL.Path, "err", err)
		httpx.Error(w, r, nil, identity.Errorf(identity.EGATEWAYTIMEOUT, "The application did not answer in time."))
	default:
		g.Log.WarnContext(r.Context(), "upstream unreachable", "upstream", g.Upstream.Host, "path", r.URL.Path, "kind", kind, "err", err)
		httpx.Error(w, r, nil, identity.Errorf(identity.EBADGATEWAY, "The application is not reachable."))
	}
}

func classifyUpstreamError(r *http.Request, err error) string {
	if errors.Is(err, context.Canceled) && r.Context().Err() != nil {
		return UpstreamErrCanceled
	}
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
		return UpstreamErrTimeout
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return UpstreamErrDial
	}
	return UpstreamErrOther
}

// cleanForOwn normalizes a path enough to recognise authgate's own paths
// behind dot segments, doubled slashes and escapes.
func cleanForOwn(p string) string {
	if strings.ContainsAny(p, "%\\") || strings.Contains(p, "//") || strings.Contains(p, "/.") {
		return policy.NormalizePath(p)
	}
	return p
}
