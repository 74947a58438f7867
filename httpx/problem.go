// Package httpx holds the HTTP helpers that authapi and gateway share:
// RFC 9457 problem answers, bounded JSON decoding, bearer extraction and
// client-IP resolution that believes only trusted proxies.
package httpx

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/authgate/authgate/identity"
)

// Problem is an RFC 9457 problem document with authgate's stable code.
type Problem struct {
	Type   string            `json:"type"`
	Title  string            `json:"title"`
	Status int               `json:"status"`
	Detail string            `json:"detail,omitempty"`
	Code   string            `json:"code"`
	Fields map[string]string `json:"fields,omitempty"`
}

var statusByCode = map[string]int{
	identity.EINVALID:            http.StatusBadRequest,
	identity.EMALFORMED:          http.StatusBadRequest,
	identity.ENOTFOUND:           http.StatusNotFound,
	identity.ECONFLICT:           http.StatusConflict,
	identity.EEMAILTAKEN:         http.StatusConflict,
	identity.EWEAKPASSWORD:       http.StatusBadRequest,
	identity.EINVALIDCREDENTIALS: http.StatusUnauthorized,
	identity.EINVALIDTOKEN:       http.StatusUnauthorized,
	identity.ETOKENEXPIRED:       http.StatusUnauthorized,
	identity.EUNAUTHENTICATED:    http.StatusUnauthorized,
	identity.EMFAREQUIRED:        http.StatusUnauthorized,
	identity.EINVALIDMFA:         http.StatusUnauthorized,
	identity.EREAUTHREQUIRED:     http.StatusUnauthorized,
	identity.EFORBIDDEN:          http.StatusForbidden,
	identity.EUSERDISABLED:       http.StatusForbidden,
	identity.EEMAILNOTVERIFIED:   http.StatusForbidden,
	identity.ERATELIMITED:        http.StatusTooManyRequests,
	identity.EPAYLOADTOOLARGE:    http.StatusRequestEntityTooLarge,
	identity.EMETHODNOTALLOWED:   http.StatusMethodNotAllowed,
	identity.EUNSUPPORTED:        http.StatusUnsupportedMediaType,
	identity.EUNAVAILABLE:        http.StatusServiceUnavailable,
	identity.EBADGATEWAY:         http.StatusBadGateway,
	identity.EGATEWAYTIMEOUT:     http.StatusGatewayTimeout,
	identity.EINTERNAL:           http.StatusInternalServerError,
}

// StatusOf returns the HTTP status for an error code (500 for unknown codes).
func StatusOf(code string) int {
	if s, ok := statusByCode[code]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// Error writes err as problem+json. Internal errors are logged with their
// cause and answered with a generic message; nothing internal leaks.
func Error(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	code := identity.ErrorCode(err)
	status := StatusOf(code)
	if status >= 500 && log != nil {
		log.ErrorContext(r.Context(), "request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	var ae *identity.Error
	errors.As(err, &ae)
	if ae != nil && ae.RetryAfterSeconds > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(ae.RetryAfterSeconds))
	}
	if status == http.StatusUnauthorized && w.Header().Get("WWW-Authenticate") == "" {
		w.Header().Set("WWW-Authenticate", bearerChallenge(code))
	}
	body := map[string]any{
		"type":   "https://authgate.dev/problems/" + code,
		"title":  http.StatusText(status),
		"status": status,
		"detail": identity.ErrorMessage(err),
		"code":   code,
	}
	if ae != nil {
		if len(ae.Fields) > 0 {
			body["fields"] = ae.Fields
		}
		for k, v := range ae.Extra {
			if _, taken := body[k]; !taken {
				body[k] = v
			}
		}
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

func bearerChallenge(code string) string {
	switch code {
	case identity.EINVALIDTOKEN, identity.ETOKENEXPIRED:
		return `Bearer realm="authgate", error="invalid_token"`
	default:
		return `Bearer realm="authgate"`
	}
}

// JSON writes v as JSON with the status.
func JSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// NoContent writes 204.
func NoContent(w http.ResponseWriter) {
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusNoContent)
}
