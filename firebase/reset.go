package firebase

import (
	"context"
	"errors"
	"fmt"

	"github.com/authgate/authgate/identity"
)

// Out-of-band request types of the Identity Toolkit.
const (
	oobPasswordReset = "PASSWORD_RESET"
	oobVerifyEmail   = "VERIFY_EMAIL"
)

// SendPasswordReset asks Firebase to mail a password-reset link to email
// (accounts:sendOobCode, PASSWORD_RESET): the mail uses the project's
// template and action URL. An unknown or disabled account answers nil like a
// known one, so callers cannot probe for accounts.
func (p *Provider) SendPasswordReset(ctx context.Context, email string) error {
	c := p.c
	email, err := identity.ValidateEmail(email)
	if err != nil {
		return err
	}
	ctx, cancel := c.timeout(ctx)
	defer cancel()
	err = c.rest.sendOobCode(ctx, map[string]any{"requestType": oobPasswordReset, "email": email})
	var ae *APIError
	if errors.As(err, &ae) {
		switch ae.Code {
		case "EMAIL_NOT_FOUND", "USER_NOT_FOUND", "USER_DISABLED":
			return nil
		}
	}
	return restError("send password reset", err)
}

// ConfirmPasswordReset redeems a PASSWORD_RESET oobCode with the new
// password (accounts:resetPassword), revokes the user's Firebase refresh
// tokens and returns the uid. A spent, expired or unknown code gives
// EINVALIDTOKEN.
func (p *Provider) ConfirmPasswordReset(ctx context.Context, code, newPassword string) (string, error) {
	c := p.c
	if code == "" {
		return "", identity.Errorf(identity.EINVALIDTOKEN, msgInvalidCode)
	}
	if err := c.checkNewPassword(newPassword); err != nil {
		return "", err
	}
	tctx, cancel := c.timeout(ctx)
	defer cancel()
	res, err := c.rest.resetPassword(tctx, code, newPassword)
	if err != nil {
		return "", restError("reset password", err)
	}
	uid, err := c.uidOf(tctx, res)
	if err != nil {
		return "", err
	}
	if err := c.afterPasswordChange(ctx, uid); err != nil {
		return "", err
	}
	return uid, nil
}

// SendEmailVerification asks Firebase to mail an email-verification link to
// the user's address (accounts:sendOobCode, VERIFY_EMAIL), so that the mail
// uses the project's template like the password-reset mail.
//
// VERIFY_EMAIL needs the user's own ID token: the provider mints a custom
// token for uid (Admin SDK; this needs a service-account credential or the
// IAM "Service Account Token Creator" role), exchanges it with
// signInWithCustomToken and sends the request with the resulting token. An
// address that is already verified is left alone.
func (p *Provider) SendEmailVerification(ctx context.Context, uid string) error {
	c := p.c
	ctx, cancel := c.timeout(ctx)
	defer cancel()
	rec, err := c.auth.GetUser(ctx, uid)
	if err != nil {
		return adminError("send email verification: get user", err)
	}
	if rec.Email == "" {
		return &identity.Error{Code: identity.EINVALID, Message: "The account has no email address.",
			Fields: map[string]string{"email": "missing"}}
	}
	if rec.EmailVerified {
		return nil
	}
	custom, err := c.auth.CustomToken(ctx, uid)
	if err != nil {
		return adminError("send email verification: custom token", err)
	}
	signed, err := c.rest.signInWithCustomToken(ctx, custom)
	if err != nil {
		return restError("send email verification: sign in with custom token", err)
	}
	if err := c.rest.sendOobCode(ctx, map[string]any{"requestType": oobVerifyEmail, "idToken": signed.IDToken}); err != nil {
		return restError("send email verification", err)
	}
	return nil
}

// ConfirmEmailVerification redeems a VERIFY_EMAIL oobCode (accounts:update),
// marks the users row verified and returns the uid.
func (p *Provider) ConfirmEmailVerification(ctx context.Context, code string) (string, error) {
	c := p.c
	if code == "" {
		return "", identity.Errorf(identity.EINVALIDTOKEN, msgInvalidCode)
	}
	tctx, cancel := c.timeout(ctx)
	defer cancel()
	res, err := c.rest.applyOobCode(tctx, code)
	if err != nil {
		return "", restError("confirm email verification", err)
	}
	if res.RequestType != "" && res.RequestType != oobVerifyEmail {
		// Only a verification code may confirm a verification.
		return "", identity.Errorf(identity.EINVALIDTOKEN, msgInvalidCode)
	}
	uid, err := c.uidOf(tctx, res)
	if err != nil {
		return "", err
	}
	verified := true
	if _, err := c.cfg.Users.UpdateUser(ctx, uid, identity.UserUpdate{EmailVerified: &verified}); err != nil && !identity.IsCode(err, identity.ENOTFOUND) {
		return "", fmt.Errorf("firebase: confirm email verification: %w", err)
	}
	return uid, nil
}

// uidOf returns the uid an oobCode answer is about: its localId when
// present, else the account of its email.
func (c *Client) uidOf(ctx context.Context, res *oobResponse) (string, error) {
	if res.LocalID != "" {
		return res.LocalID, nil
	}
	if res.Email == "" {
		return "", identity.Wrap(identity.EINTERNAL, "Internal error.", errors.New("firebase: oobCode answer without localId or email"))
	}
	rec, err := c.auth.GetUserByEmail(ctx, res.Email)
	if err != nil {
		return "", adminError("look up user of oobCode", err)
	}
	return rec.UID, nil
}
