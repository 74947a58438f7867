// Package token signs and verifies authgate access tokens and publishes the
// keys that verify them.
//
// A KeySet holds the signing keys. By default they live in the database
// (identity.KeyStore), so replicas that share a database share keys: the
// first instance to start generates one, the others load it. Alternatively a
// single key is read from a PEM file (AUTHGATE_SIGNING_KEY_FILE). Key ids are
// RFC 7638 JWK thumbprints, so a kid names exactly one public key.
//
// An Issuer signs RFC 9068-style access tokens (header typ "at+jwt") with
// the newest key; a Verifier checks them with the key their kid names,
// pinning the algorithm to that key. Verification follows RFC 8725: the alg
// header never chooses the key type, "none" and HMAC algorithms are never
// accepted, exp is required, iss and aud are checked, and jku, x5u, jwk and
// x5c headers are ignored.
//
// The Verifier checks signatures and claims only. It does NOT know about
// sessions: a token whose session was revoked still verifies here until it
// expires. The caller wraps it with a session check (see the contract:
// "rejects a token whose session is revoked").
//
// JWKSHandler and DiscoveryHandler serve /.well-known/jwks.json and
// /.well-known/openid-configuration so that other services (go-oidc, any
// OIDC-aware proxy) can verify authgate tokens on their own.
package token
