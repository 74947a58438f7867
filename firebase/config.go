package firebase

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/authgate/authgate/identity"
)

// EmulatorHostEnv is the environment variable through which the Admin SDK
// (and the Firebase CLI) point at the Auth Emulator.
const EmulatorHostEnv = "FIREBASE_AUTH_EMULATOR_HOST"

// Defaults applied by New to zero Config fields.
const (
	DefaultHTTPTimeout        = 10 * time.Second
	DefaultRevocationCacheTTL = 30 * time.Second
	DefaultRevocationCacheMax = 10000
)

// Config configures a Client.
type Config struct {
	// ProjectID is the Firebase project (AUTHGATE_FIREBASE_PROJECT_ID). Required.
	ProjectID string
	// APIKey is the project's Web API key (AUTHGATE_FIREBASE_API_KEY), used
	// for the Identity Toolkit REST calls. Required for the Provider, except
	// against the emulator, which accepts any key.
	APIKey string
	// CredentialsFile is a service-account JSON file. Empty: Google's
	// application default credentials (GOOGLE_APPLICATION_CREDENTIALS, the
	// metadata server). Without any credentials only the Verifier works.
	CredentialsFile string
	// EmulatorHost ("127.0.0.1:9099") points the client at the Auth
	// Emulator. Empty: the value of FIREBASE_AUTH_EMULATOR_HOST, because the
	// Admin SDK honours that variable in any case.
	//
	// The emulator does not sign ID tokens and they are accepted unsigned:
	// this MUST NOT be set in production.
	EmulatorHost string
	// AllowEmulator permits an emulator host for a project id that does not
	// start with "demo-". Leave it off: it exists for emulators run with a
	// real project id, which is a development setup only.
	AllowEmulator bool
	// HTTPTimeout bounds every call to Firebase (default DefaultHTTPTimeout).
	HTTPTimeout time.Duration
	// CheckRevoked makes the Verifier refuse tokens of deleted or disabled
	// users and tokens issued before their refresh tokens were revoked. This
	// costs a user lookup at Firebase per uid and RevocationCacheTTL.
	CheckRevoked bool
	// RevocationCacheTTL is how long a uid's revocation state is reused
	// (default DefaultRevocationCacheTTL).
	RevocationCacheTTL time.Duration
	// RevocationCacheMax bounds the number of cached uids (default
	// DefaultRevocationCacheMax).
	RevocationCacheMax int
	// Users keeps authgate's users rows, keyed by the Firebase uid. Required
	// for the Provider and EnsureUser.
	Users identity.UserStore
	// PasswordPolicy, when set, checks a new password before it is sent to
	// Firebase (Register, SetPassword, ConfirmPasswordReset); it should
	// answer an *identity.Error with code identity.EWEAKPASSWORD. Firebase's
	// own minimum (6 characters) always applies.
	PasswordPolicy func(password string) error
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// EmulatorNotAllowedError is returned by New when an emulator host is set
// for a project that is not a "demo-" project and AllowEmulator is off.
type EmulatorNotAllowedError struct {
	Host      string
	ProjectID string
}

func (e *EmulatorNotAllowedError) Error() string {
	return fmt.Sprintf("firebase: refusing the Auth Emulator at %q for project %q: emulator tokens are unsigned; "+
		"use a \"demo-\" project id, unset %s, or allow the emulator explicitly", e.Host, e.ProjectID, EmulatorHostEnv)
}

// ErrNoCredentials is returned by Client.Provider when no Google credentials
// were found: without them Firebase refuses user management.
var ErrNoCredentials = errors.New("firebase: no Google credentials (set GOOGLE_APPLICATION_CREDENTIALS to a service-account file)")

// ErrNoAPIKey is returned by Client.Provider when Config.APIKey is empty
// outside the emulator.
var ErrNoAPIKey = errors.New("firebase: the Web API key is required for password sign-in (AUTHGATE_FIREBASE_API_KEY)")

// ErrNoUserStore is returned by Client.Provider when Config.Users is nil.
var ErrNoUserStore = errors.New("firebase: Config.Users is required for the provider")

// IsDemoProject reports whether id names a Firebase demo project, which
// exists only in the emulator.
func IsDemoProject(id string) bool { return strings.HasPrefix(id, "demo-") }

// withDefaults returns cfg with zero fields set to their defaults.
func (cfg Config) withDefaults() Config {
	if cfg.HTTPTimeout <= 0 {
		cfg.HTTPTimeout = DefaultHTTPTimeout
	}
	if cfg.RevocationCacheTTL <= 0 {
		cfg.RevocationCacheTTL = DefaultRevocationCacheTTL
	}
	if cfg.RevocationCacheMax <= 0 {
		cfg.RevocationCacheMax = DefaultRevocationCacheMax
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return cfg
}

// validate checks the settings New cannot work without.
func (cfg Config) validate() error {
	if strings.TrimSpace(cfg.ProjectID) == "" {
		return errors.New("firebase: project id is required")
	}
	if cfg.EmulatorHost != "" {
		if strings.Contains(cfg.EmulatorHost, "/") {
			return fmt.Errorf("firebase: emulator host %q must be host:port, without scheme or path", cfg.EmulatorHost)
		}
		if !IsDemoProject(cfg.ProjectID) && !cfg.AllowEmulator {
			return &EmulatorNotAllowedError{Host: cfg.EmulatorHost, ProjectID: cfg.ProjectID}
		}
	}
	return nil
}
