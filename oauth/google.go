package oauth

// GoogleIssuer is Google's OpenID Connect issuer.
const GoogleIssuer = "https://accounts.google.com"

// NewGoogle returns Google sign-in ("google") as an OpenID Connect provider
// with discovery at GoogleIssuer, asking for openid, email and profile.
// Google's email_verified claim says whether the address is verified. Set
// Issuer and HTTPClient on the result to point it elsewhere (tests).
func NewGoogle(clientID, clientSecret string) *OIDC {
	return &OIDC{ProviderName: "google", Issuer: GoogleIssuer, ClientID: clientID, ClientSecret: clientSecret}
}
