package token

import (
	"errors"

	"github.com/authgate/authgate/identity"
	"github.com/golang-jwt/jwt/v5"
)

// verifiedClaims is what the Verifier decodes an access token's payload
// into. A struct rather than jwt.MapClaims: decoding into it costs a third
// of the allocations, and the decoder checks every claim's type (a numeric
// sub, a string exp or a string roles makes the token malformed). It
// implements jwt.Claims for the parser's validator.
type verifiedClaims struct {
	Issuer        string           `json:"iss"`
	Subject       string           `json:"sub"`
	Audience      jwt.ClaimStrings `json:"aud"`
	ExpiresAt     *strictDate      `json:"exp"`
	NotBefore     *strictDate      `json:"nbf"`
	IssuedAt      *strictDate      `json:"iat"`
	ID            string           `json:"jti"`
	SessionID     string           `json:"sid"`
	Email         string           `json:"email"`
	EmailVerified bool             `json:"email_verified"`
	Roles         []string         `json:"roles"`
	AMR           []string         `json:"amr"`
	Name          string           `json:"name"`
}

// principal turns verified claims into a Principal. sub, sid and jti are
// required: the session check that wraps the Verifier needs sid, and a
// cache or audit row needs jti.
//
// Principal.Claims holds every claim authgate writes, in the shapes
// encoding/json gives an untyped decode (string, bool, float64 for
// NumericDates, []any for arrays), the same shapes a Firebase token's
// claims have, so that claim rules treat both alike. Callers must treat it
// as read-only: a cache may share it between requests.
func (c *verifiedClaims) principal() (*identity.Principal, error) {
	switch {
	case c.Subject == "":
		return nil, errors.New("token: no sub claim")
	case c.SessionID == "":
		return nil, errors.New("token: no sid claim")
	case c.ID == "":
		return nil, errors.New("token: no jti claim")
	case c.ExpiresAt == nil:
		return nil, errors.New("token: no exp claim") // the parser requires it; never trust that silently
	}
	p := &identity.Principal{
		UID:           c.Subject,
		Email:         c.Email,
		EmailVerified: c.EmailVerified,
		Name:          c.Name,
		Roles:         nonNil(c.Roles),
		SessionID:     c.SessionID,
		TokenID:       c.ID,
		AMR:           nonNil(c.AMR),
		Source:        identity.SourceAuthgate,
		ExpiresAt:     c.ExpiresAt.Time,
	}
	m := make(map[string]any, 13)
	m["iss"] = c.Issuer
	m["sub"] = c.Subject
	if len(c.Audience) == 1 {
		m["aud"] = c.Audience[0]
	} else {
		m["aud"] = anySlice(c.Audience)
	}
	m["exp"] = numericDate(c.ExpiresAt)
	if c.IssuedAt != nil {
		p.IssuedAt = c.IssuedAt.Time
		m["iat"] = numericDate(c.IssuedAt)
	}
	if c.NotBefore != nil {
		m["nbf"] = numericDate(c.NotBefore)
	}
	m["jti"] = c.ID
	m["sid"] = c.SessionID
	m["email"] = c.Email
	m["email_verified"] = c.EmailVerified
	m["roles"] = anySlice(p.Roles)
	m["amr"] = anySlice(p.AMR)
	if c.Name != "" {
		m["name"] = c.Name
	}
	p.Claims = m
	return p, nil
}

// strictDate is a NumericDate that must be a JSON number: jwt.NumericDate
// also takes a numeric string ("exp":"1700000000"), which RFC 7519 does not.
type strictDate struct{ jwt.NumericDate }

func (d *strictDate) UnmarshalJSON(b []byte) error {
	if len(b) == 0 || (b[0] != '-' && (b[0] < '0' || b[0] > '9')) {
		return errors.New("token: NumericDate is not a JSON number")
	}
	return d.NumericDate.UnmarshalJSON(b)
}

func (d *strictDate) numeric() *jwt.NumericDate {
	if d == nil {
		return nil
	}
	return &d.NumericDate
}

// jwt.Claims, for the parser's validator.

func (c *verifiedClaims) GetExpirationTime() (*jwt.NumericDate, error) {
	return c.ExpiresAt.numeric(), nil
}
func (c *verifiedClaims) GetNotBefore() (*jwt.NumericDate, error) { return c.NotBefore.numeric(), nil }
func (c *verifiedClaims) GetIssuedAt() (*jwt.NumericDate, error)  { return c.IssuedAt.numeric(), nil }
func (c *verifiedClaims) GetIssuer() (string, error)              { return c.Issuer, nil }
func (c *verifiedClaims) GetSubject() (string, error)             { return c.Subject, nil }
func (c *verifiedClaims) GetAudience() (jwt.ClaimStrings, error)  { return c.Audience, nil }

func numericDate(d *strictDate) float64 {
	return float64(d.UnixNano()) / 1e9
}

func anySlice(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}
