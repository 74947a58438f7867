package browser_test

import (
	"bytes"
	"encoding/json"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

const password = "correct horse battery staple"

// baseEnv lifts the sign-in limits for the many attempts from 127.0.0.1.
var baseEnv = []string{"AUTHGATE_RATE_LIMITS=register_ip=10000-H,login_ip=10000-M,login_account=10000-M"}

var client = &http.Client{
	Timeout:       10 * time.Second,
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

// postJSON sends body as JSON with an optional bearer token and decodes a
// JSON answer into out (when not nil); it returns the status.
func postJSON(t *testing.T, url, bearer string, body, out any) int {
	t.Helper()
	b, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	res, err := client.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", url, err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	if out != nil && res.StatusCode < 300 {
		if err := json.Unmarshal(data, out); err != nil {
			t.Fatalf("POST %s: decode %s: %v", url, data, err)
		}
	}
	return res.StatusCode
}

type tokens struct {
	AccessToken string `json:"access_token"`
	User        struct {
		UID   string `json:"uid"`
		Email string `json:"email"`
	} `json:"user"`
}

// register creates an account through the API.
func register(t *testing.T, base, email string) tokens {
	t.Helper()
	var out tokens
	if st := postJSON(t, base+"/api/auth/register", "", map[string]string{"email": email, "password": password}, &out); st != http.StatusCreated {
		t.Fatalf("register %s: status %d", email, st)
	}
	return out
}

// newApp is the application: an HTML page that shows the path it was asked
// for, whether the browser sent the session cookie, and the identity
// headers the proxy set.
func newApp(t *testing.T, cookieName string) *httptest.Server {
	t.Helper()
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, err := r.Cookie(cookieName)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		var b strings.Builder
		b.WriteString("<!doctype html><title>app</title>")
		b.WriteString(`<p id="path">` + html.EscapeString(r.URL.RequestURI()) + `</p>`)
		b.WriteString(`<p id="cookie">` + map[bool]string{true: "present", false: "absent"}[err == nil] + `</p>`)
		b.WriteString(`<p id="uid">` + html.EscapeString(r.Header.Get("X-User-Id")) + `</p>`)
		b.WriteString(`<p id="email">` + html.EscapeString(r.Header.Get("X-User-Email")) + `</p>`)
		_, _ = io.WriteString(w, b.String())
	}))
	t.Cleanup(app.Close)
	return app
}
