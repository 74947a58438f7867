package authapi

import (
	"context"
	"math"
	"net/http"
	"time"

	"github.com/authgate/authgate/identity"
	"github.com/authgate/authgate/mfa"
)

// mfaMethods tells a client which second factors the ticket accepts.
var mfaMethods = []string{string(mfa.MethodTOTP), string(mfa.MethodRecoveryCode)}

// signInFactor is the SecondFactor of password sign-ins: MFA if set, else
// the built-in TOTP factor if TOTP is set, else nil.
func (a *API) signInFactor() SecondFactor {
	switch {
	case a.MFA != nil:
		return a.MFA
	case a.TOTP != nil:
		return totpSignIn{a}
	default:
		return nil
	}
}

// totpSignIn is the SecondFactor over API.TOTP. Without a code it answers
// mfa_required with a single-use ticket (Extra: mfa_ticket,
// mfa_ticket_expires_in, mfa_methods) for POST /login/mfa; with a code
// (login's totp_code) it checks the code at once.
type totpSignIn struct{ a *API }

// CompleteSignIn implements SecondFactor.
func (f totpSignIn) CompleteSignIn(ctx context.Context, r *http.Request, u *identity.User, code string) ([]string, error) {
	if code == "" {
		return nil, f.a.mfaRequired(ctx, u.UID, time.Time{})
	}
	method, err := f.a.secondFactor(r, u, code)
	if err != nil {
		return nil, err
	}
	return method.AMR(), nil
}

// mfaRequired issues a ticket for uid and returns the mfa_required answer
// carrying it. until, when not zero, is the deadline of the ticket it
// replaces.
func (a *API) mfaRequired(ctx context.Context, uid string, until time.Time) error {
	raw, exp, err := a.TOTP.IssueTicket(ctx, uid, until)
	if err != nil {
		return err
	}
	return &identity.Error{
		Code:    identity.EMFAREQUIRED,
		Message: "A second factor is required: send mfa_ticket with a code from the authenticator app or a recovery code to /api/auth/login/mfa.",
		Extra:   ticketExtra(raw, exp, a.now()),
	}
}

func ticketExtra(raw string, exp, now time.Time) map[string]any {
	return map[string]any{
		"mfa_ticket":            raw,
		"mfa_ticket_expires_in": int64(math.Max(0, math.Round(exp.Sub(now).Seconds()))),
		"mfa_methods":           mfaMethods,
	}
}

// secondFactor checks a TOTP or recovery code of u, whose MFA is on, and
// returns the method the code proved. Failed codes count against the
// totp limit of the user; while it is reached even a right code gets 429.
// Every check is audited (mfa_verify) with the method or the reason, never
// the code.
func (a *API) secondFactor(r *http.Request, u *identity.User, code string) (mfa.Method, error) {
	if a.TOTP == nil {
		return "", identity.Errorf(identity.EUNAVAILABLE, "Multi-factor sign-in is not available.")
	}
	limit := limitKey{LimitTOTP, u.UID}
	if err := a.peekLimits(r, limit); err != nil {
		a.auditErr(r, identity.ActionMFAVerify, u.UID, err)
		return "", err
	}
	method, err := a.TOTP.Verify(r.Context(), u, code)
	if err != nil {
		a.audit(r, identity.ActionMFAVerify, u.UID, identity.StatusFailure, mfaFailureDetail(err))
		if identity.IsCode(err, identity.EINVALIDMFA) {
			if lerr := a.takeLimits(r, limit); lerr != nil {
				return "", lerr
			}
		}
		return "", err
	}
	a.resetLimits(r.Context(), limit)
	a.audit(r, identity.ActionMFAVerify, u.UID, identity.StatusSuccess, string(method))
	return method, nil
}

type loginMFARequest struct {
	Ticket string `json:"mfa_ticket"`
	Code   string `json:"code"`
}

// loginMFA is the second step of a password sign-in: the ticket of the
// mfa_required answer and a TOTP or recovery code give the usual 200 token
// pair. The ticket is spent by every attempt; a wrong code answers
// invalid_mfa_code with a fresh ticket that keeps the first one's deadline,
// so a typo does not cost the password step and the deadline never moves.
func (a *API) loginMFA(w http.ResponseWriter, r *http.Request) error {
	var req loginMFARequest
	if err := decode(r, &req, false); err != nil {
		return err
	}
	u, amr, err := a.ticketSignIn(r, req)
	if err != nil {
		return err
	}
	return a.tokenSignIn(w, r, u, amr)
}

// ticketSignIn checks the second step of a password or OAuth sign-in and
// audits every refusal; it returns the user and the amr for the caller to
// start a session (login/mfa: a token pair; the sign-in page: the cookie).
// The amr begins with the first factor the ticket was issued after: "pwd"
// for a password, "fed" for an outside provider.
func (a *API) ticketSignIn(r *http.Request, req loginMFARequest) (*identity.User, []string, error) {
	fe := fieldErrors{}
	fe.checkRequired("mfa_ticket", req.Ticket)
	fe.checkRequired("code", req.Code)
	if err := fe.err(); err != nil {
		return nil, nil, err
	}
	ctx := r.Context()
	t, err := a.TOTP.RedeemTicket(ctx, req.Ticket)
	if err != nil {
		a.auditErr(r, identity.ActionLogin, "", err)
		return nil, nil, err
	}
	u, err := a.Users.FindUserByUID(ctx, t.UID)
	switch {
	case identity.IsCode(err, identity.ENOTFOUND):
		err = identity.Wrap(identity.EINVALIDTOKEN, "The sign-in ticket is not valid or has expired; sign in again.", err)
	case err != nil:
		return nil, nil, err
	case !u.IsActive:
		err = identity.Errorf(identity.EUSERDISABLED, "The account is disabled.")
	case !u.MFAEnabled:
		err = identity.Errorf(identity.EINVALIDTOKEN, "The sign-in ticket is not valid or has expired; sign in again.")
	case a.RequireEmailVerification && !u.EmailVerified:
		err = errEmailNotVerified()
	}
	if err != nil {
		a.auditErr(r, identity.ActionLogin, t.UID, err)
		return nil, nil, err
	}
	first := mfa.TicketFirstFactor(t)
	method, err := a.secondFactor(r, u, req.Code)
	if err != nil {
		a.auditErr(r, identity.ActionLogin, u.UID, err)
		if identity.IsCode(err, identity.EINVALIDMFA) {
			if raw, exp, terr := a.TOTP.IssueTicketAfter(ctx, u.UID, first, t.ExpiresAt); terr == nil {
				return nil, nil, &identity.Error{Code: identity.EINVALIDMFA, Message: identity.ErrorMessage(err),
					Extra: ticketExtra(raw, exp, a.now()), Err: err}
			}
		}
		return nil, nil, err
	}
	if first == mfa.FirstFactorPassword {
		// The password was right when the ticket was issued.
		a.loginSucceeded(r, identity.NormalizeEmail(u.Email))
	}
	return u, first.AMR(method), nil
}
