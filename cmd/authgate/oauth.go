package main

import (
	"fmt"
	"os"

	"github.com/authgate/authgate/config"
	"github.com/authgate/authgate/identity"
	"github.com/authgate/authgate/internal/redirect"
	"github.com/authgate/authgate/oauth"
)

// buildOAuth makes the sign-in flow of the configured AUTHGATE_OAUTH_*
// providers, or nil when none is configured.
func buildOAuth(cfg *config.Config, states identity.OneTimeTokenStore, redirects *redirect.Policy) (*oauth.Flow, error) {
	o := cfg.OAuth
	if !o.Enabled() {
		return nil, nil
	}
	var providers []oauth.Provider
	if o.GoogleClientID != "" {
		providers = append(providers, oauth.NewGoogle(o.GoogleClientID, o.GoogleClientSecret))
	}
	if o.AppleClientID != "" {
		pemBytes, err := os.ReadFile(o.ApplePrivateKeyFile)
		if err != nil {
			return nil, fmt.Errorf("AUTHGATE_OAUTH_APPLE_PRIVATE_KEY_FILE: %w", err)
		}
		apple, err := oauth.NewApple(oauth.AppleConfig{ClientID: o.AppleClientID, TeamID: o.AppleTeamID, KeyID: o.AppleKeyID, PrivateKeyPEM: pemBytes})
		if err != nil {
			return nil, fmt.Errorf("AUTHGATE_OAUTH_APPLE_PRIVATE_KEY_FILE: %w", err)
		}
		providers = append(providers, apple)
	}
	if o.FacebookClientID != "" {
		providers = append(providers, &oauth.Facebook{ClientID: o.FacebookClientID, ClientSecret: o.FacebookClientSecret})
	}
	if o.OIDCIssuer != "" {
		providers = append(providers, &oauth.OIDC{ProviderName: o.OIDCName, Issuer: o.OIDCIssuer, ClientID: o.OIDCClientID, ClientSecret: o.OIDCClientSecret})
	}
	f := &oauth.Flow{Providers: providers, States: states, BaseURL: cfg.PublicURL, Redirects: redirects}
	if err := f.Validate(); err != nil {
		return nil, fmt.Errorf("AUTHGATE_OAUTH_*: %w", err)
	}
	return f, nil
}
