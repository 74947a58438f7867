package httpx

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"unicode/utf8"

	"github.com/authgate/authgate/identity"
)

// MaxBodyBytes is the largest request body authgate reads (1 MiB).
const MaxBodyBytes = 1 << 20

// DecodeJSON reads a JSON object body of at most MaxBodyBytes into dst.
// An empty body decodes as {} when allowEmpty is true. Errors are
// *identity.Error values: payload_too_large (413), malformed_request (400)
// for bad JSON or invalid UTF-8, unsupported_media_type (415).
func DecodeJSON(r *http.Request, dst any, allowEmpty bool) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && !(len(mt) > 5 && mt[len(mt)-5:] == "+json")) {
			return identity.Errorf(identity.EUNSUPPORTED, "The request body must be application/json.")
		}
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxBodyBytes+1))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return identity.Errorf(identity.EPAYLOADTOOLARGE, "The request body is larger than 1 MiB.")
		}
		return identity.Wrap(identity.EMALFORMED, "The request body could not be read.", err)
	}
	if len(body) > MaxBodyBytes {
		return identity.Errorf(identity.EPAYLOADTOOLARGE, "The request body is larger than 1 MiB.")
	}
	if len(bytes.TrimSpace(body)) == 0 {
		if allowEmpty {
			return nil
		}
		return identity.Errorf(identity.EMALFORMED, "The request body must be a JSON object.")
	}
	if !utf8.Valid(body) {
		return identity.Errorf(identity.EMALFORMED, "The request body is not valid UTF-8.")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(dst); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return &identity.Error{Code: identity.EINVALID, Message: fmt.Sprintf("Field %q has the wrong type.", te.Field),
				Fields: map[string]string{te.Field: "must be a " + te.Type.String()}}
		}
		return identity.Wrap(identity.EMALFORMED, "The request body is not valid JSON.", err)
	}
	if dec.More() {
		return identity.Errorf(identity.EMALFORMED, "The request body must hold exactly one JSON value.")
	}
	return nil
}
