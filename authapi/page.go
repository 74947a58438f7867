package authapi

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"html/template"
	"net/http"
)

// newNonce returns a fresh CSP nonce for one page answer.
func newNonce() (string, error) {
	b := make([]byte, 18)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("authapi: page nonce: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// writePage renders one of authgate's small HTML pages (sign-in, reset,
// email verification) with the headers they share: a strict CSP that allows
// only the page's own nonce-tagged script and style and same-origin fetches,
// no framing, no referrer, no caching.
func (a *API) writePage(w http.ResponseWriter, r *http.Request, tmpl *template.Template, nonce string, data any) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'nonce-"+nonce+"'; style-src 'nonce-"+nonce+
		"'; connect-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
	if err := tmpl.Execute(w, data); err != nil {
		a.Log.ErrorContext(r.Context(), "render page", "page", tmpl.Name(), "err", err)
	}
}

// serveStaticPage serves a page whose template needs only the nonce.
func (a *API) serveStaticPage(w http.ResponseWriter, r *http.Request, tmpl *template.Template) {
	nonce, err := newNonce()
	if err != nil {
		a.fail(w, r, err)
		return
	}
	a.writePage(w, r, tmpl, nonce, struct{ Nonce string }{nonce})
}
