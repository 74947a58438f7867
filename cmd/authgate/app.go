package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"

	"github.com/gorilla/mux"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/redis/go-redis/v9"

	"github.com/authgate/authgate/authapi"
	"github.com/authgate/authgate/cache"
	"github.com/authgate/authgate/config"
	"github.com/authgate/authgate/firebase"
	"github.com/authgate/authgate/gateway"
	"github.com/authgate/authgate/httpx"
	"github.com/authgate/authgate/policy"
	"github.com/authgate/authgate/store"
	"github.com/authgate/authgate/token"
)

// app is a built authgate: every concrete dependency, made in one place.
type app struct {
	cfg    *config.Config
	log    *slog.Logger
	reg    *prometheus.Registry
	db     *store.DB
	keys   *token.KeySet
	auth   *cache.Authenticator
	api    *authapi.API
	gw     *gateway.Gateway
	policy *policy.Watcher // nil without a policy file
	fb     *firebase.Client
	rdb    *redis.Client
	// trusted are the proxies whose forwarding headers are believed.
	trusted httpx.TrustedProxies
	// router routes authgate's own paths (set by handler).
	router *mux.Router
	// discovery serves /.well-known/openid-configuration.
	discovery http.Handler
	closers   []func() error
}

// openStore opens (and migrates) the configured database.
func openStore(ctx context.Context, cfg *config.Config, log *slog.Logger) (*store.DB, error) {
	if cfg.DatabaseIsSQLite() {
		if err := os.MkdirAll(filepath.Dir(cfg.DatabaseURL[len("sqlite:"):]), 0o700); err != nil {
			return nil, fmt.Errorf("data directory: %w", err)
		}
	}
	db, err := store.Open(ctx, cfg.DatabaseURL, store.Options{Logger: log})
	if err != nil {
		return nil, err
	}
	if err := db.Migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// build makes every dependency of the service from the configuration, in
// the order they depend on each other. On an error everything made so far is
// closed again.
func build(ctx context.Context, cfg *config.Config, log *slog.Logger) (_ *app, err error) {
	a := &app{cfg: cfg, log: log, reg: prometheus.NewRegistry()}
	defer func() {
		if err != nil {
			a.close()
		}
	}()
	a.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))

	if a.db, err = openStore(ctx, cfg, log); err != nil {
		return nil, err
	}
	a.closers = append(a.closers, a.db.Close)
	if err := a.connectRedis(ctx); err != nil {
		return nil, err
	}
	tok, err := a.buildTokens(ctx)
	if err != nil {
		return nil, err
	}
	id, err := a.buildIdentity(ctx, tok.verifier)
	if err != nil {
		return nil, err
	}
	if err := a.buildAPI(ctx, tok, id); err != nil {
		return nil, err
	}
	if err := a.buildGateway(); err != nil {
		return nil, err
	}
	return a, nil
}

// close releases everything build made, in reverse order.
func (a *app) close() {
	for i := len(a.closers) - 1; i >= 0; i-- {
		if err := a.closers[i](); err != nil && !errors.Is(err, http.ErrServerClosed) {
			a.log.Warn("close", "err", err)
		}
	}
	a.closers = nil
}
