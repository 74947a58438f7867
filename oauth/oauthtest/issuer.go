// Package oauthtest provides in-process stand-ins for OAuth 2.0 / OpenID
// Connect providers, for tests that must never reach the internet: an
// OpenID Connect issuer with discovery, JWKS, an authorization endpoint
// that sends the browser back with a code (as a redirect or, for
// form_post, as an auto-submitting form) and a token endpoint that checks
// the client, the redirect URI and the PKCE verifier and returns an RS256
// ID token carrying the nonce; and a Facebook stand-in with a Graph /me
// that checks appsecret_proof.
package oauthtest

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// User is who signs in at the stand-in.
type User struct {
	Subject string
	Email   string
	// EmailVerified is put into the ID token as is (a bool, or a string as
	// Apple sometimes sends); nil leaves the claim out.
	EmailVerified any
	Name          string
}

// Knobs break the next ID tokens on purpose.
type Knobs struct {
	Audience      string        // aud instead of the client id
	Issuer        string        // iss instead of the issuer URL
	Nonce         string        // nonce instead of the authorization request's
	ExpiresIn     time.Duration // exp - iat; zero means an hour, negative is already expired
	TamperPayload bool          // change the payload after signing
	NoIDToken     bool          // leave id_token out of the token response
}

// grant is one issued authorization code.
type grant struct {
	clientID, redirectURI, challenge, nonce string
	user                                    User
	used                                    bool
}

// Issuer is an in-process OpenID Connect provider. Make it with NewIssuer;
// change its settings with the setters while tests run.
type Issuer struct {
	*httptest.Server
	ClientID     string
	ClientSecret string
	Key          *rsa.PrivateKey
	KeyID        string

	mu        sync.Mutex
	user      User
	knobs     Knobs
	now       func() time.Time
	check     func(clientID, secret string) error
	codes     map[string]*grant
	auths     []url.Values
	tokenReqs []url.Values
	clientVia []string
}

// NewIssuer starts an issuer for clientID/clientSecret, stopped at the end
// of the test. The user signing in is "sub-1", ada@example.com, verified.
func NewIssuer(t testing.TB, clientID, clientSecret string) *Issuer {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatalf("oauthtest: key: %v", err)
	}
	i := &Issuer{
		ClientID: clientID, ClientSecret: clientSecret, Key: key, KeyID: "test-key-1",
		user:  User{Subject: "sub-1", Email: "ada@example.com", EmailVerified: true, Name: "Ada Lovelace"},
		now:   time.Now,
		codes: map[string]*grant{},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", i.discovery)
	mux.HandleFunc("GET /jwks", i.jwks)
	mux.HandleFunc("GET /authorize", i.authorize)
	mux.HandleFunc("POST /token", i.token)
	i.Server = httptest.NewServer(mux)
	t.Cleanup(i.Server.Close)
	return i
}

// SetUser sets who signs in next.
func (i *Issuer) SetUser(u User) { i.mu.Lock(); i.user = u; i.mu.Unlock() }

// SetKnobs sets the faults of the next ID tokens.
func (i *Issuer) SetKnobs(k Knobs) { i.mu.Lock(); i.knobs = k; i.mu.Unlock() }

// SetNow sets the clock of iat and exp.
func (i *Issuer) SetNow(now func() time.Time) { i.mu.Lock(); i.now = now; i.mu.Unlock() }

// SetClientCheck replaces the check of the client's credentials at the
// token endpoint (default: ClientID and ClientSecret, basic or post).
func (i *Issuer) SetClientCheck(f func(clientID, secret string) error) {
	i.mu.Lock()
	i.check = f
	i.mu.Unlock()
}

// AuthRequests returns the query of every authorization request so far.
func (i *Issuer) AuthRequests() []url.Values {
	i.mu.Lock()
	defer i.mu.Unlock()
	return append([]url.Values(nil), i.auths...)
}

// TokenRequests returns the form of every token request so far, and how
// the client authenticated ("basic" or "post") in each.
func (i *Issuer) TokenRequests() ([]url.Values, []string) {
	i.mu.Lock()
	defer i.mu.Unlock()
	return append([]url.Values(nil), i.tokenReqs...), append([]string(nil), i.clientVia...)
}

func (i *Issuer) discovery(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{
		"issuer":                                i.URL,
		"authorization_endpoint":                i.URL + "/authorize",
		"token_endpoint":                        i.URL + "/token",
		"jwks_uri":                              i.URL + "/jwks",
		"response_types_supported":              []string{"code"},
		"response_modes_supported":              []string{"query", "form_post"},
		"subject_types_supported":               []string{"public"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"code_challenge_methods_supported":      []string{"S256"},
	})
}

func (i *Issuer) jwks(w http.ResponseWriter, _ *http.Request) {
	pub := i.Key.PublicKey
	writeJSON(w, http.StatusOK, map[string]any{"keys": []map[string]string{{
		"kty": "RSA", "use": "sig", "alg": "RS256", "kid": i.KeyID,
		"n": base64.RawURLEncoding.EncodeToString(pub.N.Bytes()),
		"e": base64.RawURLEncoding.EncodeToString(big.NewInt(int64(pub.E)).Bytes()),
	}}})
}

// authorize signs the current user in at once and sends the browser back.
func (i *Issuer) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	i.mu.Lock()
	i.auths = append(i.auths, q)
	user := i.user
	i.mu.Unlock()
	if q.Get("client_id") != i.ClientID || q.Get("response_type") != "code" || q.Get("redirect_uri") == "" {
		http.Error(w, "bad authorization request", http.StatusBadRequest)
		return
	}
	if q.Get("code_challenge_method") != "S256" || len(q.Get("code_challenge")) != 43 {
		http.Error(w, "PKCE S256 is required", http.StatusBadRequest)
		return
	}
	code := randomString()
	i.mu.Lock()
	i.codes[code] = &grant{clientID: q.Get("client_id"), redirectURI: q.Get("redirect_uri"),
		challenge: q.Get("code_challenge"), nonce: q.Get("nonce"), user: user}
	i.mu.Unlock()
	SendBack(w, r, q.Get("redirect_uri"), q.Get("response_mode"), url.Values{"code": {code}, "state": {q.Get("state")}})
}

// SendBack answers an authorization request the way a provider does: a
// 302 to redirectURI with params in the query, or for form_post a page
// whose form posts them there (read it with ParseFormPost).
func SendBack(w http.ResponseWriter, r *http.Request, redirectURI, mode string, params url.Values) {
	if mode == "form_post" {
		var b strings.Builder
		fmt.Fprintf(&b, `<!doctype html><html><body onload="document.forms[0].submit()"><form method="post" action="%s">`, html.EscapeString(redirectURI))
		for k, vs := range params {
			for _, v := range vs {
				fmt.Fprintf(&b, `<input type="hidden" name="%s" value="%s">`, html.EscapeString(k), html.EscapeString(v))
			}
		}
		b.WriteString(`</form></body></html>`)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte(b.String()))
		return
	}
	u, err := url.Parse(redirectURI)
	if err != nil {
		http.Error(w, "bad redirect_uri", http.StatusBadRequest)
		return
	}
	q := u.Query()
	for k, vs := range params {
		q[k] = vs
	}
	u.RawQuery = q.Encode()
	http.Redirect(w, r, u.String(), http.StatusFound)
}

var (
	formAction = regexp.MustCompile(`<form method="post" action="([^"]*)">`)
	formInput  = regexp.MustCompile(`<input type="hidden" name="([^"]*)" value="([^"]*)">`)
)

// ParseFormPost reads the target and fields of a page made by SendBack
// for form_post.
func ParseFormPost(page string) (action string, form url.Values, err error) {
	m := formAction.FindStringSubmatch(page)
	if m == nil {
		return "", nil, fmt.Errorf("oauthtest: no form_post form in %.200q", page)
	}
	form = url.Values{}
	for _, in := range formInput.FindAllStringSubmatch(page, -1) {
		form.Add(html.UnescapeString(in[1]), html.UnescapeString(in[2]))
	}
	return html.UnescapeString(m[1]), form, nil
}

// clientCredentials reads the client's id and secret (basic or post).
func clientCredentials(r *http.Request) (id, secret, via string) {
	if id, secret, ok := r.BasicAuth(); ok {
		id, _ = url.QueryUnescape(id)
		secret, _ = url.QueryUnescape(secret)
		return id, secret, "basic"
	}
	return r.PostForm.Get("client_id"), r.PostForm.Get("client_secret"), "post"
}

// redeem checks a token request's code, redirect URI and PKCE verifier
// and spends the code. It returns an OAuth error code on refusal.
func redeem(codes map[string]*grant, form url.Values, clientID string) (*grant, string) {
	if form.Get("grant_type") != "authorization_code" {
		return nil, "unsupported_grant_type"
	}
	g, ok := codes[form.Get("code")]
	if !ok || g.used || g.clientID != clientID || g.redirectURI != form.Get("redirect_uri") {
		return nil, "invalid_grant"
	}
	g.used = true
	sum := sha256.Sum256([]byte(form.Get("code_verifier")))
	if subtle.ConstantTimeCompare([]byte(base64.RawURLEncoding.EncodeToString(sum[:])), []byte(g.challenge)) != 1 {
		return nil, "invalid_grant"
	}
	return g, ""
}

func (i *Issuer) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_request")
		return
	}
	id, secret, via := clientCredentials(r)
	i.mu.Lock()
	defer i.mu.Unlock()
	i.tokenReqs = append(i.tokenReqs, r.PostForm)
	i.clientVia = append(i.clientVia, via)
	check := i.check
	if check == nil {
		check = func(id, secret string) error {
			if id != i.ClientID || subtle.ConstantTimeCompare([]byte(secret), []byte(i.ClientSecret)) != 1 {
				return fmt.Errorf("wrong client credentials")
			}
			return nil
		}
	}
	if err := check(id, secret); err != nil {
		oauthError(w, http.StatusUnauthorized, "invalid_client")
		return
	}
	g, code := redeem(i.codes, r.PostForm, id)
	if g == nil {
		oauthError(w, http.StatusBadRequest, code)
		return
	}
	resp := map[string]any{"access_token": randomString(), "token_type": "Bearer", "expires_in": 3600}
	if !i.knobs.NoIDToken {
		resp["id_token"] = i.idToken(g)
	}
	writeJSON(w, http.StatusOK, resp)
}

// idToken signs the ID token of g with the current knobs (i.mu held).
func (i *Issuer) idToken(g *grant) string {
	k, now := i.knobs, i.now()
	life := k.ExpiresIn
	if life == 0 {
		life = time.Hour
	}
	claims := jwt.MapClaims{
		"iss": or(k.Issuer, i.URL), "sub": g.user.Subject, "aud": or(k.Audience, g.clientID),
		"iat": now.Unix(), "exp": now.Add(life).Unix(), "nonce": or(k.Nonce, g.nonce),
	}
	if g.user.Email != "" {
		claims["email"] = g.user.Email
	}
	if g.user.EmailVerified != nil {
		claims["email_verified"] = g.user.EmailVerified
	}
	if g.user.Name != "" {
		claims["name"] = g.user.Name
	}
	t := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
	t.Header["kid"] = i.KeyID
	raw, err := t.SignedString(i.Key)
	if err != nil {
		panic("oauthtest: sign: " + err.Error())
	}
	if k.TamperPayload {
		parts := strings.Split(raw, ".")
		claims["email"] = "mallory@example.com"
		body, _ := json.Marshal(claims)
		parts[1] = base64.RawURLEncoding.EncodeToString(body)
		raw = strings.Join(parts, ".")
	}
	return raw
}

func oauthError(w http.ResponseWriter, status int, code string) {
	writeJSON(w, status, map[string]string{"error": code})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func randomString() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
