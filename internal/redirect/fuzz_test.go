package redirect_test

import (
	"net/url"
	"strings"
	"testing"
)

// FuzzCheck: whatever Check accepts is an http(s) URL without userinfo on
// an allowed host, free of backslashes and control characters, and checking
// it again gives the same link.
func FuzzCheck(f *testing.F) {
	for _, s := range []string{"https://app.example.com/x?y#z", "/path", "//evil.com", "/\\evil.com",
		"https://app.example.com@evil.com", "javascript:alert(1)", "https://x.apps.example.com:8443/",
		"https://app.example.com%2F@evil.com", "http://[::1]:9000/", "https://auth.example.com\\@evil"} {
		f.Add(s)
	}
	p := mustPolicy(f, "https://auth.example.com", "app.example.com", "*.apps.example.com", "[::1]:9000")
	f.Fuzz(func(t *testing.T, raw string) {
		out, ok := p.Check(raw)
		if !ok {
			if out != "" {
				t.Fatalf("refused %q but returned %q", raw, out)
			}
			return
		}
		for i := 0; i < len(out); i++ {
			if c := out[i]; c <= ' ' || c == 0x7f || c == '\\' || c >= 0x80 {
				t.Fatalf("accepted %q as %q with byte %#x", raw, out, c)
			}
		}
		u, err := url.Parse(out)
		if err != nil {
			t.Fatalf("accepted %q as unparsable %q: %v", raw, out, err)
		}
		if u.Scheme != "http" && u.Scheme != "https" || u.User != nil || u.Opaque != "" {
			t.Fatalf("accepted %q as %q", raw, out)
		}
		h := strings.ToLower(u.Hostname())
		if h != "auth.example.com" && h != "app.example.com" && h != "::1" && !strings.HasSuffix(h, ".apps.example.com") {
			t.Fatalf("accepted %q on host %q", raw, h)
		}
		if strings.HasPrefix(u.EscapedPath(), "//") {
			t.Fatalf("accepted %q with path %q", raw, u.EscapedPath())
		}
		again, ok := p.Check(out)
		if !ok || again != out {
			t.Fatalf("Check(%q) = %q, %v; Check(%q) = %q", raw, out, ok, out, again)
		}
	})
}

func BenchmarkCheck(b *testing.B) {
	p := mustPolicy(b, "https://auth.example.com", "*.apps.example.com")
	for b.Loop() {
		if _, ok := p.Check("https://one.apps.example.com/dashboard?tab=1"); !ok {
			b.Fatal("refused")
		}
	}
}
