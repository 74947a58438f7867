package authapi

import (
	"net/http"

	"github.com/gorilla/mux"

	"github.com/authgate/authgate/httpx"
	"github.com/authgate/authgate/identity"
	"github.com/authgate/authgate/oauth"
)

// OAuthPrefix is where the OAuth / OpenID Connect sign-in endpoints live;
// it is oauth.DefaultPathPrefix, which builds the callback URLs.
const OAuthPrefix = Prefix + "/oauth"

// oauthAMR is the amr of sessions started by an outside provider (RFC 8176
// "fed": federated authentication).
var oauthAMR = []string{"fed"}

// oauthRoutes mounts the browser sign-in with outside providers:
//
//	GET      /oauth/providers            {"providers": ["google", ...]}
//	GET      /oauth/{provider}/start?rd=  302 to the provider
//	GET|POST /oauth/{provider}/callback   303 to rd with the session cookie
//
// Without OAuth or CookieName they answer 404 (the unknown-path answer).
func (a *API) oauthRoutes(sub *mux.Router) {
	if a.OAuth == nil || a.CookieName == "" {
		return
	}
	a.route(sub, "/oauth/providers", Methods{http.MethodGet: a.wrap(a.oauthProviders)})
	a.route(sub, "/oauth/{provider}/start", Methods{http.MethodGet: a.wrap(a.oauthStart)})
	a.route(sub, "/oauth/{provider}/callback", Methods{
		http.MethodGet:  a.wrap(a.oauthCallback),
		http.MethodPost: a.wrap(a.oauthCallback), // response_mode=form_post (Apple)
	})
}

// oauthProviders lists the configured providers, for a sign-in page's
// buttons.
func (a *API) oauthProviders(w http.ResponseWriter, _ *http.Request) error {
	httpx.JSON(w, http.StatusOK, map[string][]string{"providers": a.OAuth.Names()})
	return nil
}

// oauthStart begins a sign-in: it checks the back-link rd (empty: the
// public URL), stores a single-use state, sets the cookie that binds it to
// this browser and sends the browser to the provider. Starts count against
// the verify_ip limit, since each one stores a state.
func (a *API) oauthStart(w http.ResponseWriter, r *http.Request) error {
	provider := mux.Vars(r)["provider"]
	if _, ok := a.OAuth.Provider(provider); !ok {
		return identity.Errorf(identity.ENOTFOUND, "No such sign-in provider.")
	}
	rd := r.URL.Query().Get("rd")
	if rd != "" {
		if _, ok := a.backLink(rd); !ok {
			return &identity.Error{Code: identity.EINVALID, Message: "The back-link is not allowed.",
				Fields: map[string]string{"rd": "must be a URL on an allowed host"}}
		}
	}
	if err := a.takeLimits(r, limitKey{LimitVerifyIP, a.clientIP(r)}); err != nil {
		return err
	}
	st, err := a.OAuth.Start(r.Context(), provider, rd)
	if err != nil {
		return err
	}
	http.SetCookie(w, st.Cookie)
	http.Redirect(w, r, st.URL, http.StatusFound)
	return nil
}

// oauthCallback ends a sign-in: the flow checks the state, the browser
// binding, the code and the ID token or profile; then the account is found
// or created (oauthUser), a cookie session with amr ["fed"] starts and the
// browser goes on to the back-link with 303. An account with MFA on gets
// no session yet: the browser goes to the sign-in page's code step with a
// ticket (oauthSecondStep). Every outcome past the state
// lookup is audited (oauth_login, detail "provider reason" or "provider
// session-id"), never with a code, token or state.
func (a *API) oauthCallback(w http.ResponseWriter, r *http.Request) error {
	provider := mux.Vars(r)["provider"]
	if _, ok := a.OAuth.Provider(provider); !ok {
		return identity.Errorf(identity.ENOTFOUND, "No such sign-in provider.")
	}
	if err := a.takeLimits(r, limitKey{LimitVerifyIP, a.clientIP(r)}); err != nil {
		return err
	}
	ctx := r.Context()
	res, clear, err := a.OAuth.Finish(ctx, r, provider)
	if clear != nil {
		http.SetCookie(w, clear)
	}
	if err != nil {
		a.oauthFailed(r, provider, "", err)
		return err
	}
	u, err := a.oauthUser(r, res.Identity)
	if err != nil {
		uid := ""
		if u != nil {
			uid = u.UID
		}
		a.oauthFailed(r, provider, uid, err)
		return err
	}
	if u.MFAEnabled {
		return a.oauthSecondStep(w, r, u, provider, res.RD)
	}
	if u, err = a.touchLogin(ctx, u); err != nil {
		return err
	}
	c, s, err := a.startCookieSession(ctx, r, u, oauthAMR)
	if err != nil {
		return err
	}
	a.audit(r, identity.ActionOAuthLogin, u.UID, identity.StatusSuccess, provider+" "+s.ID)
	http.SetCookie(w, c)
	http.Redirect(w, r, res.RD, http.StatusSeeOther)
	return nil
}

// oauthFailed audits a refused callback with the provider and a short
// reason.
func (a *API) oauthFailed(r *http.Request, provider, uid string, err error) {
	a.audit(r, identity.ActionOAuthLogin, uid, identity.StatusFailure, provider+" "+oauth.Reason(err))
}
