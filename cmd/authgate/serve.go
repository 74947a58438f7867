package main

import (
	"context"
	"io"
	"log/slog"
	"time"

	"github.com/authgate/authgate/config"
	"github.com/authgate/authgate/internal/server"
)

// newLogger builds the process logger from LOG_LEVEL and LOG_FORMAT.
func newLogger(cfg *config.Config, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// loadApp loads the configuration from args and the environment and builds
// the service with a logger on stderr.
func loadApp(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) (*app, error) {
	cfg, err := loadConfig(args, getenv, stderr)
	if err != nil {
		return nil, err
	}
	return build(ctx, cfg, newLogger(cfg, stderr))
}

// serve runs the service until ctx ends (SIGTERM/SIGINT), then shuts down
// gracefully: stop accepting, let in-flight requests finish (bounded by
// SHUTDOWN_TIMEOUT), stop background work, close the database.
func serve(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) error {
	a, err := loadApp(ctx, args, getenv, stderr)
	if err != nil {
		return err
	}
	defer a.close()
	cfg, log := a.cfg, a.log

	bg, stopBG := context.WithCancel(context.Background())
	defer stopBG()
	if a.policy != nil {
		go func() {
			if err := a.policy.Run(bg); err != nil && bg.Err() == nil {
				log.Error("policy watcher stopped", "err", err)
			}
		}()
	}
	go a.housekeeping(bg, cfg.AuditRetention)

	listeners := []server.Listener{{Name: "main", Addr: cfg.Listen, Handler: a.handler()}}
	if cfg.MetricsListen != "" {
		listeners = append(listeners, server.Listener{Name: "metrics", Addr: cfg.MetricsListen, Handler: a.metricsHandler()})
	}
	log.Info("authgate starting", "version", version, "provider", cfg.Provider, "public_url", cfg.PublicURL.String(),
		"database", dbKind(cfg), "sidecar", cfg.Upstream != nil, "policy_file", cfg.PolicyFile)
	err = server.Run(ctx, log, cfg.ShutdownTimeout, nil, listeners...)
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	if serr := a.api.Shutdown(sctx); serr != nil {
		log.Warn("background mail jobs cut off", "err", serr)
	}
	return err
}

// housekeeping runs hourly: it deletes sessions and one-time tokens that
// expired more than a day ago, and audit rows older than the retention
// (0 = keep them forever).
func (a *app) housekeeping(ctx context.Context, retention time.Duration) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		now := time.Now()
		if n, err := a.db.PurgeExpired(ctx, now.Add(-24*time.Hour)); err != nil && ctx.Err() == nil {
			a.log.Warn("housekeeping: purge expired sessions and tokens", "err", err)
		} else if n > 0 {
			a.log.Info("housekeeping: expired sessions and tokens deleted", "rows", n)
		}
		if retention > 0 {
			n, err := a.db.DeleteAuditEventsBefore(ctx, now.Add(-retention))
			if err != nil && ctx.Err() == nil {
				a.log.Warn("housekeeping: audit retention", "err", err)
			} else if n > 0 {
				a.log.Info("housekeeping: audit rows past retention deleted", "rows", n)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func dbKind(cfg *config.Config) string {
	if cfg.DatabaseIsSQLite() {
		return cfg.DatabaseURL
	}
	return "postgres"
}
