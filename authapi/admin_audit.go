package authapi

import (
	"fmt"
	"net/http"

	"github.com/authgate/authgate/httpx"
	"github.com/authgate/authgate/identity"
)

// auditList is the answer of GET /admin/audit.
type auditList struct {
	Events []*identity.AuditEvent `json:"events"`
	Total  int                    `json:"total"`
	Offset int                    `json:"offset"`
	Limit  int                    `json:"limit"`
}

// adminAudit queries the audit log, newest first: by uid (the user an event
// is about), action, and a time range [since, until) in RFC 3339.
func (a *API) adminAudit(w http.ResponseWriter, r *http.Request) error {
	q := newQueryParams(r)
	f := identity.AuditFilter{
		UID:    q.str("uid", maxUIDParam),
		Action: q.match("action", actionName, "is not an action name"),
		Since:  q.time("since"),
		Until:  q.time("until"),
	}
	f.Offset, f.Limit = q.page()
	if !f.Since.IsZero() && !f.Until.IsZero() && !f.Since.Before(f.Until) {
		q.fe.add("until", "must be after since")
	}
	if err := q.err(); err != nil {
		return err
	}
	events, total, err := a.Audit.FindAuditEvents(r.Context(), f)
	if err != nil {
		return fmt.Errorf("authapi: admin: query audit log: %w", err)
	}
	if events == nil {
		events = []*identity.AuditEvent{}
	}
	httpx.JSON(w, http.StatusOK, auditList{Events: events, Total: total, Offset: f.Offset, Limit: f.Limit})
	return nil
}
