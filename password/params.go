package password

import (
	"errors"
	"fmt"
)

// Params are argon2id cost parameters.
type Params struct {
	// Memory is the memory cost in KiB.
	Memory uint32
	// Iterations is the time cost (passes over the memory).
	Iterations uint32
	// Parallelism is the number of lanes.
	Parallelism uint8
	// SaltLength is the length of the random salt in bytes.
	SaltLength uint32
	// KeyLength is the length of the derived key in bytes.
	KeyLength uint32
}

// DefaultParams are OWASP's recommended argon2id parameters
// (Password Storage Cheat Sheet): m=19 MiB, t=2, p=1, with a 16-byte salt
// and a 32-byte key.
var DefaultParams = Params{
	Memory:      19 * 1024,
	Iterations:  2,
	Parallelism: 1,
	SaltLength:  16,
	KeyLength:   32,
}

// Bounds on parameters accepted from an encoded hash. A stored hash is
// trusted input only up to a point: a corrupted or hostile row must not be
// able to make one verification allocate gigabytes or spin for minutes.
const (
	maxMemoryKiB   = 1 << 20 // 1 GiB
	maxIterations  = 64
	maxParallelism = 64
	minSaltLength  = 8
	maxSaltLength  = 64
	minKeyLength   = 16
	maxKeyLength   = 128
)

// errParams is wrapped by Validate errors.
var errParams = errors.New("password: invalid argon2id parameters")

// Validate reports whether the parameters are within the bounds this package
// accepts (the same bounds apply to hashes it parses).
func (p Params) Validate() error {
	switch {
	case p.Memory < 8*uint32(p.Parallelism) || p.Memory > maxMemoryKiB:
		return fmt.Errorf("%w: memory %d KiB out of range [%d, %d]", errParams, p.Memory, 8*uint32(p.Parallelism), maxMemoryKiB)
	case p.Iterations < 1 || p.Iterations > maxIterations:
		return fmt.Errorf("%w: iterations %d out of range [1, %d]", errParams, p.Iterations, maxIterations)
	case p.Parallelism < 1 || p.Parallelism > maxParallelism:
		return fmt.Errorf("%w: parallelism %d out of range [1, %d]", errParams, p.Parallelism, maxParallelism)
	case p.SaltLength < minSaltLength || p.SaltLength > maxSaltLength:
		return fmt.Errorf("%w: salt length %d out of range [%d, %d]", errParams, p.SaltLength, minSaltLength, maxSaltLength)
	case p.KeyLength < minKeyLength || p.KeyLength > maxKeyLength:
		return fmt.Errorf("%w: key length %d out of range [%d, %d]", errParams, p.KeyLength, minKeyLength, maxKeyLength)
	}
	return nil
}
