//go:build unix

package store_test

import (
	"os"
	"testing"
)

func fileMode(t *testing.T, path string) uint32 {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return uint32(st.Mode().Perm())
}
