package token_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/authgate/authgate/identity"
	"github.com/authgate/authgate/token"
)

// replica is one authgate instance on a shared store.
type replica struct {
	keys     *token.KeySet
	issuer   *token.Issuer
	verifier *token.Verifier
}

func newReplica(tb testing.TB, store identity.KeyStore, cfg token.KeySetConfig) *replica {
	tb.Helper()
	ks, err := token.LoadKeySet(context.Background(), store, cfg)
	if err != nil {
		tb.Fatal(err)
	}
	// Tokens outlive the grace periods these tests use, so that a refusal
	// after the grace is the key's doing, not the token's expiry.
	tc := token.Config{Issuer: testIssuer, Now: cfg.Now, AccessTTL: 48 * time.Hour}
	r := &replica{keys: ks}
	if r.issuer, err = token.NewIssuer(ks, tc); err != nil {
		tb.Fatal(err)
	}
	if r.verifier, err = token.NewVerifier(ks, tc); err != nil {
		tb.Fatal(err)
	}
	return r
}

func (r *replica) issue(tb testing.TB) string {
	tb.Helper()
	raw, _, _, err := r.issuer.IssueAccessToken(context.Background(), testUser(), testSession(), nil)
	if err != nil {
		tb.Fatal(err)
	}
	return raw
}

func (r *replica) mustVerify(tb testing.TB, raw string) {
	tb.Helper()
	if _, err := r.verifier.Verify(context.Background(), raw); err != nil {
		tb.Fatalf("Verify: %v", err)
	}
}

func (r *replica) mustRefuse(tb testing.TB, raw string) {
	tb.Helper()
	if _, err := r.verifier.Verify(context.Background(), raw); !identity.IsCode(err, identity.EINVALIDTOKEN) {
		tb.Fatalf("Verify: %v, want invalid_token", err)
	}
}

// jwksKIDs returns the kids a JWKS lists, checking each key's alg and use.
func jwksKIDs(tb testing.TB, jwks []byte) []string {
	tb.Helper()
	var set struct {
		Keys []struct{ Kid, Alg, Use, Kty string }
	}
	if err := json.Unmarshal(jwks, &set); err != nil {
		tb.Fatalf("JWKS %s: %v", jwks, err)
	}
	var kids []string
	for _, k := range set.Keys {
		if k.Use != "sig" || !token.ValidAlgorithm(k.Alg) || k.Kid == "" || k.Kty == "" {
			tb.Errorf("JWKS key %+v", k)
		}
		kids = append(kids, k.Kid)
	}
	return kids
}

func TestLoadKeySetGeneratesOnceAndPersists(t *testing.T) {
	for _, alg := range algs {
		t.Run(alg, func(t *testing.T) {
			store, clk := &memStore{}, newClock()
			cfg := token.KeySetConfig{Algorithm: alg, Now: clk.Now}
			first := newReplica(t, store, cfg)
			if n, _ := store.count(); n != 1 {
				t.Fatalf("%d keys stored on first start, want 1", n)
			}
			row := store.keys[0]
			if row.KID != first.keys.SigningKeyID() || row.Algorithm != alg || !row.CreatedAt.Equal(t0) || row.RetiredAt != nil {
				t.Fatalf("stored row %+v", row)
			}
			raw := first.issue(t)

			// A restart (or a second replica) loads the same key.
			second := newReplica(t, store, cfg)
			if n, _ := store.count(); n != 1 {
				t.Fatalf("%d keys after second start, want 1", n)
			}
			if second.keys.SigningKeyID() != first.keys.SigningKeyID() {
				t.Fatalf("second start signs with %s, first with %s", second.keys.SigningKeyID(), first.keys.SigningKeyID())
			}
			second.mustVerify(t, raw)
			first.mustVerify(t, second.issue(t))
		})
	}
}

func TestLoadKeySetDefaultsToRS256(t *testing.T) {
	ks, err := token.LoadKeySet(context.Background(), &memStore{}, token.KeySetConfig{})
	if err != nil {
		t.Fatal(err)
	}
	if ks.Algorithm() != token.RS256 {
		t.Fatalf("default algorithm %s", ks.Algorithm())
	}
}

func TestLoadKeySetRejectsBadConfig(t *testing.T) {
	ctx := context.Background()
	if _, err := token.LoadKeySet(ctx, nil, token.KeySetConfig{}); err == nil {
		t.Error("nil store accepted")
	}
	for _, alg := range []string{"HS256", "none", "RS512", "rs256"} {
		if _, err := token.LoadKeySet(ctx, &memStore{}, token.KeySetConfig{Algorithm: alg}); err == nil {
			t.Errorf("algorithm %q accepted", alg)
		}
	}
	if _, err := token.LoadKeySet(ctx, &memStore{}, token.KeySetConfig{Algorithm: token.ES256, RetiredKeyGrace: -time.Second}); err == nil {
		t.Error("negative grace accepted")
	}
}

// A stored row that does not match its key is corruption or tampering:
// loading must stop rather than sign or verify with a guess.
func TestLoadKeySetRejectsCorruptRows(t *testing.T) {
	testKeys(t)
	good := string(pkcs8PEM(t, ecKey))
	ks, err := token.NewKeySetFromPEM([]byte(good), token.KeySetConfig{})
	if err != nil {
		t.Fatal(err)
	}
	kid := ks.SigningKeyID()
	for name, row := range map[string]identity.SigningKey{
		"kid not the thumbprint": {KID: "chosen-kid", Algorithm: token.ES256, PrivatePEM: good, CreatedAt: t0},
		"algorithm mismatch":     {KID: kid, Algorithm: token.RS256, PrivatePEM: good, CreatedAt: t0},
		"not a PEM":              {KID: kid, Algorithm: token.ES256, PrivatePEM: "garbage", CreatedAt: t0},
		"small RSA key":          {KID: "x", Algorithm: token.RS256, PrivatePEM: string(pkcs8PEM(t, rsaKeySmall)), CreatedAt: t0},
	} {
		store := &memStore{keys: []identity.SigningKey{row}}
		if _, err := token.LoadKeySet(context.Background(), store, token.KeySetConfig{Algorithm: token.ES256}); err == nil {
			t.Errorf("%s: loaded", name)
		}
	}
}

// Two replicas starting at once on an empty store each create a key; both
// end up verifying both, and after the signer refresh they agree on one.
func TestConcurrentFirstStart(t *testing.T) {
	store, clk := &memStore{}, newClock()
	cfg := token.KeySetConfig{Algorithm: token.ES256, Now: clk.Now}
	var wg sync.WaitGroup
	reps := make([]*replica, 4)
	for i := range reps {
		wg.Add(1)
		go func() {
			defer wg.Done()
			reps[i] = newReplica(t, store, cfg)
		}()
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	tokens := make([]string, len(reps))
	for i, r := range reps {
		tokens[i] = r.issue(t)
	}
	for _, r := range reps {
		for _, raw := range tokens {
			r.mustVerify(t, raw)
		}
	}
	// After a minute every replica re-reads the store before signing and
	// they all sign with the same (newest) key.
	clk.Advance(2 * time.Minute)
	for _, r := range reps {
		r.issue(t)
	}
	for _, r := range reps[1:] {
		if r.keys.SigningKeyID() != reps[0].keys.SigningKeyID() {
			t.Fatalf("replicas sign with different keys: %s and %s", r.keys.SigningKeyID(), reps[0].keys.SigningKeyID())
		}
	}
}

// Another replica stores a key between our read and our create: ECONFLICT
// or not, we end up with a usable key and sign with the newest.
func TestLoadKeySetLosesCreateRace(t *testing.T) {
	testKeys(t)
	other, err := token.NewKeySetFromPEM(pkcs8PEM(t, ecKey2), token.KeySetConfig{})
	if err != nil {
		t.Fatal(err)
	}
	store, clk := &memStore{}, newClock()
	store.beforeCreate = func() {
		store.beforeCreate = nil
		store.mu.Lock()
		store.keys = append(store.keys, identity.SigningKey{KID: other.SigningKeyID(), Algorithm: token.ES256,
			PrivatePEM: string(pkcs8PEM(t, ecKey2)), CreatedAt: t0.Add(time.Second)})
		store.mu.Unlock()
	}
	r := newReplica(t, store, token.KeySetConfig{Algorithm: token.ES256, Now: clk.Now})
	if r.keys.SigningKeyID() != other.SigningKeyID() {
		t.Fatalf("signs with %s, want the newest key %s", r.keys.SigningKeyID(), other.SigningKeyID())
	}
	if kids := jwksKIDs(t, r.keys.JWKS()); len(kids) != 2 {
		t.Fatalf("JWKS lists %v, want both keys", kids)
	}
}

// conflictStore answers ECONFLICT to every create, as a store whose
// unique constraint fired would; the row exists, written by someone else.
type conflictStore struct{ *memStore }

func (s conflictStore) CreateSigningKey(ctx context.Context, k *identity.SigningKey) error {
	_ = s.memStore.CreateSigningKey(ctx, k)
	return identity.Errorf(identity.ECONFLICT, "A signing key with this kid exists.")
}

func TestLoadKeySetConflictIsNotAnError(t *testing.T) {
	store := conflictStore{&memStore{}}
	ks, err := token.LoadKeySet(context.Background(), store, token.KeySetConfig{Algorithm: token.EdDSA})
	if err != nil {
		t.Fatalf("ECONFLICT on create: %v", err)
	}
	if ks.SigningKeyID() == "" {
		t.Fatal("no signing key")
	}
}

func TestRotate(t *testing.T) {
	store, clk := &memStore{}, newClock()
	cfg := token.KeySetConfig{Algorithm: token.ES256, Now: clk.Now, RetiredKeyGrace: time.Hour}
	a := newReplica(t, store, cfg)
	b := newReplica(t, store, cfg) // another replica on the same store
	oldKID := a.keys.SigningKeyID()
	oldToken := a.issue(t)
	oldJWKS := a.keys.JWKS()

	clk.Advance(time.Second)
	newKID, err := a.keys.Rotate(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if newKID == oldKID || a.keys.SigningKeyID() != newKID {
		t.Fatalf("after Rotate signing kid %s (old %s, rotated %s)", a.keys.SigningKeyID(), oldKID, newKID)
	}
	if kids := jwksKIDs(t, a.keys.JWKS()); !slices.Equal(kids, []string{newKID, oldKID}) {
		t.Fatalf("JWKS after rotate lists %v, want [new old]", kids)
	}
	if got := jwksKIDs(t, oldJWKS); len(got) != 1 {
		t.Fatalf("JWKS() returned a shared buffer that changed: %v", got)
	}
	newToken := a.issue(t)
	a.mustVerify(t, oldToken)
	a.mustVerify(t, newToken)

	// Replica b has not reloaded: the unknown kid makes it look once.
	_, findsBefore := store.count()
	b.mustVerify(t, newToken)
	b.mustVerify(t, oldToken)
	if _, finds := store.count(); finds != findsBefore+1 {
		t.Fatalf("unknown kid cost %d store reads, want 1", finds-findsBefore)
	}

	// The old key verifies for the grace period after it was superseded,
	// then it is gone from verification and from the JWKS.
	clk.Advance(time.Hour - 2*time.Second)
	a.mustVerify(t, oldToken)
	clk.Advance(2 * time.Second)
	a.mustRefuse(t, oldToken)
	if kids := jwksKIDs(t, a.keys.JWKS()); !slices.Equal(kids, []string{newKID}) {
		t.Fatalf("JWKS after grace lists %v, want only %s", kids, newKID)
	}
}

func TestRotateFileKeySet(t *testing.T) {
	f := newFixture(t, token.EdDSA)
	if _, err := f.keys.Rotate(context.Background()); err == nil {
		t.Fatal("a key set from a file rotated")
	}
}

// An operator retires the signing key (retired_at): the next load signs
// with a new key; the retired one verifies for the grace period.
func TestRetiredKey(t *testing.T) {
	store, clk := &memStore{}, newClock()
	grace := 10 * time.Minute
	cfg := token.KeySetConfig{Algorithm: token.EdDSA, Now: clk.Now, RetiredKeyGrace: grace}
	r := newReplica(t, store, cfg)
	oldKID := r.keys.SigningKeyID()
	oldToken := r.issue(t)

	store.retire(oldKID, clk.Now())
	if err := r.keys.Reload(context.Background()); err != nil {
		t.Fatal(err)
	}
	if r.keys.SigningKeyID() == oldKID {
		t.Fatal("still signing with the retired key")
	}
	if n, _ := store.count(); n != 2 {
		t.Fatalf("%d keys, want a new one next to the retired one", n)
	}
	r.mustVerify(t, oldToken)
	clk.Advance(grace)
	if _, err := r.verifier.Verify(context.Background(), oldToken); !identity.IsCode(err, identity.EINVALIDTOKEN) {
		t.Fatalf("token of a key retired past its grace: %v, want invalid_token", err)
	}
	if kids := jwksKIDs(t, r.keys.JWKS()); slices.Contains(kids, oldKID) {
		t.Fatalf("JWKS still lists the retired key: %v", kids)
	}
}

// A flood of tokens with forged kids reads the store at most once per
// interval.
func TestUnknownKIDRefreshIsRateLimited(t *testing.T) {
	testKeys(t)
	store, clk := &memStore{}, newClock()
	r := newReplica(t, store, token.KeySetConfig{Algorithm: token.ES256, Now: clk.Now})
	forged := func(kid string) string {
		return sign(t, "ES256", ecKey2, map[string]any{"alg": "ES256", "kid": kid, "typ": "at+jwt"},
			map[string]any{"iss": testIssuer, "sub": "x", "aud": "authgate", "exp": clk.Now().Unix() + 60})
	}
	_, before := store.count()
	for i := range 50 {
		r.mustRefuse(t, forged("forged-"+itoa(int64(i))))
	}
	if _, finds := store.count(); finds-before != 1 {
		t.Fatalf("50 forged kids cost %d store reads, want 1", finds-before)
	}
	clk.Advance(10 * time.Second)
	r.mustRefuse(t, forged("forged-late"))
	if _, finds := store.count(); finds-before != 2 {
		t.Fatalf("after the interval: %d store reads, want 2", finds-before)
	}
}

// A key of another algorithm (the operator switched RS256 → ES256) keeps
// verifying: tokens issued before the switch stay valid.
func TestAlgorithmSwitchKeepsOldKeys(t *testing.T) {
	store, clk := &memStore{}, newClock()
	before := newReplica(t, store, token.KeySetConfig{Algorithm: token.EdDSA, Now: clk.Now})
	oldToken := before.issue(t)
	after := newReplica(t, store, token.KeySetConfig{Algorithm: token.ES256, Now: clk.Now})
	if after.keys.Algorithm() != token.ES256 || after.keys.SigningKeyID() == before.keys.SigningKeyID() {
		t.Fatal("switching algorithm did not create an ES256 key")
	}
	after.mustVerify(t, oldToken)
	before.mustVerify(t, after.issue(t))
}

// A replica that only serves the JWKS (it never sees a token of the new
// key) publishes a key rotated on another replica within a minute.
func TestJWKSFollowsOtherReplicas(t *testing.T) {
	store, clk := &memStore{}, newClock()
	cfg := token.KeySetConfig{Algorithm: token.EdDSA, Now: clk.Now}
	a := newReplica(t, store, cfg)
	b := newReplica(t, store, cfg)
	kid, err := a.keys.Rotate(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	serve := func() []string {
		rec := httptest.NewRecorder()
		b.keys.JWKSHandler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, token.JWKSPath, nil))
		return jwksKIDs(t, rec.Body.Bytes())
	}
	if slices.Contains(serve(), kid) {
		t.Fatal("published before any reload: the test proves nothing")
	}
	clk.Advance(61 * time.Second)
	if kids := serve(); !slices.Contains(kids, kid) {
		t.Fatalf("JWKS %v lacks the key rotated on the other replica", kids)
	}
	if b.keys.SigningKeyID() != kid {
		t.Fatalf("b signs with %s, want the rotated %s", b.keys.SigningKeyID(), kid)
	}
}
