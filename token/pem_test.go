package token_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/authgate/authgate/token"
	"github.com/go-jose/go-jose/v4"
)

func pemBlock(typ string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}

// Every PEM form an operator may hand us through AUTHGATE_SIGNING_KEY_FILE:
// the algorithm follows from the key, the kid is its RFC 7638 thumbprint
// (checked against go-jose's independent implementation), and a token
// signed with it verifies.
func TestLoadKeySetFile(t *testing.T) {
	testKeys(t)
	sec1, err := x509.MarshalECPrivateKey(ecKey)
	if err != nil {
		t.Fatal(err)
	}
	// What `openssl ecparam -name prime256v1 -genkey` writes.
	ecParams := pemBlock("EC PARAMETERS", []byte{0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07})
	cases := []struct {
		name string
		pem  []byte
		key  crypto.Signer
		alg  string
	}{
		{"PKCS#8 RSA", pkcs8PEM(t, rsaKey), rsaKey, token.RS256},
		{"PKCS#1 RSA", pemBlock("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(rsaKey)), rsaKey, token.RS256},
		{"PKCS#8 P-256", pkcs8PEM(t, ecKey), ecKey, token.ES256},
		{"SEC1 P-256", pemBlock("EC PRIVATE KEY", sec1), ecKey, token.ES256},
		{"SEC1 P-256 after EC PARAMETERS", append(ecParams, pemBlock("EC PRIVATE KEY", sec1)...), ecKey, token.ES256},
		{"PKCS#8 Ed25519", pkcs8PEM(t, edKey), edKey, token.EdDSA},
		{"text around the block", append(append([]byte("# signing key\n"), pkcs8PEM(t, edKey)...), "trailer\n"...), edKey, token.EdDSA},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "key.pem")
			if err := os.WriteFile(path, c.pem, 0o600); err != nil {
				t.Fatal(err)
			}
			clk := newClock()
			ks, err := token.LoadKeySetFile(path, token.KeySetConfig{Now: clk.Now})
			if err != nil {
				t.Fatal(err)
			}
			if ks.Algorithm() != c.alg {
				t.Fatalf("algorithm %s, want %s", ks.Algorithm(), c.alg)
			}
			if want := joseThumbprint(t, c.key.Public()); ks.SigningKeyID() != want {
				t.Fatalf("kid %s, want RFC 7638 thumbprint %s", ks.SigningKeyID(), want)
			}
			cfg := token.Config{Issuer: testIssuer, Now: clk.Now}
			iss, _ := token.NewIssuer(ks, cfg)
			v, _ := token.NewVerifier(ks, cfg)
			raw, _, _, err := iss.IssueAccessToken(context.Background(), testUser(), testSession(), nil)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := v.Verify(context.Background(), raw); err != nil {
				t.Fatal(err)
			}
			// The published key is the operator's key: go-jose parses the
			// JWKS and verifies our token with it.
			var set jose.JSONWebKeySet
			if err := json.Unmarshal(ks.JWKS(), &set); err != nil {
				t.Fatalf("JWKS: %v", err)
			}
			keys := set.Key(ks.SigningKeyID())
			if len(keys) != 1 || keys[0].Algorithm != c.alg || keys[0].Use != "sig" || !keys[0].IsPublic() {
				t.Fatalf("JWKS keys %+v", keys)
			}
			jws, err := jose.ParseSigned(raw, []jose.SignatureAlgorithm{jose.SignatureAlgorithm(c.alg)})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := jws.Verify(keys[0]); err != nil {
				t.Fatalf("go-jose verify with published key: %v", err)
			}
		})
	}
}

func joseThumbprint(tb testing.TB, pub crypto.PublicKey) string {
	tb.Helper()
	switch pub.(type) {
	case *rsa.PublicKey, *ecdsa.PublicKey, ed25519.PublicKey:
	default:
		tb.Fatalf("key type %T", pub)
	}
	tp, err := (&jose.JSONWebKey{Key: pub}).Thumbprint(crypto.SHA256)
	if err != nil {
		tb.Fatal(err)
	}
	return b64.EncodeToString(tp)
}

func TestParsePrivateKeyPEMRefuses(t *testing.T) {
	testKeys(t)
	certLike := pemBlock("CERTIFICATE", []byte{0x30, 0x00})
	pubDER, _ := x509.MarshalPKIXPublicKey(&rsaKey.PublicKey)
	encrypted := pkcs8PEM(t, ecKey)
	encrypted = []byte(strings.Replace(string(encrypted), "-----BEGIN PRIVATE KEY-----\n",
		"-----BEGIN PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-256-CBC,00000000000000000000000000000000\n\n", 1))
	cases := map[string][]byte{
		"empty":               nil,
		"not PEM":             []byte("hello"),
		"RSA 1024":            pkcs8PEM(t, rsaKeySmall),
		"P-384":               pkcs8PEM(t, p384Key),
		"certificate":         certLike,
		"public key":          pemBlock("PUBLIC KEY", pubDER),
		"PKCS#8 encrypted":    pemBlock("ENCRYPTED PRIVATE KEY", []byte{0x30, 0x00}),
		"legacy encrypted":    encrypted,
		"two keys":            append(pkcs8PEM(t, ecKey), pkcs8PEM(t, edKey)...),
		"corrupt DER":         pemBlock("PRIVATE KEY", []byte{0x30, 0x03, 0x02, 0x01, 0x00}),
		"EC key in RSA block": pemBlock("RSA PRIVATE KEY", mustSEC1(t)),
	}
	for name, data := range cases {
		if _, _, err := token.ParsePrivateKeyPEM(data); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func mustSEC1(tb testing.TB) []byte {
	der, err := x509.MarshalECPrivateKey(ecKey)
	if err != nil {
		tb.Fatal(err)
	}
	return der
}

func TestLoadKeySetFileErrors(t *testing.T) {
	testKeys(t)
	dir := t.TempDir()
	if _, err := token.LoadKeySetFile(filepath.Join(dir, "missing.pem"), token.KeySetConfig{}); err == nil {
		t.Error("missing file accepted")
	}
	path := filepath.Join(dir, "ec.pem")
	if err := os.WriteFile(path, pkcs8PEM(t, ecKey), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := token.LoadKeySetFile(path, token.KeySetConfig{Algorithm: token.RS256})
	if err == nil || !strings.Contains(err.Error(), "ES256") || !strings.Contains(err.Error(), path) {
		t.Errorf("algorithm mismatch: %v, want an error naming the key's algorithm and the file", err)
	}
	if ks, err := token.LoadKeySetFile(path, token.KeySetConfig{Algorithm: token.ES256}); err != nil || ks.Algorithm() != token.ES256 {
		t.Errorf("matching algorithm: %v", err)
	}
}

// The generated PEM stored in the database round-trips through
// ParsePrivateKeyPEM to the same kid.
func TestStoredPEMIsPKCS8(t *testing.T) {
	for _, alg := range algs {
		store := &memStore{}
		ks, err := token.LoadKeySet(context.Background(), store, token.KeySetConfig{Algorithm: alg})
		if err != nil {
			t.Fatal(err)
		}
		row := store.keys[0]
		if !strings.HasPrefix(row.PrivatePEM, "-----BEGIN PRIVATE KEY-----") {
			t.Errorf("%s: stored PEM is not PKCS#8", alg)
		}
		priv, gotAlg, err := token.ParsePrivateKeyPEM([]byte(row.PrivatePEM))
		if err != nil || gotAlg != alg {
			t.Fatalf("%s: parse stored PEM: %v, %s", alg, err, gotAlg)
		}
		if joseThumbprint(t, priv.Public()) != ks.SigningKeyID() {
			t.Errorf("%s: stored kid is not the thumbprint", alg)
		}
		if alg == token.RS256 && priv.(*rsa.PrivateKey).N.BitLen() != token.RSAKeyBits {
			t.Errorf("generated RSA key has %d bits", priv.(*rsa.PrivateKey).N.BitLen())
		}
	}
}
