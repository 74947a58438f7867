// Package authapi serves authgate's JSON API under /api/auth: registration,
// password sign-in, refresh-token rotation, token verification (authgate
// access tokens and Firebase ID tokens), profile, password reset and change,
// account deletion and session management.
//
// The API depends only on the interfaces of package identity, given as
// fields of [API]; cmd/authgate builds the concrete ones. Every error is an
// RFC 9457 problem+json answer with a stable code (see httpx.Error), every
// request body is bounded to 1 MiB and decoded strictly (unknown fields are
// refused), and every security event is written to the audit log without
// any password or token in it.
//
// A minimal wiring:
//
//	api := &authapi.API{Provider: p, Users: st, Sessions: st, OneTime: st, Audit: st,
//		Tokens: issuer, Verifier: chain, Invalidator: cache, Mailer: m, PublicURL: u}
//	r := mux.NewRouter()
//	sub := api.Routes(r) // more /api/auth routes may be added to sub
//	defer api.Shutdown(ctx) // waits for mail still being sent
package authapi
