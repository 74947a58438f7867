package token

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/authgate/authgate/identity"
	"github.com/golang-jwt/jwt/v5"
)

// MaxTokenSize is the longest string Verify looks at. authgate's tokens
// are under 2 KiB; anything longer is not ours and is not decoded.
const MaxTokenSize = 8 << 10

// Client-facing messages; the cause is kept in the wrapped error for logs.
const (
	msgInvalid = "The token is not valid."
	msgExpired = "The token has expired."
)

// Reasons for passing a token on to the next verifier of a Chain. They are
// allocated once: Firebase ID tokens take this path on every request.
var (
	errTooLarge      = fmt.Errorf("token: longer than %d bytes, not an authgate token: %w", MaxTokenSize, identity.ErrNotResponsible)
	errNotJWS        = fmt.Errorf("token: not a compact JWS: %w", identity.ErrNotResponsible)
	errForeignIssuer = fmt.Errorf("token: issued by someone else: %w", identity.ErrNotResponsible)
)

// Verifier verifies authgate access tokens. It implements identity.Verifier
// and belongs first in an identity.Chain. A token is ours when its kid
// names one of our keys or, failing that, its iss is Config.Issuer; any
// other token (not a JWS at all, or a Firebase ID token, say) gets an error
// wrapping identity.ErrNotResponsible so the Chain tries the next verifier.
//
// For its own tokens it takes the key named by the kid header from the key
// set (jku, x5u, jwk and x5c headers are never looked at), accepts only
// that key's algorithm, checks the signature, requires typ "at+jwt", exp,
// sub, sid and jti, checks iss, aud, nbf and iat with Config.Leeway, and
// refuses any crit header. An expired token gives an *identity.Error with
// code ETOKENEXPIRED; every other failure EINVALIDTOKEN with a generic
// message and the cause wrapped.
//
// Verify does NOT check whether the token's session (sid) was revoked or
// its user disabled: wrap it with a verifier that does before trusting a
// Principal for anything but "this token was signed by us and is unexpired".
type Verifier struct {
	keys *KeySet
	cfg  Config
	// parsers holds one parser per algorithm, each accepting only that
	// algorithm; Verify picks the one for the key the kid names.
	parsers map[string]*jwt.Parser
}

var _ identity.Verifier = (*Verifier)(nil)

// NewVerifier returns a Verifier for tokens issued under cfg with keys.
func NewVerifier(keys *KeySet, cfg Config) (*Verifier, error) {
	if keys == nil {
		return nil, errors.New("token: nil key set")
	}
	cfg, err := cfg.normalized()
	if err != nil {
		return nil, err
	}
	v := &Verifier{keys: keys, cfg: cfg, parsers: map[string]*jwt.Parser{}}
	for _, alg := range []string{RS256, ES256, EdDSA} {
		v.parsers[alg] = jwt.NewParser(
			jwt.WithValidMethods([]string{alg}),
			jwt.WithIssuer(cfg.Issuer),
			jwt.WithAudience(cfg.Audience),
			jwt.WithExpirationRequired(),
			jwt.WithIssuedAt(),
			jwt.WithLeeway(cfg.Leeway),
			jwt.WithTimeFunc(cfg.Now),
			jwt.WithStrictDecoding(),
		)
	}
	return v, nil
}

// Verify implements identity.Verifier.
func (v *Verifier) Verify(ctx context.Context, raw string) (*identity.Principal, error) {
	if len(raw) > MaxTokenSize {
		return nil, errTooLarge
	}
	h, payload, ok := peekHeader(raw)
	if !ok {
		return nil, errNotJWS
	}
	// A kid naming one of our keys makes the token ours; otherwise the
	// issuer decides. The kid lookup is a lock-free map read, so our own
	// tokens skip decoding the payload a second time.
	now := v.cfg.Now()
	var k *signingKey
	if h.Kid != "" && !h.malformed {
		k = v.keys.lookup(h.Kid, now)
	}
	if k == nil {
		iss, ok := peekIssuer(payload)
		if !ok {
			return nil, errNotJWS
		}
		if iss != v.cfg.Issuer {
			return nil, errForeignIssuer
		}
	}
	// From here on the token claims to be ours: every failure is final.
	if h.malformed {
		return nil, invalid(errors.New("token: header member of the wrong type"))
	}
	if h.Crit != nil {
		return nil, invalid(errors.New("token: crit header present, no extension is understood"))
	}
	if !isAccessTokenType(h.Typ) {
		return nil, invalid(fmt.Errorf("token: typ %q is not %s", h.Typ, accessTokenType))
	}
	if h.Kid == "" {
		return nil, invalid(errors.New("token: no kid header"))
	}
	if k == nil {
		// Maybe another replica just rotated: look in the store once.
		v.keys.refreshForUnknownKID(ctx)
		if k = v.keys.lookup(h.Kid, v.cfg.Now()); k == nil {
			return nil, invalid(fmt.Errorf("token: unknown or retired kid %q", h.Kid))
		}
	}
	var claims verifiedClaims
	if _, err := v.parsers[k.alg].ParseWithClaims(raw, &claims, k.keyfunc); err != nil {
		if onlyExpired(err) {
			return nil, identity.Wrap(identity.ETOKENEXPIRED, msgExpired, err)
		}
		return nil, invalid(err)
	}
	p, err := claims.principal()
	if err != nil {
		return nil, invalid(err)
	}
	return p, nil
}

func invalid(cause error) error { return identity.Wrap(identity.EINVALIDTOKEN, msgInvalid, cause) }

// isAccessTokenType accepts the typ values RFC 9068 section 4 allows. It
// keeps tokens of another type signed with the same key (RFC 8725 3.11)
// from passing as access tokens.
func isAccessTokenType(typ string) bool {
	return strings.EqualFold(typ, accessTokenType) || strings.EqualFold(typ, "application/"+accessTokenType)
}

// onlyExpired reports whether err is a claims-validation error whose only
// complaint is an expired exp; a token that is expired and wrong in any
// other way is just invalid.
func onlyExpired(err error) bool {
	return errors.Is(err, jwt.ErrTokenExpired) && onlyLeaves(err, jwt.ErrTokenInvalidClaims, jwt.ErrTokenExpired)
}

// onlyLeaves reports whether every error at the bottom of err's tree is one
// of allowed.
func onlyLeaves(err error, allowed ...error) bool {
	switch e := err.(type) {
	case interface{ Unwrap() []error }:
		for _, inner := range e.Unwrap() {
			if !onlyLeaves(inner, allowed...) {
				return false
			}
		}
		return true
	case interface{ Unwrap() error }:
		if inner := e.Unwrap(); inner != nil {
			return onlyLeaves(inner, allowed...)
		}
	}
	return slices.Contains(allowed, err)
}
