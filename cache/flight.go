package cache

import (
	"context"
	"errors"
	"sync"

	"github.com/authgate/authgate/identity"
)

// flightGroup makes concurrent misses of the same token share one
// verification, so a popular token whose entry expired costs one round of
// store reads, not one per waiting request.
type flightGroup struct {
	mu sync.Mutex
	m  map[string]*flight
}

type flight struct {
	done chan struct{}
	p    *identity.Principal
	err  error
}

// do runs fn once for concurrent callers with the same key. A follower whose
// leader failed only because of the leader's context runs fn itself.
func (g *flightGroup) do(ctx context.Context, key string, fn func() (*identity.Principal, error)) (*identity.Principal, error) {
	g.mu.Lock()
	if g.m == nil {
		g.m = make(map[string]*flight)
	}
	if f, ok := g.m[key]; ok {
		g.mu.Unlock()
		select {
		case <-f.done:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		if f.err != nil && isContextError(f.err) && ctx.Err() == nil {
			return fn()
		}
		return copyPrincipal(f.p), f.err
	}
	// Until fn returns, followers see an error, also if fn panics.
	f := &flight{done: make(chan struct{}), err: errFlightAborted}
	g.m[key] = f
	g.mu.Unlock()

	defer func() {
		g.mu.Lock()
		delete(g.m, key)
		g.mu.Unlock()
		close(f.done)
	}()
	f.p, f.err = fn()
	return copyPrincipal(f.p), f.err
}

// errFlightAborted is what followers get when the leader's verification panicked.
var errFlightAborted = errors.New("cache: concurrent verification aborted")

func isContextError(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

// copyPrincipal returns a shallow copy: callers may change the fields they
// get; its slices and claims map are shared and must not be modified.
func copyPrincipal(p *identity.Principal) *identity.Principal {
	if p == nil {
		return nil
	}
	c := *p
	return &c
}
