// Command memtool measures authgate's memory with many distinct valid
// tokens in its verification cache (bench/run.sh runs it).
//
// It opens the database of a running authgate (SQLite or PostgreSQL),
// creates -users accounts with one session each, signs -tokens distinct
// access tokens for them with authgate's own signing key (as a login would,
// without the password hashing that would make 100,000 logins take hours),
// has authgate verify each one once through /api/auth/forward-auth, and
// reports the process's RSS and Go heap before and after, and the cache
// entries and cost authgate itself reports in /metrics.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/authgate/authgate/identity"
	"github.com/authgate/authgate/store"
	"github.com/authgate/authgate/token"
)

type options struct {
	db, base, issuer, audience string
	pid, tokens, users, conc   int
	ttl                        time.Duration
}

func main() {
	var o options
	flag.StringVar(&o.db, "db", "", "authgate's AUTHGATE_DATABASE_URL (sqlite:PATH or postgres://...)")
	flag.StringVar(&o.base, "url", "", "authgate's base URL (http://127.0.0.1:PORT)")
	flag.StringVar(&o.issuer, "issuer", "", "authgate's AUTHGATE_PUBLIC_URL (the iss of its tokens)")
	flag.StringVar(&o.audience, "audience", "authgate", "authgate's AUTHGATE_AUDIENCE")
	flag.IntVar(&o.pid, "pid", 0, "authgate's process id (for its RSS)")
	flag.IntVar(&o.tokens, "tokens", 100000, "distinct tokens to have verified")
	flag.IntVar(&o.users, "users", 1000, "accounts the tokens are spread over (one session each)")
	flag.IntVar(&o.conc, "conc", 16, "concurrent requests")
	flag.DurationVar(&o.ttl, "ttl", 15*time.Minute, "access token lifetime")
	flag.Parse()
	if err := run(context.Background(), o, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "memtool:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, o options, out io.Writer) error {
	if o.db == "" || o.base == "" || o.issuer == "" || o.pid <= 0 || o.tokens < 1 || o.users < 1 || o.conc < 1 {
		return errors.New("-db, -url, -issuer and -pid are required; -tokens, -users, -conc must be positive")
	}
	if !strings.HasPrefix(o.base, "http://127.0.0.1:") {
		return fmt.Errorf("-url %q: only http://127.0.0.1 targets", o.base)
	}
	db, err := store.Open(ctx, o.db, store.Options{})
	if err != nil {
		return fmt.Errorf("open database: %w", err)
	}
	defer db.Close()
	keys, err := token.LoadKeySet(ctx, db, token.KeySetConfig{})
	if err != nil {
		return fmt.Errorf("signing keys: %w", err)
	}
	iss, err := token.NewIssuer(keys, token.Config{Issuer: o.issuer, Audience: o.audience, AccessTTL: o.ttl})
	if err != nil {
		return err
	}

	start := time.Now()
	users := make([]*identity.User, o.users)
	sessions := make([]*identity.Session, o.users)
	for i := range users {
		u := &identity.User{UID: identity.NewID(), Email: fmt.Sprintf("mem-%d-%s@example.com", i, identity.NewID()[:6]),
			DisplayName: "Memory Test " + strconv.Itoa(i), EmailVerified: true, IsActive: true, Roles: []string{"user"}}
		if err := db.CreateUser(ctx, u); err != nil {
			return fmt.Errorf("create user %d: %w", i, err)
		}
		s := &identity.Session{UID: u.UID, ExpiresAt: time.Now().Add(24 * time.Hour), AMR: []string{"pwd"}}
		if err := db.CreateSession(ctx, s, nil); err != nil {
			return fmt.Errorf("create session %d: %w", i, err)
		}
		users[i], sessions[i] = u, s
	}
	fmt.Fprintf(out, "memtool: %d users with a session each in %s\n", o.users, time.Since(start).Round(time.Millisecond))

	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: o.conc}}

	// Sign every token first: RS256 signing is the slow part, and cached
	// tokens live at most a minute (the cache's session TTL), so the
	// verifications must all fall within that window.
	start = time.Now()
	raws := make([]string, o.tokens)
	if err := parallel(runtime.GOMAXPROCS(0), o.tokens, func(i int) error {
		raw, _, _, err := iss.IssueAccessToken(ctx, users[i%o.users], &identity.Session{ID: sessions[i%o.users].ID}, []string{"pwd"})
		raws[i] = raw
		return err
	}); err != nil {
		return fmt.Errorf("sign tokens: %w", err)
	}
	fmt.Fprintf(out, "memtool: %d distinct tokens signed in %s\n", o.tokens, time.Since(start).Round(time.Millisecond))

	before, err := sample(ctx, client, o)
	if err != nil {
		return err
	}
	start = time.Now()
	if err := parallel(o.conc, o.tokens, func(i int) error {
		return verifyOne(ctx, client, o.base, raws[i], users[i%o.users].UID)
	}); err != nil {
		return err
	}
	elapsed := time.Since(start)
	time.Sleep(500 * time.Millisecond) // ristretto admits asynchronously
	after, err := sample(ctx, client, o)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "memtool: %d distinct tokens verified in %s (%.0f/s)\n", o.tokens, elapsed.Round(time.Millisecond), float64(o.tokens)/elapsed.Seconds())
	entries := after.metric(`authgate_cache_entries{cache="token"}`)
	cost := after.metric(`authgate_cache_cost_bytes{cache="token"}`)
	fmt.Fprintf(out, "MEMORY tokens=%d users=%d rss_before_mib=%.1f rss_after_mib=%.1f rss_per_token_bytes=%.0f heap_inuse_before_mib=%.1f heap_inuse_after_mib=%.1f token_entries=%.0f token_cost_mib=%.1f cost_per_entry_bytes=%.0f profile_entries=%.0f\n",
		o.tokens, o.users, mib(before.rss), mib(after.rss), (after.rss-before.rss)/float64(o.tokens),
		mib(before.heap), mib(after.heap), entries, mib(cost), cost/max(entries, 1),
		after.metric(`authgate_cache_entries{cache="profile"}`))
	if entries < float64(o.tokens)*0.9 {
		return fmt.Errorf("only %.0f of %d tokens are cached: raise AUTHGATE_CACHE_MAX_COST", entries, o.tokens)
	}
	return nil
}

func mib(b float64) float64 { return b / (1 << 20) }

// parallel runs fn(0..n-1) on workers goroutines and returns the first
// error, with the count of failures.
func parallel(workers, n int, fn func(i int) error) error {
	var next, failed atomic.Int64
	var first error
	var once sync.Once
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				if err := fn(i); err != nil {
					failed.Add(1)
					once.Do(func() { first = err })
				}
			}
		}()
	}
	wg.Wait()
	if f := failed.Load(); f > 0 {
		return fmt.Errorf("%d of %d failed, first: %w", f, n, first)
	}
	return nil
}

// verifyOne has authgate verify raw as a forward-auth call from a proxy on
// loopback; the answer must name uid.
func verifyOne(ctx context.Context, c *http.Client, base, raw, uid string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/api/auth/forward-auth", nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+raw)
	req.Header.Set("X-Forwarded-Method", "GET")
	req.Header.Set("X-Forwarded-Host", "app.example.com")
	req.Header.Set("X-Forwarded-Uri", "/app")
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("X-User-Id") != uid {
		return fmt.Errorf("forward-auth: status %d, X-User-Id %q, want 200 %q", resp.StatusCode, resp.Header.Get("X-User-Id"), uid)
	}
	return nil
}

// snapshot is the process's memory and authgate's metrics at one moment.
type snapshot struct {
	rss, heap float64
	metrics   map[string]float64
}

func (s snapshot) metric(name string) float64 { return s.metrics[name] }

func sample(ctx context.Context, c *http.Client, o options) (snapshot, error) {
	s := snapshot{metrics: map[string]float64{}}
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", o.pid))
	if err != nil {
		return s, fmt.Errorf("rss of %d: %w", o.pid, err)
	}
	for _, line := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 64)
			if err != nil {
				return s, fmt.Errorf("VmRSS %q: %w", v, err)
			}
			s.rss = kb * 1024
		}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, o.base+"/metrics", nil)
	if err != nil {
		return s, err
	}
	resp, err := c.Do(req)
	if err != nil {
		return s, fmt.Errorf("metrics: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return s, fmt.Errorf("metrics: status %d", resp.StatusCode)
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if i < 0 {
			continue
		}
		if v, err := strconv.ParseFloat(line[i+1:], 64); err == nil {
			s.metrics[line[:i]] = v
		}
	}
	if err := sc.Err(); err != nil {
		return s, fmt.Errorf("metrics: %w", err)
	}
	s.heap = s.metrics["go_memstats_heap_inuse_bytes"]
	return s, nil
}
