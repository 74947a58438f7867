package cache

import (
	"errors"
	"fmt"
	"time"
)

// Config sizes the caches and bounds how long cached state is trusted.
// Zero fields take the defaults below.
type Config struct {
	// TokenCacheBytes bounds the verified-token cache (default 64 MiB).
	TokenCacheBytes int64
	// ProfileCacheBytes bounds the profile cache (default 64 MiB, roughly
	// 100,000 profiles; see the README's performance section).
	ProfileCacheBytes int64
	// ProfileTTL is how long a user's profile (roles, email, active flag,
	// password change time) is reused without reading the user store
	// (default 5m). Changes reported through InvalidateUser take effect at
	// once; ProfileTTL bounds only changes nobody reported (another replica
	// without Redis, a manual database edit).
	ProfileTTL time.Duration
	// SessionTTL is how long a verified token's session is trusted to be
	// active without reading the session store (default 1m). As with
	// ProfileTTL, InvalidateSession takes effect at once.
	SessionTTL time.Duration
}

// Defaults.
const (
	DefaultTokenCacheBytes   = 64 << 20
	DefaultProfileCacheBytes = 64 << 20
	DefaultProfileTTL        = 5 * time.Minute
	DefaultSessionTTL        = time.Minute
)

// withDefaults fills zero fields and validates the rest.
func (c Config) withDefaults() (Config, error) {
	if c.TokenCacheBytes == 0 {
		c.TokenCacheBytes = DefaultTokenCacheBytes
	}
	if c.ProfileCacheBytes == 0 {
		c.ProfileCacheBytes = DefaultProfileCacheBytes
	}
	if c.ProfileTTL == 0 {
		c.ProfileTTL = DefaultProfileTTL
	}
	if c.SessionTTL == 0 {
		c.SessionTTL = DefaultSessionTTL
	}
	var errs []error
	if c.TokenCacheBytes < 1<<20 {
		errs = append(errs, fmt.Errorf("token cache size %d bytes: must be at least 1 MiB", c.TokenCacheBytes))
	}
	if c.ProfileCacheBytes < 1<<20 {
		errs = append(errs, fmt.Errorf("profile cache size %d bytes: must be at least 1 MiB", c.ProfileCacheBytes))
	}
	if c.ProfileTTL < time.Second {
		errs = append(errs, fmt.Errorf("profile TTL %s: must be at least 1s", c.ProfileTTL))
	}
	if c.SessionTTL < time.Second {
		errs = append(errs, fmt.Errorf("session TTL %s: must be at least 1s", c.SessionTTL))
	}
	return c, errors.Join(errs...)
}

// maxEntryLifetime is the longest any cache entry can be trusted. Revocation
// records are kept a little longer than this, so an entry always expires
// before the record that invalidates it is forgotten.
func (c Config) maxEntryLifetime() time.Duration { return max(c.ProfileTTL, c.SessionTTL) }

// numCounters follows ristretto's advice: ten counters per expected entry.
func numCounters(maxBytes, avgEntryBytes int64) int64 {
	return max(10*maxBytes/avgEntryBytes, 1<<12)
}
