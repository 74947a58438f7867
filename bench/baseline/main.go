// Command baseline is the bare reference of the authgate load test
// (bench/run.sh): what the same machine does without authgate.
//
//	baseline -mode ok    -listen 127.0.0.1:PORT                  # 200, empty body
//	baseline -mode proxy -listen 127.0.0.1:PORT -upstream URL     # httputil.ReverseProxy
//
// The ok server is also the upstream of both the bare proxy and authgate's
// sidecar mode, so the two proxies are compared in front of the same
// application. The proxy uses the transport settings authgate's sidecar
// uses (idle connections per host), so that only authgate's own work
// differs.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	mode := flag.String("mode", "ok", "ok (answer 200) or proxy (httputil.ReverseProxy to -upstream)")
	listen := flag.String("listen", "127.0.0.1:0", "address to listen on (loopback only)")
	upstream := flag.String("upstream", "", "proxy mode: the upstream URL")
	flag.Parse()
	if err := run(*mode, *listen, *upstream); err != nil {
		fmt.Fprintln(os.Stderr, "baseline:", err)
		os.Exit(1)
	}
}

func run(mode, listen, upstream string) error {
	host, _, err := net.SplitHostPort(listen)
	if err != nil {
		return fmt.Errorf("-listen %q: %w", listen, err)
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("-listen %q: only loopback addresses are allowed", listen)
	}
	var h http.Handler
	switch mode {
	case "ok":
		h = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })
	case "proxy":
		u, err := url.Parse(upstream)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("-upstream %q: want an http(s) URL", upstream)
		}
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.MaxIdleConnsPerHost = 256
		tr.MaxIdleConns = 256
		h = &httputil.ReverseProxy{
			Rewrite: func(pr *httputil.ProxyRequest) {
				pr.SetURL(u)
				pr.SetXForwarded()
			},
			Transport: tr,
		}
	default:
		return fmt.Errorf("-mode %q: want ok or proxy", mode)
	}
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	log.Printf("baseline %s listening on %s", mode, ln.Addr())
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
