package limiter

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
	ulule "github.com/ulule/limiter/v3"
	"github.com/ulule/limiter/v3/drivers/store/memory"
	redisstore "github.com/ulule/limiter/v3/drivers/store/redis"

	"github.com/authgate/authgate/identity"
)

// KeyPrefix starts every key this package writes to Redis.
const KeyPrefix = "authgate:rl"

// saltKey holds the random salt the replicas share for hashing keys.
const saltKey = KeyPrefix + ":salt"

// ErrUnknownLimit is returned (wrapped) for a limit name New was not given:
// a typo must fail loudly, not allow everything.
var ErrUnknownLimit = errors.New("limiter: unknown limit")

// Limiter implements identity.Limiter.
type Limiter struct {
	rates map[string]ulule.Rate
	store ulule.Store
	salt  []byte
}

var _ identity.Limiter = (*Limiter)(nil)

// New returns a Limiter with the named rates. With client nil the counts
// live in this process's memory; with a Redis client they live in Redis
// (keys under KeyPrefix), shared by every replica using the same Redis.
func New(ctx context.Context, rates map[string]Rate, client *redis.Client) (*Limiter, error) {
	if len(rates) == 0 {
		return nil, errors.New("limiter: no rates")
	}
	l := &Limiter{rates: make(map[string]ulule.Rate, len(rates))}
	var errs []error
	for name, r := range rates {
		if !validName(name) {
			errs = append(errs, fmt.Errorf("limit %q: name must be lower-case letters, digits and _", name))
			continue
		}
		if err := r.validate(); err != nil {
			errs = append(errs, fmt.Errorf("limit %s: %w", name, err))
			continue
		}
		l.rates[name] = ulule.Rate{Formatted: r.String(), Limit: r.Limit, Period: r.Period}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("limiter: %w", err)
	}

	opts := ulule.StoreOptions{Prefix: KeyPrefix, MaxRetry: ulule.DefaultMaxRetry, CleanUpInterval: time.Minute}
	if client == nil {
		l.store = memory.NewStoreWithOptions(opts)
		l.salt = make([]byte, 32)
		_, _ = rand.Read(l.salt) // never fails (crypto/rand panics instead)
		return l, nil
	}
	salt, err := sharedSalt(ctx, client)
	if err != nil {
		return nil, err
	}
	l.salt = salt
	l.store, err = redisstore.NewStoreWithOptions(client, opts)
	if err != nil {
		return nil, fmt.Errorf("limiter: redis store: %w", err)
	}
	return l, nil
}

// sharedSalt returns the salt every replica uses, creating it on first use.
func sharedSalt(ctx context.Context, client *redis.Client) ([]byte, error) {
	fresh := make([]byte, 32)
	_, _ = rand.Read(fresh)
	if err := client.SetNX(ctx, saltKey, base64.RawStdEncoding.EncodeToString(fresh), 0).Err(); err != nil {
		return nil, fmt.Errorf("limiter: create key salt: %w", err)
	}
	s, err := client.Get(ctx, saltKey).Result()
	if err != nil {
		return nil, fmt.Errorf("limiter: read key salt: %w", err)
	}
	salt, err := base64.RawStdEncoding.DecodeString(s)
	if err != nil || len(salt) < 16 {
		return nil, fmt.Errorf("limiter: key salt at %s is malformed", saltKey)
	}
	return salt, nil
}

// Rate returns the rate of the named limit.
func (l *Limiter) Rate(limit string) (Rate, bool) {
	r, ok := l.rates[limit]
	return Rate{Limit: r.Limit, Period: r.Period}, ok
}

// Take counts one event for (limit, key). Reached reports that this event
// went over the limit: the caller refuses it and answers 429 with
// RetryAfter. Keys are compared exactly; normalize them first
// (identity.NormalizeEmail).
func (l *Limiter) Take(ctx context.Context, limit, key string) (identity.LimitResult, error) {
	rate, k, err := l.lookup(limit, key)
	if err != nil {
		return identity.LimitResult{}, err
	}
	c, err := l.store.Get(ctx, k, rate)
	if err != nil {
		return identity.LimitResult{}, fmt.Errorf("limiter: take %s: %w", limit, err)
	}
	return result(c, c.Reached, rate, time.Now()), nil
}

// Peek reports the state of (limit, key) without counting. Reached reports
// that the budget is used up: the next Take would go over the limit, so the
// caller refuses the attempt before doing any work (for example before
// checking a password).
func (l *Limiter) Peek(ctx context.Context, limit, key string) (identity.LimitResult, error) {
	rate, k, err := l.lookup(limit, key)
	if err != nil {
		return identity.LimitResult{}, err
	}
	c, err := l.store.Peek(ctx, k, rate)
	if err != nil {
		return identity.LimitResult{}, fmt.Errorf("limiter: peek %s: %w", limit, err)
	}
	return result(c, c.Remaining <= 0, rate, time.Now()), nil
}

// Reset forgets the count of (limit, key), e.g. after a successful login.
func (l *Limiter) Reset(ctx context.Context, limit, key string) error {
	rate, k, err := l.lookup(limit, key)
	if err != nil {
		return err
	}
	if _, err := l.store.Reset(ctx, k, rate); err != nil {
		return fmt.Errorf("limiter: reset %s: %w", limit, err)
	}
	return nil
}

func (l *Limiter) lookup(limit, key string) (ulule.Rate, string, error) {
	rate, ok := l.rates[limit]
	if !ok {
		return ulule.Rate{}, "", fmt.Errorf("%w %q", ErrUnknownLimit, limit)
	}
	return rate, limit + ":" + l.hashKey(limit, key), nil
}

// hashKey is HMAC-SHA256(salt, limit NUL key), 128 bits in base64url: the
// same key under two limits gives unrelated hashes, and an email cannot be
// read back from Redis without the salt.
func (l *Limiter) hashKey(limit, key string) string {
	m := hmac.New(sha256.New, l.salt)
	m.Write([]byte(limit))
	m.Write([]byte{0})
	m.Write([]byte(key))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:16])
}

// result converts ulule's context. RetryAfter is set when reached: the time
// until the window resets, rounded up to whole seconds (ulule reports the
// reset time in whole seconds, so one second is added to never say "retry"
// before the window has really ended).
func result(c ulule.Context, reached bool, rate ulule.Rate, now time.Time) identity.LimitResult {
	res := identity.LimitResult{Limit: c.Limit, Remaining: max(c.Remaining, 0), Reached: reached}
	if reached {
		d := time.Unix(c.Reset+1, 0).Sub(now)
		d = (d + time.Second - 1).Truncate(time.Second)
		res.RetryAfter = min(max(d, time.Second), rate.Period)
	}
	return res
}
