package local

import (
	"context"
	"fmt"

	"github.com/authgate/authgate/identity"
	"github.com/authgate/authgate/password"
)

// Register creates an account. The email is validated and normalized, the
// display name trimmed and bounded, the password checked against the rules
// of password.Check (EWEAKPASSWORD) and hashed. A taken email gives the
// store's EEMAILTAKEN. The account is active; its roles and
// email_verified flag come from r.
func (p *Provider) Register(ctx context.Context, r identity.Registration) (*identity.User, error) {
	email, err := identity.ValidateEmail(r.Email)
	if err != nil {
		return nil, err
	}
	name, err := identity.ValidateDisplayName(r.DisplayName)
	if err != nil {
		return nil, err
	}
	if err := password.Check(r.Password, email); err != nil {
		return nil, err
	}
	hash, err := p.Hasher.Hash(ctx, r.Password)
	if err != nil {
		return nil, fmt.Errorf("local: register: %w", err)
	}
	now := p.now()
	u := &identity.User{
		UID:               identity.NewID(),
		Email:             email,
		DisplayName:       name,
		EmailVerified:     r.EmailVerified,
		Roles:             append([]string(nil), r.Roles...),
		CreatedAt:         now,
		UpdatedAt:         now,
		IsActive:          true,
		PasswordHash:      hash,
		PasswordChangedAt: &now,
	}
	if err := p.Users.CreateUser(ctx, u); err != nil {
		return nil, fmt.Errorf("local: register: %w", err)
	}
	return withoutHash(u), nil
}
