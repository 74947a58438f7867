package authapi

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/gorilla/mux"

	"github.com/authgate/authgate/identity"
)

// The admin API, under Prefix + "/admin", is for principals with the role
// identity.RoleAdmin: anyone else authenticated gets 403 forbidden, an
// anonymous request 401. The role is read from the verified principal,
// whose roles the revocation-aware verifier takes from the current profile,
// so revoking someone's admin role locks them out of these endpoints at
// once.
//
// Every change writes an audit row for the target user (uid = the target)
// whose detail names the admin ("by <admin uid>"); nothing else goes into
// the row, and never a secret.

// Admin API bounds.
const (
	// MaxRoles is the most roles one user may have.
	MaxRoles = 32
	// MaxAdminPage is the largest page of the admin list endpoints.
	MaxAdminPage = 500
	// DefaultAdminPage is the page size when limit is not given.
	DefaultAdminPage = 50

	maxQueryParam = 256
	maxUIDParam   = 128
)

// roleName is what a role may look like: lower case, starting with a
// letter, at most 64 characters.
var roleName = regexp.MustCompile(`^[a-z][a-z0-9_.:-]{0,63}$`)

// actionName is what an audit action may look like in a query.
var actionName = regexp.MustCompile(`^[a-z][a-z0-9_]{0,63}$`)

// RoleSyncer is implemented by providers that mirror roles elsewhere, such
// as the Firebase provider (the "roles" custom claim). The admin API calls
// it before storing a role change, so a failed mirror changes nothing.
type RoleSyncer interface {
	SyncRoles(ctx context.Context, uid string, roles []string) error
}

// adminRoutes mounts the admin endpoints on the API's subrouter.
func (a *API) adminRoutes(sub *mux.Router) {
	a.route(sub, "/admin/users", Methods{http.MethodGet: a.adminOnly(a.adminListUsers)})
	a.route(sub, "/admin/users/{uid}", Methods{http.MethodGet: a.adminOnly(a.adminGetUser)})
	a.route(sub, "/admin/users/{uid}/roles", Methods{http.MethodPut: a.adminOnly(a.adminSetRoles)})
	a.route(sub, "/admin/users/{uid}/disable", Methods{http.MethodPost: a.adminOnly(a.adminDisable)})
	a.route(sub, "/admin/users/{uid}/enable", Methods{http.MethodPost: a.adminOnly(a.adminEnable)})
	a.route(sub, "/admin/users/{uid}/sessions/revoke", Methods{http.MethodPost: a.adminOnly(a.adminRevokeSessions)})
	a.route(sub, "/admin/audit", Methods{http.MethodGet: a.adminOnly(a.adminAudit)})
}

// adminOnly runs h for an authenticated caller with the admin role.
func (a *API) adminOnly(h handlerFunc) http.Handler {
	return a.authenticated(func(w http.ResponseWriter, r *http.Request) error {
		if p := principalFrom(r.Context()); p == nil || !p.HasRole(identity.RoleAdmin) {
			return identity.Errorf(identity.EFORBIDDEN, "This endpoint is for administrators.")
		}
		return h(w, r)
	})
}

// adminTarget loads the user named by the {uid} path variable: 404 for an
// unknown (or absurd) uid.
func (a *API) adminTarget(r *http.Request) (*identity.User, error) {
	uid := mux.Vars(r)["uid"]
	notFound := identity.Errorf(identity.ENOTFOUND, "No such user.")
	if uid == "" || len(uid) > maxUIDParam || !utf8.ValidString(uid) {
		return nil, notFound
	}
	u, err := a.Users.FindUserByUID(r.Context(), uid)
	if identity.IsCode(err, identity.ENOTFOUND) {
		return nil, notFound
	}
	if err != nil {
		return nil, fmt.Errorf("authapi: admin: load user: %w", err)
	}
	return u, nil
}

// auditAdmin records an admin action on the target uid.
func (a *API) auditAdmin(r *http.Request, action, target, status string) {
	a.audit(r, action, target, status, "by "+principalFrom(r.Context()).UID)
}

// queryParams reads the query string of an admin request strictly: a
// parameter given twice, with control characters or too long is refused
// with validation_failed naming it.
type queryParams struct {
	values map[string][]string
	fe     fieldErrors
}

func newQueryParams(r *http.Request) *queryParams {
	return &queryParams{values: r.URL.Query(), fe: fieldErrors{}}
}

// str returns the parameter's value, "" when absent.
func (q *queryParams) str(name string, maxLen int) string {
	vs := q.values[name]
	switch {
	case len(vs) == 0:
		return ""
	case len(vs) > 1:
		q.fe.add(name, "is given more than once")
		return ""
	}
	v := vs[0]
	switch {
	case len(v) > maxLen:
		q.fe.add(name, "is too long")
		return ""
	case !utf8.ValidString(v) || strings.IndexFunc(v, unicode.IsControl) >= 0:
		q.fe.add(name, "must be text without control characters")
		return ""
	}
	return v
}

// int returns the parameter as an integer in [lo, hi], def when absent.
func (q *queryParams) int(name string, def, lo, hi int) int {
	s := q.str(name, 20)
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < lo || n > hi {
		q.fe.add(name, fmt.Sprintf("must be a whole number from %d to %d", lo, hi))
		return def
	}
	return n
}

// time returns the parameter as an RFC 3339 time, zero when absent.
func (q *queryParams) time(name string) time.Time {
	s := q.str(name, 64)
	if s == "" {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		q.fe.add(name, "must be an RFC 3339 time, e.g. 2025-01-31T12:00:00Z")
		return time.Time{}
	}
	return t
}

// match returns the parameter when it matches re, "" otherwise.
func (q *queryParams) match(name string, re *regexp.Regexp, problem string) string {
	s := q.str(name, maxQueryParam)
	if s != "" && !re.MatchString(s) {
		q.fe.add(name, problem)
		return ""
	}
	return s
}

// page reads offset and limit.
func (q *queryParams) page() (offset, limit int) {
	offset = q.int("offset", 0, 0, 1<<30)
	limit = q.int("limit", DefaultAdminPage, 1, MaxAdminPage)
	return offset, limit
}

func (q *queryParams) err() error { return q.fe.err() }
