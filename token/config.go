package token

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// Defaults of Config.
const (
	DefaultAudience  = "authgate"
	DefaultAccessTTL = 15 * time.Minute
	DefaultLeeway    = 30 * time.Second
	// MaxLeeway bounds Config.Leeway: clock skew beyond this is a broken
	// clock, not something to paper over.
	MaxLeeway = 5 * time.Minute
)

// Config is what the Issuer, the Verifier and the discovery document share.
type Config struct {
	// Issuer is the iss claim: the public URL (AUTHGATE_PUBLIC_URL), an
	// absolute http(s) URL without query or fragment. A trailing slash is
	// dropped.
	Issuer string
	// Audience is the aud claim of issued tokens and the audience verified
	// tokens must carry (AUTHGATE_AUDIENCE). Default DefaultAudience.
	Audience string
	// AccessTTL is the lifetime of access tokens (AUTHGATE_ACCESS_TTL),
	// at least one second. Default DefaultAccessTTL.
	AccessTTL time.Duration
	// Leeway is the clock skew tolerated on exp, nbf and iat. Default
	// DefaultLeeway, at most MaxLeeway.
	Leeway time.Duration
	// Now is the clock; default time.Now.
	Now func() time.Time
}

// normalized returns c with defaults applied, or every problem with it.
func (c Config) normalized() (Config, error) {
	var errs []error
	iss, err := normalizeIssuer(c.Issuer)
	if err != nil {
		errs = append(errs, err)
	}
	c.Issuer = iss
	if c.Audience == "" {
		c.Audience = DefaultAudience
	}
	switch {
	case c.AccessTTL == 0:
		c.AccessTTL = DefaultAccessTTL
	case c.AccessTTL < time.Second:
		errs = append(errs, fmt.Errorf("token: access-token lifetime %s is below 1s", c.AccessTTL))
	}
	switch {
	case c.Leeway == 0:
		c.Leeway = DefaultLeeway
	case c.Leeway < 0 || c.Leeway > MaxLeeway:
		errs = append(errs, fmt.Errorf("token: leeway %s is outside 0..%s", c.Leeway, MaxLeeway))
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c, errors.Join(errs...)
}

func normalizeIssuer(raw string) (string, error) {
	iss := strings.TrimRight(raw, "/")
	u, err := url.Parse(iss)
	switch {
	case raw == "":
		return "", errors.New("token: issuer (public URL) is required")
	case err != nil:
		return "", fmt.Errorf("token: issuer %q: %w", raw, err)
	case u.Scheme != "http" && u.Scheme != "https", u.Host == "":
		return "", fmt.Errorf("token: issuer %q is not an absolute http(s) URL", raw)
	case u.RawQuery != "" || u.Fragment != "" || u.User != nil || strings.ContainsAny(iss, "?#"):
		return "", fmt.Errorf("token: issuer %q must not have user info, a query or a fragment", raw)
	}
	return iss, nil
}
