package authapi

import (
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"

	"github.com/authgate/authgate/httpx"
	"github.com/authgate/authgate/identity"
)

// userList is the answer of GET /admin/users.
type userList struct {
	Users  []*identity.User `json:"users"`
	Total  int              `json:"total"`
	Offset int              `json:"offset"`
	Limit  int              `json:"limit"`
}

// adminListUsers lists users, optionally searched by a substring of email
// or display name and filtered by role, a page at a time.
func (a *API) adminListUsers(w http.ResponseWriter, r *http.Request) error {
	q := newQueryParams(r)
	f := identity.UserFilter{
		Query: strings.TrimSpace(q.str("query", maxQueryParam)),
		Role:  q.match("role", roleName, "is not a role name"),
	}
	f.Offset, f.Limit = q.page()
	if err := q.err(); err != nil {
		return err
	}
	users, total, err := a.Users.FindUsers(r.Context(), f)
	if err != nil {
		return fmt.Errorf("authapi: admin: list users: %w", err)
	}
	if users == nil {
		users = []*identity.User{}
	}
	httpx.JSON(w, http.StatusOK, userList{Users: users, Total: total, Offset: f.Offset, Limit: f.Limit})
	return nil
}

// adminGetUser answers one user object, is_active and mfa_enabled included.
func (a *API) adminGetUser(w http.ResponseWriter, r *http.Request) error {
	u, err := a.adminTarget(r)
	if err != nil {
		return err
	}
	httpx.JSON(w, http.StatusOK, u)
	return nil
}

type setRolesRequest struct {
	Roles *[]string `json:"roles"`
}

// adminSetRoles replaces the target's roles: 200 with the updated user.
// The change takes effect at once: the user's cached principals are
// dropped, so the next request with any of their tokens carries the new
// roles (through this API and the forward-auth endpoint alike; services
// that verify the access token's own "roles" claim see it when the token is
// refreshed). An admin cannot remove their own admin role, so the last
// admin cannot lock everyone out by mistake.
func (a *API) adminSetRoles(w http.ResponseWriter, r *http.Request) error {
	var req setRolesRequest
	if err := decode(r, &req, false); err != nil {
		return err
	}
	fe := fieldErrors{}
	var roles []string
	if req.Roles == nil {
		fe.add("roles", "is required")
	} else {
		roles = checkRoles(fe, "roles", *req.Roles)
	}
	if err := fe.err(); err != nil {
		return err
	}
	target, err := a.adminTarget(r)
	if err != nil {
		return err
	}
	admin := principalFrom(r.Context())
	if target.UID == admin.UID && !slices.Contains(roles, identity.RoleAdmin) {
		a.auditAdmin(r, identity.ActionAdminSetRoles, target.UID, identity.StatusFailure)
		return &identity.Error{Code: identity.EINVALID, Message: "You cannot remove your own admin role.",
			Fields: map[string]string{"roles": "must keep " + identity.RoleAdmin + " for your own account"}}
	}
	ctx := r.Context()
	if rs, ok := a.Provider.(RoleSyncer); ok {
		if err := rs.SyncRoles(ctx, target.UID, roles); err != nil {
			a.auditAdmin(r, identity.ActionAdminSetRoles, target.UID, identity.StatusFailure)
			return fmt.Errorf("authapi: admin: mirror roles to %s: %w", a.Provider.Name(), err)
		}
	}
	u, err := a.Users.UpdateUser(ctx, target.UID, identity.UserUpdate{Roles: &roles})
	if err != nil {
		return fmt.Errorf("authapi: admin: set roles: %w", err)
	}
	a.invalidateUser(ctx, u.UID)
	a.Log.LogAttrs(ctx, slog.LevelInfo, "admin set roles",
		slog.String("admin_uid", admin.UID), slog.String("uid", u.UID),
		slog.Any("old_roles", target.Roles), slog.Any("roles", roles))
	a.auditAdmin(r, identity.ActionAdminSetRoles, u.UID, identity.StatusSuccess)
	httpx.JSON(w, http.StatusOK, u)
	return nil
}

// checkRoles validates a role list and returns it sorted without
// duplicates (never nil).
func checkRoles(fe fieldErrors, field string, in []string) []string {
	if len(in) > MaxRoles {
		fe.add(field, fmt.Sprintf("must have at most %d roles", MaxRoles))
		return nil
	}
	out := make([]string, 0, len(in))
	for _, role := range in {
		if !roleName.MatchString(role) {
			fe.add(field, "each role must match "+roleName.String())
			return nil
		}
		out = append(out, role)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// adminDisable sets is_active to false: 200 with the user. Every session of
// the user is revoked and every cache told, so their access tokens, refresh
// tokens and cookies are refused from the next request on. An admin cannot
// disable their own account.
func (a *API) adminDisable(w http.ResponseWriter, r *http.Request) error {
	return a.adminSetActive(w, r, false)
}

// adminEnable sets is_active to true: 200 with the user. Sessions revoked
// when the user was disabled stay revoked; the user signs in again.
func (a *API) adminEnable(w http.ResponseWriter, r *http.Request) error {
	return a.adminSetActive(w, r, true)
}

func (a *API) adminSetActive(w http.ResponseWriter, r *http.Request, active bool) error {
	action := identity.ActionAdminEnable
	if !active {
		action = identity.ActionAdminDisable
	}
	target, err := a.adminTarget(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	if !active && target.UID == principalFrom(ctx).UID {
		a.auditAdmin(r, action, target.UID, identity.StatusFailure)
		return identity.Errorf(identity.ECONFLICT, "You cannot disable your own account.")
	}
	u, err := a.Users.UpdateUser(ctx, target.UID, identity.UserUpdate{IsActive: &active})
	if err != nil {
		return fmt.Errorf("authapi: admin: set is_active: %w", err)
	}
	// The user is invalidated first: from here on every cached principal is
	// reloaded and refused as disabled, even before the sessions are gone.
	a.invalidateUser(ctx, u.UID)
	if !active {
		if err := a.revokeAll(ctx, u.UID, ""); err != nil {
			return err
		}
	}
	a.auditAdmin(r, action, u.UID, identity.StatusSuccess)
	httpx.JSON(w, http.StatusOK, u)
	return nil
}

// revokedSessions is the answer of POST /admin/users/{uid}/sessions/revoke.
type revokedSessions struct {
	Revoked int `json:"revoked"`
}

// adminRevokeSessions revokes every session of the target (signs them out
// everywhere): 200 {revoked: n}. Their access tokens are refused at once.
func (a *API) adminRevokeSessions(w http.ResponseWriter, r *http.Request) error {
	target, err := a.adminTarget(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	ids, err := a.Sessions.RevokeUserSessions(ctx, target.UID, "", a.now())
	if err != nil {
		return fmt.Errorf("authapi: admin: revoke sessions: %w", err)
	}
	for _, id := range ids {
		a.invalidateSession(ctx, id)
	}
	a.auditAdmin(r, identity.ActionAdminRevokeSessions, target.UID, identity.StatusSuccess)
	httpx.JSON(w, http.StatusOK, revokedSessions{Revoked: len(ids)})
	return nil
}
