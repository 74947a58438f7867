package gateway

import (
	"errors"
	"net/http"
	"strings"

	"github.com/authgate/authgate/httpx"
	"github.com/authgate/authgate/identity"
	"github.com/authgate/authgate/policy"
)

// Decision is the outcome of authenticate → authorize for one request.
type Decision struct {
	// Outcome is Allow, Unauthenticated or Forbidden.
	Outcome policy.Outcome
	// Rule is the index of the policy rule that decided, or
	// policy.RuleDefault.
	Rule int
	// Principal is the verified caller, nil for an anonymous request (or a
	// refused credential on a route open to anonymous callers).
	Principal *identity.Principal
	// Err is why a presented credential was refused (invalid_token,
	// token_expired, ...) or, when Failed, why it could not be checked.
	Err error
	// Failed reports that the credential could not be verified for a reason
	// other than the credential itself (verifier unavailable): the answer
	// is then Err's status (503, 500), not 401.
	Failed bool
	// Original is the request that was decided.
	Original OriginalRequest

	// undescribed: Original is the forward-auth call's own GET / (an
	// untrusted caller, or none of the forwarding headers), not a request a
	// proxy described, so there is no page to come back to after sign-in.
	undescribed bool
}

// Allowed reports whether the request may pass.
func (d *Decision) Allowed() bool { return d.Outcome == policy.Allow && !d.Failed }

// Credential returns the raw credential of r: the Bearer token of the
// Authorization header or, without one, the value of the session cookie.
func (g *Gateway) Credential(r *http.Request) string {
	if tok := httpx.BearerToken(r); tok != "" {
		return tok
	}
	return cookieValue(r.Header, g.CookieName)
}

// Decide authenticates r's credential and authorizes the original request
// with the policy in force, under its own method and under any method a
// method-override header of r names. It is the one decision both doors
// share.
//
// A refused credential is treated as no credential: on a route open to
// anonymous callers the request passes anonymously; elsewhere the answer is
// 401 carrying the refusal's code. A verifier failure (not the credential's
// fault) on a route that needs a caller fails closed with that error.
func (g *Gateway) Decide(r *http.Request, orig OriginalRequest) Decision {
	p, verr := g.authenticate(r)
	return g.decideOriginal(g.Policy.Current(), r.Header, orig, p, verr)
}

// methodOverrideHeaders are the headers through which frameworks (Symfony
// and Laravel, Rails' Rack::MethodOverride, Express method-override,
// ASP.NET Core) let a request, usually a POST, stand for another method.
var methodOverrideHeaders = [...]string{"X-Http-Method-Override", "X-Http-Method", "X-Method-Override"}

// decideOriginal decides o for p and, since the application may act on the
// method a method-override header of h names rather than on o.Method, each
// such method too, keeping the stricter decision.
func (g *Gateway) decideOriginal(pol *policy.Policy, h http.Header, o OriginalRequest, p *identity.Principal, verr error) Decision {
	d := g.decision(pol.Decide(o.Host, o.Path, o.Method, p), p, verr, o)
	for _, k := range methodOverrideHeaders {
		for _, m := range h[k] {
			if m = strings.TrimSpace(m); m == "" || strings.EqualFold(m, o.Method) {
				continue
			}
			if x := g.decision(pol.Decide(o.Host, o.Path, m, p), p, verr, o); stricter(&x, &d) {
				d = x
			}
		}
	}
	return d
}

// decideForwardAuth decides a forward-auth call: each original request the
// headers describe, keeping the stricter decision.
func (g *Gateway) decideForwardAuth(r *http.Request) Decision {
	descs, n, own := g.forwardAuthOriginals(r)
	p, verr := g.authenticate(r)
	pol := g.Policy.Current()
	if n == 0 {
		d := g.decideOriginal(pol, r.Header, own, p, verr)
		d.undescribed = true
		return d
	}
	var d Decision
	for i := range n {
		x := g.decideOriginal(pol, r.Header, descs[i], p, verr)
		if i == 0 || stricter(&x, &d) {
			d = x
		}
	}
	return d
}

func stricter(a, b *Decision) bool {
	if a.Failed != b.Failed {
		return a.Failed
	}
	return a.Outcome > b.Outcome
}

func (g *Gateway) authenticate(r *http.Request) (*identity.Principal, error) {
	raw := g.Credential(r)
	if raw == "" {
		return nil, nil
	}
	p, err := g.Verifier.Verify(r.Context(), raw)
	if err != nil {
		return nil, err
	}
	return p, nil
}

func (g *Gateway) decision(res policy.Result, p *identity.Principal, verr error, orig OriginalRequest) Decision {
	d := Decision{Outcome: res.Outcome, Rule: res.Rule, Principal: p, Original: orig}
	if verr != nil && res.Outcome == policy.Unauthenticated {
		d.Err = verr
		d.Failed = !errors.Is(verr, identity.ErrNotResponsible) && httpx.StatusOf(identity.ErrorCode(verr)) >= 500
	}
	return d
}
