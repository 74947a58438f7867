package firebase

import (
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/authgate/authgate/identity"
)

func TestParseAPIErrorMessage(t *testing.T) {
	tests := []struct{ msg, code, detail string }{
		{"EMAIL_EXISTS", "EMAIL_EXISTS", ""},
		{"WEAK_PASSWORD : Password should be at least 6 characters", "WEAK_PASSWORD", "Password should be at least 6 characters"},
		{"  TOO_MANY_ATTEMPTS_TRY_LATER : a : b ", "TOO_MANY_ATTEMPTS_TRY_LATER", "a : b"},
		{"", "", ""},
	}
	for _, tt := range tests {
		code, detail := parseAPIErrorMessage(tt.msg)
		if code != tt.code || detail != tt.detail {
			t.Errorf("parseAPIErrorMessage(%q) = %q, %q; want %q, %q", tt.msg, code, detail, tt.code, tt.detail)
		}
	}
}

func TestRESTErrorMapping(t *testing.T) {
	tests := []struct {
		apiCode string
		status  int
		want    string
	}{
		{"EMAIL_EXISTS", 400, identity.EEMAILTAKEN},
		{"INVALID_LOGIN_CREDENTIALS", 400, identity.EINVALIDCREDENTIALS},
		{"INVALID_PASSWORD", 400, identity.EINVALIDCREDENTIALS},
		{"EMAIL_NOT_FOUND", 400, identity.EINVALIDCREDENTIALS},
		{"USER_DISABLED", 400, identity.EUSERDISABLED},
		{"TOO_MANY_ATTEMPTS_TRY_LATER", 400, identity.ERATELIMITED},
		{"WEAK_PASSWORD", 400, identity.EWEAKPASSWORD},
		{"INVALID_OOB_CODE", 400, identity.EINVALIDTOKEN},
		{"EXPIRED_OOB_CODE", 400, identity.EINVALIDTOKEN},
		{"INVALID_EMAIL", 400, identity.EINVALID},
		{"SOMETHING_NEW", 400, identity.EINTERNAL},
		{"API key not valid. Please pass a valid API key.", 400, identity.EINTERNAL},
		{"Service Unavailable", 503, identity.EUNAVAILABLE},
	}
	for _, tt := range tests {
		err := restError("op", fmt.Errorf("call: %w", &APIError{Status: tt.status, Code: tt.apiCode}))
		if got := identity.ErrorCode(err); got != tt.want {
			t.Errorf("%s (%d) -> %q, want %q", tt.apiCode, tt.status, got, tt.want)
		}
		var ae *APIError
		if !errors.As(err, &ae) || ae.Code != tt.apiCode {
			t.Errorf("%s: cause lost: %v", tt.apiCode, err)
		}
	}
	// Same message for every credential failure: nothing tells them apart.
	a := identity.ErrorMessage(restError("op", &APIError{Status: 400, Code: "EMAIL_NOT_FOUND"}))
	b := identity.ErrorMessage(restError("op", &APIError{Status: 400, Code: "INVALID_PASSWORD"}))
	if a != b {
		t.Errorf("messages differ: %q vs %q", a, b)
	}
}

func TestAMR(t *testing.T) {
	tests := []struct {
		provider, second string
		want             []string
	}{
		{"password", "", []string{"pwd"}},
		{"google.com", "", []string{"fed", "google.com"}},
		{"apple.com", "", []string{"fed", "apple.com"}},
		{"oidc.corp", "", []string{"fed", "oidc.corp"}},
		{"phone", "", []string{"sms"}},
		{"custom", "", []string{"custom"}},
		{"anonymous", "", []string{"anonymous"}},
		{"password", "totp", []string{"pwd", "mfa", "otp"}},
		{"password", "phone", []string{"pwd", "mfa", "sms"}},
		{"", "", nil},
	}
	for _, tt := range tests {
		if got := amrFor(tt.provider, tt.second); !slices.Equal(got, tt.want) {
			t.Errorf("amrFor(%q, %q) = %v, want %v", tt.provider, tt.second, got, tt.want)
		}
	}
}

func TestPeekIssuer(t *testing.T) {
	enc := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	tests := []struct {
		raw  string
		iss  string
		isOK bool
	}{
		{enc(`{}`) + "." + enc(`{"iss":"https://securetoken.google.com/p"}`) + ".sig", "https://securetoken.google.com/p", true},
		{enc(`{}`) + "." + enc(`{"iss":"x"}`) + ".", "x", true},
		{enc(`{}`) + "." + enc(`{"iss":1}`) + ".", "", false},
		{enc(`{}`) + "." + enc(`{"sub":"a"}`) + ".", "", false},
		{enc(`{}`) + "." + enc(`{"iss":"x"}`), "", false},
		{enc(`{}`) + "." + enc(`{"iss":"x"}`) + ".a.b", "", false},
		{"." + enc(`{"iss":"x"}`) + ".", "", false},
		{enc(`{}`) + "..", "", false},
		{"", "", false},
		{enc(`{}`) + "." + enc(`{"iss":"x","pad":"`+string(make([]byte, maxTokenSize))+`"}`) + ".", "", false},
	}
	for i, tt := range tests {
		iss, ok := peekIssuer(tt.raw)
		if iss != tt.iss || ok != tt.isOK {
			t.Errorf("%d: peekIssuer = %q, %v; want %q, %v", i, iss, ok, tt.iss, tt.isOK)
		}
	}
}

// FuzzPeekIssuer: any input, no panic, and a claimed issuer really is the
// iss of the payload segment.
func FuzzPeekIssuer(f *testing.F) {
	enc := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	f.Add(enc(`{"alg":"none"}`) + "." + enc(`{"iss":"https://securetoken.google.com/p"}`) + ".")
	f.Add("a.b.c")
	f.Add("..")
	f.Add(enc(`{}`) + "." + enc(`{"iss":"\u0000"}`) + ".x")
	f.Fuzz(func(t *testing.T, raw string) {
		iss, ok := peekIssuer(raw)
		if ok != (iss != "") {
			t.Fatalf("ok = %v with iss %q", ok, iss)
		}
		if ok && len(raw) > maxTokenSize {
			t.Fatal("oversized token parsed")
		}
	})
}

func TestRevocationCacheBounded(t *testing.T) {
	now := time.Unix(1_000_000, 0)
	clock := func() time.Time { return now }
	rc := newRevocationCache(30*time.Second, 3, clock)
	for i := range 10 {
		rc.put(fmt.Sprint("u", i), userState{fetched: now})
		if n := len(rc.m); n > 3 {
			t.Fatalf("cache holds %d entries, max 3", n)
		}
	}
	if _, ok := rc.get("u9"); !ok {
		t.Fatal("newest entry missing")
	}
	now = now.Add(30 * time.Second)
	if _, ok := rc.get("u9"); ok {
		t.Fatal("entry served after its TTL")
	}
	rc.put("fresh", userState{fetched: now})
	if _, ok := rc.get("fresh"); !ok {
		t.Fatal("fresh entry missing")
	}
	rc.forget("fresh")
	if _, ok := rc.get("fresh"); ok {
		t.Fatal("forgotten entry served")
	}
}

func BenchmarkPeekIssuer(b *testing.B) {
	enc := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	raw := enc(`{"alg":"RS256","kid":"k1"}`) + "." + enc(`{"iss":"http://localhost:8001","aud":"authgate","sub":"abc","exp":1999999999,"roles":["admin"],"email":"a@example.com"}`) + ".c2ln"
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := peekIssuer(raw); !ok {
			b.Fatal("not parsed")
		}
	}
}
