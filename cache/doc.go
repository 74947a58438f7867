// Package cache holds authgate's verified-token and profile caches
// (dgraph-io/ristretto) and the Authenticator that puts them in front of the
// verifier chain.
//
// The Authenticator is the single identity.Verifier used by both the gateway
// and the auth API. On a miss it asks the chain, checks that the token's
// session is still active and that its user is still enabled, takes roles,
// email and name from the user's current profile, and caches the result for
// no longer than the token's own lifetime. On a hit it costs one map lookup in
// ristretto and two sharded lookups in the revocation table: no database call,
// no global lock.
//
// Changes that must take effect at once (logout, session revoke, role change,
// disable, deletion, password change) are reported through InvalidateSession
// and InvalidateUser (identity.Invalidator). With a Redis client configured,
// every invalidation is also published on the "authgate:invalidate" channel,
// and invalidations published by other replicas are applied here.
package cache
