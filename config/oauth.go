package config

import (
	"fmt"
	"regexp"
)

// OAuth holds the outside sign-in providers' settings (AUTHGATE_OAUTH_*).
// A provider is enabled when its client id is set.
type OAuth struct {
	GoogleClientID       string
	GoogleClientSecret   string
	FacebookClientID     string
	FacebookClientSecret string
	// Apple: the Services ID, the team id, and the id and .p8 file of a key
	// with Sign in with Apple enabled.
	AppleClientID       string
	AppleTeamID         string
	AppleKeyID          string
	ApplePrivateKeyFile string
	// A generic OpenID Connect provider found by discovery at OIDCIssuer.
	OIDCIssuer       string
	OIDCClientID     string
	OIDCClientSecret string
	OIDCName         string
}

// Enabled reports whether any provider is configured.
func (o OAuth) Enabled() bool {
	return o.GoogleClientID != "" || o.FacebookClientID != "" || o.AppleClientID != "" || o.OIDCIssuer != ""
}

// oauthName is what a provider name may look like (it appears in paths).
var oauthName = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,31}$`)

// oauthSettings are the AUTHGATE_OAUTH_* settings.
var oauthSettings = []setting{
	{Name: "OAUTH_GOOGLE_CLIENT_ID", Help: "Google sign-in: OAuth client id; set to enable /api/auth/oauth/google", Set: func(c *Config, v string) error { c.OAuth.GoogleClientID = v; return nil }},
	{Name: "OAUTH_GOOGLE_CLIENT_SECRET", Help: "Google sign-in: OAuth client secret", Secret: true, Set: func(c *Config, v string) error { c.OAuth.GoogleClientSecret = v; return nil }},
	{Name: "OAUTH_FACEBOOK_CLIENT_ID", Help: "Facebook Login: app id; set to enable /api/auth/oauth/facebook", Set: func(c *Config, v string) error { c.OAuth.FacebookClientID = v; return nil }},
	{Name: "OAUTH_FACEBOOK_CLIENT_SECRET", Help: "Facebook Login: app secret", Secret: true, Set: func(c *Config, v string) error { c.OAuth.FacebookClientSecret = v; return nil }},
	{Name: "OAUTH_APPLE_CLIENT_ID", Help: "Sign in with Apple: Services ID; set to enable /api/auth/oauth/apple (needs an https PUBLIC_URL)", Set: func(c *Config, v string) error { c.OAuth.AppleClientID = v; return nil }},
	{Name: "OAUTH_APPLE_TEAM_ID", Help: "Sign in with Apple: team id", Set: func(c *Config, v string) error { c.OAuth.AppleTeamID = v; return nil }},
	{Name: "OAUTH_APPLE_KEY_ID", Help: "Sign in with Apple: key id of the private key", Set: func(c *Config, v string) error { c.OAuth.AppleKeyID = v; return nil }},
	{Name: "OAUTH_APPLE_PRIVATE_KEY_FILE", Help: "Sign in with Apple: the key's .p8 file (ES256 PEM) that signs the client secret", Set: func(c *Config, v string) error { c.OAuth.ApplePrivateKeyFile = v; return nil }},
	{Name: "OAUTH_OIDC_ISSUER", Help: "any OpenID Connect provider: issuer URL (discovery at /.well-known/openid-configuration); set to enable it", Set: func(c *Config, v string) error {
		c.OAuth.OIDCIssuer = v
		if v == "" {
			return nil
		}
		_, err := parseHTTPURL(v)
		return err
	}},
	{Name: "OAUTH_OIDC_CLIENT_ID", Help: "OpenID Connect provider: client id", Set: func(c *Config, v string) error { c.OAuth.OIDCClientID = v; return nil }},
	{Name: "OAUTH_OIDC_CLIENT_SECRET", Help: "OpenID Connect provider: client secret", Secret: true, Set: func(c *Config, v string) error { c.OAuth.OIDCClientSecret = v; return nil }},
	{Name: "OAUTH_OIDC_NAME", Default: "oidc", Help: "OpenID Connect provider: its name in /api/auth/oauth/{name}; keep it stable, accounts are linked to it", Set: func(c *Config, v string) error {
		if !oauthName.MatchString(v) {
			return fmt.Errorf("must be lower-case letters, digits, - or _, starting with a letter (at most 32)")
		}
		c.OAuth.OIDCName = v
		return nil
	}},
}

// finishOAuth checks the OAuth settings against each other.
func finishOAuth(c *Config, errs *Errors) {
	o := c.OAuth
	pair := func(idName, id, secretName, secret string) {
		if (id == "") != (secret == "") {
			errs.add(secretName, "and %s must be set together", idName)
		}
	}
	pair("OAUTH_GOOGLE_CLIENT_ID", o.GoogleClientID, "OAUTH_GOOGLE_CLIENT_SECRET", o.GoogleClientSecret)
	pair("OAUTH_FACEBOOK_CLIENT_ID", o.FacebookClientID, "OAUTH_FACEBOOK_CLIENT_SECRET", o.FacebookClientSecret)
	if o.OIDCIssuer != "" && (o.OIDCClientID == "" || o.OIDCClientSecret == "") {
		errs.add("OAUTH_OIDC_ISSUER", "needs OAUTH_OIDC_CLIENT_ID and OAUTH_OIDC_CLIENT_SECRET")
	}
	if o.OIDCIssuer == "" && (o.OIDCClientID != "" || o.OIDCClientSecret != "") {
		errs.add("OAUTH_OIDC_ISSUER", "is required when OAUTH_OIDC_CLIENT_ID or OAUTH_OIDC_CLIENT_SECRET is set")
	}
	if o.OIDCIssuer != "" && (o.OIDCName == "google" && o.GoogleClientID != "" || o.OIDCName == "facebook" && o.FacebookClientID != "" || o.OIDCName == "apple" && o.AppleClientID != "") {
		errs.add("OAUTH_OIDC_NAME", "%q is already taken by the built-in provider", o.OIDCName)
	}
	apple := []string{o.AppleClientID, o.AppleTeamID, o.AppleKeyID, o.ApplePrivateKeyFile}
	set := 0
	for _, v := range apple {
		if v != "" {
			set++
		}
	}
	if set != 0 && set != len(apple) {
		errs.add("OAUTH_APPLE_CLIENT_ID", "and OAUTH_APPLE_TEAM_ID, OAUTH_APPLE_KEY_ID, OAUTH_APPLE_PRIVATE_KEY_FILE must be set together")
	}
	if o.AppleClientID != "" && c.PublicURL != nil && c.PublicURL.Scheme != "https" {
		errs.add("OAUTH_APPLE_CLIENT_ID", "needs an https PUBLIC_URL: Apple posts the callback cross-site, which only a Secure SameSite=None cookie survives")
	}
	if o.Enabled() && c.Provider != "local" {
		errs.add("PROVIDER", "must be local for AUTHGATE_OAUTH_* sign-in (with firebase, use Firebase's own Google/Apple/Facebook sign-in and POST /api/auth/verify)")
	}
	if o.Enabled() && c.CookieName == "" {
		errs.add("COOKIE_NAME", "is required for AUTHGATE_OAUTH_* sign-in (it ends with the session cookie)")
	}
}
