package authapi

import (
	"net/http"

	"github.com/authgate/authgate/httpx"
	"github.com/authgate/authgate/identity"
)

type registerRequest struct {
	Email       string `json:"email"`
	Password    string `json:"password"`
	DisplayName string `json:"display_name"`
}

// register creates a local account: 201 {user} plus a token pair unless
// RequireEmailVerification is on.
func (a *API) register(w http.ResponseWriter, r *http.Request) error {
	var req registerRequest
	if err := decode(r, &req, false); err != nil {
		return err
	}
	fe := fieldErrors{}
	email := fe.checkEmail("email", req.Email)
	fe.checkRequired("password", req.Password)
	fe.checkDisplayName("display_name", req.DisplayName)
	if err := fe.err(); err != nil {
		return err
	}
	if err := a.takeLimits(r, limitKey{LimitRegisterIP, a.clientIP(r)}); err != nil {
		return err
	}
	if err := a.checkNewPassword(req.Password, email); err != nil {
		a.auditErr(r, identity.ActionRegister, "", err)
		return err
	}
	ctx := r.Context()
	u, err := a.Provider.Register(ctx, identity.Registration{Email: email, Password: req.Password, DisplayName: req.DisplayName})
	if err != nil {
		a.auditErr(r, identity.ActionRegister, "", err)
		return err
	}
	a.audit(r, identity.ActionRegister, u.UID, identity.StatusSuccess, "")
	a.sendVerificationAfterRegister(r, u)
	if a.RequireEmailVerification && !u.EmailVerified {
		httpx.JSON(w, http.StatusCreated, tokenResponse{User: u})
		return nil
	}
	if u, err = a.touchLogin(ctx, u); err != nil {
		return err
	}
	pair, _, err := a.startSession(ctx, r, u, []string{"pwd"})
	if err != nil {
		return err
	}
	httpx.JSON(w, http.StatusCreated, tokenResponse{tokenPair: pair, User: u})
	return nil
}

// checkNewPassword applies PasswordRules, if set, to a new password for
// the account with email ("" when unknown).
func (a *API) checkNewPassword(pw, email string) error {
	if a.PasswordRules == nil {
		return nil
	}
	if err := a.PasswordRules(pw, email); err != nil {
		if identity.ErrorCode(err) == identity.EINTERNAL {
			return identity.Wrap(identity.EWEAKPASSWORD, "The password does not meet the password rules.", err)
		}
		return err
	}
	return nil
}
