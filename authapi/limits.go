package authapi

import (
	"context"
	"log/slog"
	"math"
	"net/http"

	"github.com/authgate/authgate/identity"
)

// Limit names passed to the Limiter, the same as package limiter's; the
// Limiter maps each to its rate.
const (
	LimitLoginAccount = "login_account" // failed password checks per account (normalized email)
	LimitLoginIP      = "login_ip"      // failed password checks per client IP
	LimitRegisterIP   = "register_ip"   // registrations per client IP
	LimitResetEmail   = "reset_email"   // reset requests per email
	LimitResetIP      = "reset_ip"      // reset requests per client IP
	LimitVerifyIP     = "verify_ip"     // token verifications and exchanges per client IP
	LimitEmailSend    = "email_send"    // verification mails per user
	LimitTOTP         = "totp"          // failed TOTP and recovery codes per user
)

// limitKey is one (limit, key) pair.
type limitKey struct{ limit, key string }

// peekLimits answers rate_limited if any of the limits is already reached,
// without counting. Nil Limiter: never limited.
func (a *API) peekLimits(r *http.Request, keys ...limitKey) error {
	return a.checkLimits(r, false, keys)
}

// takeLimits counts one event on each limit and answers rate_limited if any
// is now exceeded.
func (a *API) takeLimits(r *http.Request, keys ...limitKey) error {
	return a.checkLimits(r, true, keys)
}

func (a *API) checkLimits(r *http.Request, take bool, keys []limitKey) error {
	if a.Limiter == nil {
		return nil
	}
	ctx := r.Context()
	for _, k := range keys {
		var (
			res identity.LimitResult
			err error
		)
		if take {
			res, err = a.Limiter.Take(ctx, k.limit, k.key)
		} else {
			res, err = a.Limiter.Peek(ctx, k.limit, k.key)
		}
		if err != nil {
			// Fail open: a broken limiter backend must not lock every user out.
			a.Log.LogAttrs(ctx, slog.LevelError, "rate limiter failed", slog.String("limit", k.limit), slog.Any("err", err))
			continue
		}
		if res.Reached {
			a.auditLimitHit(r, k, res.RetryAfter)
			secs := int(math.Ceil(res.RetryAfter.Seconds()))
			if secs < 1 {
				secs = 1
			}
			return &identity.Error{Code: identity.ERATELIMITED, Message: "Too many attempts; try again later.", RetryAfterSeconds: secs}
		}
	}
	return nil
}

// resetLimits forgets the counts of the keys (after a successful sign-in).
func (a *API) resetLimits(ctx context.Context, keys ...limitKey) {
	if a.Limiter == nil {
		return
	}
	for _, k := range keys {
		if err := a.Limiter.Reset(ctx, k.limit, k.key); err != nil {
			a.Log.LogAttrs(ctx, slog.LevelError, "rate limiter reset failed", slog.String("limit", k.limit), slog.Any("err", err))
		}
	}
}
