package gateway_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// An upstream that speaks h2c would, after "Upgrade: h2c", take every
// HTTP/2 request the client sends through the tunnel as its own: none of
// them decided, all of them free to carry their own X-User-Id (h2c
// smuggling). The sidecar must never tunnel an h2c upgrade.
func TestProxyRefusesH2CUpgrade(t *testing.T) {
	tunneled := make(chan string, 1)
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !upgradesTo(r.Header, "h2c") {
			fmt.Fprintf(w, "plain %s %q %q", r.URL.Path, r.Header.Get("Upgrade"), r.Header.Get("Http2-Settings"))
			return
		}
		conn, brw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return
		}
		defer conn.Close()
		fmt.Fprintf(brw, "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n")
		brw.Flush()
		_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		b, _ := io.ReadAll(io.LimitReader(brw, 64))
		tunneled <- string(b)
	}))
	t.Cleanup(upstream.Close)
	gw := newSidecar(t, upstream.URL)

	for _, upgrade := range []string{"h2c", "H2C", "websocket, h2c"} {
		t.Run(upgrade, func(t *testing.T) {
			conn, err := net.Dial("tcp", strings.TrimPrefix(gw.URL, "http://"))
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
			fmt.Fprintf(conn, "GET /public/x HTTP/1.1\r\nHost: app.example.com\r\nConnection: Upgrade, HTTP2-Settings\r\n"+
				"Upgrade: %s\r\nHTTP2-Settings: AAMAAABkAAQAoAAAAAIAAAAA\r\n\r\n", upgrade)
			resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode == http.StatusSwitchingProtocols {
				fmt.Fprintf(conn, "GET /admin/x HTTP/1.1\r\nX-User-Id: root\r\n\r\n")
				t.Fatalf("h2c upgrade tunneled to the upstream, which then read %q", <-tunneled)
			}
			if resp.StatusCode != http.StatusOK || string(body) != `plain /public/x "" ""` {
				t.Fatalf("status %d body %q, want the request proxied without the upgrade", resp.StatusCode, body)
			}
		})
	}
}

func upgradesTo(h http.Header, proto string) bool {
	for _, v := range h["Upgrade"] {
		for _, tok := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(tok), proto) {
				return true
			}
		}
	}
	return false
}
