// Command authgate is an auth API and gateway in one binary.
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "authgate: under construction")
	os.Exit(1)
}
