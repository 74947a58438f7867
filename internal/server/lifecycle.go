package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// Listener is one HTTP server of authgate (main, metrics).
type Listener struct {
	Name    string
	Addr    string
	Handler http.Handler
}

// Run serves every listener until ctx is done, then shuts down gracefully:
// listeners stop accepting, in-flight requests get up to grace to finish.
// It returns the first serve error, or nil after a clean shutdown. ready,
// when not nil, is called with the bound addresses once all listen.
func Run(ctx context.Context, log *slog.Logger, grace time.Duration, ready func(addrs map[string]string), ls ...Listener) error {
	servers := make([]*http.Server, 0, len(ls))
	errc := make(chan error, len(ls))
	addrs := map[string]string{}
	for _, l := range ls {
		ln, err := net.Listen("tcp", l.Addr)
		if err != nil {
			for _, s := range servers {
				_ = s.Close()
			}
			return fmt.Errorf("server: listen %s on %s: %w", l.Name, l.Addr, err)
		}
		srv := &http.Server{
			Handler:           l.Handler,
			ReadHeaderTimeout: 10 * time.Second,
			IdleTimeout:       120 * time.Second,
			MaxHeaderBytes:    64 << 10,
			ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		}
		servers = append(servers, srv)
		addrs[l.Name] = ln.Addr().String()
		log.Info("listening", "listener", l.Name, "addr", ln.Addr().String())
		go func() {
			if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				errc <- fmt.Errorf("server: %s: %w", l.Name, err)
			}
		}()
	}
	if ready != nil {
		ready(addrs)
	}
	var serveErr error
	select {
	case <-ctx.Done():
	case serveErr = <-errc:
	}
	log.Info("shutting down", "grace", grace.String())
	sctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	for _, s := range servers {
		if err := s.Shutdown(sctx); err != nil {
			log.Warn("shutdown: in-flight requests cut off", "err", err)
			_ = s.Close()
		}
	}
	return serveErr
}
