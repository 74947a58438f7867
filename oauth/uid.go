package oauth

import (
	"crypto/sha256"
	"encoding/base64"
)

// SubjectUID is the authgate uid of an account created by signing in with
// provider as subject: the first 128 bits of SHA-256("oauth" NUL provider
// NUL subject), base64url, the same shape as identity.NewID. Deriving the
// uid links the account to the provider's subject without a table of its
// own: the next sign-in finds the account by uid even after the email
// address changed at the provider. Renaming a provider therefore orphans
// the accounts it created; keep names stable.
func SubjectUID(provider, subject string) string {
	h := sha256.New()
	h.Write([]byte("oauth\x00"))
	h.Write([]byte(provider))
	h.Write([]byte{0})
	h.Write([]byte(subject))
	return base64.RawURLEncoding.EncodeToString(h.Sum(nil)[:16])
}
