package oauth

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"

	"github.com/authgate/authgate/identity"
	"github.com/authgate/authgate/internal/redirect"
)

// PurposeState is the one-time token purpose of sign-in states.
const PurposeState = "oauth_state"

// Defaults of Flow's zero values.
const (
	DefaultStateTTL     = 10 * time.Minute
	DefaultPathPrefix   = "/api/auth/oauth"
	DefaultCookiePrefix = "authgate_oauth"
)

// maxCallbackForm bounds a form_post callback body.
const maxCallbackForm = 64 << 10

// Flow runs the authorization code flow for a set of providers. Fill in the
// fields, then do not change them; a Flow is safe for concurrent use.
type Flow struct {
	// Providers by Name; names must be unique.
	Providers []Provider
	// States keeps the single-use sign-in states. Required.
	States identity.OneTimeTokenStore
	// BaseURL is authgate's public URL: callback URLs are
	// BaseURL + PathPrefix + "/{provider}/callback". Required.
	BaseURL *url.URL
	// Redirects checks the back-link (rd) of Start; nil accepts only
	// BaseURL's host.
	Redirects *redirect.Policy
	// PathPrefix is where the API mounts the flow (DefaultPathPrefix).
	PathPrefix string
	// StateTTL is how long a started sign-in may take (DefaultStateTTL).
	StateTTL time.Duration
	// CookiePrefix names the browser-binding cookies (DefaultCookiePrefix).
	CookiePrefix string
	// Now is the clock (time.Now).
	Now func() time.Time

	once   sync.Once
	err    error
	byName map[string]Provider
}

// Started is the outcome of Start.
type Started struct {
	// URL is the provider's authorization URL: redirect the browser there.
	URL string
	// Cookie binds the sign-in to the browser: set it on the redirect.
	Cookie *http.Cookie
}

// Result is the outcome of a successful Finish.
type Result struct {
	Identity *Identity
	// RD is the checked back-link given to Start (BaseURL's "/" if none).
	RD string
}

// stateData is the non-secret part of a state record.
type stateData struct {
	Provider string `json:"p"`
	RD       string `json:"rd"`
	// Binding is the hash of the browser secret in the cookie.
	Binding string `json:"b"`
}

func (f *Flow) init() error {
	f.once.Do(func() {
		f.err = f.Validate()
		if f.err != nil {
			return
		}
		if f.PathPrefix == "" {
			f.PathPrefix = DefaultPathPrefix
		}
		f.PathPrefix = strings.TrimRight(f.PathPrefix, "/")
		if f.StateTTL <= 0 {
			f.StateTTL = DefaultStateTTL
		}
		if f.CookiePrefix == "" {
			f.CookiePrefix = DefaultCookiePrefix
		}
		if f.Now == nil {
			f.Now = time.Now
		}
		if f.Redirects == nil {
			f.Redirects, f.err = redirect.New(f.BaseURL, nil)
		}
		f.byName = make(map[string]Provider, len(f.Providers))
		for _, p := range f.Providers {
			f.byName[p.Name()] = p
		}
	})
	return f.err
}

// Validate reports every problem of the configuration at once.
func (f *Flow) Validate() error {
	var errs []error
	if f.States == nil {
		errs = append(errs, errors.New("oauth: States is required"))
	}
	if f.BaseURL == nil || (f.BaseURL.Scheme != "http" && f.BaseURL.Scheme != "https") || f.BaseURL.Host == "" {
		errs = append(errs, errors.New("oauth: BaseURL must be an absolute http(s) URL"))
	}
	seen := map[string]bool{}
	for _, p := range f.Providers {
		name := p.Name()
		if !ValidName(name) {
			errs = append(errs, fmt.Errorf("oauth: provider name %q must match %s", name, namePattern))
		}
		if seen[name] {
			errs = append(errs, fmt.Errorf("oauth: provider %q is configured twice", name))
		}
		seen[name] = true
		if v, ok := p.(interface{ Validate() error }); ok {
			if err := v.Validate(); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

// Names lists the configured providers' names in configuration order.
func (f *Flow) Names() []string {
	out := make([]string, 0, len(f.Providers))
	for _, p := range f.Providers {
		out = append(out, p.Name())
	}
	return out
}

// Provider returns the configured provider called name.
func (f *Flow) Provider(name string) (Provider, bool) {
	if f.init() != nil {
		return nil, false
	}
	p, ok := f.byName[name]
	return p, ok
}

// CallbackURL is the redirect URI to register with the provider.
func (f *Flow) CallbackURL(provider string) string {
	_ = f.init()
	return strings.TrimRight(f.BaseURL.String(), "/") + f.callbackPath(provider)
}

func (f *Flow) callbackPath(provider string) string {
	return f.PathPrefix + "/" + provider + "/callback"
}

// Start begins a sign-in with provider that will end at the back-link rd
// (empty: BaseURL's "/"). It stores a fresh state and returns the
// provider's URL and the cookie that binds the sign-in to this browser.
// Errors: ENOTFOUND for an unknown provider, EINVALID for a refused rd,
// EBADGATEWAY when the provider's discovery fails.
func (f *Flow) Start(ctx context.Context, provider, rd string) (*Started, error) {
	if err := f.init(); err != nil {
		return nil, err
	}
	p, ok := f.byName[provider]
	if !ok {
		return nil, identity.Errorf(identity.ENOTFOUND, "No such sign-in provider.")
	}
	if rd == "" {
		rd = "/"
	}
	back, ok := f.Redirects.Check(rd)
	if !ok {
		return nil, &identity.Error{Code: identity.EINVALID, Message: "The back-link is not allowed.",
			Fields: map[string]string{"rd": "must be a URL on an allowed host"}}
	}
	state, stateHash := identity.NewSecret()
	browser, browserHash := identity.NewSecret()
	data, err := json.Marshal(stateData{Provider: provider, RD: back, Binding: browserHash})
	if err != nil {
		return nil, fmt.Errorf("oauth: encode state: %w", err)
	}
	verifier, nonce := derive(browser, state)
	authURL, err := p.AuthURL(ctx, AuthRequest{
		State: state, Nonce: nonce, Challenge: oauth2.S256ChallengeFromVerifier(verifier),
		RedirectURL: f.CallbackURL(provider),
	})
	if err != nil {
		return nil, providerError(provider, err)
	}
	now := f.Now()
	exp := now.Add(f.StateTTL)
	if err := f.States.CreateOneTimeToken(ctx, &identity.OneTimeToken{
		Hash: stateHash, Purpose: PurposeState, Data: string(data), CreatedAt: now, ExpiresAt: exp,
	}); err != nil {
		return nil, fmt.Errorf("oauth: store state: %w", err)
	}
	c := f.cookie(p, state, browser)
	c.MaxAge = int(f.StateTTL / time.Second)
	c.Expires = exp
	return &Started{URL: authURL, Cookie: c}, nil
}

// Finish ends a sign-in at the callback of provider: r is the provider's
// GET (query) or POST (form_post) to the callback. It returns the verified
// identity and back-link, and always the cookie that removes the browser
// binding (set it on the answer, also after an error). Every refusal is an
// *identity.Error wrapping one of the Err* values of this package:
//
//   - ErrState (invalid_token): unknown, used, expired or another
//     provider's state;
//   - ErrBrowserMismatch (forbidden): the browser lacks the cookie of the
//     state;
//   - ErrDenied (forbidden): the provider sent error=...; Extra carries a
//     well-formed provider_error code;
//   - ErrExchange, ErrIDToken (invalid_token), ErrProfile, ErrUnavailable
//     (bad_gateway).
//
// The state is consumed before anything else is checked, so it is
// single-use whatever happens next.
func (f *Flow) Finish(ctx context.Context, r *http.Request, provider string) (*Result, *http.Cookie, error) {
	if err := f.init(); err != nil {
		return nil, nil, err
	}
	p, ok := f.byName[provider]
	if !ok {
		return nil, nil, identity.Errorf(identity.ENOTFOUND, "No such sign-in provider.")
	}
	form, err := callbackForm(r)
	if err != nil {
		return nil, nil, err
	}
	state := form.Get("state")
	if state == "" || len(state) > 512 {
		return nil, nil, stateError(ErrState)
	}
	clear := f.cookie(p, state, "")
	clear.MaxAge = -1
	tok, err := f.States.ConsumeOneTimeToken(ctx, PurposeState, identity.HashSecret(state), f.Now())
	if err != nil {
		if identity.IsCode(err, identity.EINVALIDTOKEN) {
			return nil, clear, stateError(ErrState)
		}
		return nil, clear, fmt.Errorf("oauth: consume state: %w", err)
	}
	var data stateData
	if err := json.Unmarshal([]byte(tok.Data), &data); err != nil || data.Provider != provider {
		return nil, clear, stateError(ErrState)
	}
	c, err := r.Cookie(f.cookieName(state))
	if err != nil || subtle.ConstantTimeCompare([]byte(identity.HashSecret(c.Value)), []byte(data.Binding)) != 1 {
		return nil, clear, identity.Wrap(identity.EFORBIDDEN,
			"This sign-in was started in another browser or its cookie was lost; start the sign-in again.", ErrBrowserMismatch)
	}
	if pe := form.Get("error"); pe != "" {
		return nil, clear, &identity.Error{Code: identity.EFORBIDDEN, Message: "The sign-in was cancelled or refused at the provider.",
			Extra: map[string]any{"provider_error": safeCode(pe)}, Err: ErrDenied}
	}
	code := form.Get("code")
	if code == "" || len(code) > 4096 {
		return nil, clear, identity.Wrap(identity.EINVALIDTOKEN, "The provider sent no authorization code.", ErrExchange)
	}
	verifier, nonce := derive(c.Value, state)
	id, err := p.Exchange(ctx, Callback{Code: code, Verifier: verifier, Nonce: nonce, RedirectURL: f.CallbackURL(provider), Form: form})
	if err != nil {
		return nil, clear, providerError(provider, err)
	}
	return &Result{Identity: id, RD: data.RD}, clear, nil
}

// callbackForm returns the callback's parameters: the query of a GET, the
// (bounded) form of a POST.
func callbackForm(r *http.Request) (url.Values, error) {
	if r.Method != http.MethodPost {
		return r.URL.Query(), nil
	}
	r.Body = http.MaxBytesReader(nil, r.Body, maxCallbackForm)
	if err := r.ParseForm(); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, identity.Errorf(identity.EPAYLOADTOOLARGE, "The callback form is too large.")
		}
		return nil, identity.Wrap(identity.EMALFORMED, "The callback form is malformed.", err)
	}
	return r.PostForm, nil
}

func stateError(err error) error {
	return identity.Wrap(identity.EINVALIDTOKEN, "This sign-in is not valid, was already used or has expired; start the sign-in again.", err)
}

// providerError turns a provider's failure into a client-facing error.
func providerError(provider string, err error) error {
	switch {
	case errors.Is(err, ErrExchange):
		return identity.Wrap(identity.EINVALIDTOKEN, "The provider refused the authorization code; start the sign-in again.", err)
	case errors.Is(err, ErrIDToken):
		return identity.Wrap(identity.EINVALIDTOKEN, "The provider's ID token is not valid.", err)
	case errors.Is(err, ErrProfile), errors.Is(err, ErrUnavailable):
		return identity.Wrap(identity.EBADGATEWAY, "The sign-in provider did not answer as expected; try again later.", err)
	default:
		return fmt.Errorf("oauth: %s: %w", provider, err)
	}
}

// Reason is a short, non-secret word for an error of Start or Finish, for
// audit rows and metrics: "state", "browser_mismatch", "denied",
// "exchange", "id_token", "profile", "unavailable", or the error's code.
func Reason(err error) string {
	for _, r := range []struct {
		err  error
		word string
	}{
		{ErrState, "state"}, {ErrBrowserMismatch, "browser_mismatch"}, {ErrDenied, "denied"},
		{ErrExchange, "exchange"}, {ErrIDToken, "id_token"}, {ErrProfile, "profile"}, {ErrUnavailable, "unavailable"},
	} {
		if errors.Is(err, r.err) {
			return r.word
		}
	}
	return identity.ErrorCode(err)
}

// cookieName is the binding cookie of one state: several sign-ins may run
// in one browser (tabs) without overwriting each other's cookie.
func (f *Flow) cookieName(state string) string {
	return f.CookiePrefix + "_" + identity.HashSecret(state)[:16]
}

// cookie is the binding cookie of state for provider, limited to the
// callback path. A form_post provider posts cross-site, which SameSite=Lax
// cookies do not follow, so its cookie is SameSite=None (and therefore
// Secure, which needs an https BaseURL).
func (f *Flow) cookie(p Provider, state, value string) *http.Cookie {
	c := &http.Cookie{
		Name: f.cookieName(state), Value: value, Path: f.callbackPath(p.Name()),
		HttpOnly: true, Secure: f.BaseURL.Scheme == "https", SameSite: http.SameSiteLaxMode,
	}
	if p.ResponseMode() == ResponseModeFormPost && c.Secure {
		c.SameSite = http.SameSiteNoneMode
	}
	return c
}

// derive computes the PKCE verifier and the nonce of a sign-in from the
// browser secret and the state (HMAC-SHA256, base64url: 43 characters, a
// valid RFC 7636 verifier).
func derive(browser, state string) (verifier, nonce string) {
	mac := func(label string) string {
		m := hmac.New(sha256.New, []byte(browser))
		m.Write([]byte(label))
		m.Write([]byte{0})
		m.Write([]byte(state))
		return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
	}
	return mac("pkce"), mac("nonce")
}
