package authapi

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/authgate/authgate/httpx"
	"github.com/authgate/authgate/identity"
)

type refreshRequest struct {
	RefreshToken string `json:"refresh_token"`
}

// refresh spends a refresh token for a new pair in the same session. A
// spent token presented again revokes the whole session; every refused
// token answers 401 invalid_token.
func (a *API) refresh(w http.ResponseWriter, r *http.Request) error {
	var req refreshRequest
	if err := decode(r, &req, false); err != nil {
		return err
	}
	fe := fieldErrors{}
	fe.checkRequired("refresh_token", req.RefreshToken)
	if err := fe.err(); err != nil {
		return err
	}
	ctx := r.Context()
	now := a.now()
	nextRaw, nextHash := identity.NewSecret()
	next := &identity.RefreshToken{Hash: nextHash, CreatedAt: now, ExpiresAt: now.Add(a.RefreshTTL)}
	// The store records the jti of the access token issued below; issuers
	// that honour Session.TokenID use it as the token's jti.
	jti := identity.NewID()
	s, err := a.Sessions.RotateRefreshToken(ctx, identity.HashSecret(req.RefreshToken), next, jti, now)
	if err != nil {
		return a.refusedRefresh(r, s, err)
	}
	s.TokenID = jti

	u, err := a.Users.FindUserByUID(ctx, s.UID)
	if err == nil && !u.IsActive {
		err = identity.Errorf(identity.EUSERDISABLED, "The account is disabled.")
	}
	if err != nil {
		if identity.IsCode(err, identity.ENOTFOUND) || identity.IsCode(err, identity.EUSERDISABLED) {
			if rerr := a.Sessions.RevokeSession(ctx, s.ID, now); rerr != nil {
				a.Log.ErrorContext(ctx, "revoke session of unusable account", "sid", s.ID, "err", rerr)
			}
			a.invalidateSession(ctx, s.ID)
			a.auditErr(r, identity.ActionRefresh, s.UID, err)
			if identity.IsCode(err, identity.ENOTFOUND) {
				return identity.Wrap(identity.EINVALIDTOKEN, "The refresh token is not valid.", err)
			}
			return err
		}
		return fmt.Errorf("authapi: refresh: load user: %w", err)
	}
	access, _, exp, err := a.Tokens.IssueAccessToken(ctx, u, s, s.AMR)
	if err != nil {
		return fmt.Errorf("authapi: refresh: issue access token: %w", err)
	}
	a.audit(r, identity.ActionRefresh, u.UID, identity.StatusSuccess, s.ID)
	httpx.JSON(w, http.StatusOK, tokenResponse{tokenPair: a.pair(access, nextRaw, exp), User: u})
	return nil
}

// refusedRefresh audits a refused rotation and turns it into the answer.
// Reuse of a spent token has already revoked the session in the store; the
// caches learn it here.
func (a *API) refusedRefresh(r *http.Request, s *identity.Session, err error) error {
	var uid, sid string
	if s != nil {
		uid, sid = s.UID, s.ID
	}
	if errors.Is(err, identity.ErrRefreshReuse) {
		a.invalidateSession(r.Context(), sid)
		if uid != "" {
			// The store revoked the session: drop the user's cached state too,
			// in case the store could not name the session.
			a.invalidateUser(r.Context(), uid)
		}
		a.audit(r, identity.ActionRefreshReuse, uid, identity.StatusFailure, sid)
		return identity.Wrap(identity.EINVALIDTOKEN, "The refresh token is not valid.", err)
	}
	switch identity.ErrorCode(err) {
	case identity.EINTERNAL, identity.EUNAVAILABLE:
		return fmt.Errorf("authapi: refresh: %w", err)
	}
	a.audit(r, identity.ActionRefresh, uid, identity.StatusFailure, identity.EINVALIDTOKEN)
	return identity.Wrap(identity.EINVALIDTOKEN, "The refresh token is not valid.", err)
}
