package token

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/authgate/authgate/identity"
)

// DefaultRetiredKeyGrace is how long a retired or superseded key keeps
// verifying tokens and stays in the JWKS when KeySetConfig leaves it zero.
const DefaultRetiredKeyGrace = 24 * time.Hour

// unknownKIDRefreshInterval bounds how often a token with an unknown kid
// makes the key set re-read the store: a key created by another replica
// (Rotate there) is found within this interval, and a flood of forged kids
// costs at most one query per interval.
const unknownKIDRefreshInterval = 5 * time.Second

// signerMaxAge is how long a store-backed key set signs with the key it last
// loaded before Issue re-reads the store, so that replicas converge on the
// newest key after a rotation or a simultaneous first start.
const signerMaxAge = time.Minute

// KeySetConfig configures a KeySet.
type KeySetConfig struct {
	// Algorithm of the key that signs: RS256 (default), ES256 or EdDSA.
	// For a key read from a file it may be empty (taken from the key) and
	// must otherwise match the key.
	Algorithm string
	// RetiredKeyGrace is how long a key keeps verifying after it was
	// retired (retired_at) or superseded by a newer key of the same
	// algorithm. It must exceed the access-token lifetime. Default
	// DefaultRetiredKeyGrace.
	RetiredKeyGrace time.Duration
	// Now is the clock; default time.Now.
	Now func() time.Time
}

func (c *KeySetConfig) defaults() error {
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.RetiredKeyGrace == 0 {
		c.RetiredKeyGrace = DefaultRetiredKeyGrace
	}
	if c.RetiredKeyGrace < 0 {
		return fmt.Errorf("token: negative retired-key grace %s", c.RetiredKeyGrace)
	}
	if c.Algorithm != "" && !ValidAlgorithm(c.Algorithm) {
		return fmt.Errorf("token: unsupported signing algorithm %q (want RS256, ES256 or EdDSA)", c.Algorithm)
	}
	return nil
}

// KeySet holds authgate's signing keys: the newest non-retired key of the
// configured algorithm signs; every key that is not retired, and every key
// retired or superseded less than RetiredKeyGrace ago, verifies and is
// published in the JWKS.
//
// A key is retired when its row has retired_at set (it stops signing at
// once and verifies for the grace period; set retired_at further in the
// past to drop it at once), and superseded when a newer key of the same
// algorithm exists (after Rotate on any replica).
//
// Reads (Verify, Issue, JWKS) take no lock: they load an immutable snapshot
// that loads and rotations replace atomically. It is safe for concurrent use.
type KeySet struct {
	store identity.KeyStore // nil for a key read from a file
	alg   string
	grace time.Duration
	now   func() time.Time

	mu          sync.Mutex // serializes loads, rotations and snapshot rebuilds
	metas       []keyMeta  // every known key, guarded by mu
	parsed      map[string]*signingKey
	lastRefresh time.Time // of an unknown-kid refresh, guarded by mu

	state atomic.Pointer[keyState]
}

// keyMeta is a parsed key with its row's lifecycle columns.
type keyMeta struct {
	key       *signingKey
	createdAt time.Time
	retiredAt *time.Time
}

// keyState is an immutable snapshot of the key set.
type keyState struct {
	signer *signingKey
	byKID  map[string]keyEntry
	jwks   []byte
	algs   []string  // algorithms of the published keys, the signer's first
	expiry time.Time // earliest notAfter of a published key; zero = none
	loaded time.Time // when the keys were last read from the store
}

type keyEntry struct {
	key      *signingKey
	notAfter time.Time // zero: verifies until retired or superseded
}

// LoadKeySet loads the signing keys from store. When no usable key of the
// configured algorithm exists (first start, or the newest one was retired)
// it generates one and stores it; if another replica does the same at the
// same moment, both keys are kept and every replica signs with the newest.
func LoadKeySet(ctx context.Context, store identity.KeyStore, cfg KeySetConfig) (*KeySet, error) {
	if store == nil {
		return nil, errors.New("token: nil key store")
	}
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	if cfg.Algorithm == "" {
		cfg.Algorithm = DefaultAlgorithm
	}
	ks := &KeySet{store: store, alg: cfg.Algorithm, grace: cfg.RetiredKeyGrace, now: cfg.Now,
		parsed: map[string]*signingKey{}}
	ks.mu.Lock()
	defer ks.mu.Unlock()
	if err := ks.load(ctx); err != nil {
		return nil, err
	}
	return ks, nil
}

// LoadKeySetFile reads one private key from a PEM file
// (AUTHGATE_SIGNING_KEY_FILE) and uses it to sign and verify; see
// ParsePrivateKeyPEM for the accepted formats. Such a key set cannot Rotate:
// replace the file and restart instead.
func LoadKeySetFile(path string, cfg KeySetConfig) (*KeySet, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("token: read signing key: %w", err)
	}
	ks, err := NewKeySetFromPEM(data, cfg)
	if err != nil {
		return nil, fmt.Errorf("%w (file %s)", err, path)
	}
	return ks, nil
}

// NewKeySetFromPEM is LoadKeySetFile for PEM data already in memory.
func NewKeySetFromPEM(data []byte, cfg KeySetConfig) (*KeySet, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	k, err := parseKeyPEM(data)
	if err != nil {
		return nil, err
	}
	if cfg.Algorithm != "" && cfg.Algorithm != k.alg {
		return nil, fmt.Errorf("token: the signing key is an %s key but the algorithm is set to %s", k.alg, cfg.Algorithm)
	}
	ks := &KeySet{alg: k.alg, grace: cfg.RetiredKeyGrace, now: cfg.Now,
		parsed: map[string]*signingKey{k.kid: k}}
	ks.mu.Lock()
	defer ks.mu.Unlock()
	ks.metas = []keyMeta{{key: k, createdAt: cfg.Now()}}
	ks.publish(cfg.Now(), true)
	return ks, nil
}

// Algorithm is the algorithm new tokens are signed with.
func (ks *KeySet) Algorithm() string { return ks.alg }

// SigningKeyID is the kid of the key new tokens are signed with.
func (ks *KeySet) SigningKeyID() string { return ks.state.Load().signer.kid }

// Rotate generates a new key of the configured algorithm, stores it and
// signs with it from now on. Tokens signed with the previous key keep
// verifying for RetiredKeyGrace. Other replicas pick the new key up within
// a minute, and at once when they see a token signed with it.
func (ks *KeySet) Rotate(ctx context.Context) (kid string, err error) {
	if ks.store == nil {
		return "", errors.New("token: a key read from a file cannot be rotated; replace the file and restart")
	}
	ks.mu.Lock()
	defer ks.mu.Unlock()
	metas, err := ks.read(ctx)
	if err != nil {
		return "", err
	}
	k, err := ks.create(ctx, metas)
	if err != nil {
		return "", err
	}
	if err := ks.load(ctx); err != nil {
		return "", err
	}
	return k.kid, nil
}

// Reload re-reads the keys from the store, generating a key if the one
// that signed was retired. For a key read from a file it only drops keys
// whose grace period ended.
func (ks *KeySet) Reload(ctx context.Context) error {
	ks.mu.Lock()
	defer ks.mu.Unlock()
	if ks.store == nil {
		ks.publish(ks.now(), false)
		return nil
	}
	return ks.load(ctx)
}

// current returns the snapshot, rebuilding it first when a published key's
// grace period has ended (cheap, and only then takes the lock).
func (ks *KeySet) current() *keyState {
	st := ks.state.Load()
	if st.expiry.IsZero() || ks.now().Before(st.expiry) {
		return st
	}
	ks.mu.Lock()
	defer ks.mu.Unlock()
	now := ks.now()
	if st = ks.state.Load(); !st.expiry.IsZero() && !now.Before(st.expiry) {
		ks.publish(now, false)
	}
	return ks.state.Load()
}

// lookup returns the verifying key named kid, or nil. It takes no lock.
func (ks *KeySet) lookup(kid string, now time.Time) *signingKey {
	e, ok := ks.state.Load().byKID[kid]
	if !ok || (!e.notAfter.IsZero() && !now.Before(e.notAfter)) {
		return nil
	}
	return e.key
}

// refreshForUnknownKID re-reads the store after a token named a kid we do
// not know, at most once per unknownKIDRefreshInterval.
func (ks *KeySet) refreshForUnknownKID(ctx context.Context) {
	if ks.store == nil {
		return
	}
	ks.mu.Lock()
	defer ks.mu.Unlock()
	now := ks.now()
	if !ks.lastRefresh.IsZero() && now.Sub(ks.lastRefresh) < unknownKIDRefreshInterval {
		return
	}
	ks.lastRefresh = now
	// A failed refresh keeps the current keys; the token is refused as
	// unknown and the next refresh may succeed.
	_ = ks.load(ctx)
}

// signer returns the key to sign with, after maybeReload.
func (ks *KeySet) signer(ctx context.Context) *signingKey {
	ks.maybeReload(ctx)
	return ks.state.Load().signer
}

// maybeReload re-reads the store when the snapshot is older than
// signerMaxAge, so that signing and the published JWKS follow rotations
// and retirements on other replicas. It runs on Issue and on JWKS and
// discovery requests, never on Verify. If another goroutine is loading, or
// the read fails, the current snapshot stays: its keys are still valid.
func (ks *KeySet) maybeReload(ctx context.Context) {
	if ks.store == nil || ks.now().Sub(ks.state.Load().loaded) <= signerMaxAge || !ks.mu.TryLock() {
		return
	}
	defer ks.mu.Unlock()
	if ks.now().Sub(ks.state.Load().loaded) > signerMaxAge {
		_ = ks.load(ctx) // best effort, see above
	}
}

// load reads every key from the store, ensures one can sign, and publishes
// a new snapshot. ks.mu must be held.
func (ks *KeySet) load(ctx context.Context) error {
	metas, err := ks.read(ctx)
	if err != nil {
		return err
	}
	if !hasSigner(metas, ks.alg) {
		if _, err := ks.create(ctx, metas); err != nil {
			return err
		}
		if metas, err = ks.read(ctx); err != nil {
			return err
		}
		if !hasSigner(metas, ks.alg) {
			return fmt.Errorf("token: no usable %s signing key after creating one", ks.alg)
		}
	}
	ks.metas = metas
	ks.publish(ks.now(), true)
	return nil
}

// read loads and parses every stored key. A row that does not parse, or
// whose kid or algorithm does not match its key, is an error: it means
// corruption or tampering, and guessing would be worse than stopping.
func (ks *KeySet) read(ctx context.Context) ([]keyMeta, error) {
	rows, err := ks.store.FindSigningKeys(ctx)
	if err != nil {
		return nil, fmt.Errorf("token: load signing keys: %w", err)
	}
	metas := make([]keyMeta, 0, len(rows))
	for _, r := range rows {
		k, ok := ks.parsed[r.KID]
		if !ok || k.alg != r.Algorithm {
			if k, err = parseKeyPEM([]byte(r.PrivatePEM)); err != nil {
				return nil, fmt.Errorf("token: signing key %q: %w", r.KID, err)
			}
			if k.kid != r.KID {
				return nil, fmt.Errorf("token: signing key %q: stored kid does not match the key's thumbprint %q", r.KID, k.kid)
			}
			if k.alg != r.Algorithm {
				return nil, fmt.Errorf("token: signing key %q: stored algorithm %q does not match the %s key", r.KID, r.Algorithm, k.alg)
			}
			ks.parsed[r.KID] = k
		}
		metas = append(metas, keyMeta{key: k, createdAt: r.CreatedAt, retiredAt: r.RetiredAt})
	}
	return metas, nil
}

// create generates a key of the configured algorithm and stores it, dated
// after every key in metas so that it is the newest even when the clock
// has not moved (or the store keeps whole seconds). A kid conflict (the
// same key stored already) is not an error: the next read finds it.
func (ks *KeySet) create(ctx context.Context, metas []keyMeta) (*signingKey, error) {
	priv, err := generateKey(ks.alg)
	if err != nil {
		return nil, err
	}
	k, err := newSigningKey(priv)
	if err != nil {
		return nil, err
	}
	created := ks.now().UTC().Truncate(time.Second)
	for _, m := range metas {
		if m.key.alg == ks.alg && !created.After(m.createdAt) {
			created = m.createdAt.UTC().Truncate(time.Second).Add(time.Second)
		}
	}
	row := &identity.SigningKey{KID: k.kid, Algorithm: k.alg, PrivatePEM: k.pem, CreatedAt: created}
	if err := ks.store.CreateSigningKey(ctx, row); err != nil && !identity.IsCode(err, identity.ECONFLICT) {
		return nil, fmt.Errorf("token: store signing key: %w", err)
	}
	ks.parsed[k.kid] = k
	return k, nil
}

// newer orders keys by creation time, then kid, so that every replica
// agrees on which key is the newest.
func newer(a, b keyMeta) int {
	if c := a.createdAt.Compare(b.createdAt); c != 0 {
		return c
	}
	return cmp.Compare(a.key.kid, b.key.kid)
}

// hasSigner reports whether the newest key of alg is not retired.
func hasSigner(metas []keyMeta, alg string) bool {
	var newest *keyMeta
	for i := range metas {
		if m := &metas[i]; m.key.alg == alg && (newest == nil || newer(*m, *newest) > 0) {
			newest = m
		}
	}
	return newest != nil && newest.retiredAt == nil
}

// publish computes and stores a new snapshot from ks.metas; loaded says
// whether ks.metas was just read from the store. ks.mu must be held.
func (ks *KeySet) publish(now time.Time, loaded bool) {
	metas := slices.Clone(ks.metas)
	slices.SortFunc(metas, func(a, b keyMeta) int { return newer(b, a) }) // newest first

	st := &keyState{byKID: make(map[string]keyEntry, len(metas)), loaded: now}
	if old := ks.state.Load(); old != nil && !loaded {
		st.loaded = old.loaded
	}
	successor := map[string]time.Time{} // alg → creation of the next newer key
	var published []*signingKey
	for _, m := range metas {
		end := m.retiredAt
		if next, ok := successor[m.key.alg]; ok && (end == nil || next.Before(*end)) {
			end = &next
		}
		successor[m.key.alg] = m.createdAt
		if end == nil && m.key.alg == ks.alg && st.signer == nil {
			st.signer = m.key
		}
		var notAfter time.Time
		if end != nil {
			if notAfter = end.Add(ks.grace); !now.Before(notAfter) {
				continue // grace period over
			}
			if st.expiry.IsZero() || notAfter.Before(st.expiry) {
				st.expiry = notAfter
			}
		}
		if _, dup := st.byKID[m.key.kid]; dup {
			continue
		}
		st.byKID[m.key.kid] = keyEntry{key: m.key, notAfter: notAfter}
		published = append(published, m.key)
	}
	if st.signer != nil {
		st.algs = append(st.algs, st.signer.alg)
	}
	for _, k := range published {
		if !slices.Contains(st.algs, k.alg) {
			st.algs = append(st.algs, k.alg)
		}
	}
	st.jwks = renderJWKS(published)
	ks.state.Store(st)
}
