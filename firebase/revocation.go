package firebase

import (
	"context"
	"fmt"
	"sync"
	"time"

	"firebase.google.com/go/v4/auth"

	"github.com/authgate/authgate/identity"
)

// userState is what the revocation check needs to know about a uid: the
// same facts VerifyIDTokenAndCheckRevoked looks up, kept for a short while.
type userState struct {
	validAfterMillis int64 // tokens issued before were revoked
	disabled         bool
	gone             bool // deleted at Firebase
	fetched          time.Time
}

// revocationCache keeps userState per uid for ttl, at most max entries.
type revocationCache struct {
	ttl time.Duration
	max int
	now func() time.Time

	mu sync.Mutex
	m  map[string]userState
}

func newRevocationCache(ttl time.Duration, max int, now func() time.Time) *revocationCache {
	return &revocationCache{ttl: ttl, max: max, now: now, m: make(map[string]userState)}
}

func (rc *revocationCache) get(uid string) (userState, bool) {
	rc.mu.Lock()
	st, ok := rc.m[uid]
	rc.mu.Unlock()
	if !ok || rc.now().Sub(st.fetched) >= rc.ttl {
		return userState{}, false
	}
	return st, true
}

func (rc *revocationCache) put(uid string, st userState) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if _, ok := rc.m[uid]; !ok && len(rc.m) >= rc.max {
		now := rc.now()
		for k, v := range rc.m {
			if now.Sub(v.fetched) >= rc.ttl {
				delete(rc.m, k)
			}
		}
		// Still full: drop entries in map order (effectively random) until
		// there is room; they are re-fetched when needed.
		for k := range rc.m {
			if len(rc.m) < rc.max {
				break
			}
			delete(rc.m, k)
		}
	}
	rc.m[uid] = st
}

// forget drops uid, so that a change made through this client (password
// set, tokens revoked, account deleted or disabled) counts at once.
func (rc *revocationCache) forget(uid string) {
	rc.mu.Lock()
	delete(rc.m, uid)
	rc.mu.Unlock()
}

// checkRevoked refuses a token of uid issued at iat (Unix seconds) when the
// user is gone, disabled or had their tokens revoked after iat. It does what
// the Admin SDK's VerifyIDTokenAndCheckRevoked does, with the user lookup
// cached per uid for Config.RevocationCacheTTL.
func (c *Client) checkRevoked(ctx context.Context, uid string, iat int64) error {
	st, ok := c.revoked.get(uid)
	if !ok {
		u, err := c.auth.GetUser(ctx, uid)
		switch {
		case err == nil:
			st = userState{validAfterMillis: u.TokensValidAfterMillis, disabled: u.Disabled}
		case auth.IsUserNotFound(err):
			st = userState{gone: true}
		default:
			if isUnreachable(err) {
				return identity.Wrap(identity.EUNAVAILABLE, msgUnavailable, fmt.Errorf("firebase: revocation check: %w", err))
			}
			return identity.Wrap(identity.EINVALIDTOKEN, msgInvalidToken, fmt.Errorf("firebase: revocation check: %w", err))
		}
		st.fetched = c.cfg.Now()
		c.revoked.put(uid, st)
	}
	switch {
	case st.gone:
		return identity.Wrap(identity.EINVALIDTOKEN, msgInvalidToken, fmt.Errorf("firebase: user %s no longer exists", uid))
	case st.disabled:
		return identity.Wrap(identity.EINVALIDTOKEN, msgInvalidToken, fmt.Errorf("firebase: user %s is disabled", uid))
	case iat*1000 < st.validAfterMillis:
		return identity.Wrap(identity.EINVALIDTOKEN, msgInvalidToken, fmt.Errorf("firebase: token of %s was revoked", uid))
	}
	return nil
}
