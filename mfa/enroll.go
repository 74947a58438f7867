package mfa

import (
	"context"
	"encoding/base64"
	"fmt"
	"strings"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
	qrcode "github.com/skip2/go-qrcode"

	"github.com/authgate/authgate/identity"
)

// secretSize is the TOTP key length in bytes: 160 bits, RFC 4226's
// recommendation for HMAC-SHA-1.
const secretSize = 20

// Enrollment is what a user needs to set up an authenticator app. It holds
// the secret: show it to the user once, never log or store it elsewhere.
type Enrollment struct {
	// Secret is the base32 key, for typing in by hand.
	Secret string
	// URL is the otpauth:// key URI the QR code encodes.
	URL string
	// QRPNG is the QR code of URL as a PNG image.
	QRPNG []byte
}

// QRDataURI returns the QR code as a data: URI for an <img src>.
func (e *Enrollment) QRDataURI() string {
	return "data:image/png;base64," + base64.StdEncoding.EncodeToString(e.QRPNG)
}

// Enroll starts the TOTP enrollment of u: it stores a new secret (replacing
// an unconfirmed one) while MFA stays off until Confirm. A user whose MFA is
// already on gets ECONFLICT: disable it first.
func (s *Service) Enroll(ctx context.Context, u *identity.User) (*Enrollment, error) {
	if u.MFAEnabled {
		return nil, identity.Errorf(identity.ECONFLICT, "Multi-factor authentication is already enabled; disable it first to enroll a new authenticator.")
	}
	account := u.Email
	if account == "" {
		account = u.UID
	}
	key, err := totp.Generate(totp.GenerateOpts{
		Issuer:      s.issuer(),
		AccountName: account,
		Period:      Period,
		SecretSize:  secretSize,
		Digits:      otp.DigitsSix,
		Algorithm:   otp.AlgorithmSHA1,
	})
	if err != nil {
		return nil, fmt.Errorf("mfa: generate key: %w", err)
	}
	png, err := qrcode.Encode(key.URL(), qrcode.Medium, s.qrSize())
	if err != nil {
		return nil, fmt.Errorf("mfa: render QR code: %w", err)
	}
	secret, off, zero := key.Secret(), false, int64(0)
	if _, err := s.Users.UpdateUser(ctx, u.UID, identity.UserUpdate{TOTPSecret: &secret, MFAEnabled: &off, TOTPLastStep: &zero}); err != nil {
		return nil, fmt.Errorf("mfa: store secret: %w", err)
	}
	return &Enrollment{Secret: secret, URL: key.URL(), QRPNG: png}, nil
}

// Confirm finishes the enrollment of uid with a code from the new
// authenticator: MFA is on from now on, and the ten recovery codes it
// returns are shown to the user once (only their hashes are kept). Without
// a pending enrollment it answers ECONFLICT; a wrong code invalid_mfa_code.
func (s *Service) Confirm(ctx context.Context, uid, code string) ([]string, *identity.User, error) {
	u, err := s.Users.FindUserByUID(ctx, uid)
	if err != nil {
		return nil, nil, fmt.Errorf("mfa: load user: %w", err)
	}
	switch {
	case u.MFAEnabled:
		return nil, nil, identity.Errorf(identity.ECONFLICT, "Multi-factor authentication is already enabled.")
	case u.TOTPSecret == "":
		return nil, nil, identity.Errorf(identity.ECONFLICT, "Start the enrollment first.")
	}
	if err := s.verifyTOTP(ctx, u, NormalizeCode(code)); err != nil {
		return nil, nil, err
	}
	codes, err := s.replaceRecoveryCodes(ctx, uid)
	if err != nil {
		return nil, nil, err
	}
	on := true
	u, err = s.Users.UpdateUser(ctx, uid, identity.UserUpdate{MFAEnabled: &on})
	if err != nil {
		return nil, nil, fmt.Errorf("mfa: enable: %w", err)
	}
	return codes, u, nil
}

// Verify checks a second factor of u, whose MFA is on: a TOTP code or a
// recovery code (either is spent on success). It answers invalid_mfa_code
// for a wrong, expired or reused code, ECONFLICT if MFA is off.
func (s *Service) Verify(ctx context.Context, u *identity.User, code string) (Method, error) {
	if !u.MFAEnabled || u.TOTPSecret == "" {
		return "", errNotEnabled()
	}
	code = NormalizeCode(code)
	if isTOTPCode(code) {
		if err := s.verifyTOTP(ctx, u, code); err != nil {
			return "", err
		}
		return MethodTOTP, nil
	}
	if err := s.useRecoveryCode(ctx, u.UID, code); err != nil {
		return "", err
	}
	return MethodRecoveryCode, nil
}

// Disable turns MFA off for uid: the secret and every recovery code are
// gone. The caller checks the password and a code first.
func (s *Service) Disable(ctx context.Context, uid string) (*identity.User, error) {
	off, empty, zero := false, "", int64(0)
	u, err := s.Users.UpdateUser(ctx, uid, identity.UserUpdate{MFAEnabled: &off, TOTPSecret: &empty, TOTPLastStep: &zero})
	if err != nil {
		return nil, fmt.Errorf("mfa: disable: %w", err)
	}
	if err := s.OneTime.DeleteOneTimeTokens(ctx, uid, PurposeRecoveryCode); err != nil {
		return nil, fmt.Errorf("mfa: delete recovery codes: %w", err)
	}
	if err := s.OneTime.DeleteOneTimeTokens(ctx, uid, identity.PurposeMFATicket); err != nil {
		return nil, fmt.Errorf("mfa: delete tickets: %w", err)
	}
	return u, nil
}

// NormalizeCode removes what people type around a code (spaces, dashes)
// and lower-cases it.
func NormalizeCode(code string) string {
	if len(code) > 64 {
		return "" // no code is that long; never hash megabytes
	}
	return strings.Map(func(r rune) rune {
		switch {
		case r == ' ' || r == '-' || r == '\t':
			return -1
		case r >= 'A' && r <= 'Z':
			return r + ('a' - 'A')
		}
		return r
	}, code)
}
