package authapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/authgate/authgate/httpx"
	"github.com/authgate/authgate/identity"
)

// FuzzDecode feeds arbitrary request bodies to the strict decoder: it must
// never panic, must refuse with a 4xx *identity.Error, and may accept only
// a valid UTF-8 JSON object whose members are all fields of the target.
func FuzzDecode(f *testing.F) {
	for _, seed := range []string{
		`{"email":"a@example.com","password":"pw","display_name":"A"}`,
		`{"EMAIL":"a@example.com"}`, `{"email":1}`, `{"email":null}`, `[]`, `null`, `""`, `{}`, `{} {}`,
		`{"email":"a","email":"b"}`, "{\"email\":\"\xff\"}", `{"email":"\ud800"}`, `{"a":{"b":[1,2,{"c":null}]}}`,
		`{"display_name":"` + strings.Repeat("x", 300) + `"}`,
	} {
		f.Add([]byte(seed))
	}
	known := jsonFields(reflect.TypeFor[registerRequest]())
	f.Fuzz(func(t *testing.T, body []byte) {
		r := httptest.NewRequest("POST", "/api/auth/register", bytes.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		var dst registerRequest
		err := decode(r, &dst, false)
		if err != nil {
			var ae *identity.Error
			if !errors.As(err, &ae) {
				t.Fatalf("decode(%q) = %v, not an *identity.Error", body, err)
			}
			if s := httpx.StatusOf(ae.Code); s < 400 || s > 499 {
				t.Fatalf("decode(%q) = %v: status %d for bad input", body, err, s)
			}
			return
		}
		if !utf8.Valid(body) {
			t.Fatalf("accepted invalid UTF-8 %q", body)
		}
		var members map[string]json.RawMessage
		if err := json.Unmarshal(body, &members); err != nil || members == nil {
			t.Fatalf("accepted %q, which is not a JSON object", body)
		}
		for name := range members {
			if !known[name] {
				t.Fatalf("accepted unknown member %q in %q", name, body)
			}
		}
	})
}

// FuzzTruncate checks the cleaning of client-controlled strings (User-Agent)
// before they reach an audit row, a log line or device_info.
func FuzzTruncate(f *testing.F) {
	f.Add("Mozilla/5.0 (X11; Linux x86_64) Chrome/126.0", 256)
	f.Add("a\r\nforged: log line\x00\x7f", 10)
	f.Add("日本語のユーザーエージェント", 7)
	f.Add("\xff\xfe\xfd", 2)
	f.Fuzz(func(t *testing.T, s string, n int) {
		if n < 0 || n > 4096 {
			return
		}
		got := truncate(s, n)
		if len(got) > n {
			t.Fatalf("truncate(%q, %d) = %q: longer than %d", s, n, got, n)
		}
		if !utf8.ValidString(got) {
			t.Fatalf("truncate(%q, %d) = %q: invalid UTF-8", s, n, got)
		}
		for _, r := range got {
			if r < 0x20 || r == 0x7f {
				t.Fatalf("truncate(%q, %d) = %q: control character %U", s, n, got, r)
			}
		}
		info := deviceInfo(s)
		if len(info["user_agent"]) > maxUserAgent {
			t.Fatalf("device_info user_agent longer than %d", maxUserAgent)
		}
	})
}
