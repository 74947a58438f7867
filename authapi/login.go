package authapi

import (
	"context"
	"net/http"

	"github.com/authgate/authgate/httpx"
	"github.com/authgate/authgate/identity"
)

// SecondFactor completes the password sign-in of a user with MFA enabled.
type SecondFactor interface {
	// CompleteSignIn checks code, the second factor sent with the password.
	// Without a code it returns an *identity.Error with code mfa_required
	// whose Extra carries what the client needs for the second step (for
	// example an mfa_ticket). On success it returns the methods used, such
	// as ["pwd", "otp"].
	CompleteSignIn(ctx context.Context, r *http.Request, u *identity.User, code string) (amr []string, err error)
}

type loginRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
	TOTPCode string `json:"totp_code"`
}

// login signs in with email and password: 200 with a token pair and the user.
func (a *API) login(w http.ResponseWriter, r *http.Request) error {
	var req loginRequest
	if err := decode(r, &req, false); err != nil {
		return err
	}
	u, amr, err := a.passwordSignIn(r, req)
	if err != nil {
		return err
	}
	return a.tokenSignIn(w, r, u, amr)
}

// passwordSignIn checks a password sign-in (limits, password, account
// state, email verification, second factor) and audits every refusal. It
// returns the user and the amr of the sign-in, for the caller to start a
// session: a token pair (login) or the session cookie (the sign-in page).
func (a *API) passwordSignIn(r *http.Request, req loginRequest) (*identity.User, []string, error) {
	fe := fieldErrors{}
	email := identity.NormalizeEmail(req.Email)
	if email == "" {
		fe.add("email", "is required")
	} else if len(email) > identity.MaxEmailLength {
		fe.add("email", "is too long")
	}
	fe.checkRequired("password", req.Password)
	if err := fe.err(); err != nil {
		return nil, nil, err
	}
	limits := a.loginLimits(r, email)
	// A throttled client is refused even with the right password.
	if err := a.peekLimits(r, limits...); err != nil {
		return nil, nil, err
	}

	ctx := r.Context()
	u, err := a.Provider.SignIn(ctx, email, req.Password)
	if err == nil && !u.IsActive {
		err = identity.Errorf(identity.EUSERDISABLED, "The account is disabled.")
	}
	// Only after the password was checked: a wrong one stays invalid_credentials.
	if err == nil && a.RequireEmailVerification && !u.EmailVerified {
		err = errEmailNotVerified()
	}
	if err != nil {
		a.auditErr(r, identity.ActionLogin, a.uidOfEmail(ctx, email), err)
		if identity.IsCode(err, identity.EINVALIDCREDENTIALS) {
			if lerr := a.takeLimits(r, limits...); lerr != nil {
				return nil, nil, lerr
			}
		}
		return nil, nil, err
	}

	amr := []string{"pwd"}
	if u.MFAEnabled {
		if mf := a.signInFactor(); mf == nil {
			err = identity.Errorf(identity.EUNAVAILABLE, "Multi-factor sign-in is not available.")
		} else {
			amr, err = mf.CompleteSignIn(ctx, r, u, req.TOTPCode)
		}
		if err != nil {
			a.auditErr(r, identity.ActionLogin, u.UID, err)
			return nil, nil, err
		}
	}
	a.loginSucceeded(r, email)
	return u, amr, nil
}

// tokenSignIn ends a checked sign-in of u with a new session: 200 with its
// token pair and the user.
func (a *API) tokenSignIn(w http.ResponseWriter, r *http.Request, u *identity.User, amr []string) error {
	ctx := r.Context()
	u, err := a.touchLogin(ctx, u)
	if err != nil {
		return err
	}
	pair, s, err := a.startSession(ctx, r, u, amr)
	if err != nil {
		return err
	}
	a.audit(r, identity.ActionLogin, u.UID, identity.StatusSuccess, s.ID)
	httpx.JSON(w, http.StatusOK, tokenResponse{tokenPair: pair, User: u})
	return nil
}

// uidOfEmail finds the uid of an address for the audit row of a failed
// sign-in; "" when unknown.
func (a *API) uidOfEmail(ctx context.Context, email string) string {
	u, err := a.Users.FindUserByEmail(ctx, email)
	if err != nil {
		return ""
	}
	return u.UID
}
