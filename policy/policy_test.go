package policy_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/authgate/authgate/identity"
	"github.com/authgate/authgate/policy"
)

func mustParse(tb testing.TB, src string) *policy.Policy {
	tb.Helper()
	p, err := policy.Parse([]byte(src))
	if err != nil {
		tb.Fatalf("Parse: %v\n%s", err, src)
	}
	return p
}

var (
	anon   *identity.Principal
	user   = &identity.Principal{UID: "u1", Email: "u@example.com", Roles: []string{}}
	admin  = &identity.Principal{UID: "a1", Roles: []string{"staff", "admin"}, EmailVerified: true}
	admMFA = &identity.Principal{UID: "a2", Roles: []string{"admin"}, AMR: []string{"pwd", "otp"}}
	admMFx = &identity.Principal{UID: "a3", Roles: []string{"admin"}, AMR: []string{"mfa"}}
	verif  = &identity.Principal{UID: "v1", EmailVerified: true, Claims: map[string]any{
		"tenant": "acme", "level": float64(3), "groups": []any{"ops", "dev"}, "beta": true}}
	unverif = &identity.Principal{UID: "v2", EmailVerified: false, Claims: map[string]any{"tenant": "other", "level": float64(2), "groups": []any{"dev"}}}
)

type decideCase struct {
	name   string
	host   string
	path   string
	method string
	who    *identity.Principal
	want   policy.Outcome
	rule   int
}

func runCases(t *testing.T, p *policy.Policy, cases []decideCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			host, method := tc.host, tc.method
			if host == "" {
				host = "app.example.com"
			}
			if method == "" {
				method = "GET"
			}
			got := p.Decide(host, tc.path, method, tc.who)
			if got.Outcome != tc.want || got.Rule != tc.rule {
				t.Fatalf("Decide(%q, %q, %q) = %v rule %d, want %v rule %d", host, tc.path, method, got.Outcome, got.Rule, tc.want, tc.rule)
			}
		})
	}
}

func TestRuleKinds(t *testing.T) {
	p := mustParse(t, `
rules:
  - match: { path: "/public/**" }
    allow: anonymous
  - match: { path: "/app/**" }
    allow: authenticated
  - match: { path: "/internal/**" }
    allow: deny
  - match: { path: "/admin/**" }
    allow: { roles: [admin, root] }
  - match: { path: "/verified/**" }
    allow: { claims: { email_verified: true } }
  - match: { path: "/tenant/**" }
    allow: { claims: { tenant: acme, level: 3 } }
  - match: { path: "/ops/**" }
    allow: { claims: { groups: ops } }
  - match: { path: "/secure/**" }
    allow: { roles: [admin], mfa: true }
  - match: { path: "/beta/**" }
    allow: { claims: { beta: true } }
default: deny
`)
	runCases(t, p, []decideCase{
		{"anonymous lets anonymous in", "", "/public/x", "", anon, policy.Allow, 0},
		{"anonymous lets users in", "", "/public/x", "", user, policy.Allow, 0},
		{"anonymous root of the glob", "", "/public", "", anon, policy.Allow, 0},
		{"anonymous sibling prefix is not under it", "", "/publicity", "", anon, policy.Forbidden, policy.RuleDefault},

		{"authenticated lets a user in", "", "/app/a", "", user, policy.Allow, 1},
		{"authenticated refuses anonymous", "", "/app/a", "", anon, policy.Unauthenticated, 1},

		{"deny refuses admin", "", "/internal/x", "", admin, policy.Forbidden, 2},
		{"deny refuses anonymous", "", "/internal/x", "", anon, policy.Forbidden, 2},

		{"roles: admin in", "", "/admin/users", "", admin, policy.Allow, 3},
		{"roles: user without roles refused", "", "/admin/users", "", user, policy.Forbidden, 3},
		{"roles: anonymous must sign in", "", "/admin/users", "", anon, policy.Unauthenticated, 3},
		{"roles: any of", "", "/admin", "", &identity.Principal{UID: "r", Roles: []string{"root"}}, policy.Allow, 3},
		{"roles: case matters", "", "/admin", "", &identity.Principal{UID: "r", Roles: []string{"Admin"}}, policy.Forbidden, 3},

		{"claims: verified email in", "", "/verified/x", "", verif, policy.Allow, 4},
		{"claims: unverified refused", "", "/verified/x", "", unverif, policy.Forbidden, 4},
		{"claims: anonymous must sign in", "", "/verified/x", "", anon, policy.Unauthenticated, 4},
		{"claims: all must hold", "", "/tenant/x", "", verif, policy.Allow, 5},
		{"claims: one wrong refused", "", "/tenant/x", "", &identity.Principal{UID: "x", Claims: map[string]any{"tenant": "acme", "level": float64(2)}}, policy.Forbidden, 5},
		{"claims: missing refused", "", "/tenant/x", "", user, policy.Forbidden, 5},
		{"claims: type must match", "", "/tenant/x", "", &identity.Principal{UID: "x", Claims: map[string]any{"tenant": "acme", "level": "3"}}, policy.Forbidden, 5},
		{"claims: list contains", "", "/ops/x", "", verif, policy.Allow, 6},
		{"claims: list lacks", "", "/ops/x", "", unverif, policy.Forbidden, 6},
		{"claims: bool claim", "", "/beta", "", verif, policy.Allow, 8},
		{"claims: bool claim missing", "", "/beta", "", unverif, policy.Forbidden, 8},

		{"mfa: otp in", "", "/secure/x", "", admMFA, policy.Allow, 7},
		{"mfa: mfa amr in", "", "/secure/x", "", admMFx, policy.Allow, 7},
		{"mfa: password only refused", "", "/secure/x", "", admin, policy.Forbidden, 7},
		{"mfa: otp without role refused", "", "/secure/x", "", &identity.Principal{UID: "m", AMR: []string{"otp"}}, policy.Forbidden, 7},
		{"mfa: anonymous must sign in", "", "/secure/x", "", anon, policy.Unauthenticated, 7},

		{"default deny", "", "/elsewhere", "", admin, policy.Forbidden, policy.RuleDefault},
		{"default deny anonymous", "", "/", "", anon, policy.Forbidden, policy.RuleDefault},
	})
}

func TestDefaultAuthenticatedAndEmpty(t *testing.T) {
	for name, p := range map[string]*policy.Policy{
		"explicit": mustParse(t, "default: authenticated\n"),
		"empty":    mustParse(t, ""),
		"null":     mustParse(t, "---\n"),
		"nil":      nil,
	} {
		t.Run(name, func(t *testing.T) {
			runCases(t, p, []decideCase{
				{"user in", "", "/anything", "", user, policy.Allow, policy.RuleDefault},
				{"anonymous out", "", "/anything", "", anon, policy.Unauthenticated, policy.RuleDefault},
				{"anonymous root out", "", "/", "", anon, policy.Unauthenticated, policy.RuleDefault},
			})
		})
	}
}

func TestMethodsAndHosts(t *testing.T) {
	p := mustParse(t, `
rules:
  - match: { path: "/api/**", methods: [get, OPTIONS] }
    allow: anonymous
  - match: { host: "*.example.com", path: "/wild/**" }
    allow: anonymous
  - match: { host: "**.corp.example.org" }
    allow: anonymous
  - match: { host: "api-*.example.net" }
    allow: anonymous
  - match: { host: "exact.example.io", methods: [DELETE] }
    allow: deny
default: authenticated
`)
	runCases(t, p, []decideCase{
		{"listed method", "", "/api/x", "GET", anon, policy.Allow, 0},
		{"lower-case method normalized", "", "/api/x", "get", anon, policy.Allow, 0},
		{"HEAD follows GET", "", "/api/x", "HEAD", anon, policy.Allow, 0},
		{"other method", "", "/api/x", "POST", anon, policy.Unauthenticated, policy.RuleDefault},
		{"other method DELETE", "", "/api/x", "DELETE", anon, policy.Unauthenticated, policy.RuleDefault},

		{"host glob one label", "a.example.com", "/wild/x", "", anon, policy.Allow, 1},
		{"host glob upper-case and port", "A.Example.COM:8443", "/wild/x", "", anon, policy.Allow, 1},
		{"host glob trailing dot", "a.example.com.", "/wild/x", "", anon, policy.Allow, 1},
		{"host glob not the apex", "example.com", "/wild/x", "", anon, policy.Unauthenticated, policy.RuleDefault},
		{"host glob not two labels", "a.b.example.com", "/wild/x", "", anon, policy.Unauthenticated, policy.RuleDefault},
		{"host glob suffix trick", "evil-example.com", "/wild/x", "", anon, policy.Unauthenticated, policy.RuleDefault},
		{"host glob other domain", "a.example.com.evil.net", "/wild/x", "", anon, policy.Unauthenticated, policy.RuleDefault},
		{"host ** any depth", "a.b.corp.example.org", "/", "", anon, policy.Allow, 2},
		{"host ** apex", "corp.example.org", "/", "", anon, policy.Allow, 2},
		{"host ** wrong parent", "corp.example.org.evil", "/", "", anon, policy.Unauthenticated, policy.RuleDefault},
		{"label wildcard", "api-eu.example.net", "/", "", anon, policy.Allow, 3},
		{"label wildcard no dot crossing", "api-eu.x.example.net", "/", "", anon, policy.Unauthenticated, policy.RuleDefault},
		{"IPv6 host with port", "[::1]:8080", "/", "", user, policy.Allow, policy.RuleDefault},
		{"exact host and method", "EXACT.example.io", "/x", "delete", admin, policy.Forbidden, 4},
		{"exact host other method", "exact.example.io", "/x", "GET", admin, policy.Allow, policy.RuleDefault},
	})
}

func TestPathGlobs(t *testing.T) {
	p := mustParse(t, `
rules:
  - match: { path: "/static/*.css" }
    allow: anonymous
  - match: { path: "/users/*/avatar" }
    allow: anonymous
  - match: { path: "/docs/**/edit" }
    allow: deny
  - match: { path: "/docs/**" }
    allow: anonymous
  - match: { path: "/exact" }
    allow: anonymous
  - match: { path: "/" }
    allow: anonymous
default: authenticated
`)
	runCases(t, p, []decideCase{
		{"segment wildcard", "", "/static/site.css", "", anon, policy.Allow, 0},
		{"segment wildcard other suffix", "", "/static/site.js", "", anon, policy.Unauthenticated, policy.RuleDefault},
		{"segment wildcard one level", "", "/static/a/site.css", "", anon, policy.Unauthenticated, policy.RuleDefault},
		{"* is one segment", "", "/users/42/avatar", "", anon, policy.Allow, 1},
		{"* is not two segments", "", "/users/4/2/avatar", "", anon, policy.Unauthenticated, policy.RuleDefault},
		{"* is not zero segments", "", "/users/avatar", "", anon, policy.Unauthenticated, policy.RuleDefault},
		{"** in the middle, zero", "", "/docs/edit", "", anon, policy.Forbidden, 2},
		{"** in the middle, many", "", "/docs/a/b/c/edit", "", anon, policy.Forbidden, 2},
		{"** in the middle, no suffix", "", "/docs/a/b/c", "", anon, policy.Allow, 3},
		{"exact", "", "/exact", "", anon, policy.Allow, 4},
		{"exact trailing slash", "", "/exact/", "", anon, policy.Allow, 4},
		{"exact not prefix", "", "/exact/more", "", anon, policy.Unauthenticated, policy.RuleDefault},
		{"root", "", "/", "", anon, policy.Allow, 5},
		{"root with query", "", "/?next=/exact", "", anon, policy.Allow, 5},
		{"empty path is root", "", "", "", anon, policy.Allow, 5},
	})
}

// TestNormalizationBypasses: every spelling an upstream reads as /admin/...
// must be decided as /admin/... .
func TestNormalizationBypasses(t *testing.T) {
	const src = `
rules:
  - match: { path: "/admin/**" }
    allow: { roles: [admin] }
  - match: { path: "/public/**" }
    allow: anonymous
  - match: { path: "/**" }
    allow: anonymous
`
	p := mustParse(t, src)
	attacks := []string{
		"/admin", "/admin/", "/admin/x", "/admin/x/",
		"//admin/x", "///admin//x", "/admin/./x", "/./admin/x",
		"/admin/../admin/x", "/public/../admin/x", "/public/%2e%2e/admin/x", "/public/%2E%2E/admin",
		"/%61dmin/x", "/%61%64%6D%69%6E", "/adm%69n/", "/admin%2Fx", "/public%2F..%2Fadmin",
		"/public/..%2Fadmin/x", "/public\\..\\admin", "/x/..\\admin", "/../admin", "/../../admin/x",
		"/admin?x=/public", "/admin#/public", "admin/x", "/admin/.", "/public/./../admin",
		// Servlet path parameters: Tomcat and Jetty cut ";..." off each segment.
		"/admin;jsessionid=1/x", "/admin;/x", "/public/..;/admin/x", "/public;x/..;y/admin",
		"/public/..;%2F/admin",
	}
	for _, path := range attacks {
		if got := p.Decide("h", path, "GET", user); got.Outcome != policy.Forbidden {
			t.Errorf("user on %q: %v (rule %d), want forbidden", path, got.Outcome, got.Rule)
		}
		if got := p.Decide("h", path, "GET", anon); got.Outcome == policy.Allow {
			t.Errorf("anonymous on %q: allowed (rule %d)", path, got.Rule)
		}
		if got := p.Decide("h", path, "GET", admin); got.Outcome != policy.Allow {
			t.Errorf("admin on %q: %v, want allow", path, got.Outcome)
		}
	}
	// Look-alikes that are not /admin stay public.
	for _, path := range []string{"/administrator", "/public/admin", "/%2561dmin", "/admin..", "/public/x%2Fy", "/public/a;b", "/public;v=1/x"} {
		if got := p.Decide("h", path, "GET", anon); got.Outcome != policy.Allow {
			t.Errorf("anonymous on look-alike %q: %v, want allow", path, got.Outcome)
		}
	}
	// Case: sensitive by default, insensitive on request.
	if got := p.Decide("h", "/ADMIN/x", "GET", anon); got.Outcome != policy.Allow {
		t.Errorf("case-sensitive /ADMIN/x: %v, want allow (a different path)", got.Outcome)
	}
	ci := mustParse(t, "case_insensitive_paths: true\n"+src)
	for _, path := range []string{"/ADMIN/x", "/Admin", "/%41DMIN/", "/public/../AdMiN/x"} {
		if got := ci.Decide("h", path, "GET", user); got.Outcome != policy.Forbidden {
			t.Errorf("case-insensitive %q: %v, want forbidden", path, got.Outcome)
		}
	}
	ciUpperRule := mustParse(t, "case_insensitive_paths: true\nrules:\n  - match: {path: /Admin/**}\n    allow: deny\n")
	if got := ciUpperRule.Decide("h", "/admin/x", "GET", admin); got.Outcome != policy.Forbidden {
		t.Errorf("case-insensitive upper-case rule: %v, want forbidden", got.Outcome)
	}
}

// TestEncodedSlashBothWays: a %2F-holding path is decided as literal and as
// a separator; the stricter wins, whichever reading the rules favour.
func TestEncodedSlashBothWays(t *testing.T) {
	// The separator reading is allowed, the literal one is not: denied.
	literalStricter := mustParse(t, `
rules:
  - match: { path: "/a/b/**" }
    allow: anonymous
default: deny
`)
	if got := literalStricter.Decide("h", "/a%2Fb/c", "GET", admin); got.Outcome != policy.Forbidden {
		t.Errorf("literal reading: %v, want forbidden", got.Outcome)
	}
	if got := literalStricter.Decide("h", "/a/b/c", "GET", anon); got.Outcome != policy.Allow {
		t.Errorf("/a/b/c: %v, want allow", got.Outcome)
	}
	p := mustParse(t, `
rules:
  - match: { path: "/a/b/**" }
    allow: deny
  - match: { path: "/a/*" }
    allow: anonymous
default: authenticated
`)
	// The literal reading (/a/"a%2Fb" is one segment under /a) is allowed,
	// the separator reading (/a/b) is denied: denied.
	if got := p.Decide("h", "/a%2Fb", "GET", admin); got.Outcome != policy.Forbidden {
		t.Errorf("/a%%2Fb: %v, want forbidden (read as /a/b)", got.Outcome)
	}
	if got := p.Decide("h", "/a%2fb", "GET", admin); got.Outcome != policy.Forbidden {
		t.Errorf("/a%%2fb: %v, want forbidden", got.Outcome)
	}
	if got := p.Decide("h", "/a\\b", "GET", admin); got.Outcome != policy.Forbidden {
		t.Errorf("/a\\b: %v, want forbidden", got.Outcome)
	}
	if got := p.Decide("h", "/a/c", "GET", anon); got.Outcome != policy.Allow {
		t.Errorf("/a/c: %v, want allow", got.Outcome)
	}
}

// TestSubjectCheckNeverSkipped is Authelia's mistake: a rule whose subject
// check fails must decide, not fall through to a later, wider rule.
func TestSubjectCheckNeverSkipped(t *testing.T) {
	p := mustParse(t, `
rules:
  - match: { path: "/admin/**" }
    allow: { roles: [admin] }
  - match: { path: "/verified/**" }
    allow: { claims: { email_verified: true } }
  - match: { path: "/mfa/**" }
    allow: { mfa: true }
  - match: { path: "/app/**", methods: [GET] }
    allow: authenticated
  - match: { path: "/**" }
    allow: anonymous
`)
	runCases(t, p, []decideCase{
		{"anonymous on roles rule", "", "/admin/x", "", anon, policy.Unauthenticated, 0},
		{"user on roles rule", "", "/admin/x", "", user, policy.Forbidden, 0},
		{"anonymous on claims rule", "", "/verified/x", "", anon, policy.Unauthenticated, 1},
		{"unverified on claims rule", "", "/verified/x", "", unverif, policy.Forbidden, 1},
		{"anonymous on mfa rule", "", "/mfa/x", "", anon, policy.Unauthenticated, 2},
		{"password-only on mfa rule", "", "/mfa/x", "", user, policy.Forbidden, 2},
		{"anonymous on authenticated rule", "", "/app/x", "", anon, policy.Unauthenticated, 3},
		// A method the rule does not list is not matched by it: that is
		// a match miss (documented), not a skipped subject check.
		{"method miss falls through", "", "/app/x", "POST", anon, policy.Allow, 4},
	})
}

func TestParseErrors(t *testing.T) {
	cases := []struct {
		name, src, want string
	}{
		{"unknown top key", "rulez: []\n", "rulez: unknown key"},
		{"unknown rule key", "rules:\n  - match: {path: /a}\n    allow: deny\n    note: x\n", "rules[0].note: unknown key"},
		{"unknown match key", "rules:\n  - match: {path: /a}\n    allow: deny\n  - match: {paths: /b}\n    allow: deny\n", "rules[1].match.paths: unknown key"},
		{"unknown allow key (typo role)", "rules:\n  - match: {path: /a}\n    allow: {role: [admin]}\n", "rules[0].allow.role: unknown key"},
		{"bad allow word", "rules:\n  - match: {path: /a}\n    allow: everyone\n", "rules[0].allow: \"everyone\""},
		{"empty requirement", "rules:\n  - match: {path: /a}\n    allow: {}\n", "rules[0].allow: a requirement needs"},
		{"empty roles", "rules:\n  - match: {path: /a}\n    allow: {roles: []}\n", "rules[0].allow.roles: must be a non-empty list"},
		{"roles not list", "rules:\n  - match: {path: /a}\n    allow: {roles: admin}\n", "rules[0].allow.roles"},
		{"claim list value", "rules:\n  - match: {path: /a}\n    allow: {claims: {g: [a]}}\n", "rules[0].allow.claims.g"},
		{"mfa not bool", "rules:\n  - match: {path: /a}\n    allow: {mfa: yes please}\n", "rules[0].allow.mfa"},
		{"missing allow", "rules:\n  - match: {path: /a}\n", "rules[0].allow: missing"},
		{"missing match", "rules:\n  - allow: deny\n", "rules[0].match: missing"},
		{"empty match", "rules:\n  - match: {}\n    allow: deny\n", "rules[0].match: is empty"},
		{"relative path", "rules:\n  - match: {path: admin}\n    allow: deny\n", "rules[0].match.path"},
		{"path with query", "rules:\n  - match: {path: \"/a?b\"}\n    allow: deny\n", "rules[0].match.path"},
		{"dot segment", "rules:\n  - match: {path: /a/../b}\n    allow: deny\n", "rules[0].match.path"},
		{"partial **", "rules:\n  - match: {path: /a/b**}\n    allow: deny\n", "rules[0].match.path"},
		{"host with port", "rules:\n  - match: {host: a.com:80}\n    allow: deny\n", "rules[0].match.host"},
		{"empty methods", "rules:\n  - match: {path: /a, methods: []}\n    allow: deny\n", "rules[0].match.methods"},
		{"bad default", "default: anonymous\n", "default: \"anonymous\""},
		{"rules not list", "rules: {a: b}\n", "rules: must be a list"},
		{"duplicate key", "rules:\n  - match: {path: /a}\n    allow: deny\n    allow: anonymous\n", ""},
		{"not yaml", "rules: [\n", "policy:"},
		{"two documents", "default: deny\n---\ndefault: authenticated\n", "exactly one"},
		{"scalar root", "hello\n", "policy: must be a mapping"},
		{"ci not bool", "case_insensitive_paths: maybe\n", "case_insensitive_paths"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, err := policy.Parse([]byte(tc.src))
			if err == nil {
				t.Fatalf("Parse accepted %q: %d rules", tc.src, p.Len())
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q does not mention %q", err, tc.want)
			}
		})
	}
}

func TestNormalizePath(t *testing.T) {
	for in, want := range map[string]string{
		"":                  "/",
		"/":                 "/",
		"//":                "/",
		"/a/b/":             "/a/b",
		"/a//b":             "/a/b",
		"/a/./b/../c":       "/a/c",
		"/../..":            "/",
		"/%61":              "/a",
		"/%2561":            "/%61",
		"/a%2Fb":            "/a%2Fb",
		"/a%2fb":            "/a%2Fb",
		"/a?b=/c":           "/a",
		"/bad%zzescape%4":   "/bad%zzescape%4",
		"/sp%20ace":         "/sp ace",
		"relative/x":        "/relative/x",
		"/%2e%2e/%2e/a/%2E": "/a",
	} {
		if got := policy.NormalizePath(in); got != want {
			t.Errorf("NormalizePath(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestExamplePolicyParses keeps configs/policy.example.yaml valid.
func TestExamplePolicyParses(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "configs", "policy.example.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	p := mustParse(t, string(data))
	if p.Len() != 5 || p.Default() != policy.KindAuthenticated {
		t.Fatalf("example policy: %d rules, default %v", p.Len(), p.Default())
	}
	if got := p.Decide("app.example.com", "/admin/", "GET", admin).Outcome; got != policy.Forbidden {
		t.Fatalf("admin without MFA on /admin/: %v", got)
	}
	if got := p.Decide("app.example.com", "/admin/", "GET", admMFA).Outcome; got != policy.Allow {
		t.Fatalf("admin with MFA on /admin/: %v", got)
	}
}
