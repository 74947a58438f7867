package gateway

import (
	"context"
	"log/slog"
	"net/http"
	"net/netip"

	"github.com/authgate/authgate/httpx"
	"github.com/authgate/authgate/identity"
	"github.com/authgate/authgate/policy"
)

// Denial describes one refused request (401, 403, or a failed check).
type Denial struct {
	Door      string // DoorForwardAuth or DoorProxy
	Outcome   policy.Outcome
	Rule      int    // policy rule index, policy.RuleDefault for the default
	Code      string // problem code answered (unauthenticated, invalid_token, forbidden, ...)
	Method    string // of the original request
	Host      string
	Path      string
	UID       string // empty for an anonymous caller
	ClientIP  netip.Addr
	UserAgent string // as sent; proxies pass the client's on to forward-auth
}

// AuditHook is told about denials, e.g. to count them per user or to
// sample them into the audit log.
type AuditHook interface {
	Denied(ctx context.Context, d *Denial)
}

// AuditFunc adapts a function to AuditHook.
type AuditFunc func(ctx context.Context, d *Denial)

// Denied implements AuditHook.
func (f AuditFunc) Denied(ctx context.Context, d *Denial) { f(ctx, d) }

// reportDenial calls the audit hook and logs one denial in DenialLogSample
// at debug level. It costs nothing beyond a counter when neither is on.
func (g *Gateway) reportDenial(r *http.Request, door int, d *Decision, code string) {
	n := g.denials.Add(1)
	logIt := n%g.DenialLogSample == 1 || g.DenialLogSample == 1
	if g.Audit == nil && !(logIt && g.Log.Enabled(r.Context(), slog.LevelDebug)) {
		return
	}
	den := &Denial{
		Door: doorNames[door], Outcome: d.Outcome, Rule: d.Rule, Code: code,
		Method: d.Original.Method, Host: d.Original.Host, Path: d.Original.Path,
		ClientIP: g.Trusted.ClientIP(r), UserAgent: r.UserAgent(),
	}
	if d.Principal != nil {
		den.UID = d.Principal.UID
	}
	if g.Audit != nil {
		g.Audit.Denied(r.Context(), den)
	}
	if logIt {
		g.Log.DebugContext(r.Context(), "gateway denial (sampled)", "door", den.Door, "result", d.Outcome.String(),
			"rule", den.Rule, "code", code, "method", den.Method, "host", den.Host, "path", den.Path,
			"uid", den.UID, "client_ip", den.ClientIP, "denials_total", n)
	}
}

// denialCode returns the problem code of a refused decision.
func denialCode(d *Decision) string {
	switch {
	case d.Err != nil:
		return identity.ErrorCode(d.Err)
	case d.Outcome == policy.Forbidden:
		return identity.EFORBIDDEN
	default:
		return identity.EUNAUTHENTICATED
	}
}

// deny answers a refused decision: the verifier's error, 401 or 403. A
// browser (Accept names text/html) that needs to sign in where a sign-in
// page is configured is sent there as mode says: a 302, or a 401 carrying
// SignInURLHeader for nginx-style callers.
func (g *Gateway) deny(w http.ResponseWriter, r *http.Request, door int, d *Decision, mode signInMode) {
	code := denialCode(d)
	g.reportDenial(r, door, d, code)
	if d.Failed {
		httpx.Error(w, r, g.Log, d.Err)
		return
	}
	if d.Outcome == policy.Unauthenticated && mode != signInNone && g.signIn != nil && wantsHTML(r) {
		if mode == signInRedirect {
			g.redirectToSignIn(w, d)
			return
		}
		w.Header().Set(SignInURLHeader, g.signInLocation(d))
	}
	var err error
	switch {
	case d.Outcome == policy.Forbidden:
		err = identity.Errorf(identity.EFORBIDDEN, "You do not have access to this resource.")
	case d.Err != nil:
		err = d.Err
	default:
		err = identity.Errorf(identity.EUNAUTHENTICATED, "Sign in to access this resource.")
	}
	httpx.Error(w, r, g.Log, err)
}
