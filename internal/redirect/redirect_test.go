package redirect_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/authgate/authgate/internal/redirect"
)

func mustPolicy(tb testing.TB, base string, hosts ...string) *redirect.Policy {
	tb.Helper()
	u, err := url.Parse(base)
	if err != nil {
		tb.Fatal(err)
	}
	p, err := redirect.New(u, hosts)
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

func TestCheckAttacks(t *testing.T) {
	p := mustPolicy(t, "https://auth.example.com", "*.apps.example.com", "app.example.com", "pinned.example.com:8443", "[::1]:9000")
	tests := []struct {
		raw  string
		want string // "" = refused
	}{
		// Accepted.
		{"https://auth.example.com/", "https://auth.example.com/"},
		{"https://auth.example.com", "https://auth.example.com/"},
		{"https://AUTH.example.com:8443/x?y=1#z", "https://AUTH.example.com:8443/x?y=1#z"},
		{"http://app.example.com/a/b?c=d&e=f", "http://app.example.com/a/b?c=d&e=f"},
		{"HTTPS://app.example.com/", "https://app.example.com/"},
		{"https://one.apps.example.com/", "https://one.apps.example.com/"},
		{"https://a.b.apps.example.com/", "https://a.b.apps.example.com/"},
		{"https://pinned.example.com:8443/", "https://pinned.example.com:8443/"},
		{"http://[::1]:9000/x", "http://[::1]:9000/x"},
		{"/account?tab=security", "https://auth.example.com/account?tab=security"},
		{"/", "https://auth.example.com/"},
		{"https://app.example.com/%2F%2Fevil.com", "https://app.example.com/%2F%2Fevil.com"},
		{"https://app.example.com/path@evil.com", "https://app.example.com/path@evil.com"},

		// Other hosts and look-alikes.
		{"https://evil.com/", ""},
		{"https://app.example.com.evil.com/", ""},
		{"https://evilapp.example.com/", ""},
		{"https://apps.example.com/", ""}, // *.apps.example.com is sub-domains only
		{"https://xapps.example.com/", ""},
		{"https://pinned.example.com/", ""},
		{"https://pinned.example.com:443/", ""},
		{"http://[::1]/", ""},
		{"http://[::2]:9000/", ""},
		{"https://app.example.com./", ""},
		{"https://app..example.com/", ""},

		// Protocol-relative and backslash tricks.
		{"//evil.com", ""},
		{"//evil.com/path", ""},
		{"/\\evil.com", ""},
		{"\\\\evil.com", ""},
		{"/\\/evil.com", ""},
		{"https://app.example.com\\@evil.com", ""},
		{"https:\\\\evil.com", ""},
		{"https://app.example.com//evil.com", ""},
		{"///evil.com", ""},

		// Userinfo.
		{"https://app.example.com@evil.com/", ""},
		{"https://evil.com@app.example.com/", ""},
		{"https://user:pass@app.example.com/", ""},
		{"https://app.example.com%40evil.com/", ""},

		// Encoded tricks.
		{"https://app.example.com%2F@evil.com/", ""},
		{"https://evil%2ecom/", ""},
		{"https://%61pp.example.com/", ""},
		{"https://app.example.com%00.evil.com/", ""},
		{"%2F%2Fevil.com", ""},
		{"/%2F%2Fevil.com", "https://auth.example.com/%2F%2Fevil.com"}, // stays on our host

		// Other schemes.
		{"javascript:alert(1)", ""},
		{"JavaScript://app.example.com/%0Aalert(1)", ""},
		{"data:text/html,<script>alert(1)</script>", ""},
		{"ftp://app.example.com/", ""},
		{"https:app.example.com", ""},
		{"https:/app.example.com", ""},
		{"app.example.com/", ""},

		// Control characters, whitespace, non-ASCII.
		{"https://app.example.com/\r\nSet-Cookie: x=y", ""},
		{"java\tscript:alert(1)", ""},
		{" https://app.example.com/", ""},
		{"https://app.example.com/ x", ""},
		{"/\t/evil.com", ""},
		{"https://app.example.com\x00/", ""},
		{"https://аpp.example.com/", ""}, // Cyrillic а
		{"https://app.example.com/ü", ""},

		// Ports and empties.
		{"", ""},
		{"https://app.example.com:/", ""},
		{"https://app.example.com:99999/", ""},
		{"https://app.example.com:0/", ""},
		{"https:///", ""},
		{"https://:443/", ""},
		{"https://[app.example.com]/", ""},
		{"https://[::ffff:127.0.0.1]:9000/", ""},
		{"/" + strings.Repeat("a", redirect.MaxLength), ""},
	}
	for _, tt := range tests {
		got, ok := p.Check(tt.raw)
		if ok != (tt.want != "") || got != tt.want {
			t.Errorf("Check(%q) = %q, %v; want %q", tt.raw, got, ok, tt.want)
		}
	}
}

func TestOnlyPublicHostByDefault(t *testing.T) {
	p := mustPolicy(t, "http://127.0.0.1:8001")
	for raw, want := range map[string]bool{
		"http://127.0.0.1:8001/x":  true,
		"http://127.0.0.1:9999/x":  true, // any port of the public host
		"https://127.0.0.1/x":      true,
		"http://127.0.0.2/":        false,
		"http://localhost:8001/":   false,
		"http://2130706433:8001/":  false,
		"http://0x7f000001:8001/":  false,
		"http://127.0.0.1.nip.io/": false,
	} {
		if _, ok := p.Check(raw); ok != want {
			t.Errorf("Check(%q) ok = %v, want %v", raw, ok, want)
		}
	}
	var zero *redirect.Policy
	if _, ok := zero.Check("http://127.0.0.1:8001/"); ok {
		t.Error("nil policy accepted a link")
	}
}

func TestParseHosts(t *testing.T) {
	got, err := redirect.ParseHosts(" app.example.com, *.example.org ,,host:8080,[::1]:443")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(got, "|") != "app.example.com|*.example.org|host:8080|[::1]:443" {
		t.Errorf("ParseHosts = %q", got)
	}
	if got, err := redirect.ParseHosts(""); err != nil || len(got) != 0 {
		t.Errorf("ParseHosts(\"\") = %q, %v", got, err)
	}
	for _, bad := range []string{"*", "*.com", "**.example.com", "evil.com/", "user@host", "host:port", "host:0",
		"host:70000", "exa mple.com", "*.[::1]", "[nonsense]", "[127.0.0.1]", "example.com.", "-bad.com", "*example.com", "h%41st"} {
		if _, err := redirect.ParseHosts(bad); err == nil {
			t.Errorf("ParseHosts(%q) accepted", bad)
		}
	}
}

func TestNewRefusesBadBase(t *testing.T) {
	for _, base := range []string{"", "/relative", "ftp://x", "https://"} {
		u, _ := url.Parse(base)
		if _, err := redirect.New(u, nil); err == nil {
			t.Errorf("New(%q) accepted", base)
		}
	}
	if _, err := redirect.New(nil, nil); err == nil {
		t.Error("New(nil) accepted")
	}
	u, _ := url.Parse("https://auth.example.com")
	if _, err := redirect.New(u, []string{"*"}); err == nil {
		t.Error("New accepted the pattern *")
	}
}
