package password

import (
	_ "embed"
	"slices"
	"strings"
	"sync"
)

// commonPasswordsText is one password a line, NFKC-normalized, lower-cased,
// 8 characters or longer. See NOTICE for its sources and licences.
//
//go:embed common_passwords.txt
var commonPasswordsText string

// commonPasswords returns the list, sorted for binary search. It is built on
// first use; the strings share the embedded text's memory.
var commonPasswords = sync.OnceValue(func() []string {
	list := strings.Split(strings.TrimSpace(commonPasswordsText), "\n")
	for i, p := range list {
		list[i] = strings.ToLower(normalize(strings.TrimSuffix(p, "\r")))
	}
	slices.Sort(list)
	return slices.Compact(list)
})

// IsCommon reports whether password, NFKC-normalized and lower-cased, is in
// the embedded list of common and breached passwords.
func IsCommon(password string) bool {
	_, found := slices.BinarySearch(commonPasswords(), strings.ToLower(normalize(password)))
	return found
}
