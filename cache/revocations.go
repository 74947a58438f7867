package cache

import (
	"hash/maphash"
	"sync"
	"time"
)

const revocationShards = 64

// revocations remembers, per session id or uid, the epoch of its latest
// invalidation. Ristretto cannot iterate over entries by session or user, so
// instead of deleting the entries an invalidation records an epoch, and every
// hit compares the entry's epoch with it. Lookups take one shard's read lock:
// no global lock on the hot path.
type revocations struct {
	seed   maphash.Seed
	shards [revocationShards]revocationShard
}

type revocationShard struct {
	mu sync.RWMutex
	m  map[string]revocation
	_  [40]byte // keep shards on separate cache lines
}

type revocation struct {
	epoch   uint64
	expires int64 // unix nanoseconds, by the Authenticator's clock
}

func newRevocations() *revocations {
	r := &revocations{seed: maphash.MakeSeed()}
	for i := range r.shards {
		r.shards[i].m = make(map[string]revocation)
	}
	return r
}

func (r *revocations) shard(key string) *revocationShard {
	return &r.shards[maphash.String(r.seed, key)%revocationShards]
}

// epoch returns the epoch of key's latest invalidation, 0 if none is remembered.
func (r *revocations) epoch(key string) uint64 {
	s := r.shard(key)
	s.mu.RLock()
	rev := s.m[key]
	s.mu.RUnlock()
	return rev.epoch
}

// record remembers an invalidation of key at epoch until expires.
func (r *revocations) record(key string, epoch uint64, expires time.Time) {
	s := r.shard(key)
	s.mu.Lock()
	if cur, ok := s.m[key]; !ok || cur.epoch < epoch {
		s.m[key] = revocation{epoch: epoch, expires: expires.UnixNano()}
	}
	s.mu.Unlock()
}

// sweep forgets the records that expired before now.
func (r *revocations) sweep(now time.Time) {
	n := now.UnixNano()
	for i := range r.shards {
		s := &r.shards[i]
		s.mu.Lock()
		for k, rev := range s.m {
			if rev.expires < n {
				delete(s.m, k)
			}
		}
		s.mu.Unlock()
	}
}
