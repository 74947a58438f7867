package token

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
)

// b64strict decodes JWS segments: unpadded base64url whose unused trailing
// bits are zero, so that every segment has exactly one encoding.
var b64strict = base64.RawURLEncoding.Strict()

// peekedHeader is the part of a JOSE header the Verifier looks at before
// the signature is checked. Nothing read here is trusted: the kid only
// selects one of our own keys, the library re-parses the header, and the
// signature covers it.
type peekedHeader struct {
	Kid string `json:"kid"`
	Typ string `json:"typ"`
	// Crit lists extensions the recipient must understand (RFC 7515
	// 4.1.11). authgate understands none, so its presence is fatal.
	Crit json.RawMessage `json:"crit"`
	// malformed is set when a member has the wrong JSON type (a numeric
	// kid, say): the header is JSON, so the token may be ours, but bad.
	malformed bool
}

// peekHeader splits a compact JWS without verifying it and decodes its
// header. ok is false when raw is not a compact JWS with a JSON object
// header (a JWE has five segments, an opaque token none): such a token is
// not ours to judge. payload is the (still encoded) second segment.
func peekHeader(raw string) (h peekedHeader, payload string, ok bool) {
	hdr, rest, found := strings.Cut(raw, ".")
	if !found || hdr == "" {
		return h, "", false
	}
	payload, sig, found := strings.Cut(rest, ".")
	if !found || payload == "" || strings.IndexByte(sig, '.') >= 0 {
		return h, "", false
	}
	hb, err := b64strict.DecodeString(hdr)
	if err != nil {
		return h, "", false
	}
	if err := json.Unmarshal(hb, &h); err != nil {
		var typeErr *json.UnmarshalTypeError
		if !errors.As(err, &typeErr) || typeErr.Field == "" {
			return h, "", false // not a JSON object
		}
		h.malformed = true
	}
	return h, payload, true
}

// peekIssuer returns the iss claim of an encoded payload without verifying
// anything; ok is false when the payload is not a base64url JSON object.
func peekIssuer(payload string) (iss string, ok bool) {
	pb, err := b64strict.DecodeString(payload)
	if err != nil {
		return "", false
	}
	var p struct {
		Iss string `json:"iss"`
	}
	if err := json.Unmarshal(pb, &p); err != nil {
		var typeErr *json.UnmarshalTypeError
		return "", errors.As(err, &typeErr) && typeErr.Field != "" // a JSON object with a non-string iss
	}
	return p.Iss, true
}
