package oauth

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// DefaultHTTPTimeout bounds each call to a provider when HTTPClient is nil.
const DefaultHTTPTimeout = 10 * time.Second

// defaultHTTPClient is used by providers without an HTTPClient.
var defaultHTTPClient = &http.Client{Timeout: DefaultHTTPTimeout}

// OIDC is an OpenID Connect provider found by discovery at
// Issuer/.well-known/openid-configuration: the authorization code flow with
// PKCE and a nonce, the identity taken from the verified ID token. Discovery
// runs on first use (not at startup, so an unreachable provider does not
// stop authgate) and is retried until it succeeds. Fill in the fields, then
// do not change them.
type OIDC struct {
	// ProviderName is the provider's Name ("google", "oidc").
	ProviderName string
	// Issuer is the issuer URL; it must equal the discovery document's
	// issuer and the ID tokens' iss.
	Issuer       string
	ClientID     string
	ClientSecret string
	// SecretSource, when set, gives the client secret for each exchange
	// instead of ClientSecret (Apple's signed JWT).
	SecretSource func() (string, error)
	// Scopes asked for; nil means openid, email and profile.
	Scopes []string
	// Mode is ResponseModeQuery (the zero value) or ResponseModeFormPost.
	Mode string
	// AuthStyle is how the client authenticates at the token endpoint;
	// zero lets x/oauth2 find out (and remember) by trying.
	AuthStyle oauth2.AuthStyle
	// FromForm, when set, may complete the identity from the callback's
	// form after the ID token was verified (Apple's "user" member).
	FromForm func(form url.Values, id *Identity)
	// HTTPClient makes every call to the provider (discovery, keys, token);
	// nil uses a client with DefaultHTTPTimeout.
	HTTPClient *http.Client
	// Now is the clock for ID token expiry (time.Now).
	Now func() time.Time

	mu       sync.Mutex
	provider *oidc.Provider
}

var _ Provider = (*OIDC)(nil)

// Name implements Provider.
func (o *OIDC) Name() string { return o.ProviderName }

// ResponseMode implements Provider.
func (o *OIDC) ResponseMode() string {
	if o.Mode == "" {
		return ResponseModeQuery
	}
	return o.Mode
}

// Validate reports a provider that cannot work.
func (o *OIDC) Validate() error {
	switch {
	case !ValidName(o.ProviderName):
		return fmt.Errorf("oauth: provider name %q must match %s", o.ProviderName, namePattern)
	case o.ClientID == "":
		return fmt.Errorf("oauth: %s: client id is required", o.ProviderName)
	case o.ClientSecret == "" && o.SecretSource == nil:
		return fmt.Errorf("oauth: %s: client secret is required", o.ProviderName)
	case o.Mode != "" && o.Mode != ResponseModeQuery && o.Mode != ResponseModeFormPost:
		return fmt.Errorf("oauth: %s: unknown response mode %q", o.ProviderName, o.Mode)
	}
	u, err := url.Parse(o.Issuer)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fmt.Errorf("oauth: %s: issuer must be an absolute http(s) URL", o.ProviderName)
	}
	return nil
}

func (o *OIDC) client() *http.Client {
	if o.HTTPClient != nil {
		return o.HTTPClient
	}
	return defaultHTTPClient
}

func (o *OIDC) now() time.Time {
	if o.Now != nil {
		return o.Now()
	}
	return time.Now()
}

// discover returns the provider, fetching its discovery document once.
func (o *OIDC) discover(ctx context.Context) (*oidc.Provider, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.provider != nil {
		return o.provider, nil
	}
	// The key set keeps this context (without its cancellation) for its
	// later fetches, so it must carry the client.
	p, err := oidc.NewProvider(oidc.ClientContext(ctx, o.client()), o.Issuer)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: discovery: %w", ErrUnavailable, o.ProviderName, err)
	}
	o.provider = p
	return p, nil
}

func (o *OIDC) config(p *oidc.Provider, redirectURL, secret string) *oauth2.Config {
	ep := p.Endpoint()
	ep.AuthStyle = o.AuthStyle
	scopes := o.Scopes
	if scopes == nil {
		scopes = []string{oidc.ScopeOpenID, "email", "profile"}
	}
	return &oauth2.Config{ClientID: o.ClientID, ClientSecret: secret, Endpoint: ep, RedirectURL: redirectURL, Scopes: scopes}
}

// AuthURL implements Provider.
func (o *OIDC) AuthURL(ctx context.Context, req AuthRequest) (string, error) {
	p, err := o.discover(ctx)
	if err != nil {
		return "", err
	}
	opts := []oauth2.AuthCodeOption{
		oidc.Nonce(req.Nonce),
		oauth2.SetAuthURLParam("code_challenge", req.Challenge),
		oauth2.SetAuthURLParam("code_challenge_method", "S256"),
	}
	if o.ResponseMode() == ResponseModeFormPost {
		opts = append(opts, oauth2.SetAuthURLParam("response_mode", ResponseModeFormPost))
	}
	return o.config(p, req.RedirectURL, "").AuthCodeURL(req.State, opts...), nil
}

// idClaims are the ID token claims an Identity is made of.
type idClaims struct {
	Email         string   `json:"email"`
	EmailVerified flexBool `json:"email_verified"`
	Name          string   `json:"name"`
	GivenName     string   `json:"given_name"`
	FamilyName    string   `json:"family_name"`
	Picture       string   `json:"picture"`
}

// Exchange implements Provider: it redeems the code with the PKCE verifier
// and verifies the ID token (signature, iss, aud, exp, nonce).
func (o *OIDC) Exchange(ctx context.Context, cb Callback) (*Identity, error) {
	p, err := o.discover(ctx)
	if err != nil {
		return nil, err
	}
	secret := o.ClientSecret
	if o.SecretSource != nil {
		if secret, err = o.SecretSource(); err != nil {
			return nil, fmt.Errorf("oauth: %s: client secret: %w", o.ProviderName, err)
		}
	}
	tok, err := exchange(ctx, o.client(), o.config(p, cb.RedirectURL, secret), cb.Code, cb.Verifier)
	if err != nil {
		return nil, fmt.Errorf("oauth: %s: %w", o.ProviderName, err)
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return nil, fmt.Errorf("%w: %s: the token response has no id_token", ErrIDToken, o.ProviderName)
	}
	v := p.Verifier(&oidc.Config{ClientID: o.ClientID, Now: o.now})
	idt, err := v.Verify(oidc.ClientContext(ctx, o.client()), raw)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrIDToken, o.ProviderName, err)
	}
	if cb.Nonce == "" || subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(cb.Nonce)) != 1 {
		return nil, fmt.Errorf("%w: %s: nonce mismatch", ErrIDToken, o.ProviderName)
	}
	if idt.Subject == "" || len(idt.Subject) > 255 {
		return nil, fmt.Errorf("%w: %s: bad subject", ErrProfile, o.ProviderName)
	}
	var c idClaims
	if err := idt.Claims(&c); err != nil {
		return nil, fmt.Errorf("%w: %s: claims: %w", ErrProfile, o.ProviderName, err)
	}
	id := &Identity{
		Provider: o.ProviderName, Subject: idt.Subject,
		Email: c.Email, EmailVerified: c.Email != "" && bool(c.EmailVerified),
		Name: c.Name, Picture: c.Picture,
	}
	if id.Name == "" {
		id.Name = joinName(c.GivenName, c.FamilyName)
	}
	if o.FromForm != nil {
		o.FromForm(cb.Form, id)
	}
	return id, nil
}

// exchange redeems code at the token endpoint of cfg, telling a refusal
// (ErrExchange) from an unreachable provider (ErrUnavailable).
func exchange(ctx context.Context, client *http.Client, cfg *oauth2.Config, code, verifier string) (*oauth2.Token, error) {
	ctx = context.WithValue(ctx, oauth2.HTTPClient, client)
	tok, err := cfg.Exchange(ctx, code, oauth2.VerifierOption(verifier))
	if err == nil {
		return tok, nil
	}
	var re *oauth2.RetrieveError
	if errors.As(err, &re) && re.Response != nil && re.Response.StatusCode >= 400 && re.Response.StatusCode < 500 {
		// re.Error() may echo the request; keep only the OAuth error code.
		return nil, fmt.Errorf("%w: %s", ErrExchange, safeCode(re.ErrorCode))
	}
	if ctx.Err() != nil {
		return nil, fmt.Errorf("%w: token endpoint: %w", ErrUnavailable, ctx.Err())
	}
	return nil, fmt.Errorf("%w: token endpoint: %w", ErrUnavailable, scrub(err))
}

// scrub drops an error's text when it might carry a response body.
func scrub(err error) error {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		status := 0
		if re.Response != nil {
			status = re.Response.StatusCode
		}
		return fmt.Errorf("status %d, error %q", status, safeCode(re.ErrorCode))
	}
	return err
}

// safeCode keeps an OAuth error code only if it looks like one (RFC 6749
// error codes are short ASCII words); anything else could be an echo of
// attacker input or a secret.
func safeCode(s string) string {
	if len(s) == 0 || len(s) > 64 {
		return "unknown"
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '-') {
			return "unknown"
		}
	}
	return s
}

func joinName(given, family string) string {
	switch {
	case given == "":
		return family
	case family == "":
		return given
	default:
		return given + " " + family
	}
}

// flexBool reads a JSON boolean or the strings "true"/"false" (Apple sends
// email_verified either way).
type flexBool bool

// UnmarshalJSON implements json.Unmarshaler.
func (b *flexBool) UnmarshalJSON(data []byte) error {
	switch string(data) {
	case "true", `"true"`:
		*b = true
	case "false", `"false"`, "null", `""`:
		*b = false
	default:
		return fmt.Errorf("oauth: email_verified: unexpected value %.20s", data)
	}
	return nil
}
