package authapi

import (
	"log/slog"
	"net/http"
	"slices"
	"strings"

	"github.com/gorilla/mux"

	"github.com/authgate/authgate/httpx"
	"github.com/authgate/authgate/identity"
)

// Prefix is the path under which the API is mounted.
const Prefix = "/api/auth"

// Handler returns a router serving the API under Prefix; every other path
// answers 404 problem+json.
func (a *API) Handler() http.Handler {
	r := mux.NewRouter()
	a.Routes(r)
	r.NotFoundHandler = http.HandlerFunc(a.notFound)
	return r
}

// Routes mounts the API on r under Prefix and returns the subrouter, on
// which more /api/auth routes (MFA, admin, forward-auth, sign-in page) may be
// registered, preferably as Methods values. Inside Prefix an unknown path
// answers 404 and a known path with the wrong method 405 with Allow, both
// problem+json. Routes panics if a required dependency is missing (see
// Validate).
func (a *API) Routes(r *mux.Router) *mux.Router {
	a.init()
	sub := r.PathPrefix(Prefix).Subrouter()
	sub.Use(apiHeaders)
	a.route(sub, "/register", Methods{http.MethodPost: a.wrap(a.register)})
	a.route(sub, "/login", Methods{http.MethodPost: a.wrap(a.login)})
	a.route(sub, "/logout", Methods{http.MethodPost: a.authenticated(a.logout)})
	a.route(sub, "/refresh", Methods{http.MethodPost: a.wrap(a.refresh)})
	a.route(sub, "/verify", Methods{http.MethodPost: a.wrap(a.verify)})
	a.route(sub, "/profile", Methods{
		http.MethodGet: a.authenticated(a.getProfile),
		http.MethodPut: a.authenticated(a.updateProfile),
	})
	a.route(sub, "/password/reset", Methods{http.MethodPost: a.wrap(a.requestPasswordReset)})
	a.route(sub, "/password/reset/confirm", Methods{
		http.MethodGet:  http.HandlerFunc(a.resetPage),
		http.MethodPost: a.wrap(a.confirmPasswordReset),
	})
	a.route(sub, "/password/change", Methods{http.MethodPost: a.authenticated(a.changePassword)})
	a.route(sub, "/account", Methods{http.MethodDelete: a.authenticated(a.deleteAccount)})
	a.route(sub, "/sessions", Methods{http.MethodGet: a.authenticated(a.listSessions)})
	a.route(sub, "/sessions/{id}", Methods{http.MethodDelete: a.authenticated(a.revokeSession)})
	a.mfaRoutes(sub)
	a.emailVerificationRoutes(sub)
	a.adminRoutes(sub)
	a.signInRoutes(sub)
	a.oauthRoutes(sub)
	sub.NotFoundHandler = http.HandlerFunc(a.notFound)
	return sub
}

// route registers the handlers of one path, with a's problem writer for
// wrong methods.
func (a *API) route(sub *mux.Router, path string, m Methods) {
	sub.Handle(path, methodsWithLog{m, a.Log})
}

func (a *API) notFound(w http.ResponseWriter, r *http.Request) {
	httpx.Error(w, r, a.Log, identity.Errorf(identity.ENOTFOUND, "No such endpoint."))
}

// Methods routes one path by request method; any other method answers 405
// problem+json with an Allow header. Register it on the subrouter Routes
// returns (sub.Handle("/mfa/enroll", authapi.Methods{"POST": h})) instead of
// mux's .Methods: mux 1.8.1 turns a method mismatch inside a subrouter with
// several routes into a 404.
type Methods map[string]http.Handler

// ServeHTTP implements http.Handler.
func (m Methods) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	methodsWithLog{m, nil}.ServeHTTP(w, r)
}

type methodsWithLog struct {
	m   Methods
	log *slog.Logger
}

func (ml methodsWithLog) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if h, ok := ml.m[r.Method]; ok {
		h.ServeHTTP(w, r)
		return
	}
	allow := make([]string, 0, len(ml.m))
	for method := range ml.m {
		allow = append(allow, method)
	}
	slices.Sort(allow)
	w.Header().Set("Allow", strings.Join(allow, ", "))
	httpx.Error(w, r, ml.log, identity.Errorf(identity.EMETHODNOTALLOWED, "Method %s is not allowed here.", r.Method))
}

// apiHeaders sets the headers every API answer carries.
func apiHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Cache-Control", "no-store")
		h.Set("Referrer-Policy", "no-referrer")
		next.ServeHTTP(w, r)
	})
}

// handlerFunc is an API handler that returns its error instead of writing it.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// wrap turns a handlerFunc into an http.Handler that answers its error as
// problem+json.
func (a *API) wrap(h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			a.fail(w, r, err)
		}
	})
}

func (a *API) fail(w http.ResponseWriter, r *http.Request, err error) {
	httpx.Error(w, r, a.Log, err)
}
