package authapi

import (
	"fmt"
	"net/http"

	"github.com/authgate/authgate/identity"
	"github.com/authgate/authgate/oauth"
)

// oauthUser finds or creates the account of a provider's identity:
//
//  1. the account this provider created for this subject (its uid is
//     oauth.SubjectUID), whatever its email is now, unless the account
//     has since got a password (through a reset) and the provider does
//     not vouch for its address (oauthReturning);
//  2. else the account with the same email, but only when the provider
//     asserts the address is verified: an unverified address answers 409
//     email_taken and links nothing, or anyone could claim an account by
//     typing its address into a provider that does not check it. Linking
//     to an account whose own address was never verified removes its
//     password, second factor and sessions first: whoever registered it
//     did not prove they own the address, and might be an attacker who
//     pre-registered the victim's address (pre-account-takeover);
//  3. else a new account without a password (the local provider refuses
//     password sign-in until one is set by a reset), its address verified
//     as the provider says.
//
// The outside sign-in does not prove authgate's second factor: the caller
// must ask for it when the account has MFA on. A returned user with a
// non-nil error is the account the refusal concerns (for the audit row).
func (a *API) oauthUser(r *http.Request, id *oauth.Identity) (*identity.User, error) {
	ctx := r.Context()
	uid := oauth.SubjectUID(id.Provider, id.Subject)
	u, err := a.Users.FindUserByUID(ctx, uid)
	switch {
	case err == nil:
		return a.oauthReturning(r, u, id)
	case !identity.IsCode(err, identity.ENOTFOUND):
		return nil, fmt.Errorf("authapi: oauth: find user: %w", err)
	}

	email := identity.NormalizeEmail(id.Email)
	if email == "" || len(email) > identity.MaxEmailLength {
		return nil, identity.Errorf(identity.EINVALID,
			"The sign-in provider did not share a usable email address; allow authgate to see it and try again.")
	}
	existing, err := a.Users.FindUserByEmail(ctx, email)
	switch {
	case err == nil:
		return a.oauthLink(r, existing, id)
	case !identity.IsCode(err, identity.ENOTFOUND):
		return nil, fmt.Errorf("authapi: oauth: find user by email: %w", err)
	}

	if a.RequireEmailVerification && !id.EmailVerified {
		return nil, identity.Errorf(identity.EEMAILNOTVERIFIED,
			"The sign-in provider does not confirm your email address; verify it there, or register with email and password.")
	}
	// The provider's name and picture are kept only when they would pass
	// as a profile update.
	name, photo := id.Name, id.Picture
	nameErr, photoErr := fieldErrors{}, fieldErrors{}
	if nameErr.checkDisplayName("n", name); len(nameErr) > 0 {
		name = ""
	}
	if photoErr.checkPhotoURL("p", photo); len(photoErr) > 0 {
		photo = ""
	}
	u = &identity.User{UID: uid, Email: email, DisplayName: name, PhotoURL: photo, EmailVerified: id.EmailVerified, IsActive: true}
	if err := a.Users.CreateUser(ctx, u); err != nil {
		if identity.IsCode(err, identity.EEMAILTAKEN) {
			return nil, err
		}
		return nil, fmt.Errorf("authapi: oauth: create user: %w", err)
	}
	a.audit(r, identity.ActionRegister, u.UID, identity.StatusSuccess, "oauth "+id.Provider)
	return u, nil
}

// oauthReturning signs in the account a provider created earlier, noting
// a verification the provider has made since. Once the account has a
// password (set by a reset, through the mailbox), the provider must vouch
// for the account's address.
func (a *API) oauthReturning(r *http.Request, u *identity.User, id *oauth.Identity) (*identity.User, error) {
	if err := oauthUsable(u); err != nil {
		return u, err
	}
	vouched := id.EmailVerified && identity.NormalizeEmail(id.Email) == u.Email
	if u.PasswordHash != "" && !vouched {
		// The provider created this account without a password; one can
		// only have come from a reset, by whoever reads the address's
		// mail. A provider that does not vouch for that address must not
		// share the account with them (pre-account-takeover).
		return u, &identity.Error{Code: identity.EEMAILTAKEN,
			Message: "The account for this sign-in now has a password set through its email address, which the sign-in provider does not confirm is yours. " +
				"Sign in with your password instead.",
			Extra: map[string]any{"provider": id.Provider}}
	}
	if vouched && !u.EmailVerified {
		verified := true
		updated, err := a.Users.UpdateUser(r.Context(), u.UID, identity.UserUpdate{EmailVerified: &verified})
		if err != nil {
			return nil, fmt.Errorf("authapi: oauth: mark email verified: %w", err)
		}
		a.invalidateUser(r.Context(), u.UID)
		u = updated
	}
	return u, nil
}

// oauthLink signs in to an existing account with the same email (see
// oauthUser for the rules).
func (a *API) oauthLink(r *http.Request, u *identity.User, id *oauth.Identity) (*identity.User, error) {
	if !id.EmailVerified {
		return u, &identity.Error{Code: identity.EEMAILTAKEN,
			Message: "An account with this email address exists, and the sign-in provider does not confirm that the address is yours. " +
				"Sign in with your password instead.",
			Extra: map[string]any{"provider": id.Provider}}
	}
	if !u.IsActive {
		return u, identity.Errorf(identity.EUSERDISABLED, "The account is disabled.")
	}
	if u.EmailVerified {
		return u, nil
	}
	ctx := r.Context()
	now := a.now()
	empty, verified, off := "", true, false
	var step int64
	updated, err := a.Users.UpdateUser(ctx, u.UID, identity.UserUpdate{
		EmailVerified: &verified, PasswordHash: &empty, PasswordChangedAt: &now,
		MFAEnabled: &off, TOTPSecret: &empty, TOTPLastStep: &step,
	})
	if err != nil {
		return nil, fmt.Errorf("authapi: oauth: secure unverified account: %w", err)
	}
	if err := a.revokeAll(ctx, u.UID, ""); err != nil {
		return nil, err
	}
	a.invalidateUser(ctx, u.UID)
	a.audit(r, identity.ActionEmailVerify, u.UID, identity.StatusSuccess, "oauth "+id.Provider+" credentials reset")
	return updated, nil
}

// oauthUsable refuses disabled accounts.
func oauthUsable(u *identity.User) error {
	if !u.IsActive {
		return identity.Errorf(identity.EUSERDISABLED, "The account is disabled.")
	}
	return nil
}
