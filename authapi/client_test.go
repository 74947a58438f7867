package authapi_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"strings"
	"testing"
)

// response is a finished HTTP exchange.
type response struct {
	Status int
	Header http.Header
	Body   []byte
}

// problem is the part of a problem+json document the tests check.
type problem struct {
	Type   string            `json:"type"`
	Status int               `json:"status"`
	Code   string            `json:"code"`
	Detail string            `json:"detail"`
	Fields map[string]string `json:"fields"`
}

// reqOpt changes a request before it is sent.
type reqOpt func(*http.Request)

func bearer(tok string) reqOpt {
	return func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+tok) }
}

func header(k, v string) reqOpt { return func(r *http.Request) { r.Header.Set(k, v) } }

func cookie(name, value string) reqOpt {
	return func(r *http.Request) { r.AddCookie(&http.Cookie{Name: name, Value: value}) }
}

// do sends a request to the test server. body is nil (no body), a string or
// []byte (sent as is) or anything else (sent as JSON).
func (s *testServer) do(t testing.TB, method, path string, body any, opts ...reqOpt) *response {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			t.Fatalf("marshal request body: %v", err)
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, s.URL+path, rd)
	if err != nil {
		t.Fatalf("new request: %v", err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("User-Agent", testUserAgent)
	for _, o := range opts {
		o(req)
	}
	res, err := s.Client().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", method, path, err)
	}
	return &response{Status: res.StatusCode, Header: res.Header, Body: data}
}

const testUserAgent = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"

// json decodes the body into v after checking status.
func (r *response) json(t testing.TB, status int, v any) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status = %d, want %d; body: %s", r.Status, status, r.Body)
	}
	if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct != "application/json" {
		t.Fatalf("Content-Type = %q, want application/json", r.Header.Get("Content-Type"))
	}
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("decode body %s: %v", r.Body, err)
	}
}

// wantProblem checks that r is a problem+json answer with status and code.
func (r *response) wantProblem(t testing.TB, status int, code string) problem {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status = %d, want %d; body: %s", r.Status, status, r.Body)
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("Content-Type = %q, want application/problem+json; body: %s", ct, r.Body)
	}
	var p problem
	if err := json.Unmarshal(r.Body, &p); err != nil {
		t.Fatalf("decode problem %s: %v", r.Body, err)
	}
	if p.Code != code || p.Status != status {
		t.Fatalf("problem = %+v, want code %q status %d", p, code, status)
	}
	if r.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("X-Content-Type-Options = %q, want nosniff", r.Header.Get("X-Content-Type-Options"))
	}
	if status == http.StatusUnauthorized && !strings.HasPrefix(r.Header.Get("WWW-Authenticate"), "Bearer") {
		t.Errorf("401 without a Bearer WWW-Authenticate challenge: %q", r.Header.Get("WWW-Authenticate"))
	}
	return p
}

// wantStatus checks a status with no particular body.
func (r *response) wantStatus(t testing.TB, status int) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status = %d, want %d; body: %s", r.Status, status, r.Body)
	}
}

// userJSON is the user object of the contract.
type userJSON struct {
	UID           string   `json:"uid"`
	Email         string   `json:"email"`
	DisplayName   string   `json:"display_name"`
	PhotoURL      string   `json:"photo_url"`
	EmailVerified bool     `json:"email_verified"`
	Roles         []string `json:"roles"`
	CreatedAt     string   `json:"created_at"`
	UpdatedAt     string   `json:"updated_at"`
	LastLoginAt   *string  `json:"last_login_at"`
}

// tokensJSON is the answer of register, login and refresh.
type tokensJSON struct {
	AccessToken  string   `json:"access_token"`
	RefreshToken string   `json:"refresh_token"`
	TokenType    string   `json:"token_type"`
	ExpiresIn    int64    `json:"expires_in"`
	User         userJSON `json:"user"`
}

type sessionJSON struct {
	ID         string            `json:"id"`
	CreatedAt  string            `json:"created_at"`
	ExpiresAt  string            `json:"expires_at"`
	DeviceInfo map[string]string `json:"device_info"`
	IPAddress  string            `json:"ip_address"`
	Current    bool              `json:"current"`
}

// register creates an account over the API and returns its tokens.
func (s *testServer) register(t testing.TB, email, password string) tokensJSON {
	t.Helper()
	var out tokensJSON
	s.do(t, "POST", "/api/auth/register", map[string]any{"email": email, "password": password}).json(t, http.StatusCreated, &out)
	s.remember(password, out.AccessToken, out.RefreshToken)
	return out
}

// login signs in over the API and returns the tokens.
func (s *testServer) login(t testing.TB, email, password string, opts ...reqOpt) tokensJSON {
	t.Helper()
	var out tokensJSON
	s.do(t, "POST", "/api/auth/login", map[string]any{"email": email, "password": password}, opts...).json(t, http.StatusOK, &out)
	s.remember(password, out.AccessToken, out.RefreshToken)
	return out
}

// jwtClaims decodes a JWT's payload without verifying it (the server did).
func jwtClaims(t testing.TB, jwt string) map[string]any {
	t.Helper()
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %.10s…", jwt)
	}
	data, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatalf("JWT payload: %v", err)
	}
	var claims map[string]any
	if err := json.Unmarshal(data, &claims); err != nil {
		t.Fatalf("JWT payload: %v", err)
	}
	return claims
}
