package cache

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dgraph-io/ristretto/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/authgate/authgate/identity"
)

// Authenticator is the caching, revocation-aware identity.Verifier that the
// gateway and the auth API share. It also implements identity.Invalidator.
//
// Set the fields, call Open, and Close when done:
//
//	a := &cache.Authenticator{Next: chain, Users: st, Sessions: st, Registerer: reg, Redis: rdb}
//	if err := a.Open(ctx); err != nil { ... }
//	defer a.Close()
//
// The fields must not change after Open.
type Authenticator struct {
	// Next verifies tokens the cache does not know (the verifier chain:
	// authgate JWTs, Firebase ID tokens). Required.
	Next identity.Verifier
	// Users gives the current profile: roles, email, active flag, password
	// change time. Required.
	Users identity.UserStore
	// Sessions tells whether a token's session is still active. Required.
	Sessions identity.SessionStore
	// Config sizes the caches; zero fields take the defaults.
	Config Config
	// Registerer receives the cache metrics; nil registers none.
	Registerer prometheus.Registerer
	// Redis, when set, shares invalidations with the other replicas over
	// the InvalidationChannel. nil = this instance only.
	Redis *redis.Client
	// Logger receives errors of the Redis subscription; nil = slog.Default().
	Logger *slog.Logger
	// Now is the clock; nil = time.Now.
	Now func() time.Time

	tokens   *ristretto.Cache[string, *tokenEntry]
	profiles *ristretto.Cache[string, *profileEntry]
	cfg      Config
	metrics  *metrics
	flights  flightGroup

	// clock numbers invalidations. An entry records the clock from before
	// its data was read, and is stale when its session or user has a later
	// invalidation, or when it is older than floor (set when invalidations
	// may have been missed, e.g. while the Redis subscription was down).
	clock     atomic.Uint64
	floor     atomic.Uint64
	sessRevs  *revocations
	userRevs  *revocations
	nextSweep atomic.Int64

	origin    string
	pubsub    *redis.PubSub
	stopSub   context.CancelFunc
	subDone   chan struct{}
	closeOnce sync.Once
}

var errNotOpen = errors.New("cache: Authenticator used before Open")

// Open validates the configuration, creates the caches, registers the
// metrics and, with Redis set, subscribes to invalidations from the other
// replicas (it returns once the subscription is confirmed).
func (a *Authenticator) Open(ctx context.Context) error {
	var errs []error
	if a.Next == nil {
		errs = append(errs, errors.New("Next verifier is required"))
	}
	if a.Users == nil {
		errs = append(errs, errors.New("Users store is required"))
	}
	if a.Sessions == nil {
		errs = append(errs, errors.New("Sessions store is required"))
	}
	cfg, err := a.Config.withDefaults()
	if err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("cache: %w", err)
	}
	a.cfg = cfg
	if a.Now == nil {
		a.Now = time.Now
	}
	if a.Logger == nil {
		a.Logger = slog.Default()
	}

	a.tokens, err = ristretto.NewCache(&ristretto.Config[string, *tokenEntry]{
		NumCounters: numCounters(cfg.TokenCacheBytes, 1024),
		MaxCost:     cfg.TokenCacheBytes,
		BufferItems: 64,
		Metrics:     true,
	})
	if err != nil {
		return fmt.Errorf("cache: token cache: %w", err)
	}
	a.profiles, err = ristretto.NewCache(&ristretto.Config[string, *profileEntry]{
		NumCounters: numCounters(cfg.ProfileCacheBytes, 512),
		MaxCost:     cfg.ProfileCacheBytes,
		BufferItems: 64,
		Metrics:     true,
	})
	if err != nil {
		a.tokens.Close()
		return fmt.Errorf("cache: profile cache: %w", err)
	}
	a.clock.Store(1)
	a.sessRevs = newRevocations()
	a.userRevs = newRevocations()
	a.origin = identity.NewID()
	a.metrics = newMetrics(a.tokens, a.profiles)
	if err := a.metrics.register(a.Registerer); err != nil {
		a.closeCaches()
		return err
	}
	if a.Redis != nil {
		if err := a.subscribe(ctx); err != nil {
			a.metrics.unregister(a.Registerer)
			a.closeCaches()
			return err
		}
	}
	return nil
}

// Close stops the Redis subscription and releases the caches. Verify after
// Close goes to Next and the stores every time.
func (a *Authenticator) Close() error {
	a.closeOnce.Do(func() {
		if a.stopSub != nil {
			a.stopSub()
			_ = a.pubsub.Close() // interrupts a blocked receive
			<-a.subDone
		}
		if a.metrics != nil {
			a.metrics.unregister(a.Registerer)
		}
		a.closeCaches()
	})
	return nil
}

func (a *Authenticator) closeCaches() {
	if a.tokens != nil {
		a.tokens.Close()
	}
	if a.profiles != nil {
		a.profiles.Close()
	}
}

// Wait blocks until the caches have applied every buffered write (ristretto
// admits entries asynchronously). Tests and benchmarks use it; request paths
// never need to.
func (a *Authenticator) Wait() {
	a.tokens.Wait()
	a.profiles.Wait()
}
