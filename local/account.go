package local

import (
	"context"
	"fmt"

	"github.com/authgate/authgate/identity"
	"github.com/authgate/authgate/password"
)

// SetPassword sets a new password for uid, after the caller checked the
// old one or a reset token. The password rules apply, including "not the
// account's email" (EWEAKPASSWORD). PasswordChangedAt is set to now, so
// verifiers can refuse tokens issued before the change.
func (p *Provider) SetPassword(ctx context.Context, uid, newPassword string) error {
	u, err := p.Users.FindUserByUID(ctx, uid)
	if err != nil {
		return fmt.Errorf("local: set password: %w", err)
	}
	if err := password.Check(newPassword, u.Email); err != nil {
		return err
	}
	hash, err := p.Hasher.Hash(ctx, newPassword)
	if err != nil {
		return fmt.Errorf("local: set password: %w", err)
	}
	now := p.now()
	if _, err := p.Users.UpdateUser(ctx, uid, identity.UserUpdate{PasswordHash: &hash, PasswordChangedAt: &now}); err != nil {
		return fmt.Errorf("local: set password: %w", err)
	}
	return nil
}

// UpdateProfile validates and stores a profile change: DisplayName (at most
// 256 characters, no control characters, trimmed) and PhotoURL (empty, or
// an absolute http/https URL of at most 2048 bytes). Invalid values give
// EINVALID with one Fields entry per bad field. Any other field of upd is
// a programming error (roles, status and the password have their own
// paths) and is refused. An update without fields returns the user as is.
func (p *Provider) UpdateProfile(ctx context.Context, uid string, upd identity.UserUpdate) (*identity.User, error) {
	profile := identity.UserUpdate{DisplayName: upd.DisplayName, PhotoURL: upd.PhotoURL}
	if upd != profile {
		return nil, fmt.Errorf("local: update profile: only display name and photo URL are profile fields")
	}
	if err := identity.ValidateProfile(&profile); err != nil {
		return nil, err
	}
	var (
		u   *identity.User
		err error
	)
	if profile.DisplayName == nil && profile.PhotoURL == nil {
		u, err = p.Users.FindUserByUID(ctx, uid)
	} else {
		u, err = p.Users.UpdateUser(ctx, uid, profile)
	}
	if err != nil {
		return nil, fmt.Errorf("local: update profile: %w", err)
	}
	return withoutHash(u), nil
}

// Delete removes the account: the users row with its sessions, refresh
// tokens and one-time tokens (the store does it in one transaction). An
// unknown uid gives ENOTFOUND.
func (p *Provider) Delete(ctx context.Context, uid string) error {
	if err := p.Users.DeleteUser(ctx, uid); err != nil {
		return fmt.Errorf("local: delete: %w", err)
	}
	return nil
}
