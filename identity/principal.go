package identity

import (
	"context"
	"errors"
	"slices"
	"time"
)

// Token sources, the value of Principal.Source.
const (
	SourceAuthgate = "authgate"
	SourceFirebase = "firebase"
	SourceCookie   = "cookie"
)

// Principal is a verified caller: what a Verifier extracts from a credential.
type Principal struct {
	UID           string         `json:"uid"`
	Email         string         `json:"email"`
	EmailVerified bool           `json:"email_verified"`
	Name          string         `json:"name,omitempty"`
	Roles         []string       `json:"roles"`
	SessionID     string         `json:"sid,omitempty"`
	TokenID       string         `json:"jti,omitempty"`
	AMR           []string       `json:"amr,omitempty"`
	Source        string         `json:"source"`
	IssuedAt      time.Time      `json:"iat"`
	AuthTime      time.Time      `json:"auth_time"`
	ExpiresAt     time.Time      `json:"exp"`
	Claims        map[string]any `json:"claims,omitempty"`
}

// HasRole reports whether the principal has the role.
func (p *Principal) HasRole(role string) bool { return slices.Contains(p.Roles, role) }

// HasAMR reports whether the principal authenticated with the method ("otp", "pwd", ...).
func (p *Principal) HasAMR(method string) bool { return slices.Contains(p.AMR, method) }

// Verifier turns a raw credential into a Principal. A verifier that does not
// recognise the credential's kind returns an error wrapping ErrNotResponsible.
// Any other error is final: the credential is bad.
type Verifier interface {
	Verify(ctx context.Context, raw string) (*Principal, error)
}

// VerifierFunc adapts a function to Verifier.
type VerifierFunc func(ctx context.Context, raw string) (*Principal, error)

func (f VerifierFunc) Verify(ctx context.Context, raw string) (*Principal, error) { return f(ctx, raw) }

// Chain tries each verifier in order until one is responsible.
type Chain []Verifier

// Verify implements Verifier. With no responsible verifier it answers
// invalid_token.
func (c Chain) Verify(ctx context.Context, raw string) (*Principal, error) {
	for _, v := range c {
		p, err := v.Verify(ctx, raw)
		if err == nil {
			return p, nil
		}
		if !isNotResponsible(err) {
			return nil, err
		}
	}
	return nil, Errorf(EINVALIDTOKEN, "The token is not valid.")
}

func isNotResponsible(err error) bool { return errors.Is(err, ErrNotResponsible) }
