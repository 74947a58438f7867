package mfa

import (
	"context"
	"fmt"
	"time"

	"github.com/authgate/authgate/identity"
)

// FirstFactor is how the user proved who they are before the second
// factor: the RFC 8176 method that a sign-in ticket carries into the amr of
// the completed sign-in.
type FirstFactor string

// The first factors a ticket can follow.
const (
	// FirstFactorPassword: the account's password was checked ("pwd").
	FirstFactorPassword FirstFactor = "pwd"
	// FirstFactorFederated: an outside OAuth / OpenID Connect provider
	// vouched for the user ("fed").
	FirstFactorFederated FirstFactor = "fed"
)

// valid reports whether f is one of the known first factors.
func (f FirstFactor) valid() bool {
	return f == FirstFactorPassword || f == FirstFactorFederated
}

// AMR returns the RFC 8176 authentication methods of a sign-in that began
// with f and was completed with the second factor m: [f, "otp"] for both
// methods (see Method.AMR).
func (f FirstFactor) AMR(m Method) []string {
	return append([]string{string(f)}, m.AMR()[1:]...)
}

// TicketFirstFactor returns the first factor a redeemed ticket was issued
// after. A ticket stored before tickets carried one was a password's.
func TicketFirstFactor(t *identity.OneTimeToken) FirstFactor {
	if t == nil || t.Data == "" {
		return FirstFactorPassword
	}
	return FirstFactor(t.Data)
}

// IssueTicket returns a single-use sign-in ticket for uid, whose password
// was just checked: the client presents it with the second factor. It is
// IssueTicketAfter with FirstFactorPassword.
func (s *Service) IssueTicket(ctx context.Context, uid string, until time.Time) (raw string, expires time.Time, err error) {
	return s.IssueTicketAfter(ctx, uid, FirstFactorPassword, until)
}

// IssueTicketAfter returns a single-use sign-in ticket for uid, who has
// just proved first: the client presents it with the second factor, and
// the ticket remembers first for the amr of the completed sign-in. It
// expires TicketTTL from now, or at until when that is not zero (a ticket
// replacing a spent one keeps the original deadline). Only its hash is
// stored.
func (s *Service) IssueTicketAfter(ctx context.Context, uid string, first FirstFactor, until time.Time) (raw string, expires time.Time, err error) {
	if !first.valid() {
		return "", time.Time{}, fmt.Errorf("mfa: issue ticket: unknown first factor %q", first)
	}
	now := s.now()
	expires = now.Add(s.ticketTTL())
	if !until.IsZero() {
		expires = until
	}
	if !expires.After(now) {
		return "", time.Time{}, identity.Errorf(identity.EINVALIDTOKEN, "The sign-in ticket has expired; sign in again.")
	}
	raw, hash := identity.NewSecret()
	t := &identity.OneTimeToken{Hash: hash, Purpose: identity.PurposeMFATicket, UID: uid, Data: string(first), CreatedAt: now, ExpiresAt: expires}
	if err := s.OneTime.CreateOneTimeToken(ctx, t); err != nil {
		return "", time.Time{}, fmt.Errorf("mfa: create ticket: %w", err)
	}
	return raw, expires, nil
}

// RedeemTicket spends a ticket and returns it (UID, ExpiresAt; its first
// factor with TicketFirstFactor). An unknown, expired or spent ticket, or
// one that names no known first factor, answers invalid_token.
func (s *Service) RedeemTicket(ctx context.Context, raw string) (*identity.OneTimeToken, error) {
	if raw == "" || len(raw) > 256 {
		return nil, identity.Errorf(identity.EINVALIDTOKEN, "The sign-in ticket is not valid or has expired; sign in again.")
	}
	t, err := s.OneTime.ConsumeOneTimeToken(ctx, identity.PurposeMFATicket, identity.HashSecret(raw), s.now())
	switch identity.ErrorCode(err) {
	case "":
		if !TicketFirstFactor(t).valid() {
			return nil, identity.Errorf(identity.EINVALIDTOKEN, "The sign-in ticket is not valid or has expired; sign in again.")
		}
		return t, nil
	case identity.EINVALIDTOKEN, identity.ENOTFOUND, identity.ETOKENEXPIRED:
		return nil, identity.Wrap(identity.EINVALIDTOKEN, "The sign-in ticket is not valid or has expired; sign in again.", err)
	default:
		return nil, fmt.Errorf("mfa: redeem ticket: %w", err)
	}
}
