package authapi_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/authgate/authgate/gateway"
	"github.com/authgate/authgate/identity"
	"github.com/authgate/authgate/policy"
)

const adminPassword = "the admin's long password"

// adminUser registers an account, gives it the admin role in the store and
// signs it in.
func (s *testServer) adminUser(t testing.TB, email string) tokensJSON {
	t.Helper()
	reg := s.register(t, email, adminPassword)
	roles := []string{identity.RoleAdmin}
	if _, err := s.db.UpdateUser(t.Context(), reg.User.UID, identity.UserUpdate{Roles: &roles}); err != nil {
		t.Fatal(err)
	}
	s.api.Invalidator.InvalidateUser(t.Context(), reg.User.UID)
	return s.login(t, email, adminPassword)
}

type userListJSON struct {
	Users  []userJSON `json:"users"`
	Total  int        `json:"total"`
	Offset int        `json:"offset"`
	Limit  int        `json:"limit"`
}

type auditEventJSON struct {
	UID       string    `json:"uid"`
	Action    string    `json:"action"`
	IPAddress string    `json:"ip_address"`
	UserAgent string    `json:"user_agent"`
	Status    string    `json:"status"`
	Detail    string    `json:"detail"`
	CreatedAt time.Time `json:"created_at"`
}

type auditListJSON struct {
	Events []auditEventJSON `json:"events"`
	Total  int              `json:"total"`
	Offset int              `json:"offset"`
	Limit  int              `json:"limit"`
}

// adminAudit queries GET /admin/audit.
func (s *testServer) adminAudit(t testing.TB, token string, q url.Values) auditListJSON {
	t.Helper()
	var out auditListJSON
	s.do(t, "GET", "/api/auth/admin/audit?"+q.Encode(), nil, bearer(token)).json(t, http.StatusOK, &out)
	return out
}

// wantAdminRow fails unless the audit API shows a successful action on
// target by admin, with the client's ip and user agent.
func (s *testServer) wantAdminRow(t testing.TB, token, action, target, admin string) {
	t.Helper()
	got := s.adminAudit(t, token, url.Values{"uid": {target}, "action": {action}})
	for _, e := range got.Events {
		if e.Status == identity.StatusSuccess && e.Detail == "by "+admin {
			if e.IPAddress == "" || e.UserAgent == "" || e.CreatedAt.IsZero() {
				t.Errorf("admin row lacks ip, user agent or time: %+v", e)
			}
			return
		}
	}
	t.Errorf("no %s row for %s by %s in %+v", action, target, admin, got.Events)
}

var adminEndpoints = []struct{ method, path string }{
	{"GET", "/api/auth/admin/users"},
	{"GET", "/api/auth/admin/users/UID"},
	{"PUT", "/api/auth/admin/users/UID/roles"},
	{"POST", "/api/auth/admin/users/UID/disable"},
	{"POST", "/api/auth/admin/users/UID/enable"},
	{"POST", "/api/auth/admin/users/UID/sessions/revoke"},
	{"GET", "/api/auth/admin/audit"},
}

func TestAdminRefusedToOthers(t *testing.T) {
	s := newTestServer(t)
	user := s.register(t, "plain@example.com", "a fine long password")
	editor := s.register(t, "editor@example.com", "a fine long password")
	roles := []string{"editor", "admins", "Admin"}
	if _, err := s.db.UpdateUser(t.Context(), editor.User.UID, identity.UserUpdate{Roles: &roles}); err != nil {
		t.Fatal(err)
	}
	editorLogin := s.login(t, "editor@example.com", "a fine long password")
	body := map[string]any{"roles": []string{identity.RoleAdmin}}
	for _, ep := range adminEndpoints {
		path := strings.Replace(ep.path, "UID", user.User.UID, 1)
		t.Run(ep.method+" "+ep.path, func(t *testing.T) {
			var b any
			if ep.method == "PUT" {
				b = body
			}
			s.do(t, ep.method, path, b).wantProblem(t, http.StatusUnauthorized, identity.EUNAUTHENTICATED)
			s.do(t, ep.method, path, b, bearer("not-a-token")).wantProblem(t, http.StatusUnauthorized, identity.EINVALIDTOKEN)
			s.do(t, ep.method, path, b, bearer(user.AccessToken)).wantProblem(t, http.StatusForbidden, identity.EFORBIDDEN)
			// Roles that merely look like admin are not admin.
			s.do(t, ep.method, path, b, bearer(editorLogin.AccessToken)).wantProblem(t, http.StatusForbidden, identity.EFORBIDDEN)
		})
	}
	// Nothing changed: no roles granted, nobody disabled.
	u, err := s.db.FindUserByUID(t.Context(), user.User.UID)
	if err != nil || len(u.Roles) != 0 || !u.IsActive {
		t.Errorf("user after refused admin calls = %+v, %v", u, err)
	}
}

func TestAdminListUsers(t *testing.T) {
	s := newTestServer(t)
	admin := s.adminUser(t, "root@example.com")
	for i := range 6 {
		reg := s.register(t, fmt.Sprintf("member%d@corp.example", i), "a fine long password")
		if i%2 == 0 {
			roles := []string{"staff"}
			if _, err := s.db.UpdateUser(t.Context(), reg.User.UID, identity.UserUpdate{Roles: &roles}); err != nil {
				t.Fatal(err)
			}
		}
	}
	list := func(q string) userListJSON {
		t.Helper()
		var out userListJSON
		s.do(t, "GET", "/api/auth/admin/users?"+q, nil, bearer(admin.AccessToken)).json(t, http.StatusOK, &out)
		return out
	}
	if all := list(""); all.Total != 7 || len(all.Users) != 7 || all.Limit != 50 || all.Offset != 0 {
		t.Errorf("all users: total %d, %d users, limit %d", all.Total, len(all.Users), all.Limit)
	}
	p1, p2 := list("query=CORP&limit=4"), list("query=corp&limit=4&offset=4")
	if p1.Total != 6 || p2.Total != 6 || len(p1.Users) != 4 || len(p2.Users) != 2 {
		t.Fatalf("pages: %d+%d users of %d/%d", len(p1.Users), len(p2.Users), p1.Total, p2.Total)
	}
	seen := map[string]bool{}
	for _, u := range append(p1.Users, p2.Users...) {
		if seen[u.UID] || !strings.HasSuffix(u.Email, "@corp.example") {
			t.Errorf("page entry %+v repeated or off the query", u)
		}
		seen[u.UID] = true
	}
	staff := list("role=staff")
	if staff.Total != 3 {
		t.Errorf("role=staff: total %d, want 3", staff.Total)
	}
	for _, u := range staff.Users {
		if !slices.Contains(u.Roles, "staff") {
			t.Errorf("role=staff lists %+v", u)
		}
	}
	if l := list("limit=500"); l.Limit != 500 {
		t.Errorf("limit=500 answered limit %d", l.Limit)
	}

	for _, tc := range []struct{ query, field string }{
		{"limit=501", "limit"},
		{"limit=0", "limit"},
		{"limit=ten", "limit"},
		{"offset=-1", "offset"},
		{"offset=1e3", "offset"},
		{"role=Not%20A%20Role", "role"},
		{"query=a&query=b", "query"},
		{"query=" + strings.Repeat("x", 300), "query"},
		{"query=%00", "query"},
		{"query=%ff", "query"},
	} {
		p := s.do(t, "GET", "/api/auth/admin/users?"+tc.query, nil, bearer(admin.AccessToken)).wantProblem(t, http.StatusBadRequest, identity.EINVALID)
		if _, ok := p.Fields[tc.field]; !ok {
			t.Errorf("%s: fields %v do not name %q", tc.query, p.Fields, tc.field)
		}
	}

	var one userJSON
	s.do(t, "GET", "/api/auth/admin/users/"+p1.Users[0].UID, nil, bearer(admin.AccessToken)).json(t, http.StatusOK, &one)
	if one.UID != p1.Users[0].UID || one.Email != p1.Users[0].Email {
		t.Errorf("GET user = %+v", one)
	}
	s.do(t, "GET", "/api/auth/admin/users/no-such-uid", nil, bearer(admin.AccessToken)).wantProblem(t, http.StatusNotFound, identity.ENOTFOUND)
	s.do(t, "GET", "/api/auth/admin/users/"+strings.Repeat("u", 200), nil, bearer(admin.AccessToken)).wantProblem(t, http.StatusNotFound, identity.ENOTFOUND)
	s.do(t, "DELETE", "/api/auth/admin/users/"+one.UID, nil, bearer(admin.AccessToken)).wantProblem(t, http.StatusMethodNotAllowed, identity.EMETHODNOTALLOWED)
}

// syncingProvider is the local provider with a SyncRoles method, like the
// Firebase provider's custom-claim mirror.
type syncingProvider struct {
	identity.Provider
	mu    sync.Mutex
	calls map[string][]string
	fail  error
}

func (p *syncingProvider) SyncRoles(_ context.Context, uid string, roles []string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.fail != nil {
		return p.fail
	}
	p.calls[uid] = slices.Clone(roles)
	return nil
}

func TestAdminSetRoles(t *testing.T) {
	mirror := &syncingProvider{calls: map[string][]string{}}
	s := newTestServer(t, func(c *testConfig) {
		mirror.Provider = c.api.Provider
		c.api.Provider = mirror
	})
	admin := s.adminUser(t, "root@example.com")
	adminUID := jwtClaims(t, admin.AccessToken)["sub"].(string)
	target := s.register(t, "target@example.com", "a fine long password")

	setRoles := func(token, uid string, roles any) *response {
		return s.do(t, "PUT", "/api/auth/admin/users/"+uid+"/roles", map[string]any{"roles": roles}, bearer(token))
	}
	var u userJSON
	setRoles(admin.AccessToken, target.User.UID, []string{"editor", "billing:read", "editor"}).json(t, http.StatusOK, &u)
	if !slices.Equal(u.Roles, []string{"billing:read", "editor"}) {
		t.Errorf("roles = %v, want sorted without duplicates", u.Roles)
	}
	// At once on the target's existing token.
	var prof userJSON
	s.do(t, "GET", "/api/auth/profile", nil, bearer(target.AccessToken)).json(t, http.StatusOK, &prof)
	if !slices.Equal(prof.Roles, []string{"billing:read", "editor"}) {
		t.Errorf("profile roles on the old token = %v", prof.Roles)
	}
	if got := mirror.calls[target.User.UID]; !slices.Equal(got, []string{"billing:read", "editor"}) {
		t.Errorf("mirrored roles = %v", got)
	}
	s.wantAdminRow(t, admin.AccessToken, identity.ActionAdminSetRoles, target.User.UID, adminUID)

	// Granting admin works at once too, and revoking it as well.
	setRoles(admin.AccessToken, target.User.UID, []string{identity.RoleAdmin}).wantStatus(t, http.StatusOK)
	s.do(t, "GET", "/api/auth/admin/users", nil, bearer(target.AccessToken)).wantStatus(t, http.StatusOK)
	setRoles(admin.AccessToken, target.User.UID, []string{}).wantStatus(t, http.StatusOK)
	s.do(t, "GET", "/api/auth/admin/users", nil, bearer(target.AccessToken)).wantProblem(t, http.StatusForbidden, identity.EFORBIDDEN)

	tooMany := make([]string, 33)
	for i := range tooMany {
		tooMany[i] = fmt.Sprintf("role%d", i)
	}
	for name, roles := range map[string]any{
		"upper case":  []string{"Editor"},
		"empty":       []string{""},
		"space":       []string{"ed itor"},
		"leading dig": []string{"1role"},
		"too long":    []string{"r" + strings.Repeat("x", 64)},
		"33 roles":    tooMany,
		"null":        nil,
		"not strings": []int{1},
	} {
		res := setRoles(admin.AccessToken, target.User.UID, roles)
		if res.Status != http.StatusBadRequest {
			t.Errorf("%s: status %d, want 400; %s", name, res.Status, res.Body)
		}
	}
	s.do(t, "PUT", "/api/auth/admin/users/"+target.User.UID+"/roles", map[string]any{"roles": []string{}, "admin": true}, bearer(admin.AccessToken)).
		wantProblem(t, http.StatusBadRequest, identity.EINVALID)
	setRoles(admin.AccessToken, "no-such-uid", []string{"x"}).wantProblem(t, http.StatusNotFound, identity.ENOTFOUND)

	// An admin cannot drop their own admin role (the last admin would be
	// locked out), but may change their other roles.
	p := setRoles(admin.AccessToken, adminUID, []string{"editor"}).wantProblem(t, http.StatusBadRequest, identity.EINVALID)
	if _, ok := p.Fields["roles"]; !ok {
		t.Errorf("fields %v do not name roles", p.Fields)
	}
	setRoles(admin.AccessToken, adminUID, []string{"admin", "editor"}).wantStatus(t, http.StatusOK)

	// A failing mirror changes nothing.
	mirror.mu.Lock()
	mirror.fail = identity.Errorf(identity.EUNAVAILABLE, "Firebase is unavailable.")
	mirror.mu.Unlock()
	setRoles(admin.AccessToken, target.User.UID, []string{"late"}).wantProblem(t, http.StatusServiceUnavailable, identity.EUNAVAILABLE)
	if cur, _ := s.db.FindUserByUID(t.Context(), target.User.UID); slices.Contains(cur.Roles, "late") {
		t.Errorf("roles changed although the mirror failed: %v", cur.Roles)
	}
	if got := s.adminAudit(t, admin.AccessToken, url.Values{"uid": {target.User.UID}, "action": {identity.ActionAdminSetRoles}}); got.Total != 4 {
		t.Errorf("%d admin_set_roles rows for the target, want 4 (3 successes, 1 failure)", got.Total)
	}
}

// forwardAuth serves the gateway's forward-auth endpoint on the test
// server's verifier: the default policy needs an authenticated user.
func (s *testServer) forwardAuth(t testing.TB) *httptest.Server {
	t.Helper()
	g := &gateway.Gateway{Verifier: s.api.Verifier, Policy: policy.Static{}, Registerer: prometheus.NewRegistry()}
	if err := g.Provision(); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(g.ServeForwardAuth))
	t.Cleanup(srv.Close)
	return srv
}

func forwardAuthStatus(t testing.TB, srv *httptest.Server, token string) int {
	t.Helper()
	req, _ := http.NewRequest("GET", srv.URL+"/", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

func TestAdminDisableEnable(t *testing.T) {
	s := newTestServer(t)
	fa := s.forwardAuth(t)
	admin := s.adminUser(t, "root@example.com")
	adminUID := jwtClaims(t, admin.AccessToken)["sub"].(string)
	target := s.register(t, "target@example.com", "a fine long password")
	second := s.login(t, "target@example.com", "a fine long password")

	// Warm every cache: the refusal below must not wait for an expiry.
	s.do(t, "GET", "/api/auth/profile", nil, bearer(target.AccessToken)).wantStatus(t, http.StatusOK)
	if st := forwardAuthStatus(t, fa, second.AccessToken); st != http.StatusOK {
		t.Fatalf("forward-auth before disable = %d", st)
	}

	var u struct {
		userJSON
		IsActive bool `json:"is_active"`
	}
	s.do(t, "POST", "/api/auth/admin/users/"+target.User.UID+"/disable", nil, bearer(admin.AccessToken)).json(t, http.StatusOK, &u)
	if u.IsActive {
		t.Error("disable answered is_active true")
	}
	// Every credential of the user is refused at once.
	s.do(t, "GET", "/api/auth/profile", nil, bearer(target.AccessToken)).wantProblem(t, http.StatusUnauthorized, identity.EINVALIDTOKEN)
	if st := forwardAuthStatus(t, fa, second.AccessToken); st != http.StatusUnauthorized {
		t.Errorf("forward-auth after disable = %d, want 401", st)
	}
	s.do(t, "POST", "/api/auth/refresh", map[string]any{"refresh_token": second.RefreshToken}).wantProblem(t, http.StatusUnauthorized, identity.EINVALIDTOKEN)
	s.do(t, "POST", "/api/auth/login", loginBody("target@example.com", "a fine long password")).wantProblem(t, http.StatusForbidden, identity.EUSERDISABLED)
	s.wantAdminRow(t, admin.AccessToken, identity.ActionAdminDisable, target.User.UID, adminUID)

	// Self-disable is refused.
	s.do(t, "POST", "/api/auth/admin/users/"+adminUID+"/disable", nil, bearer(admin.AccessToken)).wantProblem(t, http.StatusConflict, identity.ECONFLICT)
	s.do(t, "POST", "/api/auth/admin/users/nobody/disable", nil, bearer(admin.AccessToken)).wantProblem(t, http.StatusNotFound, identity.ENOTFOUND)

	s.do(t, "POST", "/api/auth/admin/users/"+target.User.UID+"/enable", nil, bearer(admin.AccessToken)).json(t, http.StatusOK, &u)
	if !u.IsActive {
		t.Error("enable answered is_active false")
	}
	again := s.login(t, "target@example.com", "a fine long password")
	if st := forwardAuthStatus(t, fa, again.AccessToken); st != http.StatusOK {
		t.Errorf("forward-auth after enable = %d", st)
	}
	// Revoked sessions stay revoked.
	s.do(t, "GET", "/api/auth/profile", nil, bearer(target.AccessToken)).wantStatus(t, http.StatusUnauthorized)
	s.wantAdminRow(t, admin.AccessToken, identity.ActionAdminEnable, target.User.UID, adminUID)
}

func TestAdminDisableWithoutSessionCheck(t *testing.T) {
	// A principal without a session (a Firebase ID token) is refused through
	// the profile check once the user is disabled.
	s := newTestServer(t)
	admin := s.adminUser(t, "root@example.com")
	fb := "firebase:fb-user-1:fb@example.com"
	s.do(t, "GET", "/api/auth/profile", nil, bearer(fb)).wantStatus(t, http.StatusOK)
	s.do(t, "POST", "/api/auth/admin/users/fb-user-1/disable", nil, bearer(admin.AccessToken)).wantStatus(t, http.StatusOK)
	s.do(t, "GET", "/api/auth/profile", nil, bearer(fb)).wantProblem(t, http.StatusForbidden, identity.EUSERDISABLED)
}

func TestAdminRevokeSessions(t *testing.T) {
	s := newTestServer(t)
	admin := s.adminUser(t, "root@example.com")
	adminUID := jwtClaims(t, admin.AccessToken)["sub"].(string)
	target := s.register(t, "target@example.com", "a fine long password")
	other := s.login(t, "target@example.com", "a fine long password")
	s.do(t, "GET", "/api/auth/profile", nil, bearer(other.AccessToken)).wantStatus(t, http.StatusOK)

	var out struct {
		Revoked int `json:"revoked"`
	}
	s.do(t, "POST", "/api/auth/admin/users/"+target.User.UID+"/sessions/revoke", nil, bearer(admin.AccessToken)).json(t, http.StatusOK, &out)
	if out.Revoked != 2 {
		t.Errorf("revoked = %d, want 2", out.Revoked)
	}
	for _, tok := range []string{target.AccessToken, other.AccessToken} {
		s.do(t, "GET", "/api/auth/profile", nil, bearer(tok)).wantProblem(t, http.StatusUnauthorized, identity.EINVALIDTOKEN)
	}
	s.do(t, "POST", "/api/auth/refresh", map[string]any{"refresh_token": other.RefreshToken}).wantProblem(t, http.StatusUnauthorized, identity.EINVALIDTOKEN)
	// The user is not disabled: a new sign-in works.
	s.login(t, "target@example.com", "a fine long password")
	// The admin's own session is untouched.
	s.do(t, "GET", "/api/auth/admin/users", nil, bearer(admin.AccessToken)).wantStatus(t, http.StatusOK)
	s.wantAdminRow(t, admin.AccessToken, identity.ActionAdminRevokeSessions, target.User.UID, adminUID)
}

func TestAdminAuditQuery(t *testing.T) {
	s := newTestServer(t)
	admin := s.adminUser(t, "root@example.com")
	target := s.register(t, "target@example.com", "a fine long password")
	start := s.clock.Now()
	s.clock.Advance(time.Minute)
	s.do(t, "POST", "/api/auth/admin/users/"+target.User.UID+"/sessions/revoke", nil, bearer(admin.AccessToken)).wantStatus(t, http.StatusOK)
	s.clock.Advance(time.Minute)
	mid := s.clock.Now()
	s.clock.Advance(time.Minute)
	s.do(t, "POST", "/api/auth/admin/users/"+target.User.UID+"/disable", nil, bearer(admin.AccessToken)).wantStatus(t, http.StatusOK)

	all := s.adminAudit(t, admin.AccessToken, url.Values{"uid": {target.User.UID}})
	if all.Total < 3 { // register, revoke sessions, disable
		t.Fatalf("audit for the target: %+v", all)
	}
	for i := 1; i < len(all.Events); i++ {
		if all.Events[i].CreatedAt.After(all.Events[i-1].CreatedAt) {
			t.Errorf("events not newest first: %v after %v", all.Events[i].CreatedAt, all.Events[i-1].CreatedAt)
		}
	}
	for _, e := range all.Events {
		if e.UID != target.User.UID {
			t.Errorf("uid filter let through %+v", e)
		}
	}
	rfc := func(t time.Time) string { return t.Format(time.RFC3339) }
	window := s.adminAudit(t, admin.AccessToken, url.Values{"uid": {target.User.UID}, "since": {rfc(start.Add(time.Second))}, "until": {rfc(mid)}})
	if window.Total != 1 || window.Events[0].Action != identity.ActionAdminRevokeSessions {
		t.Errorf("since/until window: %+v", window)
	}
	later := s.adminAudit(t, admin.AccessToken, url.Values{"since": {rfc(mid)}, "action": {identity.ActionAdminDisable}})
	if later.Total != 1 || later.Events[0].UID != target.User.UID {
		t.Errorf("since + action: %+v", later)
	}
	paged := s.adminAudit(t, admin.AccessToken, url.Values{"limit": {"1"}, "offset": {"1"}})
	if len(paged.Events) != 1 || paged.Total < 3 || paged.Limit != 1 || paged.Offset != 1 {
		t.Errorf("paging: %+v", paged)
	}

	for _, tc := range []struct{ query, field string }{
		{"since=yesterday", "since"},
		{"until=2025-13-01T00:00:00Z", "until"},
		{"since=2025-02-01T00:00:00Z&until=2025-01-01T00:00:00Z", "until"},
		{"action=DROP%20TABLE", "action"},
		{"uid=" + strings.Repeat("u", 129), "uid"},
		{"limit=1000", "limit"},
		{"offset=x", "offset"},
		{"action=login&action=logout", "action"},
	} {
		p := s.do(t, "GET", "/api/auth/admin/audit?"+tc.query, nil, bearer(admin.AccessToken)).wantProblem(t, http.StatusBadRequest, identity.EINVALID)
		if _, ok := p.Fields[tc.field]; !ok {
			t.Errorf("%s: fields %v do not name %q", tc.query, p.Fields, tc.field)
		}
	}
}
