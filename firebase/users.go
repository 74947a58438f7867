package firebase

import (
	"context"
	"errors"
	"fmt"

	"github.com/authgate/authgate/identity"
)

// EnsureUser creates or updates the users row of a principal from a
// verified Firebase ID token. The first token of a uid creates the row
// (email, display name, photo, email_verified, roles from the "roles"
// claim); later ones update email and email_verified when they differ, and
// write nothing otherwise. last_login_at is the caller's to set.
//
// An email that belongs to another row gives EEMAILTAKEN.
func (c *Client) EnsureUser(ctx context.Context, p *identity.Principal) (*identity.User, error) {
	if c.cfg.Users == nil {
		return nil, ErrNoUserStore
	}
	if p == nil || p.Source != identity.SourceFirebase || p.UID == "" {
		return nil, errors.New("firebase: ensure user: not a Firebase principal")
	}
	email := identity.NormalizeEmail(p.Email)
	u, err := c.cfg.Users.FindUserByUID(ctx, p.UID)
	switch {
	case err == nil:
		return c.syncUser(ctx, u, email, p.EmailVerified)
	case !identity.IsCode(err, identity.ENOTFOUND):
		return nil, fmt.Errorf("firebase: ensure user %s: %w", p.UID, err)
	}

	now := c.cfg.Now().UTC()
	photo, _ := p.Claims["picture"].(string)
	u = &identity.User{
		UID:           p.UID,
		Email:         email,
		DisplayName:   p.Name,
		PhotoURL:      photo,
		EmailVerified: p.EmailVerified,
		Roles:         normalizeRoles(p.Roles),
		CreatedAt:     now,
		UpdatedAt:     now,
		IsActive:      true,
	}
	if err := c.cfg.Users.CreateUser(ctx, u); err != nil {
		if identity.IsCode(err, identity.EEMAILTAKEN) {
			// A concurrent first request of the same uid may have won.
			if again, ferr := c.cfg.Users.FindUserByUID(ctx, p.UID); ferr == nil {
				return c.syncUser(ctx, again, email, p.EmailVerified)
			}
		}
		return nil, fmt.Errorf("firebase: ensure user %s: create: %w", p.UID, err)
	}
	return u, nil
}

// syncUser brings email and email_verified of u in line with the token.
func (c *Client) syncUser(ctx context.Context, u *identity.User, email string, verified bool) (*identity.User, error) {
	var upd identity.UserUpdate
	changed := false
	if email != "" && email != u.Email {
		upd.Email = &email
		changed = true
	}
	if verified != u.EmailVerified {
		upd.EmailVerified = &verified
		changed = true
	}
	if !changed {
		return u, nil
	}
	nu, err := c.cfg.Users.UpdateUser(ctx, u.UID, upd)
	if err != nil {
		return nil, fmt.Errorf("firebase: sync user %s: %w", u.UID, err)
	}
	return nu, nil
}
