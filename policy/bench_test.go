package policy_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/authgate/authgate/policy"
)

func benchPolicy(b *testing.B) *policy.Policy {
	var sb strings.Builder
	sb.WriteString("rules:\n")
	for i := 0; i < 18; i++ {
		fmt.Fprintf(&sb, "  - match: { host: \"svc%d.example.com\", path: \"/api/v%d/**\", methods: [GET, POST] }\n    allow: { roles: [role%d, admin] }\n", i, i, i)
	}
	sb.WriteString("  - match: { path: \"/public/**\" }\n    allow: anonymous\n")
	sb.WriteString("  - match: { path: \"/app/**\" }\n    allow: { claims: { email_verified: true } }\n")
	sb.WriteString("default: authenticated\n")
	return mustParse(b, sb.String())
}

// BenchmarkDecide: ~20 rules, the request matching the last one.
func BenchmarkDecide(b *testing.B) {
	p := benchPolicy(b)
	cases := map[string]string{
		"clean":      "/app/dashboard/settings",
		"dirty":      "/app/./dashboard//%73ettings/",
		"query":      "/app/dashboard/settings?tab=1",
		"defaulting": "/nothing/matches/here",
	}
	for name, path := range cases {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if p.Decide("app.example.com", path, "GET", verif).Outcome == policy.Forbidden {
					b.Fatal("forbidden")
				}
			}
		})
	}
}
