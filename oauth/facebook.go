package oauth

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"golang.org/x/oauth2"
)

// Facebook's default endpoints (Graph API v19.0).
const (
	FacebookAuthURL  = "https://www.facebook.com/v19.0/dialog/oauth"
	FacebookTokenURL = "https://graph.facebook.com/v19.0/oauth/access_token"
	FacebookGraphURL = "https://graph.facebook.com"
)

// maxProfile bounds the Graph API answer read.
const maxProfile = 1 << 20

// Facebook is Facebook Login ("facebook"): plain OAuth 2.0 with PKCE, the
// identity read from the Graph API's /me with appsecret_proof. Facebook's
// email is reported as not verified (see the package doc). Empty endpoint
// fields use the Facebook* defaults (DialogURL: FacebookAuthURL); set them
// to point elsewhere (tests).
type Facebook struct {
	ClientID     string
	ClientSecret string
	DialogURL    string
	TokenURL     string
	// GraphURL is the Graph API base; /me is appended.
	GraphURL string
	// HTTPClient makes the token and Graph calls; nil uses a client with
	// DefaultHTTPTimeout.
	HTTPClient *http.Client
}

var _ Provider = (*Facebook)(nil)

// Name implements Provider.
func (f *Facebook) Name() string { return "facebook" }

// ResponseMode implements Provider.
func (f *Facebook) ResponseMode() string { return ResponseModeQuery }

// Validate reports a provider that cannot work.
func (f *Facebook) Validate() error {
	if f.ClientID == "" || f.ClientSecret == "" {
		return errors.New("oauth: facebook: client id and secret are required")
	}
	return nil
}

func (f *Facebook) client() *http.Client {
	if f.HTTPClient != nil {
		return f.HTTPClient
	}
	return defaultHTTPClient
}

func (f *Facebook) config(redirectURL string) *oauth2.Config {
	return &oauth2.Config{
		ClientID: f.ClientID, ClientSecret: f.ClientSecret, RedirectURL: redirectURL,
		Scopes: []string{"email", "public_profile"},
		Endpoint: oauth2.Endpoint{
			AuthURL: or(f.DialogURL, FacebookAuthURL), TokenURL: or(f.TokenURL, FacebookTokenURL),
			AuthStyle: oauth2.AuthStyleInParams,
		},
	}
}

// AuthURL implements Provider.
func (f *Facebook) AuthURL(_ context.Context, req AuthRequest) (string, error) {
	return f.config(req.RedirectURL).AuthCodeURL(req.State,
		oauth2.SetAuthURLParam("code_challenge", req.Challenge),
		oauth2.SetAuthURLParam("code_challenge_method", "S256"),
	), nil
}

type fbProfile struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	Email   string `json:"email"`
	Picture struct {
		Data struct {
			URL string `json:"url"`
		} `json:"data"`
	} `json:"picture"`
}

// Exchange implements Provider: it redeems the code with the PKCE verifier,
// then reads /me?fields=id,name,email,picture with the access token in the
// Authorization header and appsecret_proof (HMAC-SHA256 of the token keyed
// with the app secret) in the query.
func (f *Facebook) Exchange(ctx context.Context, cb Callback) (*Identity, error) {
	tok, err := exchange(ctx, f.client(), f.config(cb.RedirectURL), cb.Code, cb.Verifier)
	if err != nil {
		return nil, fmt.Errorf("oauth: facebook: %w", err)
	}
	if tok.AccessToken == "" {
		return nil, fmt.Errorf("%w: facebook: no access token", ErrProfile)
	}
	q := url.Values{"fields": {"id,name,email,picture"}, "appsecret_proof": {AppSecretProof(f.ClientSecret, tok.AccessToken)}}
	u := strings.TrimRight(or(f.GraphURL, FacebookGraphURL), "/") + "/me?" + q.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, fmt.Errorf("oauth: facebook: profile request: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	req.Header.Set("Accept", "application/json")
	resp, err := f.client().Do(req)
	if err != nil {
		return nil, fmt.Errorf("%w: facebook: profile: %w", ErrUnavailable, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxProfile))
	if err != nil {
		return nil, fmt.Errorf("%w: facebook: profile: %w", ErrUnavailable, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%w: facebook: profile: status %d", ErrProfile, resp.StatusCode)
	}
	var p fbProfile
	if err := json.Unmarshal(body, &p); err != nil {
		return nil, fmt.Errorf("%w: facebook: profile: %w", ErrProfile, err)
	}
	if p.ID == "" || len(p.ID) > 255 {
		return nil, fmt.Errorf("%w: facebook: profile without id", ErrProfile)
	}
	return &Identity{Provider: f.Name(), Subject: p.ID, Email: p.Email, Name: p.Name, Picture: p.Picture.Data.URL}, nil
}

// AppSecretProof is Facebook's appsecret_proof of an access token: the
// hex HMAC-SHA256 of the token keyed with the app secret.
func AppSecretProof(appSecret, accessToken string) string {
	m := hmac.New(sha256.New, []byte(appSecret))
	m.Write([]byte(accessToken))
	return hex.EncodeToString(m.Sum(nil))
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
