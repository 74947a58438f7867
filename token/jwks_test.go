package token_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/authgate/authgate/token"
	"github.com/coreos/go-oidc/v3/oidc"
)

func TestJWKSHandler(t *testing.T) {
	f := newFixture(t, token.RS256)
	h := f.keys.JWKSHandler()

	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, token.JWKSPath, nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d", rec.Code)
	}
	for k, want := range map[string]string{
		"Content-Type":  "application/json",
		"Cache-Control": "public, max-age=300",
	} {
		if got := rec.Header().Get(k); got != want {
			t.Errorf("%s: %q, want %q", k, got, want)
		}
	}
	var set struct {
		Keys []map[string]any `json:"keys"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &set); err != nil {
		t.Fatal(err)
	}
	if len(set.Keys) != 1 {
		t.Fatalf("keys %v", set.Keys)
	}
	k := set.Keys[0]
	if k["kid"] != f.kid || k["alg"] != "RS256" || k["kty"] != "RSA" || k["use"] != "sig" || k["e"] != "AQAB" {
		t.Fatalf("key %v", k)
	}
	// Only public members, never a private one.
	for _, private := range []string{"d", "p", "q", "dp", "dq", "qi"} {
		if _, ok := k[private]; ok {
			t.Fatalf("JWKS leaks private member %q", private)
		}
	}

	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodHead, token.JWKSPath, nil))
	if rec.Code != http.StatusOK || rec.Body.Len() != 0 {
		t.Errorf("HEAD: %d with %d bytes", rec.Code, rec.Body.Len())
	}
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, token.JWKSPath, nil))
	if rec.Code != http.StatusMethodNotAllowed || rec.Header().Get("Allow") != "GET, HEAD" {
		t.Errorf("POST: %d, Allow %q", rec.Code, rec.Header().Get("Allow"))
	}
}

func TestDiscoveryHandler(t *testing.T) {
	f := newFixture(t, token.ES256)
	h, err := token.DiscoveryHandler(token.Config{Issuer: testIssuer + "/"}, f.keys)
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, token.DiscoveryPath, nil))
	if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "application/json" {
		t.Fatalf("status %d, type %q", rec.Code, rec.Header().Get("Content-Type"))
	}
	var doc map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc["issuer"] != testIssuer || doc["jwks_uri"] != testIssuer+"/.well-known/jwks.json" {
		t.Fatalf("issuer %v, jwks_uri %v", doc["issuer"], doc["jwks_uri"])
	}
	if algs, _ := doc["id_token_signing_alg_values_supported"].([]any); !slices.Equal(algs, []any{"ES256"}) {
		t.Fatalf("algs %v", doc["id_token_signing_alg_values_supported"])
	}
	// Nothing authgate does not have.
	for _, absent := range []string{"authorization_endpoint", "token_endpoint", "userinfo_endpoint"} {
		if _, ok := doc[absent]; ok {
			t.Errorf("advertises %s", absent)
		}
	}
	if _, err := token.DiscoveryHandler(token.Config{Issuer: "not a url"}, f.keys); err == nil {
		t.Error("bad issuer accepted")
	}
}

// go-oidc, a real third-party verifier, discovers authgate through
// /.well-known/openid-configuration, fetches the JWKS and verifies our
// tokens: for every algorithm and across a rotation.
func TestGoOIDCVerifiesOurTokens(t *testing.T) {
	for _, alg := range algs {
		t.Run(alg, func(t *testing.T) {
			mux := http.NewServeMux()
			srv := httptest.NewServer(mux)
			defer srv.Close()

			store := &memStore{}
			cfg := token.Config{Issuer: srv.URL} // real clock: go-oidc checks exp with time.Now
			ks, err := token.LoadKeySet(context.Background(), store, token.KeySetConfig{Algorithm: alg})
			if err != nil {
				t.Fatal(err)
			}
			disc, err := token.DiscoveryHandler(cfg, ks)
			if err != nil {
				t.Fatal(err)
			}
			mux.Handle(token.JWKSPath, ks.JWKSHandler())
			mux.Handle(token.DiscoveryPath, disc)
			iss, err := token.NewIssuer(ks, cfg)
			if err != nil {
				t.Fatal(err)
			}

			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			provider, err := oidc.NewProvider(ctx, srv.URL)
			if err != nil {
				t.Fatalf("go-oidc discovery: %v", err)
			}
			verifier := provider.Verifier(&oidc.Config{ClientID: token.DefaultAudience})

			check := func() {
				t.Helper()
				raw, _, _, err := iss.IssueAccessToken(ctx, testUser(), testSession(), []string{"pwd"})
				if err != nil {
					t.Fatal(err)
				}
				idt, err := verifier.Verify(ctx, raw)
				// go-oidc hands a kid miss that arrives while its previous
				// JWKS fetch is still being cleared up that fetch's result
				// (its inflight request outlives the answer by a moment), so
				// a client may need a second try right after a rotation.
				for try := 0; err != nil && try < 20; try++ {
					time.Sleep(10 * time.Millisecond)
					idt, err = verifier.Verify(ctx, raw)
				}
				if err != nil {
					t.Fatalf("go-oidc verify: %v", err)
				}
				var c struct {
					Email string   `json:"email"`
					Roles []string `json:"roles"`
					SID   string   `json:"sid"`
				}
				if err := idt.Claims(&c); err != nil {
					t.Fatal(err)
				}
				if idt.Subject != "u_123" || c.Email != "ada@example.com" || c.SID != "sess_1" || len(c.Roles) != 2 {
					t.Fatalf("go-oidc saw sub %q claims %+v", idt.Subject, c)
				}
			}
			check()
			// After a rotation go-oidc meets an unknown kid, refetches the
			// JWKS and finds the new key.
			if _, err := ks.Rotate(ctx); err != nil {
				t.Fatal(err)
			}
			check()

			// And the Cache-Control reaches a real HTTP client.
			resp, err := http.Get(srv.URL + token.JWKSPath)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.Header.Get("Cache-Control") != "public, max-age=300" || len(jwksKIDs(t, body)) != 2 {
				t.Fatalf("GET jwks: %s %s", resp.Header.Get("Cache-Control"), body)
			}
		})
	}
}
