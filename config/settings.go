package config

import (
	"fmt"
	"net"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/authgate/authgate/internal/redirect"
)

// setting describes one configuration value: its name (AUTHGATE_<Name> in
// the environment, lower-case in YAML, --lower-dashed as a flag), its
// default, a help line and how to parse it into Config.
type setting struct {
	Name    string
	Default string
	Help    string
	// Secret settings are never printed back.
	Secret bool
	Set    func(c *Config, v string) error
}

// settings lists every setting. Defaults that depend on other settings
// (DATABASE_URL on DATA_DIR) are filled in by finish.
var settings = append([]setting{
	{Name: "LISTEN", Default: ":8001", Help: "main listener: API, forward-auth, proxy, health", Set: func(c *Config, v string) error { c.Listen = v; return checkListen(v) }},
	{Name: "METRICS_LISTEN", Help: "when set, /metrics is served there instead of on the main listener", Set: func(c *Config, v string) error {
		c.MetricsListen = v
		if v == "" {
			return nil
		}
		return checkListen(v)
	}},
	{Name: "DATA_DIR", Default: "./data", Help: "directory of the SQLite file", Set: func(c *Config, v string) error {
		if v == "" {
			return fmt.Errorf("must not be empty")
		}
		c.DataDir = v
		return nil
	}},
	{Name: "DATABASE_URL", Help: "sqlite:PATH or postgres://… (default sqlite:<data dir>/auth.db)", Secret: true, Set: func(c *Config, v string) error {
		c.DatabaseURL = v
		if v == "" || strings.HasPrefix(v, "sqlite:") || strings.HasPrefix(v, "postgres://") || strings.HasPrefix(v, "postgresql://") {
			return nil
		}
		return fmt.Errorf("must start with sqlite: or postgres://")
	}},
	{Name: "REDIS_URL", Help: "redis://… for shared rate limits, revocations and cache invalidation across replicas", Secret: true, Set: func(c *Config, v string) error {
		c.RedisURL = v
		if v == "" || strings.HasPrefix(v, "redis://") || strings.HasPrefix(v, "rediss://") {
			return nil
		}
		return fmt.Errorf("must start with redis:// or rediss://")
	}},
	{Name: "PUBLIC_URL", Default: "http://localhost:8001", Help: "external base URL: token issuer (iss) and links in mail", Set: func(c *Config, v string) error {
		u, err := parseHTTPURL(v)
		if err != nil {
			return err
		}
		u.Path = strings.TrimRight(u.Path, "/")
		c.PublicURL = u
		return nil
	}},
	{Name: "PROVIDER", Default: "local", Help: "identity provider: local or firebase", Set: func(c *Config, v string) error {
		if v != "local" && v != "firebase" {
			return fmt.Errorf("must be local or firebase")
		}
		c.Provider = v
		return nil
	}},
	{Name: "FIREBASE_PROJECT_ID", Help: "Firebase project; its ID tokens are accepted whenever set", Set: func(c *Config, v string) error { c.FirebaseProjectID = v; return nil }},
	{Name: "FIREBASE_API_KEY", Help: "Web API key for Identity Toolkit REST calls (password sign-in)", Secret: true, Set: func(c *Config, v string) error { c.FirebaseAPIKey = v; return nil }},
	{Name: "FIREBASE_ALLOW_EMULATOR", Default: "false", Help: "allow FIREBASE_AUTH_EMULATOR_HOST with a project id that does not start with demo- (never in production)", Set: func(c *Config, v string) error { return setBool(&c.FirebaseAllowEmulator, v) }},
	{Name: "FIREBASE_CHECK_REVOKED", Default: "auto", Help: "check Firebase ID tokens for revocation, deletion and disabling (one Firebase call per uid, cached briefly); auto = on with AUTHGATE_PROVIDER=firebase, off otherwise (it needs service-account credentials)", Set: func(c *Config, v string) error {
		if v == "auto" {
			c.firebaseCheckRevokedAuto = true
			return nil
		}
		c.firebaseCheckRevokedAuto = false
		return setBool(&c.FirebaseCheckRevoked, v)
	}},
	{Name: "FIREBASE_TIMEOUT", Default: "10s", Help: "timeout of each call to Firebase", Set: func(c *Config, v string) error { return setDuration(&c.FirebaseTimeout, v, time.Millisecond) }},
	{Name: "UPSTREAM", Help: "sidecar mode: authorize and proxy every other path to this URL", Set: func(c *Config, v string) error {
		if v == "" {
			c.Upstream = nil
			return nil
		}
		u, err := parseHTTPURL(v)
		c.Upstream = u
		return err
	}},
	{Name: "UPSTREAM_DIAL_TIMEOUT", Default: "5s", Help: "sidecar mode: connect timeout to the upstream", Set: func(c *Config, v string) error { return setDuration(&c.UpstreamDialTimeout, v, time.Millisecond) }},
	{Name: "UPSTREAM_TIMEOUT", Default: "60s", Help: "sidecar mode: time to wait for the upstream's response headers (504 after)", Set: func(c *Config, v string) error { return setDuration(&c.UpstreamHeaderTimeout, v, time.Millisecond) }},
	{Name: "POLICY_FILE", Help: "YAML role rules; empty = every route needs an authenticated user", Set: func(c *Config, v string) error { c.PolicyFile = v; return nil }},
	{Name: "TRUSTED_PROXIES", Help: "CIDRs whose X-Forwarded-* and client IP headers are believed; empty = none", Set: func(c *Config, v string) error { c.TrustedProxies = v; return checkCIDRs(v) }},
	{Name: "SIGNIN_URL", Help: "where browsers are sent (302) by the forward-auth endpoint when not signed in, e.g. https://auth.example.com/api/auth/signin (the hosted sign-in page) or the path /api/auth/signin on the host the browser asked for; empty = 401", Set: func(c *Config, v string) error {
		c.SignInURL = v
		if v == "" {
			return nil
		}
		if strings.HasPrefix(v, "/") {
			// A path: the browser stays on the host it asked for (the
			// proxy's), which must route /api/auth/ to authgate.
			u, err := url.Parse(v)
			if err != nil || strings.HasPrefix(v, "//") || strings.ContainsAny(v, "\\ \t\r\n") || u.RawQuery != "" || u.Fragment != "" {
				return fmt.Errorf("must be an absolute http(s) URL or a path such as /api/auth/signin")
			}
			return nil
		}
		if _, err := parseHTTPURL(v); err != nil {
			return fmt.Errorf("must be an absolute http(s) URL or a path such as /api/auth/signin")
		}
		return nil
	}},
	{Name: "SMTP_URL", Help: "smtp://user:pass@host:port or smtps://…; empty = mail is written to the log", Secret: true, Set: func(c *Config, v string) error {
		c.SMTPURL = v
		if v == "" || strings.HasPrefix(v, "smtp://") || strings.HasPrefix(v, "smtps://") {
			return nil
		}
		return fmt.Errorf("must start with smtp:// or smtps://")
	}},
	{Name: "MAIL_FROM", Default: "authgate <no-reply@localhost>", Help: "From address of mail", Set: func(c *Config, v string) error { c.MailFrom = v; return nil }},
	{Name: "ACCESS_TTL", Default: "15m", Help: "access token lifetime", Set: func(c *Config, v string) error { return setDuration(&c.AccessTTL, v, time.Second) }},
	{Name: "REFRESH_TTL", Default: "720h", Help: "refresh token (session) lifetime", Set: func(c *Config, v string) error { return setDuration(&c.RefreshTTL, v, time.Second) }},
	{Name: "RESET_TTL", Default: "30m", Help: "lifetime of password reset links", Set: func(c *Config, v string) error { return setDuration(&c.ResetTTL, v, time.Second) }},
	{Name: "VERIFY_TTL", Default: "24h", Help: "lifetime of email verification links", Set: func(c *Config, v string) error { return setDuration(&c.VerifyTTL, v, time.Second) }},
	{Name: "AUDIENCE", Default: "authgate", Help: "aud of issued access tokens, required when verifying them", Set: func(c *Config, v string) error {
		if v == "" {
			return fmt.Errorf("must not be empty")
		}
		c.Audience = v
		return nil
	}},
	{Name: "SIGNING_KEY_FILE", Help: "PEM private key to sign with instead of the generated one", Set: func(c *Config, v string) error { c.SigningKeyFile = v; return nil }},
	{Name: "SIGNING_ALG", Default: "RS256", Help: "algorithm of the generated signing key: RS256, ES256 or EdDSA", Set: func(c *Config, v string) error {
		switch v {
		case "RS256", "ES256", "EdDSA":
			c.SigningAlg = v
			return nil
		}
		return fmt.Errorf("must be RS256, ES256 or EdDSA")
	}},
	{Name: "REQUIRE_EMAIL_VERIFICATION", Default: "false", Help: "refuse sign-in until the email address is verified", Set: func(c *Config, v string) error { return setBool(&c.RequireEmailVerification, v) }},
	{Name: "RATE_LIMITS", Help: "overrides of the rate limits, e.g. login_account=10-15M,login_ip=50-15M", Set: func(c *Config, v string) error { c.RateLimits = v; return nil }},
	{Name: "AUDIT_RETENTION", Default: "2160h", Help: "audit rows older than this are deleted (0 = keep forever)", Set: func(c *Config, v string) error {
		if v == "0" {
			c.AuditRetention = 0
			return nil
		}
		return setDuration(&c.AuditRetention, v, time.Hour)
	}},
	{Name: "CACHE_MAX_COST", Default: "67108864", Help: "memory bound of the token and profile caches, in bytes", Set: func(c *Config, v string) error {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1<<20 {
			return fmt.Errorf("must be a number of bytes, at least 1048576")
		}
		c.CacheMaxCost = n
		return nil
	}},
	{Name: "CACHE_PROFILE_TTL", Default: "60s", Help: "how long a profile stays cached (changes through authgate drop it at once)", Set: func(c *Config, v string) error { return setDuration(&c.CacheProfileTTL, v, time.Second) }},
	{Name: "COOKIE_NAME", Default: "authgate_session", Help: "name of the sign-in session cookie", Set: func(c *Config, v string) error { c.CookieName = v; return checkToken(v) }},
	{Name: "COOKIE_DOMAIN", Help: "Domain of the sign-in session cookie, e.g. .example.com so the gateway on every app host sees it; empty = the public URL's host only", Set: func(c *Config, v string) error {
		c.CookieDomain = v
		return checkCookieDomain(v)
	}},
	{Name: "COOKIE_TTL", Default: "12h", Help: "lifetime of the sign-in session cookie and its session (at most REFRESH_TTL); logout and revocation still take effect at once", Set: func(c *Config, v string) error { return setDuration(&c.CookieTTL, v, time.Minute) }},
	{Name: "REDIRECT_HOSTS", Help: "comma-separated hosts the sign-in page may send browsers back to (rd), e.g. app.example.com,*.example.com; the public URL's host is always allowed", Set: func(c *Config, v string) error {
		hosts, err := redirect.ParseHosts(v)
		c.RedirectHosts = hosts
		return err
	}},
	{Name: "HEADER_USER_ID", Default: "X-User-Id", Help: "identity header: uid", Set: func(c *Config, v string) error { c.HeaderUserID = v; return checkToken(v) }},
	{Name: "HEADER_EMAIL", Default: "X-User-Email", Help: "identity header: email", Set: func(c *Config, v string) error { c.HeaderEmail = v; return checkToken(v) }},
	{Name: "HEADER_EMAIL_VERIFIED", Default: "X-User-Email-Verified", Help: "identity header: email verified (true/false)", Set: func(c *Config, v string) error { c.HeaderEmailVerfied = v; return checkToken(v) }},
	{Name: "HEADER_ROLES", Default: "X-User-Roles", Help: "identity header: roles, comma-separated", Set: func(c *Config, v string) error { c.HeaderRoles = v; return checkToken(v) }},
	{Name: "HEADER_NAME", Default: "X-User-Name", Help: "identity header: display name", Set: func(c *Config, v string) error { c.HeaderName = v; return checkToken(v) }},
	{Name: "SHUTDOWN_TIMEOUT", Default: "15s", Help: "how long in-flight requests may take to finish on SIGTERM", Set: func(c *Config, v string) error { return setDuration(&c.ShutdownTimeout, v, time.Millisecond) }},
	{Name: "LOG_LEVEL", Default: "info", Help: "debug, info, warn or error", Set: func(c *Config, v string) error {
		switch v {
		case "debug", "info", "warn", "error":
			c.LogLevel = v
			return nil
		}
		return fmt.Errorf("must be debug, info, warn or error")
	}},
	{Name: "LOG_FORMAT", Default: "text", Help: "text or json", Set: func(c *Config, v string) error {
		if v != "text" && v != "json" {
			return fmt.Errorf("must be text or json")
		}
		c.LogFormat = v
		return nil
	}},
}, oauthSettings...) // AUTHGATE_OAUTH_*: config/oauth.go

// finish fills derived defaults and checks settings against each other.
func finish(c *Config, errs *Errors) {
	if c.DatabaseURL == "" {
		c.DatabaseURL = "sqlite:" + filepath.Join(c.DataDir, "auth.db")
	}
	if c.firebaseCheckRevokedAuto {
		c.FirebaseCheckRevoked = c.Provider == "firebase"
	}
	if c.Provider == "firebase" && c.FirebaseProjectID == "" {
		errs.add("FIREBASE_PROJECT_ID", "is required when AUTHGATE_PROVIDER=firebase")
	}
	if c.Provider == "firebase" && c.FirebaseAPIKey == "" {
		errs.add("FIREBASE_API_KEY", "is required when AUTHGATE_PROVIDER=firebase (password sign-in goes through the Identity Toolkit REST API)")
	}
	if c.AccessTTL > 0 && c.RefreshTTL > 0 && c.RefreshTTL < c.AccessTTL {
		errs.add("REFRESH_TTL", "must not be shorter than ACCESS_TTL")
	}
	if c.CookieTTL > 0 && c.RefreshTTL > 0 && c.CookieTTL > c.RefreshTTL {
		errs.add("COOKIE_TTL", "must not be longer than REFRESH_TTL")
	}
	if c.CookieDomain != "" && c.PublicURL != nil && !cookieDomainCovers(c.CookieDomain, c.PublicURL.Hostname()) {
		errs.add("COOKIE_DOMAIN", "must be the public URL's host or a parent domain of it (browsers refuse other cookie domains)")
	}
	finishOAuth(c, errs)
	if c.MetricsListen != "" && c.MetricsListen == c.Listen {
		errs.add("METRICS_LISTEN", "must differ from LISTEN")
	}
}

func setBool(dst *bool, v string) error {
	b, err := strconv.ParseBool(v)
	if err != nil {
		return fmt.Errorf("must be true or false")
	}
	*dst = b
	return nil
}

func setDuration(dst *time.Duration, v string, min time.Duration) error {
	d, err := time.ParseDuration(v)
	if err != nil {
		return fmt.Errorf("must be a Go duration such as 15m or 720h")
	}
	if d < min {
		return fmt.Errorf("must be at least %s", min)
	}
	*dst = d
	return nil
}

func parseHTTPURL(v string) (*url.URL, error) {
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("must be an absolute http:// or https:// URL")
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("must not carry credentials, a query or a fragment")
	}
	return u, nil
}

func checkListen(v string) error {
	i := strings.LastIndexByte(v, ':')
	if i < 0 {
		return fmt.Errorf("must be host:port or :port")
	}
	p, err := strconv.Atoi(v[i+1:])
	if err != nil || p < 0 || p > 65535 {
		return fmt.Errorf("has no valid port")
	}
	return nil
}

// checkCookieDomain accepts empty or a DNS name with an optional leading
// dot and at least two labels.
func checkCookieDomain(v string) error {
	if v == "" {
		return nil
	}
	d := strings.TrimPrefix(v, ".")
	if !strings.Contains(d, ".") || strings.HasSuffix(d, ".") || len(d) > 253 {
		return fmt.Errorf("must be a domain such as .example.com")
	}
	for _, label := range strings.Split(d, ".") {
		if label == "" || label[0] == '-' || label[len(label)-1] == '-' {
			return fmt.Errorf("must be a domain such as .example.com")
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-') {
				return fmt.Errorf("must be a domain such as .example.com")
			}
		}
	}
	return nil
}

// cookieDomainCovers reports whether a cookie with Domain domain is stored
// by a browser for a response from host.
func cookieDomainCovers(domain, host string) bool {
	d := strings.ToLower(strings.TrimPrefix(domain, "."))
	host = strings.ToLower(host)
	if net.ParseIP(host) != nil {
		return false // browsers keep no Domain cookies for IP addresses
	}
	return host == d || strings.HasSuffix(host, "."+d)
}

func checkToken(v string) error {
	if v == "" {
		return fmt.Errorf("must not be empty")
	}
	for _, r := range v {
		if r <= ' ' || r >= 0x7f || strings.ContainsRune("()<>@,;:\\\"/[]?={}", r) {
			return fmt.Errorf("must be a valid header or cookie name")
		}
	}
	return nil
}
