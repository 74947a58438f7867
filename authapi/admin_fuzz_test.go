package authapi

import (
	"net/http/httptest"
	"testing"
	"unicode/utf8"
)

// FuzzAdminQuery feeds arbitrary query strings to the admin API's query
// parsing: it never panics, and whatever it accepts is within bounds.
func FuzzAdminQuery(f *testing.F) {
	for _, seed := range []string{
		"", "limit=10&offset=20", "limit=501", "offset=-1", "role=admin", "role=Admin",
		"query=%00", "query=%ff%fe", "since=2025-01-01T00:00:00Z&until=2024-01-01T00:00:00Z",
		"action=login&action=logout", "uid=" + "u%2Fv", "limit=9999999999999999999999",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		r := httptest.NewRequest("GET", "/api/auth/admin/audit", nil)
		r.URL.RawQuery = raw
		q := newQueryParams(r)
		query := q.str("query", maxQueryParam)
		uid := q.str("uid", maxUIDParam)
		role := q.match("role", roleName, "is not a role name")
		action := q.match("action", actionName, "is not an action name")
		since, until := q.time("since"), q.time("until")
		offset, limit := q.page()
		if q.err() != nil {
			return
		}
		switch {
		case len(query) > maxQueryParam || !utf8.ValidString(query):
			t.Fatalf("query %q accepted", query)
		case len(uid) > maxUIDParam:
			t.Fatalf("uid %q accepted", uid)
		case role != "" && !roleName.MatchString(role):
			t.Fatalf("role %q accepted", role)
		case action != "" && !actionName.MatchString(action):
			t.Fatalf("action %q accepted", action)
		case offset < 0 || limit < 1 || limit > MaxAdminPage:
			t.Fatalf("page offset %d limit %d accepted", offset, limit)
		}
		_, _ = since, until
	})
}

func TestCheckRoles(t *testing.T) {
	for _, tc := range []struct {
		in   []string
		want []string
		ok   bool
	}{
		{[]string{}, []string{}, true},
		{[]string{"b", "a", "b"}, []string{"a", "b"}, true},
		{[]string{"team:ops", "svc.reader", "x-y_z"}, []string{"svc.reader", "team:ops", "x-y_z"}, true},
		{[]string{"Admin"}, nil, false},
		{[]string{"a b"}, nil, false},
		{[]string{"-a"}, nil, false},
		{[]string{"a\n"}, nil, false},
		{[]string{"é"}, nil, false},
	} {
		fe := fieldErrors{}
		got := checkRoles(fe, "roles", tc.in)
		if (fe.err() == nil) != tc.ok {
			t.Errorf("checkRoles(%q): error %v, want ok=%v", tc.in, fe.err(), tc.ok)
			continue
		}
		if tc.ok && (len(got) != len(tc.want) || got == nil) {
			t.Errorf("checkRoles(%q) = %q, want %q", tc.in, got, tc.want)
			continue
		}
		for i := range tc.want {
			if got[i] != tc.want[i] {
				t.Errorf("checkRoles(%q) = %q, want %q", tc.in, got, tc.want)
			}
		}
	}
}
