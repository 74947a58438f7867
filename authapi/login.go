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
	fe := fieldErrors{}
	email := identity.NormalizeEmail(req.Email)
	if email == "" {
		fe.add("email", "is required")
	} else if len(email) > maxEmail {
		fe.add("email", "is too long")
	}
	fe.checkRequired("password", req.Password)
	if err := fe.err(); err != nil {
		return err
	}
	limits := []limitKey{{LimitLoginAccount, email}, {LimitLoginIP, a.clientIP(r)}}
	// A throttled client is refused even with the right password.
	if err := a.peekLimits(r, limits...); err != nil {
		return err
	}

	ctx := r.Context()
	u, err := a.Provider.SignIn(ctx, email, req.Password)
	if err == nil && !u.IsActive {
		err = identity.Errorf(identity.EUSERDISABLED, "The account is disabled.")
	}
	if err != nil {
		a.auditErr(r, identity.ActionLogin, a.uidOfEmail(ctx, email), err)
		if identity.IsCode(err, identity.EINVALIDCREDENTIALS) {
			if lerr := a.takeLimits(r, limits...); lerr != nil {
				return lerr
			}
		}
		return err
	}

	amr := []string{"pwd"}
	if u.MFAEnabled {
		if a.MFA == nil {
			err = identity.Errorf(identity.EUNAVAILABLE, "Multi-factor sign-in is not available.")
		} else {
			amr, err = a.MFA.CompleteSignIn(ctx, r, u, req.TOTPCode)
		}
		if err != nil {
			a.auditErr(r, identity.ActionLogin, u.UID, err)
			return err
		}
	}
	a.resetLimits(ctx, limits[0])

	if u, err = a.touchLogin(ctx, u); err != nil {
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
