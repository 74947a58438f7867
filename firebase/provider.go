package firebase

import (
	"context"
	"fmt"
	"strings"

	"firebase.google.com/go/v4/auth"

	"github.com/authgate/authgate/identity"
)

// ProviderName is the value of Provider.Name.
const ProviderName = "firebase"

// minPasswordLength is Firebase's own minimum.
const minPasswordLength = 6

// Provider is the Firebase identity provider: passwords live at Firebase,
// the users row (profile, roles) in Config.Users, keyed by the Firebase uid.
// It implements identity.Provider, identity.PasswordResetter and
// identity.EmailVerificationSender. Get it from Client.Provider.
type Provider struct {
	c *Client
}

var (
	_ identity.Provider                = (*Provider)(nil)
	_ identity.PasswordResetter        = (*Provider)(nil)
	_ identity.EmailVerificationSender = (*Provider)(nil)
)

// Name implements identity.Provider.
func (p *Provider) Name() string { return ProviderName }

// Register creates the account at Firebase (Admin SDK CreateUser), mirrors
// r.Roles to the "roles" custom claim and creates the users row keyed by the
// new uid. When the row cannot be stored the Firebase account is deleted
// again. Errors: EINVALID (email), EWEAKPASSWORD, EEMAILTAKEN, EUNAVAILABLE.
func (p *Provider) Register(ctx context.Context, r identity.Registration) (*identity.User, error) {
	c := p.c
	email, err := identity.ValidateEmail(r.Email)
	if err != nil {
		return nil, err
	}
	if err := c.checkNewPassword(r.Password); err != nil {
		return nil, err
	}
	params := (&auth.UserToCreate{}).Email(email).Password(r.Password).EmailVerified(r.EmailVerified)
	name := strings.TrimSpace(r.DisplayName)
	if name != "" {
		params = params.DisplayName(name)
	}
	roles := normalizeRoles(r.Roles)

	tctx, cancel := c.timeout(ctx)
	defer cancel()
	rec, err := c.auth.CreateUser(tctx, params)
	if err != nil {
		return nil, adminError("create user", err)
	}
	if len(roles) > 0 {
		if err := c.auth.SetCustomUserClaims(tctx, rec.UID, map[string]any{"roles": roles}); err != nil {
			c.undoCreate(ctx, rec.UID)
			return nil, adminError("set roles claim", err)
		}
	}
	now := c.cfg.Now().UTC()
	u := &identity.User{
		UID:           rec.UID,
		Email:         email,
		DisplayName:   name,
		EmailVerified: r.EmailVerified,
		Roles:         roles,
		CreatedAt:     now,
		UpdatedAt:     now,
		IsActive:      true,
	}
	if err := c.cfg.Users.CreateUser(ctx, u); err != nil {
		c.undoCreate(ctx, rec.UID)
		return nil, fmt.Errorf("firebase: register: store user: %w", err)
	}
	return u, nil
}

// undoCreate deletes an account Register created but could not finish. It
// runs even when ctx is already cancelled.
func (c *Client) undoCreate(ctx context.Context, uid string) {
	ctx, cancel := c.timeout(context.WithoutCancel(ctx))
	defer cancel()
	_ = c.auth.DeleteUser(ctx, uid) // best effort: a leftover account can sign in and gets its row then
}

// SignIn checks the password at Firebase (Identity Toolkit
// signInWithPassword), then creates or updates the users row from the ID
// token Firebase returned (email, email_verified). A wrong password and an
// unknown email give the same EINVALIDCREDENTIALS. A users row marked
// inactive gives EUSERDISABLED, as does an account disabled at Firebase.
func (p *Provider) SignIn(ctx context.Context, email, password string) (*identity.User, error) {
	c := p.c
	email = identity.NormalizeEmail(email)
	if email == "" || password == "" {
		return nil, identity.Errorf(identity.EINVALIDCREDENTIALS, msgInvalidCredentials)
	}
	tctx, cancel := c.timeout(ctx)
	defer cancel()
	res, err := c.rest.signInWithPassword(tctx, email, password)
	if err != nil {
		return nil, restError("sign in", err)
	}
	tok, err := c.auth.VerifyIDToken(tctx, res.IDToken)
	if err != nil {
		if isUnreachable(err) {
			return nil, identity.Wrap(identity.EUNAVAILABLE, msgUnavailable, fmt.Errorf("firebase: sign in: %w", err))
		}
		return nil, fmt.Errorf("firebase: sign in: verify the ID token Firebase issued: %w", err)
	}
	u, err := c.EnsureUser(ctx, principalFromToken(tok))
	if err != nil {
		return nil, err
	}
	if !u.IsActive {
		return nil, identity.Errorf(identity.EUSERDISABLED, msgUserDisabled)
	}
	return u, nil
}

// CheckPassword re-checks the password of uid at Firebase.
func (p *Provider) CheckPassword(ctx context.Context, uid, password string) error {
	c := p.c
	if uid == "" || password == "" {
		return identity.Errorf(identity.EINVALIDCREDENTIALS, msgInvalidCredentials)
	}
	tctx, cancel := c.timeout(ctx)
	defer cancel()
	rec, err := c.auth.GetUser(tctx, uid)
	if err != nil {
		if auth.IsUserNotFound(err) {
			return identity.Wrap(identity.EINVALIDCREDENTIALS, msgInvalidCredentials, fmt.Errorf("firebase: check password: %w", err))
		}
		return adminError("check password: get user", err)
	}
	if rec.Email == "" {
		// No email, no password (phone-only account).
		return identity.Errorf(identity.EINVALIDCREDENTIALS, msgInvalidCredentials)
	}
	res, err := c.rest.signInWithPassword(tctx, rec.Email, password)
	if err != nil {
		return restError("check password", err)
	}
	if res.LocalID != uid {
		return identity.Errorf(identity.EINVALIDCREDENTIALS, msgInvalidCredentials)
	}
	return nil
}

// SetPassword sets a new password at Firebase and revokes the user's
// Firebase refresh tokens (so ID tokens issued before fail the revocation
// check), then records the change on the users row.
func (p *Provider) SetPassword(ctx context.Context, uid, newPassword string) error {
	c := p.c
	if err := c.checkNewPassword(newPassword); err != nil {
		return err
	}
	tctx, cancel := c.timeout(ctx)
	defer cancel()
	if _, err := c.auth.UpdateUser(tctx, uid, (&auth.UserToUpdate{}).Password(newPassword)); err != nil {
		return adminError("set password", err)
	}
	return c.afterPasswordChange(ctx, uid)
}

// afterPasswordChange revokes Firebase refresh tokens and stamps
// password_changed_at on the users row (a missing row is no error: it is
// created on the next sign-in).
func (c *Client) afterPasswordChange(ctx context.Context, uid string) error {
	tctx, cancel := c.timeout(ctx)
	defer cancel()
	err := c.auth.RevokeRefreshTokens(tctx, uid)
	c.revoked.forget(uid)
	if err != nil {
		return adminError("revoke refresh tokens", err)
	}
	now := c.cfg.Now().UTC()
	if _, err := c.cfg.Users.UpdateUser(ctx, uid, identity.UserUpdate{PasswordChangedAt: &now}); err != nil && !identity.IsCode(err, identity.ENOTFOUND) {
		return fmt.Errorf("firebase: record password change: %w", err)
	}
	return nil
}

// UpdateProfile mirrors display name, photo URL, email, email_verified and
// is_active (as "disabled") to Firebase and roles to the "roles" custom
// claim, then stores upd on the users row. An empty display name or photo
// URL removes it at Firebase.
func (p *Provider) UpdateProfile(ctx context.Context, uid string, upd identity.UserUpdate) (*identity.User, error) {
	c := p.c
	params := &auth.UserToUpdate{}
	mirror := false
	if upd.DisplayName != nil {
		name := strings.TrimSpace(*upd.DisplayName)
		upd.DisplayName = &name
		params.DisplayName(name)
		mirror = true
	}
	if upd.PhotoURL != nil {
		u := strings.TrimSpace(*upd.PhotoURL)
		upd.PhotoURL = &u
		params.PhotoURL(u)
		mirror = true
	}
	if upd.Email != nil {
		email, err := identity.ValidateEmail(*upd.Email)
		if err != nil {
			return nil, err
		}
		upd.Email = &email
		params.Email(email)
		mirror = true
	}
	if upd.EmailVerified != nil {
		params.EmailVerified(*upd.EmailVerified)
		mirror = true
	}
	if upd.IsActive != nil {
		params.Disabled(!*upd.IsActive)
		mirror = true
	}
	if upd.Roles != nil {
		roles := normalizeRoles(*upd.Roles)
		upd.Roles = &roles
	}

	tctx, cancel := c.timeout(ctx)
	defer cancel()
	if mirror {
		if _, err := c.auth.UpdateUser(tctx, uid, params); err != nil {
			return nil, adminError("update user", err)
		}
		if upd.IsActive != nil {
			c.revoked.forget(uid)
		}
	}
	if upd.Roles != nil {
		if err := p.syncRoles(tctx, uid, *upd.Roles); err != nil {
			return nil, err
		}
	}
	u, err := c.cfg.Users.UpdateUser(ctx, uid, upd)
	if err != nil {
		return nil, fmt.Errorf("firebase: update profile: %w", err)
	}
	return u, nil
}

// Delete deletes the account at Firebase, then the users row (with its
// sessions and tokens, see identity.UserStore). An account already gone at
// Firebase, or a row already gone, is no error.
func (p *Provider) Delete(ctx context.Context, uid string) error {
	c := p.c
	tctx, cancel := c.timeout(ctx)
	defer cancel()
	err := c.auth.DeleteUser(tctx, uid)
	c.revoked.forget(uid)
	if err != nil && !auth.IsUserNotFound(err) {
		return adminError("delete user", err)
	}
	if err := c.cfg.Users.DeleteUser(ctx, uid); err != nil && !identity.IsCode(err, identity.ENOTFOUND) {
		return fmt.Errorf("firebase: delete user row: %w", err)
	}
	return nil
}

// SyncRoles mirrors roles to the "roles" custom claim of uid, keeping every
// other custom claim. No roles removes the claim. ID tokens issued after it
// carry the new roles; the users row is the caller's to update.
func (p *Provider) SyncRoles(ctx context.Context, uid string, roles []string) error {
	ctx, cancel := p.c.timeout(ctx)
	defer cancel()
	return p.syncRoles(ctx, uid, normalizeRoles(roles))
}

func (p *Provider) syncRoles(ctx context.Context, uid string, roles []string) error {
	c := p.c
	rec, err := c.auth.GetUser(ctx, uid)
	if err != nil {
		return adminError("sync roles: get user", err)
	}
	claims := make(map[string]any, len(rec.CustomClaims)+1)
	for k, v := range rec.CustomClaims {
		claims[k] = v
	}
	if len(roles) == 0 {
		delete(claims, "roles")
	} else {
		claims["roles"] = roles
	}
	if err := c.auth.SetCustomUserClaims(ctx, uid, claims); err != nil {
		return adminError("sync roles", err)
	}
	return nil
}

// EnsureUser creates or updates the users row of a verified Firebase
// principal; see Client.EnsureUser.
func (p *Provider) EnsureUser(ctx context.Context, pr *identity.Principal) (*identity.User, error) {
	return p.c.EnsureUser(ctx, pr)
}

// checkNewPassword applies Firebase's minimum and Config.PasswordPolicy.
func (c *Client) checkNewPassword(pw string) error {
	if len(pw) < minPasswordLength {
		return &identity.Error{Code: identity.EWEAKPASSWORD,
			Message: fmt.Sprintf("The password must be at least %d characters long.", minPasswordLength),
			Fields:  map[string]string{"password": "too short"}}
	}
	if c.cfg.PasswordPolicy != nil {
		if err := c.cfg.PasswordPolicy(pw); err != nil {
			return err
		}
	}
	return nil
}

// normalizeRoles trims, drops empty and duplicate roles, keeping order, and
// never returns nil.
func normalizeRoles(in []string) []string {
	out := make([]string, 0, len(in))
	for _, r := range in {
		r = strings.TrimSpace(r)
		if r == "" {
			continue
		}
		dup := false
		for _, o := range out {
			if o == r {
				dup = true
				break
			}
		}
		if !dup {
			out = append(out, r)
		}
	}
	return out
}
