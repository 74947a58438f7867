package firebase

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"sync"

	fb "firebase.google.com/go/v4"
	"firebase.google.com/go/v4/auth"
	"golang.org/x/oauth2/google"
	"google.golang.org/api/option"
)

// Client is a connection to one Firebase project: the Admin SDK's auth
// client and the Identity Toolkit REST client. It is safe for concurrent use.
type Client struct {
	cfg      Config
	auth     *auth.Client
	rest     *restClient
	hasCreds bool
	revoked  *revocationCache
	issuer   string

	verifier *Verifier
	provider *Provider
}

// New builds a Client from cfg. It makes no network call.
//
// It fails with *EmulatorNotAllowedError when an emulator host is set (in
// cfg or in FIREBASE_AUTH_EMULATOR_HOST) for a project id without the
// "demo-" prefix and cfg.AllowEmulator is off.
func New(ctx context.Context, cfg Config) (*Client, error) {
	if cfg.EmulatorHost == "" {
		// The Admin SDK reads the variable itself: what it would do must be
		// what we check.
		cfg.EmulatorHost = os.Getenv(EmulatorHostEnv)
	}
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}

	var opts []option.ClientOption
	hasCreds := true
	switch {
	case cfg.EmulatorHost != "":
		// The SDK authenticates to the emulator with a fixed owner token.
	case cfg.CredentialsFile != "":
		typ, err := credentialsType(cfg.CredentialsFile)
		if err != nil {
			return nil, err
		}
		opts = append(opts, option.WithAuthCredentialsFile(typ, cfg.CredentialsFile))
	default:
		if _, err := google.FindDefaultCredentials(ctx, "https://www.googleapis.com/auth/cloud-platform"); err != nil {
			// Verification of ID tokens needs only Google's public keys.
			opts = append(opts, option.WithoutAuthentication())
			hasCreds = false
		}
	}

	app, err := fb.NewApp(ctx, &fb.Config{ProjectID: cfg.ProjectID}, opts...)
	if err != nil {
		return nil, fmt.Errorf("firebase: new app: %w", err)
	}
	ac, err := newAuthClient(ctx, app, cfg.EmulatorHost)
	if err != nil {
		return nil, fmt.Errorf("firebase: auth client: %w", err)
	}

	c := &Client{
		cfg:      cfg,
		auth:     ac,
		rest:     newRESTClient(cfg.EmulatorHost, cfg.APIKey, &http.Client{Timeout: cfg.HTTPTimeout}),
		hasCreds: hasCreds,
		revoked:  newRevocationCache(cfg.RevocationCacheTTL, cfg.RevocationCacheMax, cfg.Now),
		issuer:   "https://securetoken.google.com/" + cfg.ProjectID,
	}
	c.verifier = &Verifier{c: c}
	c.provider = &Provider{c: c}
	return c, nil
}

// envMu serializes the moment in which New points FIREBASE_AUTH_EMULATOR_HOST
// at the configured emulator: the Admin SDK reads only that variable, once,
// while it builds its client.
var envMu sync.Mutex

// newAuthClient builds the SDK's auth client with FIREBASE_AUTH_EMULATOR_HOST
// set to host ("" = unset) and restores the variable afterwards, so that the
// configured emulator host, not whatever the process environment holds,
// decides the mode.
func newAuthClient(ctx context.Context, app *fb.App, host string) (*auth.Client, error) {
	envMu.Lock()
	defer envMu.Unlock()
	prev, had := os.LookupEnv(EmulatorHostEnv)
	if prev != host {
		if host == "" {
			os.Unsetenv(EmulatorHostEnv)
		} else {
			os.Setenv(EmulatorHostEnv, host)
		}
		defer func() {
			if had {
				os.Setenv(EmulatorHostEnv, prev)
			} else {
				os.Unsetenv(EmulatorHostEnv)
			}
		}()
	}
	return app.Auth(ctx)
}

// credentialsType reads the type of a credentials file and refuses anything
// but service accounts and user credentials, as Google advises for files
// from configuration (external_account files can make the library run
// commands); the library then checks the file is of that type.
func credentialsType(path string) (option.CredentialsType, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("firebase: credentials file: %w", err)
	}
	var f struct {
		Type string `json:"type"`
	}
	if err := json.Unmarshal(b, &f); err != nil {
		return "", fmt.Errorf("firebase: credentials file %s: not JSON: %w", path, err)
	}
	switch f.Type {
	case "service_account":
		return option.ServiceAccount, nil
	case "authorized_user":
		return option.AuthorizedUser, nil
	default:
		return "", fmt.Errorf("firebase: credentials file %s: type %q is not supported (want service_account)", path, f.Type)
	}
}

// ProjectID returns the Firebase project id.
func (c *Client) ProjectID() string { return c.cfg.ProjectID }

// Emulator reports whether the client talks to the Auth Emulator (whose
// tokens are not signed).
func (c *Client) Emulator() bool { return c.cfg.EmulatorHost != "" }

// HasCredentials reports whether Google credentials were found; without
// them only the Verifier works.
func (c *Client) HasCredentials() bool { return c.hasCreds }

// Issuer is the iss claim of the project's ID tokens.
func (c *Client) Issuer() string { return c.issuer }

// Auth returns the Admin SDK auth client, for operations this package does
// not wrap. Calls on it should carry a deadline.
func (c *Client) Auth() *auth.Client { return c.auth }

// Verifier returns the client's ID-token verifier.
func (c *Client) Verifier() *Verifier { return c.verifier }

// Provider returns the client's identity provider. It fails when what the
// provider needs is missing: credentials (ErrNoCredentials), the API key
// outside the emulator (ErrNoAPIKey) or the user store (ErrNoUserStore).
func (c *Client) Provider() (*Provider, error) {
	switch {
	case c.cfg.Users == nil:
		return nil, ErrNoUserStore
	case !c.hasCreds:
		return nil, ErrNoCredentials
	case c.cfg.APIKey == "" && !c.Emulator():
		return nil, ErrNoAPIKey
	}
	return c.provider, nil
}

// timeout returns ctx bounded by the configured HTTP timeout.
func (c *Client) timeout(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, c.cfg.HTTPTimeout)
}
