// Package config loads authgate's settings from flags, AUTHGATE_* environment
// variables, a YAML file and defaults, in that order of precedence, and
// validates all of them at once so that one start-up lists every problem.
package config

import (
	"net/url"
	"time"
)

// Config is every setting of authgate. Load fills it; the zero value is not
// meant to be used.
type Config struct {
	Listen        string
	MetricsListen string
	DataDir       string
	DatabaseURL   string
	RedisURL      string
	PublicURL     *url.URL
	Provider      string // "local" or "firebase"

	FirebaseProjectID     string
	FirebaseAPIKey        string
	FirebaseAllowEmulator bool
	FirebaseCheckRevoked  bool
	// firebaseCheckRevokedAuto: FIREBASE_CHECK_REVOKED=auto, resolved by
	// finish once the provider is known.
	firebaseCheckRevokedAuto bool
	FirebaseTimeout          time.Duration

	Upstream              *url.URL
	UpstreamDialTimeout   time.Duration
	UpstreamHeaderTimeout time.Duration
	PolicyFile            string
	TrustedProxies        string
	SignInURL             string

	SMTPURL  string
	MailFrom string

	AccessTTL      time.Duration
	RefreshTTL     time.Duration
	ResetTTL       time.Duration
	VerifyTTL      time.Duration
	Audience       string
	SigningKeyFile string
	SigningAlg     string

	RequireEmailVerification bool
	RateLimits               string
	AuditRetention           time.Duration

	CacheMaxCost    int64
	CacheProfileTTL time.Duration

	CookieName         string
	CookieDomain       string
	CookieTTL          time.Duration
	RedirectHosts      []string
	OAuth              OAuth // AUTHGATE_OAUTH_*: outside sign-in providers
	HeaderUserID       string
	HeaderEmail        string
	HeaderEmailVerfied string
	HeaderRoles        string
	HeaderName         string

	ShutdownTimeout time.Duration
	LogLevel        string
	LogFormat       string

	// ConfigFile is the YAML file that was read, if any.
	ConfigFile string
	// Effective lists every setting with its value (secrets hidden) and
	// where it came from, for `authgate config check`.
	Effective []Effective
}

// Effective is one setting as loaded.
type Effective struct {
	Name   string
	Value  string
	Source string
}

// DatabaseIsSQLite reports whether the database URL names a SQLite file.
func (c *Config) DatabaseIsSQLite() bool {
	return len(c.DatabaseURL) >= 7 && c.DatabaseURL[:7] == "sqlite:"
}
