package main

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/gorilla/mux"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/authgate/authgate/authapi"
	"github.com/authgate/authgate/gateway"
	"github.com/authgate/authgate/httpx"
	"github.com/authgate/authgate/identity"
	"github.com/authgate/authgate/internal/server"
)

// handler is the main listener's router: authgate's own paths, then the
// sidecar proxy (or 404) for everything else.
func (a *app) handler() http.Handler {
	r := mux.NewRouter()
	a.router = r
	r.SkipClean(true) // the gateway normalizes paths itself, the way the upstream will
	r.UseEncodedPath()
	m := server.NewMetrics(a.reg)
	r.Use(server.Recover(a.log))
	fallback := "unmatched"
	if a.cfg.Upstream != nil {
		fallback = "proxy"
	}
	r.Use(m.Instrument(fallback))

	r.Handle("/healthz", http.HandlerFunc(server.Healthz)).Methods(http.MethodGet, http.MethodHead)
	r.Handle("/readyz", server.Readyz(a.readiness())).Methods(http.MethodGet, http.MethodHead)
	if a.cfg.MetricsListen == "" {
		r.Handle("/metrics", a.metricsHandler()).Methods(http.MethodGet)
	}
	r.Handle("/.well-known/jwks.json", a.keys.JWKSHandler()).Methods(http.MethodGet, http.MethodHead)
	r.Handle("/.well-known/openid-configuration", a.discovery).Methods(http.MethodGet, http.MethodHead)

	// Only /api/auth and /api/auth/... are the API's: mux's PathPrefix alone
	// would also take an upstream's /api/authors.
	own := r.MatcherFunc(func(req *http.Request, _ *mux.RouteMatch) bool {
		p := req.URL.EscapedPath()
		return p == authapi.Prefix || strings.HasPrefix(p, authapi.Prefix+"/")
	}).Subrouter()
	a.api.Routes(own)

	var rest http.Handler = http.HandlerFunc(notFound)
	if a.cfg.Upstream != nil {
		rest = http.HandlerFunc(a.gw.ServeProxy)
	}
	r.MethodNotAllowedHandler = http.HandlerFunc(methodNotAllowed)
	// mux does not run middleware on its NotFoundHandler: wrap it here.
	r.NotFoundHandler = m.Instrument(fallback)(server.Recover(a.log)(rest))

	// The forward-auth endpoint is the hot path (every request of every app
	// behind nginx/Traefik/Caddy): it skips mux's route matching.
	forwardAuth := m.Instrument(gateway.ForwardAuthPath)(server.Recover(a.log)(http.HandlerFunc(a.gw.ServeForwardAuth)))
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.URL.Path == gateway.ForwardAuthPath {
			forwardAuth.ServeHTTP(w, req)
			return
		}
		r.ServeHTTP(w, req)
	})
}

func (a *app) metricsHandler() http.Handler {
	return promhttp.HandlerFor(a.reg, promhttp.HandlerOpts{Registry: a.reg})
}

// readiness lists what /readyz checks: the database answers, the signing
// keys are loaded, the policy file (if any) loaded without error.
func (a *app) readiness() []server.Check {
	checks := []server.Check{
		{Name: "database", Fn: a.db.Ping},
		{Name: "signing_keys", Fn: func(context.Context) error {
			if a.keys.SigningKeyID() == "" {
				return fmt.Errorf("no signing key")
			}
			return nil
		}},
	}
	if a.policy != nil {
		checks = append(checks, server.Check{Name: "policy", Warning: true, Fn: func(context.Context) error {
			if _, err := a.policy.Status(); err != nil {
				return fmt.Errorf("policy file: last reload failed, the previous policy is in force: %w", err)
			}
			return nil
		}})
	}
	return checks
}

func notFound(w http.ResponseWriter, r *http.Request) {
	httpx.Error(w, r, nil, identity.Errorf(identity.ENOTFOUND, "No such endpoint."))
}

func methodNotAllowed(w http.ResponseWriter, r *http.Request) {
	httpx.Error(w, r, nil, identity.Errorf(identity.EMETHODNOTALLOWED, "Method not allowed."))
}
