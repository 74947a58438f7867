package authapi

import (
	"context"
	"crypto/sha256"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/authgate/authgate/identity"
)

// Rate-limit hits and the audit log.
//
// An attack is thousands of refused requests: writing one audit row for each
// would turn the limiter into a way to fill the database. A hit is therefore
// recorded once per (limit, key) per window: the first refused request of a
// window writes a rate_limited row (detail = the limit name, never the key,
// which may be an email), the following ones of the same window write
// nothing. When the window has ended and the key is refused again, a new row
// is written. So the audit log shows that an account or an address was
// throttled, and when, at a cost bounded by the number of distinct keys.
//
// The memory for this is bounded too: at most maxLimitHitKeys keys are
// remembered; while that many windows are open, further distinct keys are
// not recorded, which keeps a distributed attack from growing the map or the
// table without bound (the 429 answers themselves are unaffected).

// maxLimitHitKeys bounds the open windows remembered for deduplication.
const maxLimitHitKeys = 10000

// limitHitSweepEvery is how often a full map is swept of ended windows.
const limitHitSweepEvery = time.Second

// limitHits remembers until when a (limit, key) was already recorded. The
// zero value is ready to use.
type limitHits struct {
	mu        sync.Mutex
	until     map[[16]byte]time.Time
	lastSweep time.Time
}

// first reports whether (limit, key) has no recorded hit in a window open
// at now, and if so remembers it until windowEnd.
func (h *limitHits) first(limit, key string, now, windowEnd time.Time) bool {
	id := limitHitID(limit, key)
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.until == nil {
		h.until = make(map[[16]byte]time.Time)
	}
	if end, ok := h.until[id]; ok && now.Before(end) {
		return false
	}
	if len(h.until) >= maxLimitHitKeys {
		if now.Sub(h.lastSweep) >= limitHitSweepEvery {
			h.lastSweep = now
			for k, end := range h.until {
				if !now.Before(end) {
					delete(h.until, k)
				}
			}
		}
		if len(h.until) >= maxLimitHitKeys {
			return false
		}
	}
	h.until[id] = windowEnd
	return true
}

// limitHitID is a fixed-size digest of (limit, key), so the map neither
// keeps emails nor grows with long keys.
func limitHitID(limit, key string) [16]byte {
	h := sha256.New()
	h.Write([]byte(limit))
	h.Write([]byte{0})
	h.Write([]byte(key))
	var id [16]byte
	copy(id[:], h.Sum(nil))
	return id
}

// auditLimitHit records a refused request of the request's client on
// (k.limit, k.key), once per window (see limitHits).
func (a *API) auditLimitHit(r *http.Request, k limitKey, retryAfter time.Duration) {
	base := identity.AuditEvent{IPAddress: a.clientIP(r), UserAgent: truncate(r.UserAgent(), maxUserAgent)}
	a.recordLimitHit(r.Context(), base, k.limit, k.key, retryAfter)
}

// recordLimitHit writes the rate_limited row for (limit, key) with the
// client fields of base, unless this window already has one. For the
// per-account limits, whose key is (or holds) a normalized email, the row
// carries the uid of the account when it exists, so that GET
// /admin/audit?uid= shows the attack on that account; the email itself is
// never written.
func (a *API) recordLimitHit(ctx context.Context, base identity.AuditEvent, limit, key string, retryAfter time.Duration) {
	now := a.now()
	if !a.hits.first(limit, key, now, now.Add(max(retryAfter, time.Second))) {
		return
	}
	e := base
	e.Action, e.Status, e.Detail = identity.ActionRateLimited, identity.StatusFailure, limit
	switch limit {
	case LimitLoginAccount, LimitResetEmail:
		e.UID = a.uidOfEmail(ctx, key)
	case LimitLoginAccountIP:
		if email, _, ok := splitAccountIPKey(key); ok {
			e.UID = a.uidOfEmail(ctx, email)
		}
	}
	a.record(ctx, &e)
}

// clearLoginLimits forgets the failed sign-ins counted against uid's
// account: after a successful password reset the owner of the mailbox has
// proved control of the account, so a throttle an attacker built up must
// not keep them out any longer. It clears the account-wide count and the
// count of the account with the client completing the reset (the owner's
// own failed guesses from that client); the per-(account, client) counts of
// other addresses are keyed under a hash and cannot be listed, so they run
// out with their window, and hold up only the clients that made them. The
// per-IP limit is left alone: it counts an address, not the account.
func (a *API) clearLoginLimits(r *http.Request, uid string) {
	ctx := r.Context()
	if a.Limiter == nil || uid == "" {
		return
	}
	u, err := a.Users.FindUserByUID(ctx, uid)
	if err != nil {
		if !identity.IsCode(err, identity.ENOTFOUND) {
			a.Log.LogAttrs(ctx, slog.LevelError, "clear login limits: load user", slog.String("uid", uid), slog.Any("err", err))
		}
		return
	}
	email := identity.NormalizeEmail(u.Email)
	a.resetLimits(ctx, limitKey{LimitLoginAccount, email}, limitKey{LimitLoginAccountIP, accountIPKey(email, a.clientIP(r))})
}
