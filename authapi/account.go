package authapi

import (
	"fmt"
	"net/http"

	"github.com/authgate/authgate/httpx"
	"github.com/authgate/authgate/identity"
)

type deleteAccountRequest struct {
	Password string `json:"password"`
}

// deleteAccount removes the caller's account: the profile, every session
// and the provider's account; audit rows stay. It needs the password or a
// sign-in within ReauthWindow.
func (a *API) deleteAccount(w http.ResponseWriter, r *http.Request) error {
	var req deleteAccountRequest
	if err := decode(r, &req, true); err != nil {
		return err
	}
	ctx := r.Context()
	p := principalFrom(ctx)
	var err error
	if req.Password != "" {
		err = a.checkPassword(r, p, req.Password)
	} else {
		err = a.requireRecentAuth(ctx, p)
	}
	if err != nil {
		a.auditErr(r, identity.ActionAccountDelete, p.UID, err)
		return err
	}
	// Revoke first: even if the deletion fails halfway, no token lives on.
	if err := a.revokeAll(ctx, p.UID, ""); err != nil {
		return err
	}
	if err := a.Provider.Delete(ctx, p.UID); err != nil && !identity.IsCode(err, identity.ENOTFOUND) {
		a.auditErr(r, identity.ActionAccountDelete, p.UID, err)
		return fmt.Errorf("authapi: delete account: %w", err)
	}
	a.invalidateUser(ctx, p.UID)
	if c := callerFrom(ctx); c.fromCookie {
		a.expireCookie(w)
	}
	a.audit(r, identity.ActionAccountDelete, p.UID, identity.StatusSuccess, "")
	httpx.NoContent(w)
	return nil
}
