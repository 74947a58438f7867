package password

import (
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// normalize returns the NFKC form of a password, the form that is hashed
// and that the rules count. Invalid UTF-8 is left as it is (Check refuses
// it; Verify then simply fails to match).
func normalize(s string) string {
	if !utf8.ValidString(s) {
		return s
	}
	return norm.NFKC.String(s)
}
