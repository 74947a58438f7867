package policy

import (
	"strings"

	"github.com/authgate/authgate/identity"
)

// Outcome is the verdict of a policy for one request.
type Outcome uint8

const (
	// Allow lets the request through.
	Allow Outcome = iota
	// Unauthenticated means the route needs a signed-in caller and there is
	// none (answer 401).
	Unauthenticated
	// Forbidden means the caller, signed in or not, may not have the route
	// (answer 403).
	Forbidden
)

// String returns "allow", "unauthenticated" or "forbidden" (metric labels).
func (o Outcome) String() string {
	switch o {
	case Allow:
		return "allow"
	case Unauthenticated:
		return "unauthenticated"
	case Forbidden:
		return "forbidden"
	}
	return "unknown"
}

// RuleDefault is Result.Rule when no rule matched and the default decided.
const RuleDefault = -1

// Result is a decision and the index of the rule that made it (RuleDefault
// for the default), for logs.
type Result struct {
	Outcome Outcome
	Rule    int
}

// Kind is what a rule (or the default) asks of the caller.
type Kind uint8

const (
	// KindAuthenticated needs any signed-in caller.
	KindAuthenticated Kind = iota
	// KindAnonymous lets anyone in.
	KindAnonymous
	// KindDeny lets nobody in.
	KindDeny
	// KindRequire needs a signed-in caller meeting the roles/claims/mfa checks.
	KindRequire
)

// String returns the YAML spelling of the kind.
func (k Kind) String() string {
	switch k {
	case KindAnonymous:
		return "anonymous"
	case KindAuthenticated:
		return "authenticated"
	case KindDeny:
		return "deny"
	case KindRequire:
		return "requirement"
	}
	return "unknown"
}

// Policy is a parsed, immutable rule set. The nil *Policy and the empty
// policy both need an authenticated caller on every route. A Policy is safe
// for concurrent use.
type Policy struct {
	rules           []rule
	def             Kind // KindAuthenticated or KindDeny
	caseInsensitive bool
}

type rule struct {
	host    *glob
	path    *glob
	methods []string // upper-case; nil = any
	kind    Kind
	roles   []string
	claims  []claimCheck
	mfa     bool
}

type claimCheck struct {
	name string
	want any // string, bool, int64 or float64
}

// Len returns the number of rules.
func (p *Policy) Len() int {
	if p == nil {
		return 0
	}
	return len(p.rules)
}

// Default returns the kind of the default (authenticated or deny).
func (p *Policy) Default() Kind {
	if p == nil {
		return KindAuthenticated
	}
	return p.def
}

// CaseInsensitivePaths reports whether paths are compared ignoring case.
func (p *Policy) CaseInsensitivePaths() bool { return p != nil && p.caseInsensitive }

// Decide matches the request against the rules (first match wins) and
// judges principal (nil = anonymous) by the matched rule or the default.
// host may carry a port; path may carry a query; both are normalized here
// (see the package documentation). Decide does not allocate for a clean
// path and a lower-case host.
func (p *Policy) Decide(host, path, method string, principal *identity.Principal) Result {
	lower := p.CaseInsensitivePaths()
	norm, ambiguous := normalizePath(path, lower)
	host = normalizeHost(host)
	method = normalizeMethod(method)
	res := p.decideNormalized(host, norm, method, principal)
	if ambiguous {
		alt := p.decideNormalized(host, normalizePathAlt(path, lower), method, principal)
		if alt.Outcome > res.Outcome {
			res = alt
		}
	}
	return res
}

func (p *Policy) decideNormalized(host, path, method string, principal *identity.Principal) Result {
	if p == nil {
		return Result{Outcome: judgeKind(KindAuthenticated, principal), Rule: RuleDefault}
	}
	for i := range p.rules {
		r := &p.rules[i]
		if r.matches(host, path, method) {
			return Result{Outcome: r.judge(principal), Rule: i}
		}
	}
	return Result{Outcome: judgeKind(p.def, principal), Rule: RuleDefault}
}

func (r *rule) matches(host, path, method string) bool {
	if r.methods != nil && !methodListed(r.methods, method) {
		return false
	}
	return r.host.match(host) && r.path.match(path)
}

func methodListed(methods []string, m string) bool {
	for _, x := range methods {
		if x == m || (m == "HEAD" && x == "GET") {
			return true
		}
	}
	return false
}

func judgeKind(k Kind, principal *identity.Principal) Outcome {
	switch k {
	case KindAnonymous:
		return Allow
	case KindDeny:
		return Forbidden
	}
	if principal == nil {
		return Unauthenticated
	}
	return Allow
}

// judge checks the principal against the rule. Every check of a
// requirement must pass; none is skipped for any kind of caller.
func (r *rule) judge(principal *identity.Principal) Outcome {
	if r.kind != KindRequire {
		return judgeKind(r.kind, principal)
	}
	if principal == nil {
		return Unauthenticated
	}
	if len(r.roles) > 0 && !hasAnyRole(principal, r.roles) {
		return Forbidden
	}
	for _, c := range r.claims {
		if !c.holds(principal) {
			return Forbidden
		}
	}
	if r.mfa && !principal.HasAMR("otp") && !principal.HasAMR("mfa") {
		return Forbidden
	}
	return Allow
}

func hasAnyRole(p *identity.Principal, roles []string) bool {
	for _, want := range roles {
		if p.HasRole(want) {
			return true
		}
	}
	return false
}

// holds reports whether the principal's claim equals the wanted value.
// email_verified, email, sub/uid, name and sid are read from the typed
// fields; any other claim from Principal.Claims, where a list-valued claim
// holds when it contains the value.
func (c claimCheck) holds(p *identity.Principal) bool {
	switch c.name {
	case "email_verified":
		b, ok := c.want.(bool)
		return ok && p.EmailVerified == b
	case "email":
		s, ok := c.want.(string)
		return ok && strings.EqualFold(p.Email, s)
	case "sub", "uid":
		s, ok := c.want.(string)
		return ok && p.UID == s
	case "name":
		s, ok := c.want.(string)
		return ok && p.Name == s
	case "sid":
		s, ok := c.want.(string)
		return ok && p.SessionID == s
	}
	got, ok := p.Claims[c.name]
	if !ok {
		return false
	}
	if list, isList := got.([]any); isList {
		for _, v := range list {
			if scalarEqual(v, c.want) {
				return true
			}
		}
		return false
	}
	if list, isList := got.([]string); isList {
		for _, v := range list {
			if scalarEqual(v, c.want) {
				return true
			}
		}
		return false
	}
	return scalarEqual(got, c.want)
}

// scalarEqual compares a claim value (as decoded from JSON or set by a
// verifier) with a value from the policy file. Numbers compare by value.
func scalarEqual(got, want any) bool {
	switch w := want.(type) {
	case string:
		g, ok := got.(string)
		return ok && g == w
	case bool:
		g, ok := got.(bool)
		return ok && g == w
	case int64:
		f, ok := toFloat(got)
		return ok && f == float64(w)
	case float64:
		f, ok := toFloat(got)
		return ok && f == w
	}
	return false
}

func toFloat(v any) (float64, bool) {
	switch n := v.(type) {
	case float64:
		return n, true
	case float32:
		return float64(n), true
	case int:
		return float64(n), true
	case int64:
		return float64(n), true
	case int32:
		return float64(n), true
	case uint64:
		return float64(n), true
	}
	return 0, false
}
