package cache

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/redis/go-redis/v9"
)

// InvalidationChannel is the Redis channel replicas share invalidations on.
const InvalidationChannel = "authgate:invalidate"

// invalidation is one message on InvalidationChannel.
type invalidation struct {
	Origin string `json:"origin"` // the publishing Authenticator, which skips its own messages
	Kind   string `json:"kind"`   // "session" or "user"
	ID     string `json:"id"`
}

const (
	publishTimeout  = 2 * time.Second
	receiveTimeout  = 30 * time.Second
	maxRetryBackoff = 5 * time.Second
)

// publish sends the invalidation to the other replicas. It runs after the
// local invalidation, detached from the caller's cancellation, and a failure
// is logged and counted: the other replicas then see the change when their
// entries expire (Config.SessionTTL / ProfileTTL), or at once if their
// subscription broke too (they drop everything when it comes back).
func (a *Authenticator) publish(ctx context.Context, kind, id string) {
	if a.Redis == nil {
		return
	}
	msg, err := json.Marshal(invalidation{Origin: a.origin, Kind: kind, ID: id})
	if err != nil {
		return // cannot happen for these field types
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), publishTimeout)
	defer cancel()
	if err := a.Redis.Publish(ctx, InvalidationChannel, msg).Err(); err != nil {
		a.metrics.pubsubErrors.Inc()
		a.Logger.Error("cache: publish invalidation", "kind", kind, "err", err)
	}
}

// subscribe subscribes to InvalidationChannel, waits for the confirmation
// and starts the receive loop.
func (a *Authenticator) subscribe(ctx context.Context) error {
	ps := a.Redis.Subscribe(ctx, InvalidationChannel)
	msg, err := ps.Receive(ctx)
	if err != nil {
		_ = ps.Close()
		return fmt.Errorf("cache: subscribe to %s: %w", InvalidationChannel, err)
	}
	if _, ok := msg.(*redis.Subscription); !ok {
		_ = ps.Close()
		return fmt.Errorf("cache: subscribe to %s: unexpected reply %T", InvalidationChannel, msg)
	}
	loopCtx, cancel := context.WithCancel(context.Background())
	a.pubsub = ps
	a.stopSub = cancel
	a.subDone = make(chan struct{})
	go a.receive(loopCtx, ps)
	return nil
}

// receive applies the other replicas' invalidations until ctx ends. When the
// connection breaks, messages published meanwhile are lost, so once the
// subscription is back every cached entry is dropped.
func (a *Authenticator) receive(ctx context.Context, ps *redis.PubSub) {
	defer close(a.subDone)
	broken := false
	backoff := 100 * time.Millisecond
	for {
		msg, err := ps.ReceiveTimeout(ctx, receiveTimeout)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				// Quiet channel: check the connection is alive. A failed
				// ping breaks the connection and the next receive redials.
				if perr := ps.Ping(ctx); perr == nil {
					continue
				}
			}
			if !broken {
				a.metrics.pubsubErrors.Inc()
				a.Logger.Error("cache: invalidation subscription broken; reconnecting", "err", err)
			}
			broken = true
			select {
			case <-ctx.Done():
				return
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, maxRetryBackoff)
			continue
		}
		backoff = 100 * time.Millisecond
		switch m := msg.(type) {
		case *redis.Subscription:
			if broken && m.Kind == "subscribe" {
				a.invalidateAll("remote")
				a.Logger.Warn("cache: invalidation subscription restored; dropped every cached entry")
				broken = false
			}
		case *redis.Message:
			if broken {
				// A message on a healthy connection proves we are back.
				a.invalidateAll("remote")
				broken = false
			}
			a.handle(m.Payload)
		}
	}
}

// handle applies one message from another replica.
func (a *Authenticator) handle(payload string) {
	var inv invalidation
	if err := json.Unmarshal([]byte(payload), &inv); err != nil || inv.ID == "" {
		a.Logger.Warn("cache: ignoring malformed invalidation message")
		return
	}
	if inv.Origin == a.origin {
		return
	}
	switch inv.Kind {
	case kindSession, kindUser:
		a.apply(inv.Kind, inv.ID, "remote")
	default:
		a.Logger.Warn("cache: ignoring invalidation of unknown kind", "kind", inv.Kind)
	}
}
