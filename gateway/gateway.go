package gateway

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/authgate/authgate/httpx"
	"github.com/authgate/authgate/identity"
	"github.com/authgate/authgate/policy"
)

// ForwardAuthPath is where the forward-auth endpoint is mounted.
const ForwardAuthPath = "/api/auth/forward-auth"

// Defaults for the upstream transport of sidecar mode.
const (
	DefaultDialTimeout           = 5 * time.Second
	DefaultResponseHeaderTimeout = 30 * time.Second
	DefaultIdleConnTimeout       = 90 * time.Second
	DefaultMaxIdleConnsPerHost   = 256
	DefaultDenialLogSample       = 100
)

// HeaderNames are the identity headers the gateway sets (forward-auth
// response headers; proxied request headers in sidecar mode). Empty fields
// take the defaults.
type HeaderNames struct {
	UserID        string // X-User-Id
	Email         string // X-User-Email
	EmailVerified string // X-User-Email-Verified ("true"/"false")
	Roles         string // X-User-Roles, comma-separated, empty for none
	Name          string // X-User-Name
}

// DefaultHeaderNames returns the contract's default header names.
func DefaultHeaderNames() HeaderNames {
	return HeaderNames{
		UserID:        "X-User-Id",
		Email:         "X-User-Email",
		EmailVerified: "X-User-Email-Verified",
		Roles:         "X-User-Roles",
		Name:          "X-User-Name",
	}
}

// Gateway is the forward-auth endpoint and the sidecar proxy. Set the
// fields, call Provision once, then serve. The fields must not change after
// Provision.
type Gateway struct {
	// Verifier turns a credential into a Principal (required). It should be
	// the cached, revocation-aware chain: it runs on every request.
	Verifier identity.Verifier
	// Policy gives the rules in force; nil means the empty policy (every
	// route needs an authenticated user).
	Policy policy.Source
	// Trusted are the proxies whose X-Forwarded-* headers are believed. The
	// forward-auth endpoint also believes its forward-auth headers from
	// loopback callers.
	Trusted httpx.TrustedProxies
	// Headers names the identity headers; zero fields take the defaults.
	Headers HeaderNames
	// CookieName is authgate's session cookie: accepted as a credential when
	// there is no Bearer token, and never passed on to the upstream.
	CookieName string
	// SignInURL, when set, sends browsers (Accept: text/html) that need to
	// sign in there with a 302 and an rd back-link instead of a 401, except
	// nginx-style forward-auth callers, which treat a 3xx as an error: their
	// 401 carries the same URL in SignInURLHeader.
	SignInURL string

	// Upstream enables sidecar mode: allowed requests are proxied there.
	Upstream *url.URL
	// DialTimeout, ResponseHeaderTimeout and IdleConnTimeout bound the
	// upstream connection (defaults 5s, 30s, 90s). A dial or header timeout
	// answers 504.
	DialTimeout           time.Duration
	ResponseHeaderTimeout time.Duration
	IdleConnTimeout       time.Duration
	// MaxIdleConnsPerHost keeps upstream connections warm (default 256).
	MaxIdleConnsPerHost int
	// FlushInterval is passed to httputil.ReverseProxy. Zero flushes
	// streaming responses (text/event-stream, unknown length) at once and
	// buffers the rest; -1 flushes after every write.
	FlushInterval time.Duration
	// Transport replaces the upstream transport built from the timeouts.
	Transport http.RoundTripper

	// Log receives warnings and errors; denials are logged at debug level,
	// one in DenialLogSample (default 100). Nil discards.
	Log             *slog.Logger
	DenialLogSample uint64
	// Registerer registers the gateway's metrics; nil registers nowhere.
	Registerer prometheus.Registerer
	// Audit, when set, is told about every denial. It runs on the request's
	// goroutine: it must be cheap and must not block (count, sample or
	// enqueue; never a database write per denial).
	Audit AuditHook

	hdr     headerKeys
	signIn  *url.URL
	proxy   *httputil.ReverseProxy
	metrics *metrics
	denials atomic.Uint64
	ready   bool
}

// Provision validates the configuration, fills in defaults, registers the
// metrics and builds the proxy. Every problem is reported at once.
func (g *Gateway) Provision() error {
	var errs []error
	if g.Verifier == nil {
		errs = append(errs, errors.New("gateway: Verifier is required"))
	}
	if g.Policy == nil {
		g.Policy = policy.Static{}
	}
	if g.Log == nil {
		g.Log = slog.New(slog.DiscardHandler)
	}
	if g.DenialLogSample == 0 {
		g.DenialLogSample = DefaultDenialLogSample
	}
	hk, err := newHeaderKeys(g.Headers)
	if err != nil {
		errs = append(errs, err)
	}
	g.hdr = hk
	if g.CookieName != "" && !validToken(g.CookieName) {
		errs = append(errs, fmt.Errorf("gateway: cookie name %q is not a valid cookie name", g.CookieName))
	}
	if g.SignInURL != "" {
		u, err := url.Parse(g.SignInURL)
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("gateway: sign-in URL: %w", err))
		case u.IsAbs() && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "":
			g.signIn = u
		case !u.IsAbs() && u.Host == "" && strings.HasPrefix(u.Path, "/") && !strings.HasPrefix(u.Path, "//"):
			g.signIn = u
		default:
			errs = append(errs, fmt.Errorf("gateway: sign-in URL %q must be an http(s) URL or an absolute path", g.SignInURL))
		}
	}
	for name, d := range map[string]time.Duration{"dial timeout": g.DialTimeout,
		"response header timeout": g.ResponseHeaderTimeout, "idle connection timeout": g.IdleConnTimeout} {
		if d < 0 {
			errs = append(errs, fmt.Errorf("gateway: %s must not be negative", name))
		}
	}
	if g.Upstream != nil {
		if (g.Upstream.Scheme != "http" && g.Upstream.Scheme != "https") || g.Upstream.Host == "" {
			errs = append(errs, fmt.Errorf("gateway: upstream %q must be an http(s) URL with a host", g.Upstream.Redacted()))
		} else {
			g.proxy = g.newProxy()
		}
	}
	m, err := newMetrics(g.Registerer)
	if err != nil {
		errs = append(errs, err)
	}
	g.metrics = m
	if err := errors.Join(errs...); err != nil {
		return err
	}
	g.ready = true
	return nil
}

// ServeHTTP serves the forward-auth endpoint at ForwardAuthPath and, in
// sidecar mode, proxies every other path outside authgate's own.
func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == ForwardAuthPath {
		g.ServeForwardAuth(w, r)
		return
	}
	g.ServeProxy(w, r)
}

func (g *Gateway) mustBeReady() {
	if !g.ready {
		panic("gateway: Provision was not called (or failed)")
	}
}

// validToken reports whether s is an RFC 7230 token (header or cookie name).
func validToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte("\"(),/:;<=>?@[\\]{}", c) >= 0 {
			return false
		}
	}
	return true
}
