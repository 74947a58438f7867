// Package browser holds end-to-end tests that drive a real headless
// Chromium (through chromedp) against the real authgate binary: the hosted
// sign-in page, the forward-auth browser flow through the real Caddy, the
// password reset page and the TOTP step. It has no code of its own.
//
// Chromium is looked for at /usr/bin/chromium (scripts/test-deps.sh
// installs it); without it the tests skip locally and fail in CI.
package browser
