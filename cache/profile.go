package cache

import (
	"context"
	"fmt"
	"time"

	"github.com/authgate/authgate/identity"
)

// Profile returns the user's profile from the profile cache, reading the
// user store on a miss. The copy it returns carries no password hash or
// TOTP secret; errors are the store's (ENOTFOUND for an unknown uid).
func (a *Authenticator) Profile(ctx context.Context, uid string) (*identity.User, error) {
	if a.profiles == nil {
		return nil, errNotOpen
	}
	u, err := a.profile(ctx, uid, a.Now())
	if err != nil {
		return nil, err
	}
	return snapshot(u), nil
}

// profile returns the cached snapshot (shared: not to be modified).
func (a *Authenticator) profile(ctx context.Context, uid string, now time.Time) (*identity.User, error) {
	if e, ok := a.profiles.Get(uid); ok && e.user.UID == uid && a.profileFresh(e, now.UnixNano()) {
		a.metrics.profileHits.Inc()
		return e.user, nil
	}
	a.metrics.profileMisses.Inc()
	epoch := a.clock.Load()
	u, err := a.Users.FindUserByUID(ctx, uid)
	if err != nil {
		if identity.ErrorCode(err) == identity.EINTERNAL {
			return nil, fmt.Errorf("cache: find user: %w", err)
		}
		return nil, err
	}
	snap := snapshot(u)
	e := &profileEntry{user: snap, epoch: epoch, expires: now.Add(a.cfg.ProfileTTL).UnixNano()}
	a.profiles.SetWithTTL(uid, e, e.cost(), a.cfg.ProfileTTL)
	return snap, nil
}

func (a *Authenticator) profileFresh(e *profileEntry, now int64) bool {
	return now < e.expires && e.epoch >= a.floor.Load() && a.userRevs.epoch(e.user.UID) <= e.epoch
}
