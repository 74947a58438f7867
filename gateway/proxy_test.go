package gateway_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/authgate/authgate/gateway"
	"github.com/authgate/authgate/httpx"
)

// echoed is what the echo upstream saw.
type echoed struct {
	Method     string              `json:"method"`
	Host       string              `json:"host"`
	RequestURI string              `json:"request_uri"`
	Header     map[string][]string `json:"header"`
}

// newEcho starts an upstream that answers with the request it received.
func newEcho(t *testing.T) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(echoed{Method: r.Method, Host: r.Host, RequestURI: r.RequestURI, Header: r.Header})
	}))
	t.Cleanup(srv.Close)
	return srv, &hits
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// newSidecar serves a gateway proxying to upstream on a real port.
func newSidecar(t *testing.T, upstream string, opts ...func(*gateway.Gateway)) *httptest.Server {
	t.Helper()
	g, _ := newGateway(t, append([]func(*gateway.Gateway){func(g *gateway.Gateway) { g.Upstream = mustURL(t, upstream) }}, opts...)...)
	srv := httptest.NewServer(g)
	t.Cleanup(srv.Close)
	return srv
}

// do sends a request with raw (non-canonicalized) header names.
func do(t *testing.T, method, target string, hdr [][2]string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, target, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, kv := range hdr {
		if strings.EqualFold(kv[0], "Host") {
			req.Host = kv[1]
			continue
		}
		req.Header[kv[0]] = append(req.Header[kv[0]], kv[1])
	}
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	return resp, readAll(t, resp.Body)
}

// echoOf sends the request and decodes the upstream's echo of it.
func echoOf(t *testing.T, method, target string, hdr [][2]string) echoed {
	t.Helper()
	resp, body := do(t, method, target, hdr)
	return decodeEcho(t, resp, body)
}

func decodeEcho(t *testing.T, resp *http.Response, body []byte) echoed {
	t.Helper()
	if resp.StatusCode != 200 {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	var e echoed
	if err := json.Unmarshal(body, &e); err != nil {
		t.Fatalf("echo body %q: %v", body, err)
	}
	return e
}

// identityKeys returns every header the upstream got that is an identity
// header in any spelling.
func identityKeys(h map[string][]string) map[string][]string {
	out := map[string][]string{}
	for k, v := range h {
		n := strings.ReplaceAll(strings.ToLower(k), "_", "-")
		switch n {
		case "x-user-id", "x-user-email", "x-user-email-verified", "x-user-roles", "x-user-name":
			out[k] = v
		}
	}
	return out
}

var spoofed = [][2]string{
	{"X-User-Id", "root"}, {"X-User-Id", "root2"}, {"x-user-id", "lower"}, {"X_User_Id", "under"}, {"x_user_id", "under-lower"},
	{"X-USER-ROLES", "admin"}, {"X_User_Roles", "admin"}, {"X-User-Email", "ceo@example.com"}, {"X-User-Email-Verified", "true"},
	{"x_user_email_verified", "true"}, {"X-User-Name", "Root"}, {"X-uSeR-nAmE", "Root"},
}

func TestProxyStripsClientIdentityHeaders(t *testing.T) {
	echo, _ := newEcho(t)
	gw := newSidecar(t, echo.URL)
	cases := []struct {
		name  string
		path  string
		token string
		want  map[string]string // the only identity headers that may arrive
	}{
		{"anonymous route", "/public/page", "", nil},
		{"anonymous route with user", "/public/page", "user-token", map[string]string{"X-User-Id": "u-1", "X-User-Roles": "", "X-User-Email": "user@example.com", "X-User-Email-Verified": "true", "X-User-Name": "Ann User"}},
		{"authenticated route", "/app/x", "user-token", map[string]string{"X-User-Id": "u-1", "X-User-Roles": "", "X-User-Email": "user@example.com", "X-User-Email-Verified": "true", "X-User-Name": "Ann User"}},
		{"admin route", "/admin/x", "admin-token", map[string]string{"X-User-Id": "a-1", "X-User-Roles": "admin,staff", "X-User-Email": "admin@example.com", "X-User-Email-Verified": "true", "X-User-Name": "Ada Admin"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			hdr := append([][2]string{}, spoofed...)
			if tc.token != "" {
				hdr = append(hdr, [2]string{"Authorization", "Bearer " + tc.token})
			}
			e := echoOf(t, "GET", gw.URL+tc.path, hdr)
			got := identityKeys(e.Header)
			if len(got) != len(tc.want) {
				t.Fatalf("identity headers upstream: %v, want exactly %v", got, tc.want)
			}
			for k, v := range tc.want {
				if vs := got[k]; len(vs) != 1 || vs[0] != v {
					t.Fatalf("%s upstream = %q, want [%q] (all: %v)", k, vs, v, got)
				}
			}
		})
	}
}

func TestProxyCookiesAndForwardedHeaders(t *testing.T) {
	echo, _ := newEcho(t)
	t.Run("session cookie stripped, others kept", func(t *testing.T) {
		gw := newSidecar(t, echo.URL)
		e := echoOf(t, "GET", gw.URL+"/app", [][2]string{{"Cookie", "theme=dark; authgate_session=user-token; lang=en"}})
		if c := e.Header["Cookie"]; len(c) != 1 || c[0] != "theme=dark; lang=en" {
			t.Fatalf("Cookie upstream %q", c)
		}
		if e.Header["X-User-Id"][0] != "u-1" {
			t.Fatal("cookie credential not used")
		}
		e = echoOf(t, "GET", gw.URL+"/public/", [][2]string{{"Cookie", "authgate_session=whatever"}})
		if c, ok := e.Header["Cookie"]; ok {
			t.Fatalf("only cookie was the session, yet Cookie upstream %q", c)
		}
		// The bearer token is passed on (the app may call other APIs with it).
		e = echoOf(t, "GET", gw.URL+"/app", [][2]string{{"Authorization", "Bearer user-token"}})
		if e.Header["Authorization"][0] != "Bearer user-token" {
			t.Fatal("Authorization not passed on")
		}
	})
	clientForwarded := [][2]string{{"X-Forwarded-For", "6.6.6.6"}, {"X-Forwarded-Host", "evil.example"}, {"X-Forwarded-Proto", "https"},
		{"Forwarded", "for=6.6.6.6"}, {"X-Real-Ip", "6.6.6.6"}, {"Host", "app.example.com"}}
	t.Run("untrusted client's forwarding headers replaced", func(t *testing.T) {
		gw := newSidecar(t, echo.URL)
		e := echoOf(t, "GET", gw.URL+"/public/x?q=1", clientForwarded)
		if xff := e.Header["X-Forwarded-For"]; len(xff) != 1 || xff[0] != "127.0.0.1" {
			t.Errorf("X-Forwarded-For %q, want [127.0.0.1]", xff)
		}
		if v := e.Header["X-Forwarded-Host"]; len(v) != 1 || v[0] != "app.example.com" {
			t.Errorf("X-Forwarded-Host %q", v)
		}
		if v := e.Header["X-Forwarded-Proto"]; len(v) != 1 || v[0] != "http" {
			t.Errorf("X-Forwarded-Proto %q", v)
		}
		for _, k := range []string{"Forwarded", "X-Real-Ip"} {
			if v, ok := e.Header[k]; ok {
				t.Errorf("%s passed on from an untrusted client: %q", k, v)
			}
		}
		if e.Host != "app.example.com" || e.RequestURI != "/public/x?q=1" {
			t.Errorf("host %q uri %q", e.Host, e.RequestURI)
		}
	})
	t.Run("trusted proxy's forwarding headers kept", func(t *testing.T) {
		tp, _ := httpx.ParseTrustedProxies("127.0.0.1/32")
		gw := newSidecar(t, echo.URL, func(g *gateway.Gateway) { g.Trusted = tp })
		e := echoOf(t, "GET", gw.URL+"/public/x", clientForwarded)
		if xff := e.Header["X-Forwarded-For"]; len(xff) != 1 || xff[0] != "6.6.6.6, 127.0.0.1" {
			t.Errorf("X-Forwarded-For %q", xff)
		}
		if v := e.HeaderGet("X-Forwarded-Host"); v != "evil.example" {
			t.Errorf("X-Forwarded-Host %q", v)
		}
		if v := e.HeaderGet("X-Forwarded-Proto"); v != "https" {
			t.Errorf("X-Forwarded-Proto %q", v)
		}
	})
}

// Header is a helper on echoed for canonical lookups.
func (e echoed) HeaderGet(k string) string { return http.Header(e.Header).Get(k) }

func TestProxyDecisions(t *testing.T) {
	echo, hits := newEcho(t)
	gw := newSidecar(t, echo.URL, func(g *gateway.Gateway) { g.SignInURL = "/api/auth/signin" })
	cases := []struct {
		name   string
		method string
		path   string
		hdr    [][2]string
		status int
	}{
		{"anonymous on protected", "GET", "/app", nil, 401},
		{"user on admin", "GET", "/admin/x", [][2]string{{"Authorization", "Bearer user-token"}}, 403},
		{"encoded admin", "GET", "/%61dmin/x", [][2]string{{"Authorization", "Bearer user-token"}}, 403},
		{"dot-dot admin", "GET", "/public/%2e%2e/admin/x", [][2]string{{"Authorization", "Bearer user-token"}}, 403},
		{"browser redirected", "GET", "/app/x?y=1", [][2]string{{"Accept", "text/html"}}, 302},
		{"browser POST not redirected", "POST", "/app/x", [][2]string{{"Accept", "text/html"}}, 401},
		{"own path /api/auth", "GET", "/api/auth/login", nil, 404},
		{"own path /healthz", "GET", "/healthz", nil, 404},
		{"own path via dot segments", "GET", "/public/../metrics", nil, 404},
		{"own path via double slash", "GET", "/public/..//.well-known//jwks.json", nil, 404},
		{"expired token", "GET", "/app", [][2]string{{"Authorization", "Bearer expired-token"}}, 401},
		{"verifier down", "GET", "/app", [][2]string{{"Authorization", "Bearer down-token"}}, 503},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := hits.Load()
			req, _ := http.NewRequest(tc.method, gw.URL+tc.path, nil)
			req.URL.Opaque = "" // keep escapes as written
			if strings.Contains(tc.path, "%") || strings.Contains(tc.path, "..") || strings.HasPrefix(tc.path, "//") {
				req.URL = &url.URL{Scheme: "http", Host: strings.TrimPrefix(gw.URL, "http://"), Opaque: tc.path}
			}
			for _, kv := range tc.hdr {
				req.Header.Set(kv[0], kv[1])
			}
			resp, err := http.DefaultTransport.RoundTrip(req)
			if err != nil {
				t.Fatal(err)
			}
			body := readAll(t, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tc.status, body)
			}
			if hits.Load() != before {
				t.Fatal("a refused request reached the upstream")
			}
			if tc.status >= 400 {
				decodeProblem(t, resp, body)
			}
			if tc.status == 302 {
				loc := resp.Header.Get("Location")
				if !strings.HasPrefix(loc, "/api/auth/signin?rd=") || !strings.Contains(loc, url.QueryEscape("/app/x?y=1")) {
					t.Fatalf("Location %q", loc)
				}
			}
		})
	}
}

func TestProxyUpstreamErrors(t *testing.T) {
	t.Run("down gives 502", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := l.Addr().String()
		l.Close()
		reg := prometheus.NewRegistry()
		gw := newSidecar(t, "http://"+addr, func(g *gateway.Gateway) { g.Registerer = reg })
		resp, body := do(t, "GET", gw.URL+"/public/", nil)
		if resp.StatusCode != 502 {
			t.Fatalf("status %d, want 502", resp.StatusCode)
		}
		if p := decodeProblem(t, resp, body); p.Code != "bad_gateway" {
			t.Fatalf("code %q", p.Code)
		}
		if got := counterValue(t, reg, "authgate_upstream_errors_total", map[string]string{"kind": "dial"}); got != 1 {
			t.Fatalf("upstream_errors{dial} = %v", got)
		}
	})
	t.Run("slow gives 504", func(t *testing.T) {
		release := make(chan struct{})
		slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-release:
			case <-r.Context().Done():
			}
		}))
		t.Cleanup(slow.Close)
		t.Cleanup(func() { close(release) })
		reg := prometheus.NewRegistry()
		gw := newSidecar(t, slow.URL, func(g *gateway.Gateway) {
			g.ResponseHeaderTimeout = 50 * time.Millisecond
			g.Registerer = reg
		})
		resp, body := do(t, "GET", gw.URL+"/public/", nil)
		if resp.StatusCode != 504 {
			t.Fatalf("status %d, want 504", resp.StatusCode)
		}
		if p := decodeProblem(t, resp, body); p.Code != "gateway_timeout" {
			t.Fatalf("code %q", p.Code)
		}
		if got := counterValue(t, reg, "authgate_upstream_errors_total", map[string]string{"kind": "timeout"}); got != 1 {
			t.Fatalf("upstream_errors{timeout} = %v", got)
		}
	})
}

// TestProxyWebSocket performs a hand-made Upgrade handshake through the
// proxy and exchanges bytes both ways over the hijacked connection.
func TestProxyWebSocket(t *testing.T) {
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
			http.Error(w, "want upgrade", 400)
			return
		}
		conn, brw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return
		}
		defer conn.Close()
		fmt.Fprintf(brw, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n")
		fmt.Fprintf(brw, "hello %s|%d\n", r.Header.Get("X-User-Id"), len(identityKeys(r.Header)))
		brw.Flush()
		for {
			line, err := brw.ReadString('\n')
			if err != nil {
				return
			}
			brw.WriteString("echo " + line)
			brw.Flush()
		}
	}))
	t.Cleanup(upstream.Close)
	gw := newSidecar(t, upstream.URL)

	conn, err := net.Dial("tcp", strings.TrimPrefix(gw.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprintf(conn, "GET /app/socket HTTP/1.1\r\nHost: app.example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nAuthorization: Bearer user-token\r\nX_User_Id: spoof\r\n\r\n")
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols || !strings.EqualFold(resp.Header.Get("Upgrade"), "websocket") {
		t.Fatalf("handshake answered %d %v", resp.StatusCode, resp.Header)
	}
	hello, err := br.ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	if hello != "hello u-1|5\n" {
		t.Fatalf("upstream greeting %q: identity not injected or spoof not stripped", hello)
	}
	for _, msg := range []string{"one", "two"} {
		fmt.Fprintf(conn, "%s\n", msg)
		got, err := br.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		if got != "echo "+msg+"\n" {
			t.Fatalf("got %q", got)
		}
	}

	// An anonymous upgrade on a protected path never reaches the upstream.
	c2, err := net.Dial("tcp", strings.TrimPrefix(gw.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	_ = c2.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprintf(c2, "GET /app/socket HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
	resp2, err := http.ReadResponse(bufio.NewReader(c2), nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp2.StatusCode != 401 {
		t.Fatalf("anonymous upgrade: %d, want 401", resp2.StatusCode)
	}
}

// TestProxyStreamsSSE: the first event arrives while the upstream is still
// holding the response open.
func TestProxyStreamsSSE(t *testing.T) {
	release := make(chan struct{})
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		fmt.Fprint(w, "data: first\n\n")
		http.NewResponseController(w).Flush()
		select {
		case <-release:
		case <-r.Context().Done():
			return
		}
		fmt.Fprint(w, "data: second\n\n")
	}))
	t.Cleanup(upstream.Close)
	gw := newSidecar(t, upstream.URL)

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", gw.URL+"/public/events", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	br := bufio.NewReader(resp.Body)
	line, err := br.ReadString('\n')
	if err != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			t.Fatal("first event was held back until the upstream finished")
		}
		t.Fatal(err)
	}
	if line != "data: first\n" {
		t.Fatalf("first line %q", line)
	}
	close(release)
	rest, err := io.ReadAll(br)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(rest), "data: second") {
		t.Fatalf("rest %q", rest)
	}
}

func TestProxyWithoutUpstreamIs404(t *testing.T) {
	g, _ := newGateway(t)
	resp, body := serve(t, g, httptest.NewRequest("GET", "/app", nil))
	if resp.StatusCode != 404 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	decodeProblem(t, resp, body)
}
