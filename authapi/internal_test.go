package authapi

import (
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestSameOrigin(t *testing.T) {
	a := &API{PublicURL: &url.URL{Scheme: "https", Host: "auth.example.com"}}
	tests := []struct {
		name, method string
		headers      map[string]string
		want         bool
	}{
		{"safe method", "GET", map[string]string{"Sec-Fetch-Site": "cross-site"}, true},
		{"no browser headers", "POST", nil, true},
		{"same-origin fetch", "POST", map[string]string{"Sec-Fetch-Site": "same-origin"}, true},
		{"typed in the address bar", "POST", map[string]string{"Sec-Fetch-Site": "none"}, true},
		{"same-site sibling", "POST", map[string]string{"Sec-Fetch-Site": "same-site"}, false},
		{"cross-site fetch", "DELETE", map[string]string{"Sec-Fetch-Site": "cross-site"}, false},
		{"cross-site wins over a matching Origin", "POST", map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://auth.example.com"}, false},
		{"matching Origin", "PUT", map[string]string{"Origin": "https://auth.example.com"}, true},
		{"Origin with another scheme", "PUT", map[string]string{"Origin": "http://auth.example.com"}, false},
		{"Origin with another port", "PUT", map[string]string{"Origin": "https://auth.example.com:8443"}, false},
		{"Origin of a look-alike host", "PUT", map[string]string{"Origin": "https://auth.example.com.evil.example"}, false},
		{"opaque Origin", "POST", map[string]string{"Origin": "null"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(tt.method, "/api/auth/logout", nil)
			for k, v := range tt.headers {
				r.Header.Set(k, v)
			}
			if got := a.sameOrigin(r); got != tt.want {
				t.Errorf("sameOrigin = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestDeviceInfo(t *testing.T) {
	tests := []struct{ ua, browser, os string }{
		{"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 Edg/126.0.0.0", "Edge", "Windows"},
		{"Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15", "Safari", "macOS"},
		{"Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/126.0 Mobile/15E148 Safari/604.1", "Chrome", "iOS"},
		{"Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36", "Chrome", "Android"},
		{"Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:127.0) Gecko/20100101 Firefox/127.0", "Firefox", "Linux"},
		{"curl/8.5.0", "curl", ""},
		{"", "", ""},
	}
	for _, tt := range tests {
		info := deviceInfo(tt.ua)
		if info["browser"] != tt.browser || info["os"] != tt.os || info["user_agent"] != tt.ua {
			t.Errorf("deviceInfo(%q) = %v, want browser %q os %q", tt.ua, info, tt.browser, tt.os)
		}
	}
}

func TestHumanDuration(t *testing.T) {
	tests := map[time.Duration]string{
		30 * time.Minute: "30 minutes", time.Hour: "1 hour", 2 * time.Hour: "2 hours",
		90 * time.Minute: "90 minutes", time.Minute: "1 minute", 10 * time.Second: "10 seconds",
	}
	for d, want := range tests {
		if got := humanDuration(d); got != want {
			t.Errorf("humanDuration(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestResetLink(t *testing.T) {
	for base, want := range map[string]string{
		"https://auth.example.com":      "https://auth.example.com/api/auth/password/reset/confirm#token=abc_-1",
		"https://example.com/sso/":      "https://example.com/sso/api/auth/password/reset/confirm#token=abc_-1",
		"http://localhost:8001?x=1#top": "http://localhost:8001/api/auth/password/reset/confirm#token=abc_-1",
	} {
		u, _ := url.Parse(base)
		a := &API{PublicURL: u}
		if got := a.resetLink("abc_-1"); got != want {
			t.Errorf("resetLink with %s = %q, want %q", base, got, want)
		}
	}
}

func TestValidate(t *testing.T) {
	err := (&API{}).Validate()
	if err == nil {
		t.Fatal("an empty API validated")
	}
	for _, name := range []string{"Provider", "Users", "Sessions", "Audit", "Tokens", "Verifier", "PublicURL", "OneTime", "Mailer"} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("Validate() = %q does not name %s", err, name)
		}
	}
}
