package cache_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/authgate/authgate/cache"
	"github.com/authgate/authgate/identity"
	"github.com/authgate/authgate/internal/testenv"
)

func newRedis(t *testing.T) *redis.Client {
	t.Helper()
	opt, err := redis.ParseURL(testenv.RedisURL(t))
	if err != nil {
		t.Fatal(err)
	}
	c := redis.NewClient(opt)
	t.Cleanup(func() { c.Close() })
	return c
}

// eventually polls cond every 10ms for at most 5s (a bound, not a timing
// assertion: it normally succeeds within milliseconds).
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestRedisInvalidationReachesOtherReplica runs two Authenticators, as two
// replicas, sharing one store and one Redis.
func TestRedisInvalidationReachesOtherReplica(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t) // its Authenticator has no Redis; only the fakes are used
	replica := func() *cache.Authenticator {
		a := &cache.Authenticator{Next: f.next, Users: f.store, Sessions: f.store, Now: f.clock.Now, Redis: newRedis(t)}
		if err := a.Open(ctx); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { a.Close() })
		return a
	}
	one, two := replica(), replica()
	for _, a := range []*cache.Authenticator{one, two} {
		if _, err := a.Verify(ctx, tok); err != nil {
			t.Fatal(err)
		}
		a.Wait()
	}
	calls := f.next.calls.Load()
	if _, err := two.Verify(ctx, tok); err != nil {
		t.Fatal(err)
	}
	if f.next.calls.Load() != calls {
		t.Fatal("replica two did not cache the token")
	}

	// Role change on replica one reaches replica two.
	f.store.editUser("u1", func(u *identity.User) { u.Roles = []string{"admin"} })
	one.InvalidateUser(ctx, "u1")
	eventually(t, "replica two sees the new role", func() bool {
		p, err := two.Verify(ctx, tok)
		return err == nil && p.HasRole("admin")
	})

	// Logout on replica one: replica two refuses the cached token.
	if err := f.store.RevokeSession(ctx, "s1", f.clock.Now()); err != nil {
		t.Fatal(err)
	}
	two.Wait()
	if _, err := two.Verify(ctx, tok); err != nil {
		t.Fatalf("before the invalidation replica two should still answer from its cache: %v", err)
	}
	one.InvalidateSession(ctx, "s1")
	eventually(t, "replica two refuses the revoked session", func() bool {
		_, err := two.Verify(ctx, tok)
		return identity.IsCode(err, identity.EINVALIDTOKEN)
	})
	if _, err := one.Verify(ctx, tok); !identity.IsCode(err, identity.EINVALIDTOKEN) {
		t.Fatalf("replica one: %v, want invalid_token", err)
	}
}

func TestRedisMalformedMessagesIgnored(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	rdb := newRedis(t)
	a := &cache.Authenticator{Next: f.next, Users: f.store, Sessions: f.store, Now: f.clock.Now, Redis: rdb}
	if err := a.Open(ctx); err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if _, err := a.Verify(ctx, tok); err != nil {
		t.Fatal(err)
	}
	a.Wait()
	for _, msg := range []string{"", "{", `{"kind":"user"}`, `{"kind":"nope","id":"u1"}`, `{"origin":"x","kind":"session","id":"s1"}`} {
		if err := rdb.Publish(ctx, cache.InvalidationChannel, msg).Err(); err != nil {
			t.Fatal(err)
		}
	}
	// The last message is a valid invalidation from another replica: once
	// it is applied, every message before it was handled (Redis keeps order).
	calls := f.next.calls.Load()
	eventually(t, "the valid message is applied", func() bool {
		_, _ = a.Verify(ctx, tok)
		a.Wait()
		return f.next.calls.Load() > calls
	})
}

// TestRedisSubscriptionLossDropsEverything breaks the subscription's
// connection: invalidations published meanwhile are lost, so once it is back
// every cached entry must be re-verified.
func TestRedisSubscriptionLossDropsEverything(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	opt, err := redis.ParseURL(testenv.RedisURL(t))
	if err != nil {
		t.Fatal(err)
	}
	name := "authgate-cache-test-" + identity.NewID()
	opt.ClientName = name
	rdb := redis.NewClient(opt)
	defer rdb.Close()
	a := &cache.Authenticator{Next: f.next, Users: f.store, Sessions: f.store, Now: f.clock.Now, Redis: rdb}
	if err := a.Open(ctx); err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if _, err := a.Verify(ctx, tok); err != nil {
		t.Fatal(err)
	}
	a.Wait()
	calls := f.next.calls.Load()

	admin := newRedis(t)
	list, err := admin.ClientList(ctx).Result()
	if err != nil {
		t.Fatal(err)
	}
	killed := 0
	for line := range strings.Lines(list) {
		if !strings.Contains(line, " name="+name+" ") {
			continue
		}
		for field := range strings.FieldsSeq(line) {
			if id, ok := strings.CutPrefix(field, "id="); ok {
				n, _ := strconv.ParseInt(id, 10, 64)
				if err := admin.ClientKillByFilter(ctx, "ID", strconv.FormatInt(n, 10)).Err(); err != nil {
					t.Fatal(err)
				}
				killed++
			}
		}
	}
	if killed == 0 {
		t.Fatalf("no connection named %s in CLIENT LIST", name)
	}
	eventually(t, "the cache is dropped after the subscription comes back", func() bool {
		_, err := a.Verify(ctx, tok)
		a.Wait()
		return err == nil && f.next.calls.Load() > calls
	})
	// And it works again: an invalidation from another replica arrives.
	b := &cache.Authenticator{Next: f.next, Users: f.store, Sessions: f.store, Now: f.clock.Now, Redis: newRedis(t)}
	if err := b.Open(ctx); err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if err := f.store.RevokeSession(ctx, "s1", f.clock.Now()); err != nil {
		t.Fatal(err)
	}
	b.InvalidateSession(ctx, "s1")
	eventually(t, "the restored subscription delivers invalidations", func() bool {
		_, err := a.Verify(ctx, tok)
		return identity.IsCode(err, identity.EINVALIDTOKEN)
	})
}
