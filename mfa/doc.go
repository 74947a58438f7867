// Package mfa implements authgate's second factor: time-based one-time
// passwords (RFC 6238: SHA-1, 6 digits, 30-second steps, one step of clock
// skew either way) with single-use recovery codes, and the short-lived
// tickets that carry a half-finished password sign-in to its second step.
//
// The package knows no HTTP: package authapi serves the endpoints and does
// the rate limiting and the audit trail. Everything persistent lives behind
// identity.UserStore (the TOTP secret, whether MFA is on, the last accepted
// time step) and identity.OneTimeTokenStore (recovery codes, tickets, and
// the claims that make every TOTP step usable once), so the service works on
// any store that implements those interfaces.
//
// A code is never accepted twice. A TOTP code is accepted only for a time
// step later than the user's last accepted one, and the step is claimed by
// creating a one-time token under a hash unique to (user, step): of two
// concurrent requests with the same code, the store's unique index lets one
// win. Recovery codes are stored as hashes and consumed with the store's
// conditional update.
//
//	svc := &mfa.Service{Users: db, OneTime: db, Issuer: "authgate"}
//	enr, _ := svc.Enroll(ctx, user)           // show enr.QRPNG, keep nothing
//	codes, _, _ := svc.Confirm(ctx, user.UID, "123456") // show codes once
//	method, err := svc.Verify(ctx, user, code) // at sign-in
package mfa
