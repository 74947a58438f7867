package cache_test

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/authgate/authgate/cache"
	"github.com/authgate/authgate/identity"
)

// jwtSized is a token of a realistic RS256 access token's length.
var jwtSized = "eyJhbGciOiJSUzI1NiIsImtpZCI6ImsxIiwidHlwIjoiSldUIn0." + strings.Repeat("x", 800)

func BenchmarkVerifyCached(b *testing.B) {
	f := newFixture(b)
	now := f.clock.Now()
	f.next.add(jwtSized, identity.Principal{UID: "u1", SessionID: "s1", Source: identity.SourceAuthgate,
		IssuedAt: now, ExpiresAt: now.Add(time.Hour)})
	f.mustVerify(b, jwtSized)
	ctx := context.Background()
	// Revocation records for other sessions and users, as in production.
	for i := range 1000 {
		f.a.InvalidateSession(ctx, fmt.Sprintf("other-session-%d", i))
		f.a.InvalidateUser(ctx, fmt.Sprintf("other-user-%d", i))
	}
	f.a.Wait()
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := f.a.Verify(ctx, jwtSized); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
	if calls := f.next.calls.Load(); calls != 1 {
		b.Fatalf("Next called %d times: the benchmark did not measure hits", calls)
	}
}

// BenchmarkVerifyUncached measures the miss path with a free Next verifier
// and in-memory stores (profile cached): the cache's own overhead on a miss.
func BenchmarkVerifyUncached(b *testing.B) {
	f := newFixture(b)
	now := f.clock.Now()
	tokens := make([]string, 4096)
	for i := range tokens {
		tokens[i] = fmt.Sprintf("%s-%d", jwtSized, i)
		f.next.add(tokens[i], identity.Principal{UID: "u1", SessionID: "s1", Source: identity.SourceAuthgate,
			IssuedAt: now, ExpiresAt: now.Add(time.Hour)})
	}
	ctx := context.Background()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		// Invalidating the session first makes every Verify a miss.
		f.a.InvalidateSession(ctx, "s1")
		if _, err := f.a.Verify(ctx, tokens[i%len(tokens)]); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkProfileMemory100k caches 100,000 profiles and reports the heap
// they take (bytes/profile); the README states the total for 100k.
func BenchmarkProfileMemory100k(b *testing.B) {
	const n = 100_000
	for range b.N {
		b.StopTimer()
		store := newFakeStore()
		for i := range n {
			store.putUser(identity.User{UID: fmt.Sprintf("uid-%020d", i), Email: fmt.Sprintf("user%d@example.com", i),
				DisplayName: fmt.Sprintf("User Number %d", i), IsActive: true, EmailVerified: true,
				Roles: []string{"user"}, CreatedAt: time.Now(), UpdatedAt: time.Now()})
		}
		beforeOpen := heapInUse()
		// Default sizes: the default profile cache must hold 100k profiles.
		a := &cache.Authenticator{Next: newFakeVerifier(time.Now), Users: store, Sessions: store,
			Config: cache.Config{ProfileTTL: time.Hour}}
		if err := a.Open(context.Background()); err != nil {
			b.Fatal(err)
		}
		ctx := context.Background()
		before := heapInUse()
		b.StartTimer()
		for i := range n {
			if _, err := a.Profile(ctx, fmt.Sprintf("uid-%020d", i)); err != nil {
				b.Fatal(err)
			}
			if i%1000 == 999 {
				a.Wait() // ristretto drops sets when its buffer is full
			}
		}
		a.Wait()
		b.StopTimer()
		after := heapInUse()
		b.ReportMetric(float64(after-before)/n, "bytes/profile")
		b.ReportMetric(float64(after-before)/(1<<20), "MiB/100k")
		// Including the fixed structures Open sizes from the configured
		// bounds (admission counters of both caches).
		b.ReportMetric(float64(after-beforeOpen)/(1<<20), "MiB-total")
		reads := store.userReads.Load()
		for i := range n {
			if _, err := a.Profile(ctx, fmt.Sprintf("uid-%020d", i)); err != nil {
				b.Fatal(err)
			}
		}
		if missed := store.userReads.Load() - reads; missed > n/100 {
			b.Fatalf("%d of %d profiles were not cached", missed, n)
		}
		runtime.KeepAlive(store)
		a.Close()
	}
}

func heapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}
