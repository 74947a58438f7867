package password

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/bcrypt"
)

const (
	// maxBcryptCost refuses imported hashes so expensive that verifying one
	// would tie up a hashing slot for many seconds (cost 15 ≈ 2–3 s).
	maxBcryptCost = 15
	// maxBcryptPassword is the most bcrypt looks at. Longer passwords are
	// refused rather than silently truncated, so that "secret…" plus any
	// suffix does not match a hash of its first 72 bytes.
	maxBcryptPassword = 72
	// bcryptHashLength is the length of every well-formed bcrypt hash.
	bcryptHashLength = 60
)

// isBcrypt reports whether encoded claims to be a bcrypt hash ($2a$, $2b$,
// or PHP's $2y$, which is the same algorithm as $2b$).
func isBcrypt(encoded string) bool {
	return strings.HasPrefix(encoded, "$2a$") || strings.HasPrefix(encoded, "$2b$") || strings.HasPrefix(encoded, "$2y$")
}

func bcryptCompare(hash, password []byte) error { return bcrypt.CompareHashAndPassword(hash, password) }

func (h *Hasher) verifyBcrypt(ctx context.Context, password, encoded string) (bool, error) {
	if len(encoded) != bcryptHashLength {
		return false, fmt.Errorf("%w: bcrypt hash of length %d", ErrMalformedHash, len(encoded))
	}
	cost, err := bcrypt.Cost([]byte(encoded))
	if err != nil {
		return false, fmt.Errorf("%w: bcrypt: %v", ErrMalformedHash, err)
	}
	if cost > maxBcryptCost {
		return false, fmt.Errorf("%w: bcrypt cost %d above %d", ErrMalformedHash, cost, maxBcryptCost)
	}
	if len(password) > maxBcryptPassword {
		return false, nil
	}
	if err := h.acquire(ctx); err != nil {
		return false, err
	}
	defer h.release()
	switch err := h.bcryptCompare([]byte(encoded), []byte(password)); {
	case err == nil:
		return true, nil
	case errors.Is(err, bcrypt.ErrMismatchedHashAndPassword):
		return false, nil
	default:
		return false, fmt.Errorf("%w: bcrypt: %v", ErrMalformedHash, err)
	}
}
