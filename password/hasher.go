package password

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"fmt"
	"runtime"

	"golang.org/x/crypto/argon2"
)

// Hasher hashes and verifies passwords with at most a fixed number of
// hashing operations in flight. It is safe for concurrent use; build it with
// New.
type Hasher struct {
	params Params
	// sem holds one token per hashing operation in flight.
	sem chan struct{}
	// dummy is verified against by DummyVerify: same parameters, random
	// salt and key, so the work is identical to a real verification.
	dummy *argon2idHash
	// idKey is argon2.IDKey; tests wrap it to observe concurrency.
	idKey func(password, salt []byte, time, memory uint32, threads uint8, keyLen uint32) []byte
	// bcryptCompare is bcrypt.CompareHashAndPassword; tests wrap it too.
	bcryptCompare func(hash, password []byte) error
}

// Option configures a Hasher.
type Option func(*Hasher)

// WithParams sets the argon2id parameters of new hashes (DefaultParams
// otherwise). Hashes stored with other parameters still verify, and
// NeedsRehash reports true for them. Lower parameters are for tests only.
func WithParams(p Params) Option { return func(h *Hasher) { h.params = p } }

// WithConcurrency sets how many hash or verify operations may run at once
// (2 × GOMAXPROCS otherwise). Each argon2id operation holds Params.Memory
// KiB, so the peak memory for hashing is about n × Memory. Values below 1
// mean 1.
func WithConcurrency(n int) Option {
	return func(h *Hasher) { h.sem = make(chan struct{}, max(n, 1)) }
}

// New returns a Hasher. It fails only for parameters outside the bounds of
// Params.Validate.
func New(opts ...Option) (*Hasher, error) {
	h := &Hasher{
		params:        DefaultParams,
		idKey:         argon2.IDKey,
		bcryptCompare: bcryptCompare,
	}
	for _, o := range opts {
		o(h)
	}
	if h.sem == nil {
		h.sem = make(chan struct{}, 2*runtime.GOMAXPROCS(0))
	}
	if err := h.params.Validate(); err != nil {
		return nil, fmt.Errorf("password: new hasher: %w", err)
	}
	h.dummy = &argon2idHash{
		params: h.params,
		salt:   make([]byte, h.params.SaltLength),
		key:    make([]byte, h.params.KeyLength),
	}
	rand.Read(h.dummy.salt) // crypto/rand.Read never fails (Go ≥ 1.24)
	rand.Read(h.dummy.key)
	return h, nil
}

// Params returns the parameters of new hashes.
func (h *Hasher) Params() Params { return h.params }

// Concurrency returns how many hashing operations may run at once.
func (h *Hasher) Concurrency() int { return cap(h.sem) }

// Hash returns the PHC-encoded argon2id hash of the NFKC form of password.
// It waits for a free slot; the error is then the context's.
func (h *Hasher) Hash(ctx context.Context, password string) (string, error) {
	salt := make([]byte, h.params.SaltLength)
	rand.Read(salt)
	if err := h.acquire(ctx); err != nil {
		return "", err
	}
	defer h.release()
	p := h.params
	key := h.idKey([]byte(normalize(password)), salt, p.Iterations, p.Memory, p.Parallelism, p.KeyLength)
	return encodeArgon2id(p, salt, key), nil
}

// Verify reports whether password matches the encoded hash, comparing in
// constant time. A wrong password is (false, nil). The error is non-nil only
// for a hash this package cannot read (wrapping ErrMalformedHash) or when
// the context ends while waiting for a slot.
//
// argon2id hashes are compared against the NFKC form of password; bcrypt
// hashes, which come from other systems, against password as given.
func (h *Hasher) Verify(ctx context.Context, password, encoded string) (bool, error) {
	if isBcrypt(encoded) {
		return h.verifyBcrypt(ctx, password, encoded)
	}
	parsed, err := parseArgon2id(encoded)
	if err != nil {
		return false, err
	}
	return h.verifyArgon2id(ctx, password, parsed)
}

// DummyVerify does the work of verifying password against a hash with the
// Hasher's parameters and discards the result. Call it when there is no
// hash to verify against (unknown email, account without a password), so
// that the answer takes as long as for a wrong password. It fails only when
// the context ends while waiting for a slot.
func (h *Hasher) DummyVerify(ctx context.Context, password string) error {
	_, err := h.verifyArgon2id(ctx, password, h.dummy)
	return err
}

// NeedsRehash reports whether encoded should be replaced by a fresh Hash:
// it is a bcrypt hash, an argon2id hash with other parameters than the
// Hasher's, or not a hash this package reads at all.
func (h *Hasher) NeedsRehash(encoded string) bool {
	parsed, err := parseArgon2id(encoded)
	if err != nil {
		return true
	}
	return parsed.params != h.params
}

func (h *Hasher) verifyArgon2id(ctx context.Context, password string, parsed *argon2idHash) (bool, error) {
	if err := h.acquire(ctx); err != nil {
		return false, err
	}
	defer h.release()
	p := parsed.params
	key := h.idKey([]byte(normalize(password)), parsed.salt, p.Iterations, p.Memory, p.Parallelism, p.KeyLength)
	return subtle.ConstantTimeCompare(key, parsed.key) == 1, nil
}

// acquire takes a hashing slot, or fails when ctx ends first.
func (h *Hasher) acquire(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("password: waiting for a hashing slot: %w", err)
	}
	select {
	case h.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("password: waiting for a hashing slot: %w", ctx.Err())
	}
}

func (h *Hasher) release() { <-h.sem }
