package authapi

import (
	"fmt"
	"net/http"

	"github.com/gorilla/mux"

	"github.com/authgate/authgate/httpx"
	"github.com/authgate/authgate/identity"
)

// listSessions answers the caller's active sessions, marking the one the
// request's token belongs to as current.
func (a *API) listSessions(w http.ResponseWriter, r *http.Request) error {
	p := principalFrom(r.Context())
	sessions, err := a.Sessions.FindSessions(r.Context(), p.UID, a.now())
	if err != nil {
		return fmt.Errorf("authapi: list sessions: %w", err)
	}
	if sessions == nil {
		sessions = []*identity.Session{}
	}
	for _, s := range sessions {
		s.Current = p.SessionID != "" && s.ID == p.SessionID
	}
	httpx.JSON(w, http.StatusOK, sessions)
	return nil
}

// revokeSession revokes one of the caller's sessions: 204. A session of
// another user answers 404, exactly like an unknown id.
func (a *API) revokeSession(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	p := principalFrom(ctx)
	id := mux.Vars(r)["id"]
	notFound := identity.Errorf(identity.ENOTFOUND, "No such session.")
	if id == "" || len(id) > 128 {
		return notFound
	}
	s, err := a.Sessions.FindSessionByID(ctx, id)
	if identity.IsCode(err, identity.ENOTFOUND) || (err == nil && s.UID != p.UID) {
		a.audit(r, identity.ActionSessionRevoke, p.UID, identity.StatusFailure, identity.ENOTFOUND)
		return notFound
	}
	if err != nil {
		return fmt.Errorf("authapi: find session: %w", err)
	}
	if err := a.Sessions.RevokeSession(ctx, id, a.now()); err != nil {
		return fmt.Errorf("authapi: revoke session: %w", err)
	}
	a.invalidateSession(ctx, id)
	a.audit(r, identity.ActionSessionRevoke, p.UID, identity.StatusSuccess, id)
	httpx.NoContent(w)
	return nil
}
