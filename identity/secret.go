package identity

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
)

// NewSecret returns a random 256-bit secret, URL-safe base64 without padding,
// and the hash under which it is stored.
func NewSecret() (raw, hash string) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic("identity: crypto/rand failed: " + err.Error()) // never happens on supported platforms
	}
	raw = base64.RawURLEncoding.EncodeToString(b)
	return raw, HashSecret(raw)
}

// HashSecret is the stored form of a secret: hex SHA-256. Secrets are 256-bit
// random values, so a fast hash is the right one (no salt, no stretching).
func HashSecret(raw string) string {
	sum := sha256.Sum256([]byte(raw))
	return hex.EncodeToString(sum[:])
}

// NewID returns a random 128-bit identifier, URL-safe base64 without padding.
func NewID() string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		panic("identity: crypto/rand failed: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b)
}
