package cache

import (
	"context"
	"time"
)

// Kinds of invalidation, as published on Redis and in metrics.
const (
	kindSession = "session"
	kindUser    = "user"
	kindAll     = "all"
)

// sweepInterval is how often invalidations sweep expired revocation records.
const sweepInterval = time.Minute

// InvalidateSession implements identity.Invalidator: every cached token of
// the session is refused by the next Verify, here and, with Redis, on the
// other replicas (which apply it as soon as the message arrives). Call it
// after the session's revocation is committed to the store.
func (a *Authenticator) InvalidateSession(ctx context.Context, sid string) {
	if a.tokens == nil || sid == "" {
		return
	}
	a.apply(kindSession, sid, "local")
	a.publish(ctx, kindSession, sid)
}

// InvalidateUser implements identity.Invalidator: the user's cached profile
// and every cached token of the user are dropped, so a role change, a
// disable, a deletion or a password change is seen by the next Verify. Call
// it after the change is committed to the store.
func (a *Authenticator) InvalidateUser(ctx context.Context, uid string) {
	if a.tokens == nil || uid == "" {
		return
	}
	a.apply(kindUser, uid, "local")
	a.publish(ctx, kindUser, uid)
}

// apply records the invalidation locally.
func (a *Authenticator) apply(kind, id, origin string) {
	now := a.Now()
	epoch := a.clock.Add(1)
	// Every entry expires within maxEntryLifetime of being cached, so a
	// record kept that long (plus a margin for the entries being cached
	// right now) outlives every entry it invalidates.
	expires := now.Add(a.cfg.maxEntryLifetime() + time.Minute)
	switch kind {
	case kindSession:
		a.sessRevs.record(id, epoch, expires)
	case kindUser:
		a.userRevs.record(id, epoch, expires)
		a.profiles.Del(id)
	case kindAll:
		a.floor.Store(epoch)
	default:
		return
	}
	a.metrics.invalidations.WithLabelValues(kind, origin).Inc()

	if next := a.nextSweep.Load(); now.UnixNano() >= next &&
		a.nextSweep.CompareAndSwap(next, now.Add(sweepInterval).UnixNano()) {
		a.sessRevs.sweep(now)
		a.userRevs.sweep(now)
	}
}

// invalidateAll makes every entry stale (used when invalidations from other
// replicas may have been missed).
func (a *Authenticator) invalidateAll(origin string) { a.apply(kindAll, "", origin) }
