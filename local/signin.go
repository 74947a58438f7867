package local

import (
	"context"
	"errors"
	"fmt"

	"github.com/authgate/authgate/identity"
	"github.com/authgate/authgate/password"
)

// errInvalidCredentials is the one answer for an unknown email, an account
// without a password and a wrong password.
func errInvalidCredentials() *identity.Error {
	return identity.Errorf(identity.EINVALIDCREDENTIALS, "Invalid email or password.")
}

// SignIn checks an email and password. An unknown email, an account without
// a local password and a wrong password all answer EINVALIDCREDENTIALS after
// the same work (one argon2id verification with the current parameters). A
// disabled account answers EUSERDISABLED, but only once the password was
// right, so that the answer tells nothing to someone without it. A hash
// with outdated parameters or from bcrypt is replaced by a fresh one.
//
// SignIn does not touch last_login_at: the API layer records the sign-in
// once the whole login (MFA included) succeeded.
func (p *Provider) SignIn(ctx context.Context, email, pw string) (*identity.User, error) {
	u, err := p.Users.FindUserByEmail(ctx, identity.NormalizeEmail(email))
	switch {
	case identity.IsCode(err, identity.ENOTFOUND):
		return nil, p.refuse(ctx, pw)
	case err != nil:
		return nil, fmt.Errorf("local: sign in: %w", err)
	}
	if err := p.verify(ctx, u, pw); err != nil {
		return nil, fmt.Errorf("local: sign in: %w", err)
	}
	if !u.IsActive {
		return nil, identity.Errorf(identity.EUSERDISABLED, "This account is disabled.")
	}
	return withoutHash(u), nil
}

// CheckPassword re-checks the password of the account uid (before a
// sensitive action). A wrong password gives EINVALIDCREDENTIALS, an unknown
// uid the store's ENOTFOUND.
func (p *Provider) CheckPassword(ctx context.Context, uid, pw string) error {
	u, err := p.Users.FindUserByUID(ctx, uid)
	if err != nil {
		return fmt.Errorf("local: check password: %w", err)
	}
	if err := p.verify(ctx, u, pw); err != nil {
		return fmt.Errorf("local: check password: %w", err)
	}
	return nil
}

// verify checks pw against u's hash, answering EINVALIDCREDENTIALS after a
// full verification's work for a wrong password, a missing hash and an
// unreadable one, and upgrades an outdated hash after a match.
func (p *Provider) verify(ctx context.Context, u *identity.User, pw string) error {
	if u.PasswordHash == "" {
		return p.refuse(ctx, pw)
	}
	ok, err := p.Hasher.Verify(ctx, pw, u.PasswordHash)
	if errors.Is(err, password.ErrMalformedHash) {
		p.log().ErrorContext(ctx, "local: stored password hash cannot be read; the account cannot sign in until its password is reset",
			"uid", u.UID, "error", err)
		return p.refuse(ctx, pw)
	}
	if err != nil {
		return err
	}
	if !ok {
		return errInvalidCredentials()
	}
	if p.Hasher.NeedsRehash(u.PasswordHash) {
		p.rehash(ctx, u, pw)
	}
	return nil
}

// refuse does the work of a verification and answers EINVALIDCREDENTIALS
// (or the context's error while waiting for a hashing slot).
func (p *Provider) refuse(ctx context.Context, pw string) error {
	if err := p.Hasher.DummyVerify(ctx, pw); err != nil {
		return err
	}
	return errInvalidCredentials()
}

// rehash stores a fresh hash of the (correct) password. A failure is
// logged, not returned: the sign-in itself succeeded and the next one will
// try again. PasswordChangedAt stays: the password is the same, so tokens
// issued before must stay valid.
func (p *Provider) rehash(ctx context.Context, u *identity.User, pw string) {
	hash, err := p.Hasher.Hash(ctx, pw)
	if err == nil {
		_, err = p.Users.UpdateUser(ctx, u.UID, identity.UserUpdate{PasswordHash: &hash})
	}
	if err != nil {
		p.log().WarnContext(ctx, "local: could not upgrade password hash", "uid", u.UID, "error", err)
		return
	}
	u.PasswordHash = hash
}
