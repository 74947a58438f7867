package gateway_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/authgate/authgate/gateway"
	"github.com/authgate/authgate/httpx"
	"github.com/authgate/authgate/identity"
	"github.com/authgate/authgate/policy"
)

// fakeVerifier knows a few tokens; it stands for the cached chain.
type fakeVerifier struct {
	calls atomic.Int64
}

var principals = map[string]*identity.Principal{
	"user-token":  {UID: "u-1", Email: "user@example.com", EmailVerified: true, Name: "Ann User", Roles: []string{}},
	"admin-token": {UID: "a-1", Email: "admin@example.com", EmailVerified: true, Name: "Ada Admin", Roles: []string{"admin", "staff"}},
	"crlf-token":  {UID: "c-1", Email: "x@example.com\r\nX-Evil: 1", Name: "Eve\nEvil", Roles: []string{"a", "b"}},
}

func (f *fakeVerifier) Verify(_ context.Context, raw string) (*identity.Principal, error) {
	f.calls.Add(1)
	if p, ok := principals[raw]; ok {
		return p, nil
	}
	switch raw {
	case "expired-token":
		return nil, identity.Errorf(identity.ETOKENEXPIRED, "The token has expired.")
	case "down-token":
		return nil, identity.Errorf(identity.EUNAVAILABLE, "Token verification is unavailable.")
	}
	return nil, identity.Errorf(identity.EINVALIDTOKEN, "The token is not valid.")
}

const testPolicy = `
rules:
  - match: { path: "/public/**" }
    allow: anonymous
  - match: { path: "/admin/**" }
    allow: { roles: [admin] }
  - match: { host: "open.example.com" }
    allow: anonymous
  - match: { path: "/blocked/**" }
    allow: deny
default: authenticated
`

func mustPolicy(tb testing.TB, src string) policy.Source {
	tb.Helper()
	p, err := policy.Parse([]byte(src))
	if err != nil {
		tb.Fatal(err)
	}
	return policy.Static{P: p}
}

// newGateway returns a provisioned gateway with the test policy; mutate
// the fields before provisioning with opts.
func newGateway(tb testing.TB, opts ...func(*gateway.Gateway)) (*gateway.Gateway, *fakeVerifier) {
	tb.Helper()
	fv := &fakeVerifier{}
	g := &gateway.Gateway{
		Verifier:   fv,
		Policy:     mustPolicy(tb, testPolicy),
		CookieName: "authgate_session",
		Registerer: prometheus.NewRegistry(),
	}
	for _, o := range opts {
		o(g)
	}
	if err := g.Provision(); err != nil {
		tb.Fatalf("Provision: %v", err)
	}
	return g, fv
}

type problem struct {
	Status int    `json:"status"`
	Code   string `json:"code"`
	Detail string `json:"detail"`
}

func decodeProblem(t *testing.T, resp *http.Response, body []byte) problem {
	t.Helper()
	if ct := resp.Header.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("Content-Type %q, want application/problem+json; body %s", ct, body)
	}
	var p problem
	if err := json.Unmarshal(body, &p); err != nil {
		t.Fatalf("problem body %q: %v", body, err)
	}
	if p.Status != resp.StatusCode || p.Code == "" {
		t.Fatalf("problem %+v does not match status %d", p, resp.StatusCode)
	}
	return p
}

func readAll(t *testing.T, r io.Reader) []byte {
	t.Helper()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// serve runs one request through h and returns the response and body.
func serve(t *testing.T, h http.Handler, r *http.Request) (*http.Response, []byte) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	resp := rec.Result()
	return resp, readAll(t, resp.Body)
}

func counterValue(t *testing.T, reg prometheus.Gatherer, name string, labels map[string]string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	metric:
		for _, m := range mf.GetMetric() {
			for _, lp := range m.GetLabel() {
				if want, ok := labels[lp.GetName()]; ok && want != lp.GetValue() {
					continue metric
				}
			}
			if c := m.GetCounter(); c != nil {
				return c.GetValue()
			}
			if h := m.GetHistogram(); h != nil {
				return float64(h.GetSampleCount())
			}
		}
	}
	return 0
}

var _ = httpx.StatusOf
var _ = strings.Contains
