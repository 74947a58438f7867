package oauth_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/authgate/authgate/identity"
)

// FuzzFinish feeds hostile callbacks to Finish: it must never panic, never
// succeed without the browser's cookie and the provider's code, and never
// echo what it was sent in its error message.
func FuzzFinish(f *testing.F) {
	e := newEnv(f)
	st, err := e.flow.Start(context.Background(), "oidc", "")
	if err != nil {
		f.Fatal(err)
	}
	u, _ := url.Parse(st.URL)
	realState := u.Query().Get("state")
	f.Add(realState, "code", "", st.Cookie.Value, false)
	f.Add(realState, "", "access_denied", "x", true)
	f.Add("", "c", "", "", false)
	f.Add(strings.Repeat("s", 600), "c\x00", "e\r\n", "v;w", true)
	f.Fuzz(func(t *testing.T, state, code, perr, cookie string, post bool) {
		form := url.Values{"state": {state}, "code": {code}}
		if perr != "" {
			form.Set("error", perr)
		}
		var r *http.Request
		if post {
			r = httptest.NewRequest(http.MethodPost, "/cb", strings.NewReader(form.Encode()))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		} else {
			r = httptest.NewRequest(http.MethodGet, "/cb?"+form.Encode(), nil)
		}
		r.Header.Set("Cookie", st.Cookie.Name+"="+cookie)
		res, _, err := e.flow.Finish(context.Background(), r, "oidc")
		if err == nil {
			t.Fatalf("accepted a forged callback: %+v", res.Identity)
		}
		msg := identity.ErrorMessage(err)
		for _, in := range []string{state, code, perr, cookie} {
			if len(in) >= 8 && strings.Contains(msg, in) {
				t.Fatalf("the error message echoes input %q: %s", in, msg)
			}
		}
	})
}
