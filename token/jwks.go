package token

import (
	"encoding/json"
	"net/http"
	"slices"
)

// renderJWKS renders the JWK Set of keys. It cannot fail: every member is a
// string.
func renderJWKS(keys []*signingKey) []byte {
	set := struct {
		Keys []jwk `json:"keys"`
	}{Keys: make([]jwk, 0, len(keys))}
	for _, k := range keys {
		set.Keys = append(set.Keys, k.jwk)
	}
	b, err := json.Marshal(set)
	if err != nil {
		panic("token: render JWKS: " + err.Error()) // unreachable: strings only
	}
	return b
}

// JWKS returns the JSON Web Key Set (RFC 7517) of the verifying keys,
// rendered when the keys last changed.
func (ks *KeySet) JWKS() []byte { return slices.Clone(ks.current().jwks) }

// JWKSHandler serves the JWKS at /.well-known/jwks.json. Clients may cache
// it for five minutes; a new key signs only after it is stored, and
// verifiers that see an unknown kid are expected to refetch.
func (ks *KeySet) JWKSHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !allowGet(w, r) {
			return
		}
		ks.maybeReload(r.Context())
		writeWellKnown(w, r, ks.current().jwks)
	})
}

// discovery is the OpenID Provider metadata authgate publishes: the subset
// that describes an issuer of signed tokens, as Kubernetes publishes for
// its service-account issuer. authgate has no OAuth authorization or token
// endpoint (its /api/auth/login and /api/auth/refresh take JSON, not
// RFC 6749 form posts), so none is advertised.
type discovery struct {
	Issuer          string   `json:"issuer"`
	JWKSURI         string   `json:"jwks_uri"`
	ResponseTypes   []string `json:"response_types_supported"`
	SubjectTypes    []string `json:"subject_types_supported"`
	SigningAlgs     []string `json:"id_token_signing_alg_values_supported"`
	ClaimsSupported []string `json:"claims_supported"`
}

// JWKSPath and DiscoveryPath are where the handlers are mounted.
const (
	JWKSPath      = "/.well-known/jwks.json"
	DiscoveryPath = "/.well-known/openid-configuration"
)

// DiscoveryHandler serves /.well-known/openid-configuration for cfg.Issuer:
// enough for go-oidc's NewProvider and other OIDC libraries to find the
// JWKS and verify authgate tokens.
func DiscoveryHandler(cfg Config, keys *KeySet) (http.Handler, error) {
	cfg, err := cfg.normalized()
	if err != nil {
		return nil, err
	}
	claims := []string{"iss", "sub", "aud", "exp", "iat", "nbf", "jti", "sid",
		"email", "email_verified", "name", "roles", "amr"}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !allowGet(w, r) {
			return
		}
		keys.maybeReload(r.Context())
		algs := keys.current().algs
		b, err := json.Marshal(discovery{
			Issuer:          cfg.Issuer,
			JWKSURI:         cfg.Issuer + JWKSPath,
			ResponseTypes:   []string{"id_token"},
			SubjectTypes:    []string{"public"},
			SigningAlgs:     algs,
			ClaimsSupported: claims,
		})
		if err != nil {
			http.Error(w, "internal error", http.StatusInternalServerError) // unreachable: strings only
			return
		}
		writeWellKnown(w, r, b)
	}), nil
}

// allowGet answers anything but GET and HEAD with 405.
func allowGet(w http.ResponseWriter, r *http.Request) bool {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return true
	}
	w.Header().Set("Allow", "GET, HEAD")
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(http.StatusMethodNotAllowed)
	_, _ = w.Write([]byte(`{"type":"about:blank","title":"Method Not Allowed","status":405,"code":"method_not_allowed"}`))
	return false
}

// writeWellKnown writes a public, cacheable JSON document. It is the same
// for everyone, so any origin may read it.
func writeWellKnown(w http.ResponseWriter, r *http.Request, body []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "public, max-age=300")
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("X-Content-Type-Options", "nosniff")
	if r.Method == http.MethodHead {
		return
	}
	_, _ = w.Write(body)
}
