package authapi_test

import (
	"crypto/ecdsa"

	"github.com/golang-jwt/jwt/v5"

	"github.com/authgate/authgate/oauth"
)

// oauthSecretIssuer verifies an Apple client secret JWT and returns its iss.
func oauthSecretIssuer(secret string, pub *ecdsa.PublicKey) (string, error) {
	var c jwt.RegisteredClaims
	_, err := jwt.ParseWithClaims(secret, &c, func(*jwt.Token) (any, error) { return pub, nil },
		jwt.WithValidMethods([]string{"ES256"}), jwt.WithAudience(oauth.AppleIssuer), jwt.WithExpirationRequired())
	if err != nil {
		return "", err
	}
	return c.Issuer, nil
}
