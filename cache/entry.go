package cache

import (
	"crypto/subtle"
	"reflect"
	"time"

	"github.com/authgate/authgate/identity"
)

// tokenEntry is a verified token's principal, merged with the profile that
// was current when it was cached. The principal is never modified after the
// entry is stored.
type tokenEntry struct {
	// token is the raw credential. Ristretto keys entries by two 64-bit
	// hashes of it; comparing the token itself makes a hash collision
	// harmless (a miss, never another caller's principal).
	token     string
	principal *identity.Principal
	epoch     uint64
	expires   int64 // unix nanoseconds
}

// profileEntry is a user's profile without its secrets.
type profileEntry struct {
	user    *identity.User
	epoch   uint64
	expires int64
}

// sameToken compares in constant time (for equal lengths), although it runs
// only after ristretto's 128 bits of hash already matched.
func sameToken(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	var v byte
	for i := 0; i < len(a); i++ {
		v |= a[i] ^ b[i]
	}
	return subtle.ConstantTimeByteEq(v, 0) == 1
}

// Sizes of the fixed parts, for the cost estimates.
var (
	principalSize  = int64(reflect.TypeFor[identity.Principal]().Size())
	userSize       = int64(reflect.TypeFor[identity.User]().Size())
	tokenEntrySize = int64(reflect.TypeFor[tokenEntry]().Size())
	profEntrySize  = int64(reflect.TypeFor[profileEntry]().Size())
	timeSize       = int64(reflect.TypeFor[time.Time]().Size())
)

// stringsCost estimates the heap bytes of a string slice: headers plus data.
func stringsCost(ss []string) int64 {
	n := int64(cap(ss)) * 16
	for _, s := range ss {
		n += int64(len(s))
	}
	return n
}

// claimsCost is a rough estimate of a claims map: the map's buckets plus the
// keys and string values. Nested values count a fixed 64 bytes.
func claimsCost(m map[string]any) int64 {
	if m == nil {
		return 0
	}
	n := int64(48)
	for k, v := range m {
		n += 16 + 16 + int64(len(k)) + 16
		switch v := v.(type) {
		case string:
			n += int64(len(v))
		case bool, float64, int64, int:
		default:
			n += 64
		}
	}
	return n
}

// cost estimates the bytes an entry keeps alive.
func (e *tokenEntry) cost() int64 {
	p := e.principal
	return tokenEntrySize + int64(len(e.token)) + principalSize +
		int64(len(p.UID)+len(p.Email)+len(p.Name)+len(p.SessionID)+len(p.TokenID)+len(p.Source)) +
		stringsCost(p.Roles) + stringsCost(p.AMR) + claimsCost(p.Claims)
}

func (e *profileEntry) cost() int64 {
	u := e.user
	n := profEntrySize + userSize + int64(len(u.UID)+len(u.Email)+len(u.DisplayName)+len(u.PhotoURL)) +
		stringsCost(u.Roles)
	if u.LastLoginAt != nil {
		n += timeSize
	}
	if u.PasswordChangedAt != nil {
		n += timeSize
	}
	return n
}

// snapshot copies u for the profile cache, without the password hash and TOTP
// secret: caches never hold secrets.
func snapshot(u *identity.User) *identity.User {
	c := *u
	c.PasswordHash = ""
	c.TOTPSecret = ""
	c.Roles = cloneStrings(u.Roles)
	if u.LastLoginAt != nil {
		t := *u.LastLoginAt
		c.LastLoginAt = &t
	}
	if u.PasswordChangedAt != nil {
		t := *u.PasswordChangedAt
		c.PasswordChangedAt = &t
	}
	return &c
}

func cloneStrings(ss []string) []string {
	if ss == nil {
		return nil
	}
	return append(make([]string, 0, len(ss)), ss...)
}
