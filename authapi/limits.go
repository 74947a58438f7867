package authapi

import (
	"context"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/authgate/authgate/identity"
)

// Limit names passed to the Limiter, the same as package limiter's; the
// Limiter maps each to its rate.
const (
	LimitLoginAccount   = "login_account"    // failed password checks per account (normalized email)
	LimitLoginAccountIP = "login_account_ip" // failed password checks per (account, client IP) pair
	LimitLoginIP        = "login_ip"         // failed password checks per client IP
	LimitRegisterIP     = "register_ip"      // registrations per client IP
	LimitResetEmail     = "reset_email"      // reset requests per email
	LimitResetIP        = "reset_ip"         // reset requests per client IP
	LimitVerifyIP       = "verify_ip"        // token verifications and exchanges per client IP
	LimitEmailSend      = "email_send"       // verification mails per user
	LimitTOTP           = "totp"             // failed TOTP and recovery codes per user
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

// checkLimits peeks at (take false) or counts one event on (take true)
// every key. Every key is looked at even when an earlier one is reached, so
// that a failure counts against all of its limits and Retry-After is the
// longest wait: a client must not be told to come back while another of
// its limits still refuses it. Each reached key gets its audit row.
func (a *API) checkLimits(r *http.Request, take bool, keys []limitKey) error {
	if a.Limiter == nil {
		return nil
	}
	ctx := r.Context()
	var retry time.Duration
	reached := false
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
			reached = true
			retry = max(retry, res.RetryAfter)
		}
	}
	if !reached {
		return nil
	}
	secs := int(math.Ceil(retry.Seconds()))
	if secs < 1 {
		secs = 1
	}
	return &identity.Error{Code: identity.ERATELIMITED, Message: "Too many attempts; try again later.", RetryAfterSeconds: secs}
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

// Failed password checks are counted three ways (see loginLimits). The
// per-(account, client) pair is the tight one: a client guessing one
// account's password is throttled after a few failures, while the account's
// owner, signing in from another address, is not held up by it. The
// account-wide limit is looser and still bounds what a distributed attack
// (many addresses, each under the pair's bound) can try per account; the
// per-IP limit bounds password spraying across accounts from one address.

// loginLimits are the limits a password check of the normalized email by
// the request's client counts against, most specific first.
func (a *API) loginLimits(r *http.Request, email string) []limitKey {
	ip := a.clientIP(r)
	return []limitKey{
		{LimitLoginAccountIP, accountIPKey(email, ip)},
		{LimitLoginAccount, email},
		{LimitLoginIP, ip},
	}
}

// loginSucceeded forgets the failures of the request's client on the
// account after a complete sign-in. The account-wide count is left to run
// out: otherwise every sign-in of the owner would hand a distributed attack
// a fresh budget. The per-IP count is left alone too: it counts an address,
// not the account.
func (a *API) loginSucceeded(r *http.Request, email string) {
	a.resetLimits(r.Context(), limitKey{LimitLoginAccountIP, accountIPKey(email, a.clientIP(r))})
}

// accountIPKey is the limiter key of the (normalized email, client IP)
// pair: "<len(ip)>:<ip>:<email>". The length prefix makes it unambiguous
// whatever either part holds (an email may contain ':' and an IPv6 zone
// almost anything), so two different pairs never share a count.
func accountIPKey(email, ip string) string {
	var b strings.Builder
	b.Grow(len(ip) + len(email) + 6)
	b.WriteString(strconv.Itoa(len(ip)))
	b.WriteByte(':')
	b.WriteString(ip)
	b.WriteByte(':')
	b.WriteString(email)
	return b.String()
}

// splitAccountIPKey is the inverse of accountIPKey; ok is false when key was
// not made by it.
func splitAccountIPKey(key string) (email, ip string, ok bool) {
	n, rest, found := strings.Cut(key, ":")
	if !found {
		return "", "", false
	}
	size, err := strconv.Atoi(n)
	// Only the canonical form accountIPKey writes ("+3", "03" are not).
	if err != nil || size < 0 || strconv.Itoa(size) != n || size >= len(rest) || rest[size] != ':' {
		return "", "", false
	}
	return rest[size+1:], rest[:size], true
}
