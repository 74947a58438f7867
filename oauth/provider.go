package oauth

import (
	"context"
	"errors"
	"net/url"
	"regexp"
)

// Response modes: how the provider sends the browser back.
const (
	// ResponseModeQuery is a GET to the callback with code and state in the
	// query (the default of RFC 6749).
	ResponseModeQuery = "query"
	// ResponseModeFormPost is a cross-site POST of code and state as a form
	// (OAuth 2.0 Form Post Response Mode); Apple uses it whenever the name
	// or email scope is asked for.
	ResponseModeFormPost = "form_post"
)

// Identity is what a provider vouches for about the signed-in user.
type Identity struct {
	// Provider is the Name of the provider.
	Provider string
	// Subject is the provider's stable, unique id of the user (sub, or
	// Facebook's app-scoped id).
	Subject string
	// Email is the address the provider gave, possibly empty.
	Email string
	// EmailVerified is true only when the provider asserts that the user
	// controls Email (see the package doc).
	EmailVerified bool
	Name          string
	Picture       string
}

// AuthRequest is what a provider needs to build its authorization URL.
type AuthRequest struct {
	State       string
	Nonce       string // OpenID Connect providers put it into the ID token
	Challenge   string // PKCE S256 code challenge
	RedirectURL string // the callback URL registered with the provider
}

// Callback is what a provider needs to finish a sign-in.
type Callback struct {
	Code        string
	Verifier    string // PKCE code verifier
	Nonce       string // the nonce the ID token must carry
	RedirectURL string
	// Form is the whole callback query or form, for provider extras (Apple
	// posts the user's name as "user" on the first sign-in only).
	Form url.Values
}

// Provider is one outside sign-in provider.
type Provider interface {
	// Name is the provider's name in URLs and audit rows ("google").
	Name() string
	// ResponseMode is ResponseModeQuery or ResponseModeFormPost.
	ResponseMode() string
	// AuthURL returns the URL to send the browser to.
	AuthURL(ctx context.Context, req AuthRequest) (string, error)
	// Exchange trades the code for the user's verified identity.
	Exchange(ctx context.Context, cb Callback) (*Identity, error)
}

// Errors of providers and the flow. They are matched with errors.Is; the
// flow wraps them into *identity.Error values with a client-facing code.
var (
	// ErrState: the state is unknown, used, expired or for another provider.
	ErrState = errors.New("oauth: invalid or expired state")
	// ErrBrowserMismatch: the callback came from a browser that did not
	// start the sign-in.
	ErrBrowserMismatch = errors.New("oauth: state not bound to this browser")
	// ErrDenied: the provider answered with an error (the user cancelled).
	ErrDenied = errors.New("oauth: provider returned an error")
	// ErrExchange: the provider refused the code (wrong PKCE verifier,
	// used or expired code).
	ErrExchange = errors.New("oauth: code exchange refused")
	// ErrIDToken: the ID token is missing or does not verify (signature,
	// issuer, audience, expiry, nonce).
	ErrIDToken = errors.New("oauth: invalid ID token")
	// ErrProfile: the provider's answer lacks a subject or is malformed.
	ErrProfile = errors.New("oauth: invalid profile")
	// ErrUnavailable: the provider could not be reached.
	ErrUnavailable = errors.New("oauth: provider unavailable")
)

// namePattern is what a provider name may look like: it appears in paths,
// cookie names and derived uids.
var namePattern = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,31}$`)

// ValidName reports whether name can name a provider.
func ValidName(name string) bool { return namePattern.MatchString(name) }
