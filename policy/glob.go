package policy

import (
	"fmt"
	"strings"
)

// part is one segment (path) or label (host) of a compiled glob.
type part struct {
	text string // the pattern text of the segment
	any  bool   // "**": any number of segments
	wild bool   // holds "*": wildcard within the segment
}

func (p part) match(s string) bool {
	if !p.wild {
		return p.text == s
	}
	return wildMatch(p.text, s)
}

// glob is a compiled host or path pattern; a nil glob matches everything.
type glob struct {
	sep   byte
	parts []part
}

func compileGlob(pattern string, sep byte) (*glob, error) {
	if strings.Contains(pattern, "***") {
		return nil, fmt.Errorf("%q: \"***\" is not a pattern; use \"**\"", pattern)
	}
	g := &glob{sep: sep}
	for _, s := range strings.Split(pattern, string(sep)) {
		switch {
		case s == "":
			continue // leading, trailing or doubled separators
		case s == "**":
			if n := len(g.parts); n > 0 && g.parts[n-1].any {
				continue // "**/**" is "**"
			}
			g.parts = append(g.parts, part{text: s, any: true})
		case strings.Contains(s, "**"):
			return nil, fmt.Errorf("%q: \"**\" must be a whole segment", pattern)
		default:
			g.parts = append(g.parts, part{text: s, wild: strings.Contains(s, "*")})
		}
	}
	return g, nil
}

// nextPart returns the next non-empty piece of s starting at i and the
// index after it; ok is false at the end.
func nextPart(s string, i int, sep byte) (piece string, next int, ok bool) {
	for i < len(s) && s[i] == sep {
		i++
	}
	if i >= len(s) {
		return "", i, false
	}
	j := i
	for j < len(s) && s[j] != sep {
		j++
	}
	return s[i:j], j, true
}

// match reports whether s (normalized) matches. "**" parts are stars over
// whole pieces; the classic single-backtrack algorithm keeps it linear in
// len(s) times the number of parts, whatever the input.
func (g *glob) match(s string) bool {
	if g == nil {
		return true
	}
	parts := g.parts
	pi, si := 0, 0
	starPi, starSi := -1, 0
	for {
		piece, next, ok := nextPart(s, si, g.sep)
		if !ok {
			for pi < len(parts) && parts[pi].any {
				pi++
			}
			return pi == len(parts)
		}
		if pi < len(parts) {
			if parts[pi].any {
				starPi, starSi = pi, si
				pi++
				continue
			}
			if parts[pi].match(piece) {
				pi++
				si = next
				continue
			}
		}
		if starPi < 0 {
			return false
		}
		// Let the last "**" swallow one more piece and retry after it.
		_, starSi, _ = nextPart(s, starSi, g.sep)
		pi, si = starPi+1, starSi
	}
}

// wildMatch matches s against a pattern where "*" is any run of bytes.
func wildMatch(pattern, s string) bool {
	pi, si := 0, 0
	starPi, starSi := -1, 0
	for si < len(s) {
		switch {
		case pi < len(pattern) && pattern[pi] == '*':
			starPi, starSi = pi, si
			pi++
		case pi < len(pattern) && pattern[pi] == s[si]:
			pi++
			si++
		case starPi >= 0:
			starSi++
			pi, si = starPi+1, starSi
		default:
			return false
		}
	}
	for pi < len(pattern) && pattern[pi] == '*' {
		pi++
	}
	return pi == len(pattern)
}
