package httpx_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/authgate/authgate/httpx"
)

func TestClientIP(t *testing.T) {
	tests := []struct {
		name    string
		trusted string
		remote  string
		xff     []string
		xreal   string
		want    string
	}{
		{"no proxy trusted: XFF ignored", "", "203.0.113.9:5555", []string{"1.2.3.4"}, "", "203.0.113.9"},
		{"no proxy trusted: X-Real-IP ignored", "", "203.0.113.9:5555", nil, "1.2.3.4", "203.0.113.9"},
		{"untrusted peer spoofing a trusted hop", "10.0.0.0/8", "203.0.113.9:1", []string{"10.0.0.1"}, "", "203.0.113.9"},
		{"trusted proxy: rightmost untrusted hop", "10.0.0.0/8", "10.0.0.2:80", []string{"198.51.100.7"}, "", "198.51.100.7"},
		{"client-prepended spoof is skipped", "10.0.0.0/8", "10.0.0.2:80", []string{"6.6.6.6, 198.51.100.7"}, "", "198.51.100.7"},
		{"chain of trusted proxies", "10.0.0.0/8", "10.0.0.2:80", []string{"198.51.100.7, 10.0.0.5", "10.0.0.3"}, "", "198.51.100.7"},
		{"all hops trusted: leftmost", "10.0.0.0/8", "10.0.0.2:80", []string{"10.0.0.9, 10.0.0.5"}, "", "10.0.0.9"},
		{"garbled hop: peer", "10.0.0.0/8", "10.0.0.2:80", []string{"198.51.100.7, garbage"}, "", "10.0.0.2"},
		{"trusted proxy, X-Real-IP", "10.0.0.2", "10.0.0.2:80", nil, "198.51.100.8", "198.51.100.8"},
		{"IPv6 peer", "", "[2001:db8::1]:443", nil, "", "2001:db8::1"},
		{"IPv4-mapped trusted proxy", "10.0.0.0/8", "[::ffff:10.0.0.2]:80", []string{"198.51.100.7"}, "", "198.51.100.7"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tp, err := httpx.ParseTrustedProxies(tt.trusted)
			if err != nil {
				t.Fatal(err)
			}
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = tt.remote
			for _, v := range tt.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			if tt.xreal != "" {
				r.Header.Set("X-Real-Ip", tt.xreal)
			}
			if got := tp.ClientIP(r).String(); got != tt.want {
				t.Errorf("ClientIP = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestParseTrustedProxies(t *testing.T) {
	for _, bad := range []string{"10.0.0.0/33", "not-an-ip", "10.0.0.0/8,,x"} {
		if _, err := httpx.ParseTrustedProxies(bad); err == nil {
			t.Errorf("ParseTrustedProxies(%q) accepted", bad)
		}
	}
	tp, err := httpx.ParseTrustedProxies("10.0.0.0/8, 192.168.1.1 ::1")
	if err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest("GET", "/", nil)
	for remote, want := range map[string]bool{"10.1.2.3:1": true, "192.168.1.1:1": true, "192.168.1.2:1": false, "[::1]:1": true, "127.0.0.1:1": false} {
		r.RemoteAddr = remote
		if got := tp.IsTrusted(r); got != want {
			t.Errorf("IsTrusted(%s) = %v, want %v", remote, got, want)
		}
	}
	var zero httpx.TrustedProxies
	r.RemoteAddr = "127.0.0.1:1"
	if zero.IsTrusted(r) || !zero.Empty() {
		t.Error("the zero value must trust nobody")
	}
}

func TestBearerToken(t *testing.T) {
	tests := []struct{ header, want string }{
		{"Bearer abc.def.ghi", "abc.def.ghi"},
		{"bearer abc", "abc"},
		{"BEARER   abc  ", "abc"},
		{"Bearer", ""},
		{"Bearer ", ""},
		{"Basic dXNlcjpwYXNz", ""},
		{"Bearer a b", ""},
		{"Bearer a\tb", ""},
		{"Token abc", ""},
		{"Bearerabc", ""},
		{"", ""},
	}
	for _, tt := range tests {
		r := httptest.NewRequest("GET", "/", nil)
		if tt.header != "" {
			r.Header.Set("Authorization", tt.header)
		}
		if got := httpx.BearerToken(r); got != tt.want {
			t.Errorf("BearerToken(%q) = %q, want %q", tt.header, got, tt.want)
		}
	}
}

func FuzzBearer(f *testing.F) {
	for _, s := range []string{"Bearer x", "bearer  y ", "Basic z", "Bearer a b", "Bearer \x00", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, h string) {
		r := &http.Request{Header: http.Header{"Authorization": {h}}}
		tok := httpx.BearerToken(r)
		if tok == "" {
			return
		}
		for _, c := range tok {
			if c == ' ' || c == '\t' || c == '\r' || c == '\n' {
				t.Fatalf("token %q from %q contains white space", tok, h)
			}
		}
		if len(tok) >= len(h) {
			t.Fatalf("token %q not shorter than header %q", tok, h)
		}
	})
}
