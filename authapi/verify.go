package authapi

import (
	"net/http"

	"github.com/authgate/authgate/httpx"
	"github.com/authgate/authgate/identity"
)

type verifyRequest struct {
	IDToken       string `json:"id_token"`
	CreateSession bool   `json:"create_session"`
}

type verifyResponse struct {
	UID           string         `json:"uid"`
	Email         string         `json:"email"`
	EmailVerified bool           `json:"email_verified"`
	Claims        map[string]any `json:"claims"`
	User          *identity.User `json:"user"`
	*tokenPair
}

// verify checks a token given as id_token or as the credential of the
// request: 200 with what it says and the user. With create_session it also
// starts an authgate session, which is how a Firebase sign-in (Google,
// Apple, ...) becomes an authgate session.
func (a *API) verify(w http.ResponseWriter, r *http.Request) error {
	var req verifyRequest
	if err := decode(r, &req, true); err != nil {
		return err
	}
	if err := a.takeLimits(r, limitKey{LimitVerifyIP, a.clientIP(r)}); err != nil {
		return err
	}
	raw := req.IDToken
	if raw == "" {
		var err error
		if raw, _, err = a.credential(r); err != nil {
			if identity.IsCode(err, identity.EUNAUTHENTICATED) {
				return &identity.Error{Code: identity.EINVALID, Message: "Give the token as id_token or as a Bearer token.",
					Fields: map[string]string{"id_token": "is required"}}
			}
			return err
		}
	} else if len(raw) > maxSecretInput {
		return &identity.Error{Code: identity.EINVALID, Message: "Some fields are not valid.",
			Fields: map[string]string{"id_token": "is too long"}}
	}

	ctx := r.Context()
	p, err := a.verifyToken(ctx, raw)
	if err != nil {
		if req.CreateSession {
			a.auditErr(r, identity.ActionVerifyToken, "", err)
		}
		return err
	}
	u, err := a.userFor(ctx, p)
	if err != nil {
		if req.CreateSession {
			a.auditErr(r, identity.ActionVerifyToken, p.UID, err)
		}
		return err
	}
	if req.CreateSession && (p.Source == identity.SourceAuthgate || p.Source == identity.SourceCookie) {
		// An authgate token already has its session (use /refresh). A second
		// one would turn a stolen access token into a refresh token that
		// outlives the session's logout, and into a sign-in "just now" that
		// passes the recent sign-in check of sensitive actions.
		err := &identity.Error{Code: identity.EINVALID, Message: "create_session takes a token of another issuer; an authgate token already has a session.",
			Fields: map[string]string{"create_session": "is only for tokens of another issuer"}}
		a.auditErr(r, identity.ActionVerifyToken, p.UID, err)
		return err
	}
	claims := p.Claims
	if claims == nil {
		claims = map[string]any{}
	}
	resp := verifyResponse{UID: p.UID, Email: p.Email, EmailVerified: p.EmailVerified, Claims: claims, User: u}
	if req.CreateSession {
		if u, err = a.touchLogin(ctx, u); err != nil {
			return err
		}
		pair, s, err := a.startSession(ctx, r, u, sessionAMR(p))
		if err != nil {
			return err
		}
		resp.User, resp.tokenPair = u, pair
		a.audit(r, identity.ActionVerifyToken, u.UID, identity.StatusSuccess, s.ID)
	}
	httpx.JSON(w, http.StatusOK, resp)
	return nil
}

// sessionAMR is the amr of a session started from a verified token: the
// token's own methods, or "fed" (federated sign-in) for another issuer.
func sessionAMR(p *identity.Principal) []string {
	if len(p.AMR) > 0 {
		return p.AMR
	}
	if p.Source == identity.SourceFirebase {
		return []string{"fed"}
	}
	return nil
}
