package authapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"sync"

	"github.com/authgate/authgate/httpx"
	"github.com/authgate/authgate/identity"
)

// decode reads r's JSON object body into dst (a pointer to a struct) with
// httpx.DecodeJSON's limits, and refuses members dst has no field for:
// 400 validation_failed naming the field. Member names must match the json
// tags exactly (encoding/json alone would accept any letter case).
func decode(r *http.Request, dst any, allowEmpty bool) error {
	var raw json.RawMessage
	if err := httpx.DecodeJSON(r, &raw, allowEmpty); err != nil {
		return err
	}
	if raw == nil {
		return nil
	}
	var members map[string]json.RawMessage
	if err := json.Unmarshal(raw, &members); err != nil || members == nil {
		return identity.Errorf(identity.EMALFORMED, "The request body must be a JSON object.")
	}
	known := jsonFields(reflect.TypeOf(dst).Elem())
	var unknown []string
	for name := range members {
		if !known[name] {
			unknown = append(unknown, name)
		}
	}
	if len(unknown) > 0 {
		slices.Sort(unknown)
		fields := make(map[string]string, len(unknown))
		for _, name := range unknown {
			fields[name] = "unknown field"
		}
		return &identity.Error{Code: identity.EINVALID, Fields: fields,
			Message: fmt.Sprintf("Unknown field %s.", quoteList(unknown))}
	}
	if err := json.Unmarshal(raw, dst); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return &identity.Error{Code: identity.EINVALID, Message: fmt.Sprintf("Field %q has the wrong type.", te.Field),
				Fields: map[string]string{te.Field: "must be a " + jsonKind(te.Type)}}
		}
		return identity.Wrap(identity.EMALFORMED, "The request body is not valid JSON.", err)
	}
	return nil
}

func quoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	return strings.Join(q, ", ")
}

func jsonKind(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return "number"
	case reflect.Slice, reflect.Array:
		return "array"
	default:
		return "object"
	}
}

var fieldCache sync.Map // reflect.Type -> map[string]bool

// jsonFields returns the JSON member names of struct type t.
func jsonFields(t reflect.Type) map[string]bool {
	if m, ok := fieldCache.Load(t); ok {
		return m.(map[string]bool)
	}
	m := make(map[string]bool)
	for f := range t.Fields() {
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch name {
		case "-":
			continue
		case "":
			name = f.Name
		}
		m[name] = true
	}
	fieldCache.Store(t, m)
	return m
}
