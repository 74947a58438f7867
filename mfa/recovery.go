package mfa

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"fmt"
	"strings"
	"time"

	"github.com/authgate/authgate/identity"
)

// Recovery code parameters: ten codes of 80 random bits each, written as
// 16 base32 characters in four groups ("abcd-efgh-ijkl-mnop"). 80 bits make
// the fast SHA-256 they are stored under safe even if the table leaks.
const (
	RecoveryCodeCount = 10
	recoveryCodeBytes = 10
	// recoveryLifetime: recovery codes do not expire; the store needs a date.
	recoveryLifetime = 100 * 365 * 24 * time.Hour
)

var recoveryEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// TokenCounter is implemented by one-time token stores that can count a
// user's usable (unconsumed, unexpired) tokens of a purpose. With it,
// RecoveryCodesRemaining can answer.
type TokenCounter interface {
	CountOneTimeTokens(ctx context.Context, uid, purpose string, now time.Time) (int, error)
}

// RegenerateRecoveryCodes replaces the recovery codes of uid, whose MFA is
// on, by ten new ones; the old ones stop working at once.
func (s *Service) RegenerateRecoveryCodes(ctx context.Context, uid string) ([]string, error) {
	u, err := s.Users.FindUserByUID(ctx, uid)
	if err != nil {
		return nil, fmt.Errorf("mfa: load user: %w", err)
	}
	if !u.MFAEnabled {
		return nil, errNotEnabled()
	}
	return s.replaceRecoveryCodes(ctx, uid)
}

// RecoveryCodesRemaining counts the unused recovery codes of uid; known is
// false when the one-time token store cannot count (see TokenCounter).
func (s *Service) RecoveryCodesRemaining(ctx context.Context, uid string) (n int, known bool, err error) {
	c, ok := s.OneTime.(TokenCounter)
	if !ok {
		return 0, false, nil
	}
	n, err = c.CountOneTimeTokens(ctx, uid, PurposeRecoveryCode, s.now())
	if err != nil {
		return 0, false, fmt.Errorf("mfa: count recovery codes: %w", err)
	}
	return n, true, nil
}

func (s *Service) replaceRecoveryCodes(ctx context.Context, uid string) ([]string, error) {
	if err := s.OneTime.DeleteOneTimeTokens(ctx, uid, PurposeRecoveryCode); err != nil {
		return nil, fmt.Errorf("mfa: delete recovery codes: %w", err)
	}
	now := s.now()
	codes := make([]string, RecoveryCodeCount)
	for i := range codes {
		codes[i] = newRecoveryCode()
		t := &identity.OneTimeToken{
			Hash:      recoveryHash(uid, NormalizeCode(codes[i])),
			Purpose:   PurposeRecoveryCode,
			UID:       uid,
			CreatedAt: now,
			ExpiresAt: now.Add(recoveryLifetime),
		}
		if err := s.OneTime.CreateOneTimeToken(ctx, t); err != nil {
			return nil, fmt.Errorf("mfa: store recovery code: %w", err)
		}
	}
	return codes, nil
}

// useRecoveryCode spends a recovery code of uid (normalized).
func (s *Service) useRecoveryCode(ctx context.Context, uid, code string) error {
	if len(code) != recoveryEncoding.EncodedLen(recoveryCodeBytes) {
		return errInvalidCode()
	}
	_, err := s.OneTime.ConsumeOneTimeToken(ctx, PurposeRecoveryCode, recoveryHash(uid, code), s.now())
	switch identity.ErrorCode(err) {
	case "":
		return nil
	case identity.EINVALIDTOKEN, identity.ENOTFOUND, identity.ETOKENEXPIRED:
		return errInvalidCode()
	default:
		return fmt.Errorf("mfa: use recovery code: %w", err)
	}
}

// recoveryHash binds a code to its user: the same code of another user, or
// a token of another purpose, never matches.
func recoveryHash(uid, normalized string) string {
	return identity.HashSecret("mfa-recovery:" + uid + ":" + normalized)
}

func newRecoveryCode() string {
	b := make([]byte, recoveryCodeBytes)
	if _, err := rand.Read(b); err != nil {
		panic("mfa: crypto/rand failed: " + err.Error()) // never happens on supported platforms
	}
	s := strings.ToLower(recoveryEncoding.EncodeToString(b))
	return s[0:4] + "-" + s[4:8] + "-" + s[8:12] + "-" + s[12:16]
}
