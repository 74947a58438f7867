package limiter_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/authgate/authgate/identity"
	"github.com/authgate/authgate/internal/testenv"
	"github.com/authgate/authgate/limiter"
)

var testRates = map[string]limiter.Rate{
	"five_per_min":  {Limit: 5, Period: time.Minute},
	"three_per_min": {Limit: 3, Period: time.Minute},
	"twenty":        {Limit: 20, Period: time.Minute},
	"two_per_sec":   {Limit: 2, Period: time.Second},
}

func redisClient(t *testing.T) *redis.Client {
	t.Helper()
	opt, err := redis.ParseURL(testenv.RedisURL(t))
	if err != nil {
		t.Fatal(err)
	}
	c := redis.NewClient(opt)
	t.Cleanup(func() { c.Close() })
	return c
}

// stores lists every implementation the contract runs against.
func stores(t *testing.T) map[string]func(t *testing.T) *limiter.Limiter {
	return map[string]func(t *testing.T) *limiter.Limiter{
		"memory": func(t *testing.T) *limiter.Limiter {
			l, err := limiter.New(context.Background(), testRates, nil)
			if err != nil {
				t.Fatal(err)
			}
			return l
		},
		"redis": func(t *testing.T) *limiter.Limiter {
			l, err := limiter.New(context.Background(), testRates, redisClient(t))
			if err != nil {
				t.Fatal(err)
			}
			return l
		},
	}
}

// uniqueKey keeps runs apart on the shared Redis.
func uniqueKey(t *testing.T, s string) string { return s + "/" + t.Name() + "/" + identity.NewID() }

func TestContract(t *testing.T) {
	for name, open := range stores(t) {
		t.Run(name, func(t *testing.T) {
			t.Run("TakeUntilReached", func(t *testing.T) { testTakeUntilReached(t, open(t)) })
			t.Run("PeekDoesNotCount", func(t *testing.T) { testPeek(t, open(t)) })
			t.Run("Reset", func(t *testing.T) { testReset(t, open(t)) })
			t.Run("KeysIsolated", func(t *testing.T) { testIsolation(t, open(t)) })
			t.Run("UnknownLimit", func(t *testing.T) { testUnknown(t, open(t)) })
			t.Run("Concurrent", func(t *testing.T) { testConcurrent(t, open(t)) })
			t.Run("WindowEnds", func(t *testing.T) { testWindowEnds(t, open(t)) })
		})
	}
}

func take(t *testing.T, l *limiter.Limiter, limit, key string) identity.LimitResult {
	t.Helper()
	r, err := l.Take(context.Background(), limit, key)
	if err != nil {
		t.Fatalf("Take(%s): %v", limit, err)
	}
	return r
}

func peek(t *testing.T, l *limiter.Limiter, limit, key string) identity.LimitResult {
	t.Helper()
	r, err := l.Peek(context.Background(), limit, key)
	if err != nil {
		t.Fatalf("Peek(%s): %v", limit, err)
	}
	return r
}

func testTakeUntilReached(t *testing.T, l *limiter.Limiter) {
	key := uniqueKey(t, "ada@example.com")
	for i := 1; i <= 5; i++ {
		r := take(t, l, "five_per_min", key)
		if r.Reached || r.Remaining != int64(5-i) || r.Limit != 5 || r.RetryAfter != 0 {
			t.Fatalf("take %d: %+v", i, r)
		}
	}
	r := take(t, l, "five_per_min", key)
	if !r.Reached || r.Remaining != 0 {
		t.Fatalf("take 6: %+v, want reached", r)
	}
	if r.RetryAfter < time.Second || r.RetryAfter > time.Minute || r.RetryAfter%time.Second != 0 {
		t.Fatalf("RetryAfter = %s, want whole seconds in [1s, 1m]", r.RetryAfter)
	}
	if r := take(t, l, "five_per_min", key); !r.Reached {
		t.Fatalf("take 7: %+v, want still reached", r)
	}
}

func testPeek(t *testing.T, l *limiter.Limiter) {
	key := uniqueKey(t, "10.0.0.1")
	if r := peek(t, l, "three_per_min", key); r.Reached || r.Remaining != 3 {
		t.Fatalf("peek of a fresh key: %+v", r)
	}
	take(t, l, "three_per_min", key)
	for range 10 {
		if r := peek(t, l, "three_per_min", key); r.Reached || r.Remaining != 2 {
			t.Fatalf("peek after one take: %+v", r)
		}
	}
	take(t, l, "three_per_min", key)
	take(t, l, "three_per_min", key)
	// The budget is used up: the next attempt must be refused before any work.
	r := peek(t, l, "three_per_min", key)
	if !r.Reached || r.Remaining != 0 || r.RetryAfter <= 0 {
		t.Fatalf("peek at the limit: %+v, want reached with RetryAfter", r)
	}
}

func testReset(t *testing.T, l *limiter.Limiter) {
	key := uniqueKey(t, "bob@example.com")
	for range 4 {
		take(t, l, "three_per_min", key)
	}
	if err := l.Reset(context.Background(), "three_per_min", key); err != nil {
		t.Fatal(err)
	}
	if r := take(t, l, "three_per_min", key); r.Reached || r.Remaining != 2 {
		t.Fatalf("take after reset: %+v", r)
	}
}

func testIsolation(t *testing.T, l *limiter.Limiter) {
	key := uniqueKey(t, "carol@example.com")
	for range 3 {
		take(t, l, "three_per_min", key)
	}
	if r := take(t, l, "three_per_min", key); !r.Reached {
		t.Fatal("limit not reached")
	}
	if r := take(t, l, "five_per_min", key); r.Reached || r.Remaining != 4 {
		t.Fatalf("the same key under another limit: %+v, want counted apart", r)
	}
	if r := take(t, l, "three_per_min", key+"x"); r.Reached || r.Remaining != 2 {
		t.Fatalf("another key under the same limit: %+v, want counted apart", r)
	}
	// Reset under one limit leaves the other alone.
	if err := l.Reset(context.Background(), "five_per_min", key); err != nil {
		t.Fatal(err)
	}
	if r := peek(t, l, "three_per_min", key); !r.Reached {
		t.Fatalf("reset of another limit cleared this one: %+v", r)
	}
}

func testUnknown(t *testing.T, l *limiter.Limiter) {
	ctx := context.Background()
	if _, err := l.Take(ctx, "login_acount", "k"); !errors.Is(err, limiter.ErrUnknownLimit) {
		t.Errorf("Take: %v, want ErrUnknownLimit", err)
	}
	if _, err := l.Peek(ctx, "", "k"); !errors.Is(err, limiter.ErrUnknownLimit) {
		t.Errorf("Peek: %v, want ErrUnknownLimit", err)
	}
	if err := l.Reset(ctx, "nope", "k"); !errors.Is(err, limiter.ErrUnknownLimit) {
		t.Errorf("Reset: %v, want ErrUnknownLimit", err)
	}
}

func testConcurrent(t *testing.T, l *limiter.Limiter) {
	key := uniqueKey(t, "10.0.0.2")
	var wg sync.WaitGroup
	var mu sync.Mutex
	allowed := 0
	for range 60 {
		wg.Go(func() {
			r, err := l.Take(context.Background(), "twenty", key)
			if err != nil {
				t.Error(err)
				return
			}
			if !r.Reached {
				mu.Lock()
				allowed++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if allowed != 20 {
		t.Fatalf("%d of 60 concurrent events allowed, want exactly 20", allowed)
	}
}

func testWindowEnds(t *testing.T, l *limiter.Limiter) {
	key := uniqueKey(t, "dave@example.com")
	for range 3 {
		take(t, l, "two_per_sec", key)
	}
	if r := peek(t, l, "two_per_sec", key); !r.Reached || r.RetryAfter != time.Second {
		t.Fatalf("at the limit: %+v, want RetryAfter 1s (capped by the period)", r)
	}
	time.Sleep(2100 * time.Millisecond) // well past the 1s window
	if r := take(t, l, "two_per_sec", key); r.Reached || r.Remaining != 1 {
		t.Fatalf("after the window: %+v, want a fresh count (no permanent lockout)", r)
	}
}

func TestRedisSharedAndHashed(t *testing.T) {
	ctx := context.Background()
	rdb := redisClient(t)
	one, err := limiter.New(ctx, testRates, rdb)
	if err != nil {
		t.Fatal(err)
	}
	two, err := limiter.New(ctx, testRates, redisClient(t))
	if err != nil {
		t.Fatal(err)
	}
	email := strings.ToLower("Shared-" + identity.NewID() + "@example.com")
	take(t, one, "three_per_min", email)
	take(t, two, "three_per_min", email)
	if r := take(t, one, "three_per_min", email); r.Reached || r.Remaining != 0 {
		t.Fatalf("replicas do not share counts: %+v", r)
	}
	if r := peek(t, two, "three_per_min", email); !r.Reached {
		t.Fatalf("replica two does not see the shared count: %+v", r)
	}

	keys, err := rdb.Keys(ctx, limiter.KeyPrefix+":three_per_min:*").Result()
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) == 0 {
		t.Fatal("no keys under the limit's prefix")
	}
	local := email[:strings.IndexByte(email, '@')]
	all, err := rdb.Keys(ctx, "*").Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range all {
		if strings.Contains(strings.ToLower(k), strings.ToLower(local)) || strings.Contains(k, "example.com") {
			t.Fatalf("raw key in Redis: %q", k)
		}
	}
}

func TestNewValidates(t *testing.T) {
	ctx := context.Background()
	for name, rates := range map[string]map[string]limiter.Rate{
		"empty":       {},
		"zero limit":  {"a": {Limit: 0, Period: time.Minute}},
		"tiny period": {"a": {Limit: 1, Period: time.Millisecond}},
		"bad name":    {"Login-IP": {Limit: 1, Period: time.Minute}},
	} {
		if _, err := limiter.New(ctx, rates, nil); err == nil {
			t.Errorf("%s: New accepted it", name)
		}
	}
	l, err := limiter.New(ctx, limiter.DefaultRates(), nil)
	if err != nil {
		t.Fatalf("defaults: %v", err)
	}
	for name, want := range limiter.DefaultRates() {
		if r, ok := l.Rate(name); !ok || r != want {
			t.Errorf("%s = %+v %v, want %+v", name, r, ok, want)
		}
	}
	for name, want := range map[string]limiter.Rate{
		limiter.LoginAccountIP: {Limit: 5, Period: 15 * time.Minute},
		limiter.LoginAccount:   {Limit: 20, Period: 30 * time.Minute},
		limiter.LoginIP:        {Limit: 50, Period: 15 * time.Minute},
	} {
		if r, ok := l.Rate(name); !ok || r != want {
			t.Errorf("%s = %+v %v, want %+v", name, r, ok, want)
		}
	}
}
