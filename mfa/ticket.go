package mfa

import (
	"context"
	"fmt"
	"time"

	"github.com/authgate/authgate/identity"
)

// IssueTicket returns a single-use sign-in ticket for uid, whose password
// was just checked: the client presents it with the second factor. It
// expires TicketTTL from now, or at until when that is not zero (a ticket
// replacing a spent one keeps the original deadline). Only its hash is
// stored.
func (s *Service) IssueTicket(ctx context.Context, uid string, until time.Time) (raw string, expires time.Time, err error) {
	now := s.now()
	expires = now.Add(s.ticketTTL())
	if !until.IsZero() {
		expires = until
	}
	if !expires.After(now) {
		return "", time.Time{}, identity.Errorf(identity.EINVALIDTOKEN, "The sign-in ticket has expired; sign in again.")
	}
	raw, hash := identity.NewSecret()
	t := &identity.OneTimeToken{Hash: hash, Purpose: identity.PurposeMFATicket, UID: uid, CreatedAt: now, ExpiresAt: expires}
	if err := s.OneTime.CreateOneTimeToken(ctx, t); err != nil {
		return "", time.Time{}, fmt.Errorf("mfa: create ticket: %w", err)
	}
	return raw, expires, nil
}

// RedeemTicket spends a ticket and returns it (UID, ExpiresAt). An unknown,
// expired or spent ticket answers invalid_token.
func (s *Service) RedeemTicket(ctx context.Context, raw string) (*identity.OneTimeToken, error) {
	if raw == "" || len(raw) > 256 {
		return nil, identity.Errorf(identity.EINVALIDTOKEN, "The sign-in ticket is not valid or has expired; sign in again.")
	}
	t, err := s.OneTime.ConsumeOneTimeToken(ctx, identity.PurposeMFATicket, identity.HashSecret(raw), s.now())
	switch identity.ErrorCode(err) {
	case "":
		return t, nil
	case identity.EINVALIDTOKEN, identity.ENOTFOUND, identity.ETOKENEXPIRED:
		return nil, identity.Wrap(identity.EINVALIDTOKEN, "The sign-in ticket is not valid or has expired; sign in again.", err)
	default:
		return nil, fmt.Errorf("mfa: redeem ticket: %w", err)
	}
}
