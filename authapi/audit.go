package authapi

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/authgate/authgate/identity"
)

// Column bounds for audit rows and session device info.
const (
	maxUserAgent = 256
	maxDetail    = 128
)

// auditWriteTimeout bounds one audit write: it outlives a cancelled
// request, but not forever.
const auditWriteTimeout = 5 * time.Second

// audit records a security event for the request's client. detail is a
// short machine-readable reason (an error code, a session id) and must never
// be a secret. A failed write is logged at error level; the request goes on.
func (a *API) audit(r *http.Request, action, uid, status, detail string) {
	a.record(r.Context(), &identity.AuditEvent{
		UID:       uid,
		Action:    action,
		IPAddress: a.clientIP(r),
		UserAgent: truncate(r.UserAgent(), maxUserAgent),
		Status:    status,
		Detail:    truncate(detail, maxDetail),
	})
}

// auditErr records a failed event with the error's code as detail.
func (a *API) auditErr(r *http.Request, action, uid string, err error) {
	a.audit(r, action, uid, identity.StatusFailure, identity.ErrorCode(err))
}

func (a *API) record(ctx context.Context, e *identity.AuditEvent) {
	e.CreatedAt = a.now()
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), auditWriteTimeout)
	defer cancel()
	a.Log.LogAttrs(ctx, slog.LevelInfo, "audit",
		slog.String("action", e.Action), slog.String("uid", e.UID), slog.String("status", e.Status),
		slog.String("detail", e.Detail), slog.String("ip", e.IPAddress))
	if err := a.Audit.RecordAudit(ctx, e); err != nil {
		a.Log.LogAttrs(ctx, slog.LevelError, "audit write failed",
			slog.String("action", e.Action), slog.String("uid", e.UID), slog.Any("err", err))
	}
}

func (a *API) clientIP(r *http.Request) string {
	ip := a.Trusted.ClientIP(r)
	if !ip.IsValid() {
		return ""
	}
	return ip.String()
}

// truncate cuts s to at most n bytes on a rune boundary and drops invalid
// UTF-8 and control characters, so that a hostile header cannot forge log
// lines or break a column.
func truncate(s string, n int) string {
	clean := strings.Map(func(r rune) rune {
		if r == utf8.RuneError || r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, s)
	if len(clean) <= n {
		return clean
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(clean[cut]) {
		cut--
	}
	return clean[:cut]
}
