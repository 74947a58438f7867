package firebase

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"firebase.google.com/go/v4/auth"

	"github.com/authgate/authgate/identity"
)

// maxTokenSize bounds the credentials the Verifier looks at; Firebase ID
// tokens are about 1 KiB, with large custom claims a few.
const maxTokenSize = 16 << 10

// Verifier verifies Firebase ID tokens of one project. It implements
// identity.Verifier: a credential that is not an ID token of the project
// (judged by its unverified "iss" claim) gives an error wrapping
// identity.ErrNotResponsible, so it can sit anywhere in an identity.Chain.
//
// Errors: identity.ETOKENEXPIRED for an expired token, identity.EUNAVAILABLE
// when Firebase (its public keys, or the user lookup of the revocation
// check) cannot be reached, identity.EINVALIDTOKEN for anything else.
type Verifier struct {
	c *Client
}

var _ identity.Verifier = (*Verifier)(nil)

// Verify implements identity.Verifier.
func (v *Verifier) Verify(ctx context.Context, raw string) (*identity.Principal, error) {
	c := v.c
	if iss, ok := peekIssuer(raw); !ok || iss != c.issuer {
		return nil, errNotResponsible
	}
	ctx, cancel := c.timeout(ctx)
	defer cancel()
	tok, err := c.auth.VerifyIDToken(ctx, raw)
	if err != nil {
		return nil, tokenError(err)
	}
	if c.cfg.CheckRevoked {
		if err := c.checkRevoked(ctx, tok.UID, tok.IssuedAt); err != nil {
			return nil, err
		}
	}
	return principalFromToken(tok), nil
}

// errNotResponsible is returned for tokens of other issuers; it is
// allocated once because every authgate token reaching this verifier gets it.
var errNotResponsible = fmt.Errorf("firebase: not a Firebase ID token of this project: %w", identity.ErrNotResponsible)

// peekIssuer returns the unverified "iss" claim of a compact JWS, or false
// when raw is not one.
func peekIssuer(raw string) (string, bool) {
	if len(raw) > maxTokenSize {
		return "", false
	}
	i := strings.IndexByte(raw, '.')
	if i <= 0 {
		return "", false
	}
	rest := raw[i+1:]
	j := strings.IndexByte(rest, '.')
	if j <= 0 || strings.IndexByte(rest[j+1:], '.') >= 0 {
		return "", false
	}
	payload, err := base64.RawURLEncoding.DecodeString(rest[:j])
	if err != nil {
		return "", false
	}
	var claims struct {
		Iss string `json:"iss"`
	}
	if err := json.Unmarshal(payload, &claims); err != nil {
		return "", false
	}
	return claims.Iss, claims.Iss != ""
}

// principalFromToken maps a verified ID token to a Principal.
func principalFromToken(t *auth.Token) *identity.Principal {
	p := &identity.Principal{
		UID:       t.UID,
		Source:    identity.SourceFirebase,
		IssuedAt:  time.Unix(t.IssuedAt, 0).UTC(),
		ExpiresAt: time.Unix(t.Expires, 0).UTC(),
		Claims:    t.Claims,
		Roles:     rolesClaim(t.Claims["roles"]),
	}
	if t.AuthTime > 0 {
		p.AuthTime = time.Unix(t.AuthTime, 0).UTC()
	}
	p.Email, _ = t.Claims["email"].(string)
	p.EmailVerified, _ = t.Claims["email_verified"].(bool)
	p.Name, _ = t.Claims["name"].(string)
	var secondFactor string
	if fb, ok := t.Claims["firebase"].(map[string]any); ok {
		secondFactor, _ = fb["sign_in_second_factor"].(string)
	}
	p.AMR = amrFor(t.Firebase.SignInProvider, secondFactor)
	return p
}

// rolesClaim reads the custom claim "roles": an array of strings. Anything
// else (a string, numbers, nested objects) is ignored: no roles from it.
func rolesClaim(v any) []string {
	arr, ok := v.([]any)
	if !ok {
		return []string{}
	}
	roles := make([]string, 0, len(arr))
	for _, r := range arr {
		if s, ok := r.(string); ok && s != "" {
			roles = append(roles, s)
		}
	}
	return roles
}

// amrFor maps Firebase's sign_in_provider (and sign_in_second_factor) to
// authentication method references in the style of RFC 8176: "pwd" for a
// password, "sms" for a phone, "fed" plus the provider id ("google.com")
// for federated sign-in, "mfa" plus the factor when a second factor was used.
func amrFor(provider, secondFactor string) []string {
	var amr []string
	switch provider {
	case "":
	case "password":
		amr = []string{"pwd"}
	case "phone":
		amr = []string{"sms"}
	case "custom", "anonymous":
		amr = []string{provider}
	default:
		amr = []string{"fed", provider}
	}
	switch secondFactor {
	case "":
	case "phone":
		amr = append(amr, "mfa", "sms")
	case "totp":
		amr = append(amr, "mfa", "otp")
	default:
		amr = append(amr, "mfa")
	}
	return amr
}
