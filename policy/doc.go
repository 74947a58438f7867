// Package policy decides which requests need which caller: pure rule
// matching of (host, path, method, principal) against the YAML rules of
// AUTHGATE_POLICY_FILE, first match wins, a default at the end.
//
// # File format
//
//	case_insensitive_paths: false   # true for upstreams that ignore path case
//	rules:
//	  - match: { host: "*.example.com", path: "/public/**", methods: [GET] }
//	    allow: anonymous
//	  - match: { path: "/admin/**" }
//	    allow: { roles: [admin], mfa: true }
//	  - match: { path: "/reports/*/raw" }
//	    allow: { claims: { email_verified: true } }
//	  - match: { path: "/internal/**" }
//	    allow: deny
//	default: authenticated   # or: deny
//
// allow is one of anonymous (anyone, signed in or not), authenticated (any
// signed-in user), deny (nobody) or a requirement object: roles (the user
// needs any one of them), claims (every listed claim must equal the given
// scalar; a list-valued claim must contain it) and mfa (the token's amr
// holds "otp" or "mfa"). An object needs at least one of the three. A
// request matching a rule is decided by that rule alone: a failed subject
// check answers Forbidden (or Unauthenticated without a principal) and never
// falls through to a later rule.
//
// # Matching
//
// host: a glob over dot-separated labels, compared case-insensitively with
// the port and a trailing dot removed; "*" is exactly one label, "**" any
// number of labels (including none), and "*" inside a label matches any
// characters of that label ("api-*.example.com"). "*.example.com" does not
// match "example.com" itself; "**.example.com" does. Empty = any host.
//
// path: a glob over "/"-separated segments; "*" as a segment is exactly one
// segment, "**" any number of segments (including none), "*" inside a
// segment any characters of that segment ("/static/*.css"). "/admin/**"
// therefore matches "/admin", "/admin/" and everything below it. Empty =
// any path. Matching is case-sensitive unless case_insensitive_paths is true.
//
// methods: upper-cased method names; empty = any. A rule that lists GET also
// matches HEAD, because every upstream answers HEAD with its GET handler.
//
// # Normalization
//
// The request path is normalized the way upstreams (Go's net/http, nginx)
// will see it before any rule is matched, so that the same resource cannot
// be reached under a spelling the rules do not cover:
//   - the query and fragment are cut off;
//   - every percent-escape is decoded once ("/%61dmin" is "/admin",
//     "/%2e%2e/admin" is "/../admin"), except "%2F" (see below);
//   - "." and ".." segments are resolved (".." never climbs above "/");
//   - empty segments ("//") are dropped, so is a trailing slash;
//   - with case_insensitive_paths the path and the patterns are lower-cased.
//
// An encoded slash ("%2F") and a backslash are ambiguous: some upstreams
// treat them as a separator, others as part of a segment. A path holding
// either is decided both ways (literal and as "/") and the stricter result
// wins (Forbidden over Unauthenticated over Allow), so neither reading can
// be used to slip past a rule. A ";" (or "%3B") is decided both ways too: as
// part of the segment, and as the start of a path parameter cut off up to the
// next separator, which is how Servlet containers (Tomcat, Jetty) read
// "/admin;jsessionid=x/y" (as "/admin/y") and "/public/..;/admin" (as
// "/admin").
package policy
