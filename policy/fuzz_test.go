package policy_test

import (
	"strings"
	"testing"

	"github.com/authgate/authgate/policy"
)

const fuzzPolicy = `
rules:
  - match: { path: "/public/**", methods: [GET] }
    allow: anonymous
  - match: { path: "/admin/**" }
    allow: { roles: [admin] }
  - match: { path: "/a/b/**" }
    allow: deny
  - match: { path: "/static/*.css" }
    allow: anonymous
  - match: { path: "/u/*/x" }
    allow: anonymous
  - match: { path: "/docs/**/edit" }
    allow: deny
  - match: { path: "/docs/**" }
    allow: anonymous
default: authenticated
`

// variants returns spellings an upstream reads as the same path as p.
func variants(p string, k byte) []string {
	if !strings.HasPrefix(p, "/") {
		return nil
	}
	cut := strings.IndexAny(p, "?#")
	if cut < 0 {
		cut = len(p)
	}
	path, rest := p[:cut], p[cut:]
	var out []string
	// Insert "/.", "//" or "/zz/.." before a separator or at the end.
	var seps []int
	for i := 0; i < len(path); i++ {
		if path[i] == '/' {
			seps = append(seps, i)
		}
	}
	seps = append(seps, len(path))
	at := seps[int(k)%len(seps)]
	for _, ins := range []string{"/.", "/", "/zz/.."} {
		out = append(out, path[:at]+ins+path[at:]+rest)
	}
	out = append(out, path+"/"+rest)
	// Percent-encode one plain character (only where no escape is near).
	if !strings.ContainsAny(path, "%\\") {
		for j := 0; j < len(path); j++ {
			i := (int(k) + j) % len(path)
			if c := path[i]; c != '/' && c < 0x80 {
				out = append(out, path[:i]+"%"+strings.ToUpper(hex2(c))+path[i+1:]+rest)
				break
			}
		}
	}
	return out
}

func hex2(c byte) string {
	const digits = "0123456789abcdef"
	return string([]byte{digits[c>>4], digits[c&15]})
}

// FuzzMatch: Decide never panics, and every spelling of the same path gets
// the same decision (outcome and rule).
func FuzzMatch(f *testing.F) {
	p, err := policy.Parse([]byte(fuzzPolicy))
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{"/", "/admin/x", "/public/../admin", "/%61dmin", "/a%2Fb/c", "/a\\b", "//x//y/", "/docs/a/b/edit",
		"/static/x.css", "/u/1/x", "/public/x?y=1", "/..", "/%2e%2e/admin", "/%zz", "/a/%2F/..", ""} {
		f.Add(s, byte(0))
	}
	f.Fuzz(func(t *testing.T, path string, k byte) {
		for _, principal := range []int{0, 1, 2} {
			pr := anon
			switch principal {
			case 1:
				pr = user
			case 2:
				pr = admin
			}
			base := p.Decide("h", path, "GET", pr)
			for _, v := range variants(path, k) {
				if got := p.Decide("h", v, "GET", pr); got != base {
					t.Fatalf("Decide(%q) = %+v but Decide(%q) = %+v", path, base, v, got)
				}
			}
			if !strings.ContainsAny(path, "%\\") {
				if got := p.Decide("h", policy.NormalizePath(path), "GET", pr); got != base {
					t.Fatalf("Decide(%q) = %+v but its normal form %q gives %+v", path, base, policy.NormalizePath(path), got)
				}
			}
		}
		if n := policy.NormalizePath(path); n == "" || n[0] != '/' || (len(n) > 1 && strings.HasSuffix(n, "/")) || strings.Contains(n, "//") {
			t.Fatalf("NormalizePath(%q) = %q is not normal", path, n)
		}
	})
}
