package authapi

import (
	"fmt"
	"net/http"

	"github.com/authgate/authgate/httpx"
	"github.com/authgate/authgate/identity"
)

// logout revokes the caller's session at once, everywhere: 204. A token
// without an authgate session (a Firebase ID token) has nothing to revoke.
func (a *API) logout(w http.ResponseWriter, r *http.Request) error {
	c := callerFrom(r.Context())
	p := c.principal
	if p.SessionID != "" {
		if err := a.Sessions.RevokeSession(r.Context(), p.SessionID, a.now()); err != nil && !identity.IsCode(err, identity.ENOTFOUND) {
			a.auditErr(r, identity.ActionLogout, p.UID, err)
			return fmt.Errorf("authapi: logout: %w", err)
		}
		a.invalidateSession(r.Context(), p.SessionID)
	}
	if c.fromCookie {
		a.expireCookie(w)
	}
	a.audit(r, identity.ActionLogout, p.UID, identity.StatusSuccess, p.SessionID)
	httpx.NoContent(w)
	return nil
}
