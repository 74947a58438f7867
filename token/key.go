package token

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"

	"github.com/golang-jwt/jwt/v5"
)

// Signing algorithms a KeySet can use.
const (
	RS256 = "RS256" // RSASSA-PKCS1-v1_5 with SHA-256; the default, fastest to verify
	ES256 = "ES256" // ECDSA P-256 with SHA-256
	EdDSA = "EdDSA" // Ed25519
)

// DefaultAlgorithm is the algorithm of generated keys when none is configured.
const DefaultAlgorithm = RS256

// RSAKeyBits is the size of generated RSA keys. 2048 bits (112-bit security,
// NIST SP 800-57 acceptable through 2030) keeps signing and verification
// fast; operators who want 3072 or 4096 bits supply their own key through
// AUTHGATE_SIGNING_KEY_FILE.
const RSAKeyBits = 2048

// minRSAKeyBits is the smallest RSA key accepted from a file or the database.
const minRSAKeyBits = 2048

// ValidAlgorithm reports whether alg is one of RS256, ES256 and EdDSA.
func ValidAlgorithm(alg string) bool {
	return alg == RS256 || alg == ES256 || alg == EdDSA
}

// signingKey is one parsed private key with everything derived from it that
// signing and verification need, computed once. It is immutable.
type signingKey struct {
	kid     string
	alg     string
	method  jwt.SigningMethod
	private crypto.Signer    // *rsa.PrivateKey, *ecdsa.PrivateKey or ed25519.PrivateKey
	public  crypto.PublicKey // *rsa.PublicKey, *ecdsa.PublicKey or ed25519.PublicKey
	// keyfunc hands the parser this key's public key, after checking that
	// the token's kid names this key. Built once so Verify does not allocate
	// a closure per call.
	keyfunc jwt.Keyfunc
	// header is the base64url-encoded JOSE header of tokens signed with
	// this key: {"alg":…,"kid":…,"typ":"at+jwt"}.
	header string
	// jwk is the public key as a JWK (RFC 7517) object.
	jwk jwk
	// pem is the PKCS#8 PEM encoding of the private key.
	pem string
}

// jwk is a public JSON Web Key. Only the members of one key type are set.
type jwk struct {
	Kty string `json:"kty"`
	Use string `json:"use"`
	Alg string `json:"alg"`
	Kid string `json:"kid"`
	// RSA
	N string `json:"n,omitempty"`
	E string `json:"e,omitempty"`
	// EC and OKP
	Crv string `json:"crv,omitempty"`
	X   string `json:"x,omitempty"`
	Y   string `json:"y,omitempty"`
}

var b64 = base64.RawURLEncoding

// generateKey returns a fresh private key for alg.
func generateKey(alg string) (crypto.Signer, error) {
	switch alg {
	case RS256:
		k, err := rsa.GenerateKey(rand.Reader, RSAKeyBits)
		if err != nil {
			return nil, fmt.Errorf("token: generate RSA key: %w", err)
		}
		return k, nil
	case ES256:
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return nil, fmt.Errorf("token: generate P-256 key: %w", err)
		}
		return k, nil
	case EdDSA:
		_, k, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			return nil, fmt.Errorf("token: generate Ed25519 key: %w", err)
		}
		return k, nil
	default:
		return nil, fmt.Errorf("token: unsupported algorithm %q (want RS256, ES256 or EdDSA)", alg)
	}
}

// newSigningKey derives everything the package needs from a private key.
// The algorithm follows from the key: RSA → RS256, P-256 → ES256,
// Ed25519 → EdDSA.
func newSigningKey(priv crypto.Signer) (*signingKey, error) {
	k := &signingKey{private: priv, public: priv.Public()}
	switch p := priv.(type) {
	case *rsa.PrivateKey:
		if bits := p.N.BitLen(); bits < minRSAKeyBits {
			return nil, fmt.Errorf("token: RSA key has %d bits, at least %d are required", bits, minRSAKeyBits)
		}
		if err := p.Validate(); err != nil {
			return nil, fmt.Errorf("token: invalid RSA key: %w", err)
		}
		k.alg, k.method = RS256, jwt.SigningMethodRS256
		k.jwk = jwk{Kty: "RSA", N: b64.EncodeToString(p.N.Bytes()), E: b64.EncodeToString(bigEndian(p.E))}
	case *ecdsa.PrivateKey:
		if p.Curve != elliptic.P256() {
			return nil, fmt.Errorf("token: EC key on curve %s, only P-256 (ES256) is supported", p.Curve.Params().Name)
		}
		pt, err := p.PublicKey.Bytes() // 0x04 || X || Y, each 32 bytes
		if err != nil {
			return nil, fmt.Errorf("token: encode EC public key: %w", err)
		}
		k.alg, k.method = ES256, jwt.SigningMethodES256
		k.jwk = jwk{Kty: "EC", Crv: "P-256", X: b64.EncodeToString(pt[1:33]), Y: b64.EncodeToString(pt[33:65])}
	case ed25519.PrivateKey:
		if len(p) != ed25519.PrivateKeySize {
			return nil, errors.New("token: Ed25519 key has the wrong size")
		}
		k.alg, k.method = EdDSA, jwt.SigningMethodEdDSA
		k.jwk = jwk{Kty: "OKP", Crv: "Ed25519", X: b64.EncodeToString(p.Public().(ed25519.PublicKey))}
	default:
		return nil, fmt.Errorf("token: unsupported private key type %T (want RSA, P-256 or Ed25519)", priv)
	}
	k.kid = thumbprint(k.jwk)
	k.jwk.Kid, k.jwk.Alg, k.jwk.Use = k.kid, k.alg, "sig"

	hdr, err := json.Marshal(struct {
		Alg string `json:"alg"`
		Kid string `json:"kid"`
		Typ string `json:"typ"`
	}{k.alg, k.kid, accessTokenType})
	if err != nil {
		return nil, fmt.Errorf("token: encode header: %w", err)
	}
	k.header = b64.EncodeToString(hdr)

	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, fmt.Errorf("token: encode private key: %w", err)
	}
	k.pem = string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))

	kid, pub := k.kid, k.public
	k.keyfunc = func(t *jwt.Token) (any, error) {
		if got, _ := t.Header["kid"].(string); got != kid {
			return nil, errors.New("token: kid changed between peek and parse")
		}
		return pub, nil
	}
	return k, nil
}

// bigEndian is the minimal big-endian encoding of a positive int (RSA e).
func bigEndian(n int) []byte {
	var b []byte
	for ; n > 0; n >>= 8 {
		b = append([]byte{byte(n)}, b...)
	}
	return b
}

// thumbprint is the RFC 7638 JWK thumbprint (SHA-256, base64url): the hash
// of the key's required members in lexicographic order, no whitespace.
func thumbprint(k jwk) string {
	var canon string
	switch k.Kty {
	case "RSA":
		canon = `{"e":"` + k.E + `","kty":"RSA","n":"` + k.N + `"}`
	case "EC":
		canon = `{"crv":"` + k.Crv + `","kty":"EC","x":"` + k.X + `","y":"` + k.Y + `"}`
	case "OKP":
		canon = `{"crv":"` + k.Crv + `","kty":"OKP","x":"` + k.X + `"}`
	}
	// The members are base64url strings and fixed names: nothing to escape.
	sum := sha256.Sum256([]byte(canon))
	return b64.EncodeToString(sum[:])
}

// ParsePrivateKeyPEM parses a private key from PEM: PKCS#8 ("PRIVATE KEY",
// RSA, P-256 or Ed25519), PKCS#1 ("RSA PRIVATE KEY") or SEC1
// ("EC PRIVATE KEY"). "EC PARAMETERS" blocks are skipped; encrypted keys,
// certificates and public keys are refused, and so is more than one key.
// It returns the key and the algorithm it signs with.
func ParsePrivateKeyPEM(data []byte) (crypto.Signer, string, error) {
	k, err := parseKeyPEM(data)
	if err != nil {
		return nil, "", err
	}
	return k.private, k.alg, nil
}

func parseKeyPEM(data []byte) (*signingKey, error) {
	var found *pem.Block
	for rest := data; ; {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		switch b.Type {
		case "EC PARAMETERS":
			continue
		case "PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY":
			if _, encrypted := b.Headers["Proc-Type"]; encrypted {
				return nil, errors.New("token: encrypted PEM keys are not supported; decrypt the key first")
			}
			if found != nil {
				return nil, errors.New("token: the PEM holds more than one private key")
			}
			found = b
		case "ENCRYPTED PRIVATE KEY":
			return nil, errors.New("token: encrypted PEM keys are not supported; decrypt the key first")
		default:
			return nil, fmt.Errorf("token: PEM block %q is not a private key", b.Type)
		}
	}
	if found == nil {
		return nil, errors.New("token: no PEM private key found")
	}
	var (
		parsed any
		err    error
	)
	switch found.Type {
	case "PRIVATE KEY":
		parsed, err = x509.ParsePKCS8PrivateKey(found.Bytes)
	case "RSA PRIVATE KEY":
		parsed, err = x509.ParsePKCS1PrivateKey(found.Bytes)
	case "EC PRIVATE KEY":
		parsed, err = x509.ParseECPrivateKey(found.Bytes)
	}
	if err != nil {
		return nil, fmt.Errorf("token: parse %s: %w", found.Type, err)
	}
	signer, ok := parsed.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("token: unsupported private key type %T", parsed)
	}
	return newSigningKey(signer)
}
