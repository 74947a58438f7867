package mfa

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/hotp"

	"github.com/authgate/authgate/identity"
)

// TOTP parameters: what every authenticator app understands.
const (
	Period = 30 // seconds per time step
	Digits = 6
	Skew   = 1 // steps accepted before and after the current one
)

var hotpOpts = hotp.ValidateOpts{Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}

// Step returns the TOTP time step of t.
func Step(t time.Time) int64 {
	u := t.Unix()
	if u < 0 {
		return 0
	}
	return u / Period
}

// GenerateCode returns the code of secret (base32) at t. Tests and clients
// use it; the service never needs it.
func GenerateCode(secret string, t time.Time) (string, error) {
	code, err := hotp.GenerateCodeCustom(secret, uint64(Step(t)), hotpOpts)
	if err != nil {
		return "", fmt.Errorf("mfa: generate code: %w", err)
	}
	return code, nil
}

// matchStep returns the step within ±Skew of now whose code is code and
// that is later than after, preferring the current step. replay reports that
// code matched only steps at or before after. Every candidate step is
// computed and compared in constant time, so the timing does not tell which
// step matched.
func matchStep(secret, code string, now time.Time, after int64) (step int64, ok, replay bool, err error) {
	cur := Step(now)
	for _, off := range [...]int64{0, -1, 1} {
		c := cur + off
		if c < 0 {
			continue
		}
		match, verr := hotp.ValidateCustom(code, uint64(c), secret, hotpOpts)
		if verr != nil {
			return 0, false, false, fmt.Errorf("mfa: validate code: %w", verr)
		}
		switch {
		case !match:
		case c <= after:
			replay = true
		case !ok:
			step, ok = c, true
		}
	}
	return step, ok, replay && !ok, nil
}

// isTOTPCode reports whether s (normalized) has the shape of a TOTP code.
func isTOTPCode(s string) bool {
	if len(s) != Digits {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// verifyTOTP checks a TOTP code of u (whose TOTPSecret is set) and, on
// success, makes its step unusable: the step is claimed atomically in the
// one-time token store and stored as the user's last accepted step.
func (s *Service) verifyTOTP(ctx context.Context, u *identity.User, code string) error {
	if u.TOTPSecret == "" || !isTOTPCode(code) {
		return errInvalidCode()
	}
	now := s.now()
	step, ok, replay, err := matchStep(u.TOTPSecret, code, now, u.TOTPLastStep)
	if err != nil {
		return err
	}
	if replay {
		return replayed()
	}
	if !ok {
		return errInvalidCode()
	}
	if err := s.claimStep(ctx, u.UID, step, now); err != nil {
		return err
	}
	last := step
	if _, err := s.Users.UpdateUser(ctx, u.UID, identity.UserUpdate{TOTPLastStep: &last}); err != nil {
		return fmt.Errorf("mfa: store last step: %w", err)
	}
	u.TOTPLastStep = step
	return nil
}

// claimStep records that uid used step. The claim's hash is unique to
// (uid, step), so a second claim of the same step, concurrent or later,
// fails with a conflict: that code was already used. The claim expires when
// the step can no longer be valid, so housekeeping removes it; by then the
// user's last step refuses it anyway.
func (s *Service) claimStep(ctx context.Context, uid string, step int64, now time.Time) error {
	validUntil := time.Unix((step+Skew+1)*Period, 0).Add(time.Minute)
	t := &identity.OneTimeToken{
		Hash:       identity.HashSecret("totp-step:" + uid + ":" + strconv.FormatInt(step, 10)),
		Purpose:    PurposeTOTPStep,
		UID:        uid,
		CreatedAt:  now,
		ExpiresAt:  validUntil,
		ConsumedAt: &now,
	}
	err := s.OneTime.CreateOneTimeToken(ctx, t)
	switch {
	case err == nil:
		return nil
	case identity.IsCode(err, identity.ECONFLICT):
		return replayed()
	default:
		return fmt.Errorf("mfa: claim step: %w", err)
	}
}
