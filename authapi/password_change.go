package authapi

import (
	"net/http"

	"github.com/authgate/authgate/httpx"
	"github.com/authgate/authgate/identity"
)

type passwordChangeRequest struct {
	CurrentPassword string `json:"current_password"`
	NewPassword     string `json:"new_password"`
}

// changePassword sets a new password after checking the current one, and
// revokes every other session of the user: 204.
func (a *API) changePassword(w http.ResponseWriter, r *http.Request) error {
	var req passwordChangeRequest
	if err := decode(r, &req, false); err != nil {
		return err
	}
	fe := fieldErrors{}
	fe.checkRequired("current_password", req.CurrentPassword)
	fe.checkRequired("new_password", req.NewPassword)
	if err := fe.err(); err != nil {
		return err
	}
	ctx := r.Context()
	p := principalFrom(ctx)
	if err := a.checkPassword(r, p, req.CurrentPassword); err != nil {
		a.auditErr(r, identity.ActionPasswordChange, p.UID, err)
		return err
	}
	if err := a.checkNewPassword(req.NewPassword, p.Email); err != nil {
		a.auditErr(r, identity.ActionPasswordChange, p.UID, err)
		return err
	}
	if err := a.Provider.SetPassword(ctx, p.UID, req.NewPassword); err != nil {
		a.auditErr(r, identity.ActionPasswordChange, p.UID, err)
		return err
	}
	if err := a.revokeAll(ctx, p.UID, p.SessionID); err != nil {
		return err
	}
	a.invalidateUser(ctx, p.UID)
	a.audit(r, identity.ActionPasswordChange, p.UID, identity.StatusSuccess, "")
	httpx.NoContent(w)
	return nil
}

// checkPassword re-checks a signed-in user's password. Failures count
// against the same limits as failed sign-ins of the account and the client,
// so a stolen token cannot be used to guess the password faster.
func (a *API) checkPassword(r *http.Request, p *identity.Principal, password string) error {
	limits := []limitKey{{LimitLoginIP, a.clientIP(r)}}
	if email := identity.NormalizeEmail(p.Email); email != "" {
		limits = a.loginLimits(r, email)
	}
	if err := a.peekLimits(r, limits...); err != nil {
		return err
	}
	err := a.Provider.CheckPassword(r.Context(), p.UID, password)
	if identity.IsCode(err, identity.EINVALIDCREDENTIALS) {
		if lerr := a.takeLimits(r, limits...); lerr != nil {
			return lerr
		}
	}
	return err
}
