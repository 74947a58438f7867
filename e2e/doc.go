// Package e2e holds end-to-end tests of the real authgate binary: behind
// the real nginx and Caddy with the example configs of configs/, in
// sidecar mode, and as two replicas sharing PostgreSQL and Redis. Tokens
// come from the real API over HTTP; the application is an echo server that
// reports the request it received.
//
// The package has no non-test code. Run it with `go test ./e2e/`; outside
// CI a missing nginx, Caddy, PostgreSQL or Redis skips the test that needs
// it, in CI (CI=true) it fails it (see internal/testenv).
package e2e
