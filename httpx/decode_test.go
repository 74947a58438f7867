package httpx_test

import (
	"bytes"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/authgate/authgate/httpx"
	"github.com/authgate/authgate/identity"
)

type body struct {
	Email string `json:"email"`
	N     int    `json:"n"`
}

func TestDecodeJSON(t *testing.T) {
	big := `{"email":"` + strings.Repeat("a", httpx.MaxBodyBytes) + `"}`
	tests := []struct {
		name, ct, body string
		allowEmpty     bool
		code           string
	}{
		{"ok", "application/json", `{"email":"a@b.c","n":1}`, false, ""},
		{"ok with charset", "application/json; charset=utf-8", `{"email":"x"}`, false, ""},
		{"problem+json accepted", "application/merge-patch+json", `{"email":"x"}`, false, ""},
		{"no content type", "", `{"email":"x"}`, false, ""},
		{"form post refused", "application/x-www-form-urlencoded", `email=x`, false, identity.EUNSUPPORTED},
		{"text/plain refused", "text/plain", `{"email":"x"}`, false, identity.EUNSUPPORTED},
		{"bad media type", "application/json; =", `{}`, false, identity.EUNSUPPORTED},
		{"malformed", "application/json", `{"email":`, false, identity.EMALFORMED},
		{"two values", "application/json", `{} {}`, false, identity.EMALFORMED},
		{"invalid UTF-8", "application/json", "{\"email\":\"\xff\xfe\"}", false, identity.EMALFORMED},
		{"wrong type names the field", "application/json", `{"n":"x"}`, false, identity.EINVALID},
		{"empty refused", "application/json", ``, false, identity.EMALFORMED},
		{"empty allowed", "application/json", `  `, true, ""},
		{"over 1 MiB", "application/json", big, false, identity.EPAYLOADTOOLARGE},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "/", strings.NewReader(tt.body))
			if tt.ct != "" {
				r.Header.Set("Content-Type", tt.ct)
			}
			var b body
			err := httpx.DecodeJSON(r, &b, tt.allowEmpty)
			if got := identity.ErrorCode(err); got != tt.code {
				t.Fatalf("code = %q, want %q (err %v)", got, tt.code, err)
			}
			if tt.code != "" && httpx.StatusOf(tt.code) >= 500 {
				t.Fatalf("bad input mapped to %d", httpx.StatusOf(tt.code))
			}
		})
	}
}

func TestErrorWritesProblem(t *testing.T) {
	tests := []struct {
		err       error
		status    int
		code      string
		hideCause bool
	}{
		{identity.Errorf(identity.EEMAILTAKEN, "taken"), 409, "email_taken", false},
		{&identity.Error{Code: identity.ERATELIMITED, Message: "slow down", RetryAfterSeconds: 7}, 429, "rate_limited", false},
		{identity.Errorf(identity.EINVALIDTOKEN, "bad"), 401, "invalid_token", false},
		{identity.Wrap(identity.EINTERNAL, "db exploded: secret dsn", nil), 500, "internal", true},
		{errSecret{}, 500, "internal", true},
	}
	for _, tt := range tests {
		w := httptest.NewRecorder()
		httpx.Error(w, httptest.NewRequest("GET", "/", nil), nil, tt.err)
		if w.Code != tt.status {
			t.Errorf("%v: status %d, want %d", tt.err, w.Code, tt.status)
		}
		if ct := w.Header().Get("Content-Type"); ct != "application/problem+json" {
			t.Errorf("Content-Type %q", ct)
		}
		var p map[string]any
		if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil {
			t.Fatal(err)
		}
		if p["code"] != tt.code || int(p["status"].(float64)) != tt.status {
			t.Errorf("problem %v", p)
		}
		if tt.hideCause && bytes.Contains(w.Body.Bytes(), []byte("secret")) {
			t.Errorf("internal detail leaked: %s", w.Body)
		}
		if tt.status == 401 && w.Header().Get("WWW-Authenticate") == "" {
			t.Error("401 without WWW-Authenticate")
		}
		if tt.status == 429 && w.Header().Get("Retry-After") != "7" {
			t.Errorf("Retry-After = %q", w.Header().Get("Retry-After"))
		}
	}
}

type errSecret struct{}

func (errSecret) Error() string { return "secret connection string" }
