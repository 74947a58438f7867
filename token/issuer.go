package token

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/authgate/authgate/identity"
)

// accessTokenType is the typ header of authgate access tokens (RFC 9068).
const accessTokenType = "at+jwt"

// accessClaims is the payload of an access token, in the order it is
// written. Arrays are never null.
type accessClaims struct {
	Issuer        string   `json:"iss"`
	Subject       string   `json:"sub"`
	Audience      string   `json:"aud"`
	ExpiresAt     int64    `json:"exp"`
	IssuedAt      int64    `json:"iat"`
	NotBefore     int64    `json:"nbf"`
	ID            string   `json:"jti"`
	SessionID     string   `json:"sid"`
	Email         string   `json:"email"`
	EmailVerified bool     `json:"email_verified"`
	Roles         []string `json:"roles"`
	AMR           []string `json:"amr"`
	Name          string   `json:"name,omitempty"`
}

// Issuer signs authgate access tokens. It implements identity.TokenIssuer.
type Issuer struct {
	keys *KeySet
	cfg  Config
}

var _ identity.TokenIssuer = (*Issuer)(nil)

// NewIssuer returns an Issuer that signs with the key set's current key.
func NewIssuer(keys *KeySet, cfg Config) (*Issuer, error) {
	if keys == nil {
		return nil, errors.New("token: nil key set")
	}
	cfg, err := cfg.normalized()
	if err != nil {
		return nil, err
	}
	return &Issuer{keys: keys, cfg: cfg}, nil
}

// TTL is the lifetime of the tokens this Issuer signs.
func (i *Issuer) TTL() time.Duration { return i.cfg.AccessTTL }

// IssueAccessToken signs an access token for u in session s with the
// authentication methods amr ("pwd", "otp", ...). It returns the token, its
// jti and its expiry. The jti is s.TokenID when the caller set it (so the
// session row can name the token before it is signed, as a refresh does),
// else a fresh identity.NewID. Times are whole seconds.
func (i *Issuer) IssueAccessToken(ctx context.Context, u *identity.User, s *identity.Session, amr []string) (raw, jti string, exp time.Time, err error) {
	if u == nil || u.UID == "" || s == nil || s.ID == "" {
		return "", "", time.Time{}, errors.New("token: issue access token: user and session are required")
	}
	now := i.cfg.Now().Unix()
	id := s.TokenID
	if id == "" {
		id = identity.NewID()
	}
	c := accessClaims{
		Issuer:        i.cfg.Issuer,
		Subject:       u.UID,
		Audience:      i.cfg.Audience,
		IssuedAt:      now,
		NotBefore:     now,
		ExpiresAt:     now + int64(i.cfg.AccessTTL/time.Second),
		ID:            id,
		SessionID:     s.ID,
		Email:         u.Email,
		EmailVerified: u.EmailVerified,
		Roles:         nonNil(u.Roles),
		AMR:           nonNil(amr),
		Name:          u.DisplayName,
	}
	payload, err := json.Marshal(c)
	if err != nil {
		return "", "", time.Time{}, fmt.Errorf("token: encode claims: %w", err)
	}
	k := i.keys.signer(ctx)
	signingInput := k.header + "." + b64.EncodeToString(payload)
	sig, err := k.method.Sign(signingInput, k.private)
	if err != nil {
		return "", "", time.Time{}, fmt.Errorf("token: sign with %s key %s: %w", k.alg, k.kid, err)
	}
	return signingInput + "." + b64.EncodeToString(sig), c.ID, time.Unix(c.ExpiresAt, 0), nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
