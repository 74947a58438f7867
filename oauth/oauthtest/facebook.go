package oauthtest

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// FacebookUser is the profile the Graph stand-in returns.
type FacebookUser struct {
	ID, Name, Email, Picture string
}

// Facebook is an in-process stand-in for Facebook Login and the Graph
// API: GET /dialog/oauth, POST /oauth/access_token (client, redirect URI
// and PKCE checked) and GET /me, which requires the access token as a
// Bearer token and the matching appsecret_proof.
type Facebook struct {
	*httptest.Server
	AppID     string
	AppSecret string

	mu     sync.Mutex
	user   FacebookUser
	codes  map[string]*grant
	tokens map[string]FacebookUser
	proofs []string
}

// NewFacebook starts the stand-in, stopped at the end of the test.
func NewFacebook(t testing.TB, appID, appSecret string) *Facebook {
	t.Helper()
	f := &Facebook{
		AppID: appID, AppSecret: appSecret,
		user:  FacebookUser{ID: "10001", Name: "Grace Hopper", Email: "grace@example.com", Picture: "https://img.example/grace.png"},
		codes: map[string]*grant{}, tokens: map[string]FacebookUser{},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /dialog/oauth", f.dialog)
	mux.HandleFunc("POST /oauth/access_token", f.accessToken)
	mux.HandleFunc("GET /me", f.me)
	f.Server = httptest.NewServer(mux)
	t.Cleanup(f.Server.Close)
	return f
}

// SetUser sets who signs in next.
func (f *Facebook) SetUser(u FacebookUser) { f.mu.Lock(); f.user = u; f.mu.Unlock() }

// Proofs returns the appsecret_proof of every accepted /me call.
func (f *Facebook) Proofs() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.proofs...)
}

func (f *Facebook) dialog(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("client_id") != f.AppID || q.Get("redirect_uri") == "" || q.Get("code_challenge_method") != "S256" {
		http.Error(w, "bad dialog request", http.StatusBadRequest)
		return
	}
	code := randomString()
	f.mu.Lock()
	f.codes[code] = &grant{clientID: f.AppID, redirectURI: q.Get("redirect_uri"), challenge: q.Get("code_challenge")}
	f.mu.Unlock()
	SendBack(w, r, q.Get("redirect_uri"), "", url.Values{"code": {code}, "state": {q.Get("state")}})
}

func (f *Facebook) accessToken(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_request")
		return
	}
	id, secret, _ := clientCredentials(r)
	if id != f.AppID || subtle.ConstantTimeCompare([]byte(secret), []byte(f.AppSecret)) != 1 {
		oauthError(w, http.StatusUnauthorized, "invalid_client")
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	g, code := redeem(f.codes, r.PostForm, id)
	if g == nil {
		oauthError(w, http.StatusBadRequest, code)
		return
	}
	tok := randomString()
	f.tokens[tok] = f.user
	writeJSON(w, http.StatusOK, map[string]any{"access_token": tok, "token_type": "bearer", "expires_in": 5183944})
}

func (f *Facebook) me(w http.ResponseWriter, r *http.Request) {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	f.mu.Lock()
	defer f.mu.Unlock()
	u, known := f.tokens[tok]
	if !ok || !known {
		writeJSON(w, http.StatusUnauthorized, map[string]any{"error": map[string]any{"type": "OAuthException", "code": 190}})
		return
	}
	m := hmac.New(sha256.New, []byte(f.AppSecret))
	m.Write([]byte(tok))
	proof := r.URL.Query().Get("appsecret_proof")
	if !hmac.Equal([]byte(proof), []byte(hex.EncodeToString(m.Sum(nil)))) {
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": map[string]any{"type": "GraphMethodException", "message": "Invalid appsecret_proof provided in the API argument"}})
		return
	}
	f.proofs = append(f.proofs, proof)
	out := map[string]any{"id": u.ID, "name": u.Name}
	if u.Email != "" {
		out["email"] = u.Email
	}
	if u.Picture != "" {
		out["picture"] = map[string]any{"data": map[string]any{"url": u.Picture}}
	}
	writeJSON(w, http.StatusOK, out)
}
