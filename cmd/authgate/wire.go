package main

import (
	"context"
	"fmt"
	"maps"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/authgate/authgate/authapi"
	"github.com/authgate/authgate/cache"
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
	"github.com/authgate/authgate/token"
)

// connectRedis connects to AUTHGATE_REDIS_URL, when set.
func (a *app) connectRedis(ctx context.Context) error {
	if a.cfg.RedisURL == "" {
		return nil
	}
	opt, err := redis.ParseURL(a.cfg.RedisURL)
	if err != nil {
		return fmt.Errorf("AUTHGATE_REDIS_URL: %w", err)
	}
	a.rdb = redis.NewClient(opt)
	a.closers = append(a.closers, a.rdb.Close)
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := a.rdb.Ping(pctx).Err(); err != nil {
		return fmt.Errorf("redis: %w", err)
	}
	return nil
}

// tokens are the signing keys' users: the access-token issuer, the
// sign-in cookie's issuer and the verifier of authgate's own tokens.
type tokens struct {
	issuer, cookieIssuer *token.Issuer
	verifier             *token.Verifier
}

// buildTokens loads (or generates) the signing keys and makes the issuers,
// the verifier and the discovery document.
func (a *app) buildTokens(ctx context.Context) (*tokens, error) {
	cfg := a.cfg
	// A retired key keeps verifying for longer than any token it signed
	// lives: access tokens and the sign-in cookie's tokens.
	ksCfg := token.KeySetConfig{Algorithm: cfg.SigningAlg, RetiredKeyGrace: max(token.DefaultRetiredKeyGrace, 2*cfg.AccessTTL, 2*cfg.CookieTTL)}
	var err error
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
	t := &tokens{}
	if t.issuer, err = token.NewIssuer(a.keys, tokCfg); err != nil {
		return nil, err
	}
	// The sign-in cookie's tokens: the same keys and claims, the cookie's
	// lifetime. Every request still checks their session, so logout and
	// revocation refuse them at once.
	cookieCfg := tokCfg
	cookieCfg.AccessTTL = cfg.CookieTTL
	if t.cookieIssuer, err = token.NewIssuer(a.keys, cookieCfg); err != nil {
		return nil, err
	}
	if t.verifier, err = token.NewVerifier(a.keys, tokCfg); err != nil {
		return nil, err
	}
	if a.discovery, err = token.DiscoveryHandler(tokCfg, a.keys); err != nil {
		return nil, err
	}
	return t, nil
}

// identities are where accounts live and which credentials are accepted.
type identities struct {
	provider   identity.Provider
	ensureUser func(context.Context, *identity.Principal) (*identity.User, error)
}

// buildIdentity makes the identity provider (local or Firebase), the
// verifier chain (authgate JWTs first, then Firebase ID tokens when a project
// is configured) and the caching, revocation-aware authenticator around it.
func (a *app) buildIdentity(ctx context.Context, jwt identity.Verifier) (*identities, error) {
	cfg := a.cfg
	hasher, err := password.New()
	if err != nil {
		return nil, err
	}
	lp := local.New(a.db, hasher)
	lp.Logger = a.log
	id := &identities{provider: lp}
	chain := identity.Chain{jwt}
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
		id.ensureUser = a.fb.EnsureUser
		if a.fb.Emulator() {
			a.log.Warn("Firebase Auth Emulator in use: ID token signatures are NOT checked", "project", cfg.FirebaseProjectID)
		}
	}
	if cfg.Provider == "firebase" {
		fp, err := a.fb.Provider()
		if err != nil {
			return nil, fmt.Errorf("firebase provider: %w", err)
		}
		id.provider = fp
	}

	a.auth = &cache.Authenticator{
		Next:       chain,
		Users:      a.db,
		Sessions:   a.db,
		Config:     cache.Config{TokenCacheBytes: cfg.CacheMaxCost / 2, ProfileCacheBytes: cfg.CacheMaxCost / 2, ProfileTTL: cfg.CacheProfileTTL},
		Registerer: a.reg,
		Redis:      a.rdb,
		Logger:     a.log,
	}
	if err := a.auth.Open(ctx); err != nil {
		return nil, fmt.Errorf("cache: %w", err)
	}
	a.closers = append(a.closers, a.auth.Close)
	return id, nil
}

// buildLimiter makes the rate limits: the defaults with AUTHGATE_RATE_LIMITS
// over them, counted in Redis when it is configured.
func (a *app) buildLimiter(ctx context.Context) (*limiter.Limiter, error) {
	rates := limiter.DefaultRates()
	if a.cfg.RateLimits != "" {
		over, err := limiter.ParseRates(a.cfg.RateLimits)
		if err != nil {
			return nil, fmt.Errorf("AUTHGATE_RATE_LIMITS: %w", err)
		}
		maps.Copy(rates, over)
	}
	lim, err := limiter.New(ctx, rates, a.rdb)
	if err != nil {
		return nil, fmt.Errorf("rate limits: %w", err)
	}
	return lim, nil
}

// buildAPI makes the /api/auth handlers.
func (a *app) buildAPI(ctx context.Context, tok *tokens, id *identities) error {
	cfg := a.cfg
	lim, err := a.buildLimiter(ctx)
	if err != nil {
		return err
	}
	mailer, err := mail.New(cfg.SMTPURL, cfg.MailFrom, a.log)
	if err != nil {
		return fmt.Errorf("AUTHGATE_SMTP_URL: %w", err)
	}
	if a.trusted, err = httpx.ParseTrustedProxies(cfg.TrustedProxies); err != nil {
		return err
	}
	redirects, err := redirect.New(cfg.PublicURL, cfg.RedirectHosts)
	if err != nil {
		return fmt.Errorf("AUTHGATE_REDIRECT_HOSTS: %w", err)
	}
	a.api = &authapi.API{
		Provider:                 id.provider,
		Users:                    a.db,
		Sessions:                 a.db,
		OneTime:                  a.db,
		Audit:                    a.db,
		Tokens:                   tok.issuer,
		Verifier:                 a.auth,
		Invalidator:              a.auth,
		Mailer:                   mailer,
		ResetMessage:             mail.PasswordResetMessage,
		VerificationMessage:      mail.VerificationMessage,
		TOTP:                     &mfa.Service{Users: a.db, OneTime: a.db},
		Limiter:                  lim,
		EnsureUser:               id.ensureUser,
		PasswordRules:            password.Check,
		Trusted:                  a.trusted,
		PublicURL:                cfg.PublicURL,
		AccessTTL:                cfg.AccessTTL,
		RefreshTTL:               cfg.RefreshTTL,
		ResetTTL:                 cfg.ResetTTL,
		VerifyTTL:                cfg.VerifyTTL,
		CookieName:               cfg.CookieName,
		CookieDomain:             cfg.CookieDomain,
		CookieTokens:             tok.cookieIssuer,
		CookieTTL:                cfg.CookieTTL,
		Redirects:                redirects,
		RequireEmailVerification: cfg.RequireEmailVerification,
		Log:                      a.log,
	}
	if a.api.OAuth, err = buildOAuth(cfg, a.db, redirects); err != nil {
		return err
	}
	return a.api.Validate()
}

// buildGateway makes the policy source (a watched file or the built-in
// "authenticated everywhere") and the forward-auth/sidecar gateway.
func (a *app) buildGateway() error {
	cfg := a.cfg
	var src policy.Source = policy.Static{}
	if cfg.PolicyFile != "" {
		var err error
		if a.policy, err = policy.NewWatcher(cfg.PolicyFile, a.log); err != nil {
			return fmt.Errorf("AUTHGATE_POLICY_FILE: %w", err)
		}
		src = a.policy
	}
	a.gw = &gateway.Gateway{
		Verifier:   a.auth,
		Policy:     src,
		Trusted:    a.trusted,
		CookieName: cfg.CookieName,
		SignInURL:  cfg.SignInURL,
		Headers: gateway.HeaderNames{
			UserID: cfg.HeaderUserID, Email: cfg.HeaderEmail, EmailVerified: cfg.HeaderEmailVerfied,
			Roles: cfg.HeaderRoles, Name: cfg.HeaderName,
		},
		Upstream:              cfg.Upstream,
		DialTimeout:           cfg.UpstreamDialTimeout,
		ResponseHeaderTimeout: cfg.UpstreamHeaderTimeout,
		Log:                   a.log,
		Registerer:            a.reg,
		Audit:                 a.denialAudit(),
	}
	if err := a.gw.Provision(); err != nil {
		return fmt.Errorf("gateway: %w", err)
	}
	return nil
}
