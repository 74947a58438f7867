package oauth

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net/url"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/oauth2"
)

// Apple's fixed values.
const (
	// AppleIssuer is Sign in with Apple's OpenID Connect issuer, also the
	// audience of the client secret JWT.
	AppleIssuer = "https://appleid.apple.com"
	// AppleMaxSecretLifetime is the longest lifetime Apple accepts for a
	// client secret JWT (six months, 15777000 seconds).
	AppleMaxSecretLifetime = 15777000 * time.Second
	// DefaultAppleSecretLifetime is the lifetime of the client secrets
	// AppleSecret makes; a new one is signed when less than a tenth is left.
	DefaultAppleSecretLifetime = time.Hour
)

// AppleConfig is what Sign in with Apple needs: the Services ID (client
// id), the team id, and the key id and ES256 private key (.p8 PEM) of a
// key with Sign in with Apple enabled.
type AppleConfig struct {
	ClientID      string
	TeamID        string
	KeyID         string
	PrivateKeyPEM []byte
}

// NewApple returns Sign in with Apple ("apple") as an OpenID Connect
// provider: scopes name and email, response_mode form_post (the callback
// is a cross-site POST), client authentication with a client secret JWT
// signed by AppleSecret and sent in the request body. The user's name,
// which Apple posts only on the first sign-in, is taken from the form.
func NewApple(cfg AppleConfig) (*OIDC, error) {
	key, err := ParseAppleKey(cfg.PrivateKeyPEM)
	if err != nil {
		return nil, err
	}
	if cfg.ClientID == "" || cfg.TeamID == "" || cfg.KeyID == "" {
		return nil, errors.New("oauth: apple: client id, team id and key id are required")
	}
	secret := &AppleSecret{TeamID: cfg.TeamID, KeyID: cfg.KeyID, ClientID: cfg.ClientID, Key: key}
	o := &OIDC{
		ProviderName: "apple",
		Issuer:       AppleIssuer,
		ClientID:     cfg.ClientID,
		SecretSource: secret.Secret,
		Scopes:       []string{"name", "email"},
		Mode:         ResponseModeFormPost,
		AuthStyle:    oauth2.AuthStyleInParams,
		FromForm:     appleUserName,
	}
	secret.Now = o.now
	return o, nil
}

// ParseAppleKey reads an ECDSA P-256 private key from PEM (PKCS #8, as
// Apple's .p8 files are, or SEC 1 "EC PRIVATE KEY").
func ParseAppleKey(pemBytes []byte) (*ecdsa.PrivateKey, error) {
	block, _ := pem.Decode(pemBytes)
	if block == nil {
		return nil, errors.New("oauth: apple: the private key is not PEM")
	}
	var key any
	var err error
	switch block.Type {
	case "PRIVATE KEY":
		key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	case "EC PRIVATE KEY":
		key, err = x509.ParseECPrivateKey(block.Bytes)
	default:
		return nil, fmt.Errorf("oauth: apple: unexpected PEM block %q", block.Type)
	}
	if err != nil {
		return nil, fmt.Errorf("oauth: apple: private key: %w", err)
	}
	ec, ok := key.(*ecdsa.PrivateKey)
	if !ok || ec.Curve != elliptic.P256() {
		return nil, errors.New("oauth: apple: the private key must be an ECDSA P-256 key (ES256)")
	}
	return ec, nil
}

// AppleSecret makes the client secret of Sign in with Apple: an ES256 JWT
// with kid KeyID, iss TeamID, sub ClientID, aud AppleIssuer, iat now and exp
// now+Lifetime. It caches the JWT until less than a tenth of its lifetime
// is left. Safe for concurrent use.
type AppleSecret struct {
	TeamID   string
	KeyID    string
	ClientID string
	Key      *ecdsa.PrivateKey
	// Lifetime of each JWT: DefaultAppleSecretLifetime when zero, at most
	// AppleMaxSecretLifetime.
	Lifetime time.Duration
	// Now is the clock (time.Now).
	Now func() time.Time

	mu     sync.Mutex
	cached string
	exp    time.Time
}

// Secret returns a valid client secret JWT.
func (s *AppleSecret) Secret() (string, error) {
	now := time.Now()
	if s.Now != nil {
		now = s.Now()
	}
	life := s.Lifetime
	if life <= 0 {
		life = DefaultAppleSecretLifetime
	}
	life = min(life, AppleMaxSecretLifetime)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cached != "" && s.exp.Sub(now) > life/10 {
		return s.cached, nil
	}
	exp := now.Add(life)
	t := jwt.NewWithClaims(jwt.SigningMethodES256, jwt.RegisteredClaims{
		Issuer:    s.TeamID,
		Subject:   s.ClientID,
		Audience:  jwt.ClaimStrings{AppleIssuer},
		IssuedAt:  jwt.NewNumericDate(now),
		ExpiresAt: jwt.NewNumericDate(exp),
	})
	t.Header["kid"] = s.KeyID
	raw, err := t.SignedString(s.Key)
	if err != nil {
		return "", fmt.Errorf("oauth: apple: sign client secret: %w", err)
	}
	s.cached, s.exp = raw, exp
	return raw, nil
}

// appleUserName takes the user's name from the "user" member Apple posts
// on the first sign-in ({"name":{"firstName":..,"lastName":..},..}). Only
// the name is used: the email in it is not covered by the ID token's
// signature.
func appleUserName(form url.Values, id *Identity) {
	raw := form.Get("user")
	if raw == "" || len(raw) > 4096 || id.Name != "" {
		return
	}
	var u struct {
		Name struct {
			FirstName string `json:"firstName"`
			LastName  string `json:"lastName"`
		} `json:"name"`
	}
	if json.Unmarshal([]byte(raw), &u) == nil {
		id.Name = joinName(u.Name.FirstName, u.Name.LastName)
	}
}
