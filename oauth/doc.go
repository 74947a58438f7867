// Package oauth signs users in with an outside OAuth 2.0 / OpenID Connect
// provider: Google, Apple, Facebook or any OpenID Connect issuer with
// discovery. It builds the authorization redirect and checks the callback;
// what to do with the signed-in [Identity] (find or create the user, start a
// session) is the caller's business (package authapi).
//
// # The flow
//
// [Flow.Start] makes a fresh state and a browser secret. The state is kept
// server-side as a single-use identity.OneTimeToken (purpose
// [PurposeState], only its hash, for [DefaultStateTTL]) with the provider,
// the checked back-link and the hash of the browser secret; the browser
// secret goes into a short-lived HttpOnly cookie whose name is derived from
// the state. The PKCE verifier (S256) and the OpenID nonce are derived from
// the browser secret and the state with HMAC-SHA256, so the database never
// holds either, and a stolen state row is useless without the browser's
// cookie.
//
// [Flow.Finish] consumes the state (so it is single-use even when the rest
// fails), checks that the browser presents the secret the state was bound
// to (login CSRF defence: an attacker cannot make a victim's browser finish
// the attacker's sign-in), refuses provider errors, exchanges the code with
// the PKCE verifier and returns the verified identity: for OpenID Connect
// providers from the ID token (signature, iss, aud = client id, exp and
// nonce checked by go-oidc), for Facebook from the Graph API with
// appsecret_proof.
//
// # Email addresses
//
// [Identity.EmailVerified] is true only when the provider asserts it:
// Google's and any OIDC issuer's email_verified claim, Apple's
// email_verified claim (a boolean or the string "true"). Facebook gives no
// such assertion for the address /me returns (an account registered with a
// phone number may add an address it never confirmed), so Facebook
// addresses are reported as not verified and must never be used to link an
// existing account.
//
// Nothing here logs, and no error message carries a code, token, state or
// secret.
package oauth
