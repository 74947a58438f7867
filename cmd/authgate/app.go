package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/redis/go-redis/v9"

	"github.com/authgate/authgate/authapi"
	"github.com/authgate/authgate/cache"
	"github.com/authgate/authgate/config"
	"github.com/authgate/authgate/firebase"
	"github.com/authgate/authgate/gateway"
	"github.com/authgate/authgate/httpx"
	"github.com/authgate/authgate/identity"
	"github.com/authgate/authgate/internal/redirect"
	"github.com/authgate/authgate/limiter"
	"github.com/authgate/authgate/local"
	"github.com/authgate/authgate/mail"
	"github.com/authgate/authgate/mfa"
	"github.com/authgate/authgate/password"
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

func newHasher() (*password.Hasher, error) { return password.New() }

// build makes every dependency of the service from the configuration.
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

	if cfg.RedisURL != "" {
		opt, err := redis.ParseURL(cfg.RedisURL)
		if err != nil {
			return nil, fmt.Errorf("AUTHGATE_REDIS_URL: %w", err)
		}
		a.rdb = redis.NewClient(opt)
		a.closers = append(a.closers, a.rdb.Close)
		pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		if err := a.rdb.Ping(pctx).Err(); err != nil {
			return nil, fmt.Errorf("redis: %w", err)
		}
	}

	// A retired key keeps verifying for longer than any token it signed
	// lives: access tokens and the sign-in cookie's tokens.
	ksCfg := token.KeySetConfig{Algorithm: cfg.SigningAlg, RetiredKeyGrace: max(token.DefaultRetiredKeyGrace, 2*cfg.AccessTTL, 2*cfg.CookieTTL)}
	if cfg.SigningKeyFile != "" {
		ksCfg.Algorithm = ""
		a.keys, err = token.LoadKeySetFile(cfg.SigningKeyFile, ksCfg)
	} else {
		a.keys, err = token.LoadKeySet(ctx, a.db, ksCfg)
	}
	if err != nil {
		return nil, fmt.Errorf("signing keys: %w", err)
	}
	tokCfg := token.Config{Issuer: cfg.PublicURL.String(), Audience: cfg.Audience, AccessTTL: cfg.AccessTTL}
	issuer, err := token.NewIssuer(a.keys, tokCfg)
	if err != nil {
		return nil, err
	}
	// The sign-in cookie's tokens: the same keys and claims, the cookie's
	// lifetime. Every request still checks their session, so logout and
	// revocation refuse them at once.
	cookieCfg := tokCfg
	cookieCfg.AccessTTL = cfg.CookieTTL
	cookieIssuer, err := token.NewIssuer(a.keys, cookieCfg)
	if err != nil {
		return nil, err
	}
	redirects, err := redirect.New(cfg.PublicURL, cfg.RedirectHosts)
	if err != nil {
		return nil, fmt.Errorf("AUTHGATE_REDIRECT_HOSTS: %w", err)
	}
	jwtVerifier, err := token.NewVerifier(a.keys, tokCfg)
	if err != nil {
		return nil, err
	}
	chain := identity.Chain{jwtVerifier}

	hasher, err := newHasher()
	if err != nil {
		return nil, err
	}
	lp := local.New(a.db, hasher)
	lp.Logger = log
	var provider identity.Provider = lp
	var ensureUser func(context.Context, *identity.Principal) (*identity.User, error)
	if cfg.FirebaseProjectID != "" {
		a.fb, err = firebase.New(ctx, firebase.Config{
			ProjectID:      cfg.FirebaseProjectID,
			APIKey:         cfg.FirebaseAPIKey,
			AllowEmulator:  cfg.FirebaseAllowEmulator,
			HTTPTimeout:    cfg.FirebaseTimeout,
			CheckRevoked:   cfg.FirebaseCheckRevoked,
			Users:          a.db,
			PasswordPolicy: func(pw string) error { return password.Check(pw, "") },
		})
		if err != nil {
			return nil, fmt.Errorf("firebase: %w", err)
		}
		chain = append(chain, a.fb.Verifier())
		ensureUser = a.fb.EnsureUser
		if a.fb.Emulator() {
			log.Warn("Firebase Auth Emulator in use: ID token signatures are NOT checked", "project", cfg.FirebaseProjectID)
		}
	}
	if cfg.Provider == "firebase" {
		fp, err := a.fb.Provider()
		if err != nil {
			return nil, fmt.Errorf("firebase provider: %w", err)
		}
		provider = fp
	}

	a.auth = &cache.Authenticator{
		Next:       chain,
		Users:      a.db,
		Sessions:   a.db,
		Config:     cache.Config{TokenCacheBytes: cfg.CacheMaxCost / 2, ProfileCacheBytes: cfg.CacheMaxCost / 2, ProfileTTL: cfg.CacheProfileTTL},
		Registerer: a.reg,
		Redis:      a.rdb,
		Logger:     log,
	}
	if err := a.auth.Open(ctx); err != nil {
		return nil, fmt.Errorf("cache: %w", err)
	}
	a.closers = append(a.closers, a.auth.Close)

	rates := limiter.DefaultRates()
	if cfg.RateLimits != "" {
		over, err := limiter.ParseRates(cfg.RateLimits)
		if err != nil {
			return nil, fmt.Errorf("AUTHGATE_RATE_LIMITS: %w", err)
		}
		for k, v := range over {
			rates[k] = v
		}
	}
	lim, err := limiter.New(ctx, rates, a.rdb)
	if err != nil {
		return nil, fmt.Errorf("rate limits: %w", err)
	}

	mailer, err := mail.New(cfg.SMTPURL, cfg.MailFrom, log)
	if err != nil {
		return nil, fmt.Errorf("AUTHGATE_SMTP_URL: %w", err)
	}
	trusted, err := httpx.ParseTrustedProxies(cfg.TrustedProxies)
	if err != nil {
		return nil, err
	}

	a.api = &authapi.API{
		Provider:                 provider,
		Users:                    a.db,
		Sessions:                 a.db,
		OneTime:                  a.db,
		Audit:                    a.db,
		Tokens:                   issuer,
		Verifier:                 a.auth,
		Invalidator:              a.auth,
		Mailer:                   mailer,
		ResetMessage:             mail.PasswordResetMessage,
		VerificationMessage:      mail.VerificationMessage,
		TOTP:                     &mfa.Service{Users: a.db, OneTime: a.db},
		Limiter:                  lim,
		EnsureUser:               ensureUser,
		PasswordRules:            password.Check,
		Trusted:                  trusted,
		PublicURL:                cfg.PublicURL,
		AccessTTL:                cfg.AccessTTL,
		RefreshTTL:               cfg.RefreshTTL,
		ResetTTL:                 cfg.ResetTTL,
		VerifyTTL:                cfg.VerifyTTL,
		CookieName:               cfg.CookieName,
		CookieDomain:             cfg.CookieDomain,
		CookieTokens:             cookieIssuer,
		CookieTTL:                cfg.CookieTTL,
		Redirects:                redirects,
		RequireEmailVerification: cfg.RequireEmailVerification,
		Log:                      log,
	}
	if a.api.OAuth, err = buildOAuth(cfg, a.db, redirects); err != nil {
		return nil, err
	}
	if err := a.api.Validate(); err != nil {
		return nil, err
	}

	var src policy.Source = policy.Static{}
	if cfg.PolicyFile != "" {
		a.policy, err = policy.NewWatcher(cfg.PolicyFile, log)
		if err != nil {
			return nil, fmt.Errorf("AUTHGATE_POLICY_FILE: %w", err)
		}
		src = a.policy
	}
	a.gw = &gateway.Gateway{
		Verifier:   a.auth,
		Policy:     src,
		Trusted:    trusted,
		CookieName: cfg.CookieName,
		SignInURL:  cfg.SignInURL,
		Headers: gateway.HeaderNames{
			UserID: cfg.HeaderUserID, Email: cfg.HeaderEmail, EmailVerified: cfg.HeaderEmailVerfied,
			Roles: cfg.HeaderRoles, Name: cfg.HeaderName,
		},
		Upstream:              cfg.Upstream,
		DialTimeout:           cfg.UpstreamDialTimeout,
		ResponseHeaderTimeout: cfg.UpstreamHeaderTimeout,
		Log:                   log,
		Registerer:            a.reg,
		Audit:                 a.denialAudit(),
	}
	if err := a.gw.Provision(); err != nil {
		return nil, fmt.Errorf("gateway: %w", err)
	}

	if a.discovery, err = token.DiscoveryHandler(tokCfg, a.keys); err != nil {
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

// denialAudit samples the gateway's denials into the audit log: at most
// authapi.DefaultSampledPerMinute rows a minute, written by one goroutine,
// never a database write on the request path; the rest is counted in
// authgate_audit_denials_dropped_total.
func (a *app) denialAudit() gateway.AuditHook {
	s := authapi.NewAuditSampler(a.db, authapi.AuditSamplerConfig{Log: a.log})
	a.closers = append(a.closers, func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return s.Close(ctx)
	})
	a.reg.MustRegister(
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "authgate_audit_denials_sampled_total",
			Help: "Gateway denials written to the audit log.",
		}, func() float64 { return float64(s.Stats().Written) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "authgate_audit_denials_dropped_total",
			Help: "Gateway denials not written to the audit log (over the per-minute budget or queue full).",
		}, func() float64 { return float64(s.Stats().Dropped) }),
	)
	return gateway.AuditFunc(func(_ context.Context, d *gateway.Denial) {
		if !s.Admit() {
			return
		}
		ip := ""
		if d.ClientIP.IsValid() {
			ip = d.ClientIP.String()
		}
		s.Offer(identity.AuditEvent{
			UID: d.UID, Action: identity.ActionForwardAuthDeny, IPAddress: ip, Status: identity.StatusFailure,
			UserAgent: authapi.CleanUserAgent(d.UserAgent),
			Detail: authapi.DenialDetail(d.Code, d.Door, d.Method, d.Host, d.Path),
		})
	})
}
