package password_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/authgate/authgate/password"
)

// testParams keep the tests fast; TestDefaultParams uses the real ones.
var testParams = password.Params{Memory: 64, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}

func newHasher(t testing.TB, opts ...password.Option) *password.Hasher {
	t.Helper()
	h, err := password.New(append([]password.Option{password.WithParams(testParams)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestHashVerifyRoundTrip(t *testing.T) {
	ctx := context.Background()
	h := newHasher(t)
	const pw = "correct horse battery staple"

	enc, err := h.Hash(ctx, pw)
	if err != nil {
		t.Fatal(err)
	}
	if want := "$argon2id$v=19$m=64,t=1,p=1$"; !strings.HasPrefix(enc, want) {
		t.Fatalf("hash %q, want prefix %q", enc, want)
	}
	ok, err := h.Verify(ctx, pw, enc)
	if err != nil || !ok {
		t.Fatalf("Verify(right password) = %v, %v; want true, nil", ok, err)
	}
	for _, wrong := range []string{"", "correct horse battery stapl", "Correct horse battery staple", pw + " ", pw + "\x00"} {
		ok, err := h.Verify(ctx, wrong, enc)
		if err != nil || ok {
			t.Errorf("Verify(%q) = %v, %v; want false, nil", wrong, ok, err)
		}
	}
	enc2, err := h.Hash(ctx, pw)
	if err != nil {
		t.Fatal(err)
	}
	if enc2 == enc {
		t.Error("two hashes of one password are equal: the salt is not random")
	}
	if h.NeedsRehash(enc) {
		t.Error("NeedsRehash(fresh hash) = true")
	}
}

func TestVerifyNormalizesUnicode(t *testing.T) {
	ctx := context.Background()
	h := newHasher(t)
	composed := "caf\u00e9 au lait"    // é as one code point (NFC, Windows, most keyboards)
	decomposed := "cafe\u0301 au lait" // e + combining acute (NFD, macOS file names)
	enc, err := h.Hash(ctx, composed)
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := h.Verify(ctx, decomposed, enc); err != nil || !ok {
		t.Fatalf("Verify(NFD form of an NFC password) = %v, %v; want true", ok, err)
	}
}

func TestDefaultParams(t *testing.T) {
	ctx := context.Background()
	h, err := password.New()
	if err != nil {
		t.Fatal(err)
	}
	if h.Params() != password.DefaultParams {
		t.Fatalf("Params() = %+v, want %+v", h.Params(), password.DefaultParams)
	}
	enc, err := h.Hash(ctx, "tq8#vLz2-default")
	if err != nil {
		t.Fatal(err)
	}
	const want = "$argon2id$v=19$m=19456,t=2,p=1$"
	if !strings.HasPrefix(enc, want) {
		t.Fatalf("hash %q, want prefix %q", enc, want)
	}
	p, salt, key, err := password.ParseArgon2id(enc)
	if err != nil {
		t.Fatal(err)
	}
	if len(salt) != 16 || len(key) != 32 || p != password.DefaultParams {
		t.Errorf("salt %d bytes, key %d bytes, params %+v; want 16, 32, defaults", len(salt), len(key), p)
	}
	if ok, err := h.Verify(ctx, "tq8#vLz2-default", enc); err != nil || !ok {
		t.Fatalf("Verify = %v, %v", ok, err)
	}
	// A hash made with other (test) parameters verifies, and is due a rehash.
	old, err := newHasher(t).Hash(ctx, "tq8#vLz2-default")
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := h.Verify(ctx, "tq8#vLz2-default", old); err != nil || !ok {
		t.Fatalf("Verify(hash with other params) = %v, %v", ok, err)
	}
	if !h.NeedsRehash(old) {
		t.Error("NeedsRehash(hash with weaker params) = false")
	}
}

func TestVerifyMalformed(t *testing.T) {
	ctx := context.Background()
	h := newHasher(t)
	good, err := h.Hash(ctx, "whatever-password")
	if err != nil {
		t.Fatal(err)
	}
	salt := "c2FsdHNhbHRzYWx0c2FsdA"                     // 16 bytes
	key := "a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2U" // 32 bytes
	tests := []struct{ name, enc string }{
		{"empty", ""},
		{"plain text", "hunter2"},
		{"dollar only", "$"},
		{"argon2i", "$argon2i$v=19$m=64,t=1,p=1$" + salt + "$" + key},
		{"argon2d", "$argon2d$v=19$m=64,t=1,p=1$" + salt + "$" + key},
		{"scrypt", "$scrypt$ln=16,r=8,p=1$" + salt + "$" + key},
		{"missing key", "$argon2id$v=19$m=64,t=1,p=1$" + salt},
		{"extra field", good + "$x"},
		{"no version", "$argon2id$m=64,t=1,p=1$" + salt + "$" + key},
		{"version 16", "$argon2id$v=16$m=64,t=1,p=1$" + salt + "$" + key},
		{"version with sign", "$argon2id$v=+19$m=64,t=1,p=1$" + salt + "$" + key},
		{"params out of order", "$argon2id$v=19$t=1,m=64,p=1$" + salt + "$" + key},
		{"missing param", "$argon2id$v=19$m=64,t=1$" + salt + "$" + key},
		{"extra param", "$argon2id$v=19$m=64,t=1,p=1,keyid=x$" + salt + "$" + key},
		{"negative memory", "$argon2id$v=19$m=-64,t=1,p=1$" + salt + "$" + key},
		{"leading zero", "$argon2id$v=19$m=064,t=1,p=1$" + salt + "$" + key},
		{"memory overflow", "$argon2id$v=19$m=99999999999,t=1,p=1$" + salt + "$" + key},
		{"memory above bound (4 GiB)", "$argon2id$v=19$m=4194304,t=1,p=1$" + salt + "$" + key},
		{"memory below 8p", "$argon2id$v=19$m=7,t=1,p=1$" + salt + "$" + key},
		{"zero iterations", "$argon2id$v=19$m=64,t=0,p=1$" + salt + "$" + key},
		{"huge iterations", "$argon2id$v=19$m=64,t=1000000,p=1$" + salt + "$" + key},
		{"zero parallelism", "$argon2id$v=19$m=64,t=1,p=0$" + salt + "$" + key},
		{"parallelism over 255", "$argon2id$v=19$m=4096,t=1,p=256$" + salt + "$" + key},
		{"salt not base64", "$argon2id$v=19$m=64,t=1,p=1$!!!!$" + key},
		{"salt padded", "$argon2id$v=19$m=64,t=1,p=1$" + salt + "==$" + key},
		{"salt too short", "$argon2id$v=19$m=64,t=1,p=1$c2FsdA$" + key},
		{"key empty", "$argon2id$v=19$m=64,t=1,p=1$" + salt + "$"},
		{"key too short", "$argon2id$v=19$m=64,t=1,p=1$" + salt + "$a2V5"},
		{"url-safe alphabet", "$argon2id$v=19$m=64,t=1,p=1$" + salt + "$" + strings.ReplaceAll(key, "a", "-")},
		{"very long", "$argon2id$v=19$m=64,t=1,p=1$" + strings.Repeat("A", 10000) + "$" + key},
		{"bcrypt truncated", "$2a$10$abc"},
		{"bcrypt bad cost", "$2a$xx$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"},
		{"bcrypt cost 31", "$2a$31$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"},
		{"bcrypt 2x variant", "$2x$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, err := h.Verify(ctx, "whatever-password", tt.enc)
			if ok {
				t.Fatal("Verify = true for a malformed hash")
			}
			if !errors.Is(err, password.ErrMalformedHash) {
				t.Fatalf("err = %v, want ErrMalformedHash", err)
			}
			if !h.NeedsRehash(tt.enc) {
				t.Error("NeedsRehash(malformed) = false")
			}
		})
	}
}

func TestBcryptCompatibility(t *testing.T) {
	ctx := context.Background()
	h := newHasher(t)
	const pw = "imported-Passw0rd"
	raw, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	a := string(raw)
	if !strings.HasPrefix(a, "$2a$") {
		t.Fatalf("bcrypt hash %q, want $2a$", a)
	}
	for _, enc := range []string{a, "$2b$" + a[4:], "$2y$" + a[4:]} {
		t.Run(enc[:4], func(t *testing.T) {
			if ok, err := h.Verify(ctx, pw, enc); err != nil || !ok {
				t.Fatalf("Verify(right) = %v, %v; want true", ok, err)
			}
			if ok, err := h.Verify(ctx, pw+"x", enc); err != nil || ok {
				t.Fatalf("Verify(wrong) = %v, %v; want false, nil", ok, err)
			}
			if !h.NeedsRehash(enc) {
				t.Error("NeedsRehash(bcrypt) = false")
			}
		})
	}

	// bcrypt only reads 72 bytes: a longer password that starts with the
	// right 72 bytes must not match.
	long := strings.Repeat("k", 72)
	raw, err = bcrypt.GenerateFromPassword([]byte(long), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	if ok, _ := h.Verify(ctx, long, string(raw)); !ok {
		t.Fatal("Verify(72-byte password) = false")
	}
	if ok, err := h.Verify(ctx, long+"suffix", string(raw)); ok || err != nil {
		t.Fatalf("Verify(72 bytes + suffix) = %v, %v; want false, nil", ok, err)
	}
}

func TestNeedsRehash(t *testing.T) {
	h := newHasher(t)
	salt, key := make([]byte, 16), make([]byte, 32)
	tests := []struct {
		name string
		p    password.Params
		want bool
	}{
		{"same params", testParams, false},
		{"more memory", password.Params{Memory: 128, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}, true},
		{"more iterations", password.Params{Memory: 64, Iterations: 2, Parallelism: 1, SaltLength: 16, KeyLength: 32}, true},
		{"more lanes", password.Params{Memory: 64, Iterations: 1, Parallelism: 2, SaltLength: 16, KeyLength: 32}, true},
		{"shorter key", password.Params{Memory: 64, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 16}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			enc := password.EncodeArgon2id(tt.p, salt[:tt.p.SaltLength], key[:tt.p.KeyLength])
			if got := h.NeedsRehash(enc); got != tt.want {
				t.Errorf("NeedsRehash(%s) = %v, want %v", enc, got, tt.want)
			}
		})
	}
}

func TestNewRefusesBadParams(t *testing.T) {
	for _, p := range []password.Params{
		{},
		{Memory: 64, Iterations: 1, Parallelism: 1, SaltLength: 4, KeyLength: 32},
		{Memory: 64, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 8},
		{Memory: 1 << 30, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32},
	} {
		if _, err := password.New(password.WithParams(p)); err == nil {
			t.Errorf("New(%+v) = nil error", p)
		}
	}
}

// TestDummyVerifySameWork checks that DummyVerify runs argon2id with the
// same parameters as verifying a real hash of this Hasher.
func TestDummyVerifySameWork(t *testing.T) {
	ctx := context.Background()
	h := newHasher(t)
	enc, err := h.Hash(ctx, "some-password")
	if err != nil {
		t.Fatal(err)
	}
	var calls []password.Params
	password.StubArgon2(h, func(p password.Params) { calls = append(calls, p) })
	if _, err := h.Verify(ctx, "wrong-password", enc); err != nil {
		t.Fatal(err)
	}
	if err := h.DummyVerify(ctx, "wrong-password"); err != nil {
		t.Fatal(err)
	}
	if len(calls) != 2 || calls[0] != calls[1] || calls[0] != testParams {
		t.Fatalf("argon2id calls = %+v, want two with %+v", calls, testParams)
	}
}

// TestConcurrencyBound starts many operations at once against a Hasher that
// allows 2, holds every operation inside the hashing hook, and checks that
// never more than 2 are inside at any moment while all eventually finish.
func TestConcurrencyBound(t *testing.T) {
	const limit, callers = 2, 12
	h := newHasher(t, password.WithConcurrency(limit))
	if h.Concurrency() != limit {
		t.Fatalf("Concurrency() = %d, want %d", h.Concurrency(), limit)
	}
	enc, err := h.Hash(context.Background(), "pw-for-verify")
	if err != nil {
		t.Fatal(err)
	}
	raw, err := bcrypt.GenerateFromPassword([]byte("pw-for-bcrypt"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}

	var inside, peak atomic.Int32
	entered := make(chan struct{}, callers)
	release := make(chan struct{})
	password.AroundWork(h, func(work func()) {
		n := inside.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		entered <- struct{}{}
		<-release
		work()
		inside.Add(-1)
	})

	var wg sync.WaitGroup
	errs := make(chan error, callers)
	for i := range callers {
		wg.Go(func() {
			ctx := context.Background()
			var err error
			switch i % 4 {
			case 0:
				_, err = h.Hash(ctx, "pw")
			case 1:
				_, err = h.Verify(ctx, "pw-for-verify", enc)
			case 2:
				_, err = h.Verify(ctx, "pw-for-bcrypt", string(raw))
			default:
				err = h.DummyVerify(ctx, "pw")
			}
			errs <- err
		})
	}
	// Wait until the first limit operations are inside, then release them
	// one at a time: each release frees one slot for one waiter. The peak
	// is recorded at every entry, so a third operation inside at any moment
	// would show.
	for range limit {
		<-entered
	}
	if n := inside.Load(); n != limit {
		t.Fatalf("%d operations inside, want %d", n, limit)
	}
	for i := range callers {
		release <- struct{}{}
		if i+limit < callers {
			<-entered
			if n := inside.Load(); n > limit {
				t.Fatalf("%d operations inside the hook, limit %d", n, limit)
			}
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if p := peak.Load(); p != limit {
		t.Errorf("peak concurrency %d, want exactly %d (bounded and actually concurrent)", p, limit)
	}
}

// TestWaitRespectsContext fills every slot and checks that a waiting caller
// gives up when its context ends.
func TestWaitRespectsContext(t *testing.T) {
	h := newHasher(t, password.WithConcurrency(1))
	entered, release := make(chan struct{}), make(chan struct{})
	password.AroundWork(h, func(work func()) {
		entered <- struct{}{}
		<-release
		work()
	})
	done := make(chan error, 1)
	go func() { _, err := h.Hash(context.Background(), "holder"); done <- err }()
	<-entered // the only slot is taken

	ctx, cancel := context.WithCancel(context.Background())
	waiting := make(chan error, 3)
	go func() { _, err := h.Hash(ctx, "waiter"); waiting <- err }()
	go func() { _, err := h.Verify(ctx, "waiter", wellFormedHash()); waiting <- err }()
	go func() { waiting <- h.DummyVerify(ctx, "waiter") }()
	cancel()
	for range 3 {
		if err := <-waiting; !errors.Is(err, context.Canceled) {
			t.Errorf("waiting caller got %v, want context.Canceled", err)
		}
	}

	// An already expired context fails at once, even with a free slot.
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	expired, cancel2 := context.WithDeadline(context.Background(), time.Unix(0, 0))
	defer cancel2()
	if _, err := h.Hash(expired, "late"); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Hash with expired context = %v, want DeadlineExceeded", err)
	}
}

// wellFormedHash returns a well-formed argon2id hash with test parameters
// without using any Hasher's slots.
func wellFormedHash() string {
	return password.EncodeArgon2id(testParams, make([]byte, 16), make([]byte, 32))
}
