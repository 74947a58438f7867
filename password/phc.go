package password

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
)

// ErrMalformedHash is wrapped by the error Verify returns for a stored hash
// that is neither a well-formed argon2id PHC string within the accepted
// parameter bounds nor a bcrypt hash.
var ErrMalformedHash = errors.New("password: malformed or unsupported hash")

const (
	argon2idPrefix = "$argon2id$"
	// maxEncodedLength bounds the parser's work: the longest hash the bounds
	// allow (64-byte salt, 128-byte key, large parameters) is well below it.
	maxEncodedLength = 512
)

// b64 is the PHC string format's base64: standard alphabet, no padding, and
// strict so that every hash has exactly one encoding.
var b64 = base64.RawStdEncoding.Strict()

// argon2idHash is a parsed PHC argon2id string.
type argon2idHash struct {
	params Params
	salt   []byte
	key    []byte
}

// encodeArgon2id formats a PHC string.
func encodeArgon2id(p Params, salt, key []byte) string {
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.Memory, p.Iterations, p.Parallelism,
		b64.EncodeToString(salt), b64.EncodeToString(key))
}

// parseArgon2id parses a PHC argon2id string. It never panics and bounds
// every parameter, so it is safe on untrusted input.
func parseArgon2id(encoded string) (*argon2idHash, error) {
	if len(encoded) > maxEncodedLength {
		return nil, fmt.Errorf("%w: longer than %d bytes", ErrMalformedHash, maxEncodedLength)
	}
	if !strings.HasPrefix(encoded, argon2idPrefix) {
		return nil, fmt.Errorf("%w: not argon2id", ErrMalformedHash)
	}
	parts := strings.Split(encoded[len(argon2idPrefix):], "$")
	if len(parts) != 4 {
		return nil, fmt.Errorf("%w: want 4 fields after the algorithm, got %d", ErrMalformedHash, len(parts))
	}
	version, ok := strings.CutPrefix(parts[0], "v=")
	if !ok {
		return nil, fmt.Errorf("%w: missing version", ErrMalformedHash)
	}
	v, err := parseDecimal(version, 32)
	if err != nil || v != argon2.Version {
		return nil, fmt.Errorf("%w: unsupported version %q", ErrMalformedHash, version)
	}

	var h argon2idHash
	if err := h.params.parse(parts[1]); err != nil {
		return nil, err
	}
	if h.salt, err = b64.DecodeString(parts[2]); err != nil {
		return nil, fmt.Errorf("%w: salt: %v", ErrMalformedHash, err)
	}
	if h.key, err = b64.DecodeString(parts[3]); err != nil {
		return nil, fmt.Errorf("%w: key: %v", ErrMalformedHash, err)
	}
	h.params.SaltLength = uint32(len(h.salt))
	h.params.KeyLength = uint32(len(h.key))
	if err := h.params.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformedHash, err)
	}
	return &h, nil
}

// parse reads "m=19456,t=2,p=1" (exactly these keys, in this order, as the
// PHC argon2 format specifies).
func (p *Params) parse(s string) error {
	fields := strings.Split(s, ",")
	if len(fields) != 3 {
		return fmt.Errorf("%w: want m,t,p parameters, got %q", ErrMalformedHash, s)
	}
	var vals [3]uint64
	for i, key := range [3]string{"m=", "t=", "p="} {
		raw, ok := strings.CutPrefix(fields[i], key)
		if !ok {
			return fmt.Errorf("%w: want parameter %q first in %q", ErrMalformedHash, key, fields[i])
		}
		bits := 32
		if key == "p=" {
			bits = 8
		}
		n, err := parseDecimal(raw, bits)
		if err != nil {
			return fmt.Errorf("%w: parameter %s%q: %v", ErrMalformedHash, key, raw, err)
		}
		vals[i] = n
	}
	p.Memory, p.Iterations, p.Parallelism = uint32(vals[0]), uint32(vals[1]), uint8(vals[2])
	return nil
}

// parseDecimal parses a PHC decimal: digits only, no sign, no leading zero.
func parseDecimal(s string, bits int) (uint64, error) {
	if s == "" || (len(s) > 1 && s[0] == '0') {
		return 0, errors.New("not a canonical decimal")
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, errors.New("not a decimal")
		}
	}
	return strconv.ParseUint(s, 10, bits)
}
