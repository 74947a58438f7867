package config

import (
	"fmt"
	"strings"
)

// ExampleYAML renders a YAML file that documents every setting with its
// default; configs/authgate.example.yaml is this text (a test keeps them equal).
func ExampleYAML() string {
	var b strings.Builder
	b.WriteString("# authgate configuration: every setting with its default.\n")
	b.WriteString("# Precedence: flags > AUTHGATE_* environment > this file (--config / AUTHGATE_CONFIG) > defaults.\n")
	b.WriteString("# Each key is also an environment variable: listen -> AUTHGATE_LISTEN, and a flag: --listen.\n")
	for _, s := range settings {
		fmt.Fprintf(&b, "\n# %s\n", s.Help)
		fmt.Fprintf(&b, "%s: %q\n", YAMLName(s.Name), s.Default)
	}
	return b.String()
}
