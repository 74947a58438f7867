package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/gorilla/mux"
	"gopkg.in/yaml.v3"

	"github.com/authgate/authgate/config"
)

// Every route authgate serves is in openapi.yaml and every documented path
// is served, with each documented method answered (not 405/404 from the
// router), so the contract and the code cannot drift apart unnoticed.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	raw, err := os.ReadFile("../../openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Paths map[string]map[string]any `yaml:"paths"`
	}
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("openapi.yaml: %v", err)
	}
	env := map[string]string{
		"AUTHGATE_DATA_DIR": t.TempDir(),
		// Every optional group of routes on: OAuth (a generic provider is
		// enough to mount its routes; discovery happens on first use).
		"AUTHGATE_OAUTH_OIDC_ISSUER":        "https://issuer.invalid",
		"AUTHGATE_OAUTH_OIDC_CLIENT_ID":     "client",
		"AUTHGATE_OAUTH_OIDC_CLIENT_SECRET": "secret",
	}
	cfg, err := config.Load(nil, func(k string) string { return env[k] }, io.Discard)
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	a, err := build(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatalf("build: %v", err)
	}
	t.Cleanup(a.close)
	h := a.handler()

	served := map[string]bool{"/api/auth/forward-auth": true} // served ahead of the router
	err = a.router.Walk(func(route *mux.Route, _ *mux.Router, _ []*mux.Route) error {
		if tpl, err := route.GetPathTemplate(); err == nil && route.GetHandler() != nil {
			served[tpl] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var missing, stale []string
	for p := range served {
		if _, ok := doc.Paths[p]; !ok {
			missing = append(missing, p)
		}
	}
	for p := range doc.Paths {
		if !served[p] {
			stale = append(stale, p)
		}
	}
	sort.Strings(missing)
	sort.Strings(stale)
	if len(missing) > 0 {
		t.Errorf("served but not in openapi.yaml: %v", missing)
	}
	if len(stale) > 0 {
		t.Errorf("in openapi.yaml but not served: %v", stale)
	}

	methods := []string{"get", "put", "post", "delete", "patch", "head", "options"}
	for p, ops := range doc.Paths {
		path := strings.NewReplacer("{id}", "x", "{uid}", "x", "{provider}", "oidc").Replace(p)
		for m := range ops {
			if !slices.Contains(methods, m) {
				continue
			}
			req := httptest.NewRequest(strings.ToUpper(m), path, nil)
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			if w.Code == http.StatusMethodNotAllowed {
				t.Errorf("%s %s is documented but answers 405", strings.ToUpper(m), p)
			}
			if w.Code == http.StatusNotFound && !strings.Contains(p, "{") {
				if body := w.Body.String(); strings.Contains(body, "No such endpoint") {
					t.Errorf("%s %s is documented but the router does not know it", strings.ToUpper(m), p)
				}
			}
		}
	}
}
