package policy

import "strings"

// NormalizePath returns the path as rules see it (see the package
// documentation): decoded once, dot segments resolved, empty segments and a
// trailing slash dropped, "/" for the root. An encoded slash stays "%2F"
// and a backslash stays literal; use NormalizePathAlt for the other reading.
func NormalizePath(raw string) string {
	p, _ := normalizePath(raw, false)
	if p == "" {
		return "/"
	}
	return p
}

// normalizePath returns the normalized path ("" for the root) and whether
// the path is ambiguous (holds "%2F" or "\"), in which case the caller
// should also decide normalizePathAlt's reading. With lower it lower-cases.
func normalizePath(raw string, lower bool) (string, bool) {
	raw = cutQuery(raw)
	if isClean(raw, lower) {
		if raw == "/" {
			return "", false
		}
		return raw, false
	}
	return slowNormalize(raw, lower, false)
}

// normalizePathAlt is normalizePath reading "%2F" and "\" as separators.
func normalizePathAlt(raw string, lower bool) string {
	p, _ := slowNormalize(cutQuery(raw), lower, true)
	return p
}

func cutQuery(raw string) string {
	if i := strings.IndexAny(raw, "?#"); i >= 0 {
		return raw[:i]
	}
	return raw
}

// isClean reports whether raw needs no work: it starts with "/", has no
// escape, backslash, empty, "." or ".." segment, no trailing slash (except
// the root) and, with lower, no upper-case letter.
func isClean(raw string, lower bool) bool {
	if len(raw) == 0 || raw[0] != '/' {
		return false
	}
	if len(raw) == 1 {
		return true
	}
	if raw[len(raw)-1] == '/' {
		return false
	}
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		switch {
		case c == '%' || c == '\\' || c == ';':
			return false
		case lower && c >= 'A' && c <= 'Z':
			return false
		case c >= 0x80 && lower:
			return false
		case c == '/':
			// the next segment must not be empty, "." or ".."
			rest := raw[i+1:]
			if rest == "" || rest[0] == '/' {
				return false
			}
			if rest[0] == '.' {
				if len(rest) == 1 || rest[1] == '/' {
					return false
				}
				if rest[1] == '.' && (len(rest) == 2 || rest[2] == '/') {
					return false
				}
			}
		}
	}
	return true
}

// skipParam returns the index of the last byte of the path parameter that
// starts at raw[i] (a ";"): everything up to the next separator.
func skipParam(raw string, i int) int {
	for i+1 < len(raw) && raw[i+1] != '/' && raw[i+1] != '\\' {
		i++
	}
	return i
}

func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// slowNormalize decodes, splits and resolves. It reports whether the path
// held an ambiguous separator ("%2F" or "\") or a ";" path parameter. In the
// alt reading, "%2F" and "\" separate segments and a ";" starts a path
// parameter that is cut off up to the next separator, as Servlet containers
// (Tomcat, Jetty) do: there "/admin;x/y" is "/admin/y" and "/public/..;/admin"
// is "/admin".
func slowNormalize(raw string, lower, alt bool) (string, bool) {
	ambiguous := false
	// Decode once into segments. A decoded "/" from "%2F" is kept as the
	// literal "%2F" unless alt.
	var segs []string
	var cur strings.Builder
	cur.Grow(len(raw))
	flush := func() {
		s := cur.String()
		cur.Reset()
		switch s {
		case "", ".":
		case "..":
			if len(segs) > 0 {
				segs = segs[:len(segs)-1]
			}
		default:
			segs = append(segs, s)
		}
	}
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		switch c {
		case '/':
			flush()
			continue
		case '\\':
			ambiguous = true
			if alt {
				flush()
				continue
			}
		case ';':
			ambiguous = true
			if alt {
				i = skipParam(raw, i)
				continue
			}
		case '%':
			if i+2 < len(raw) {
				hi, ok1 := unhex(raw[i+1])
				lo, ok2 := unhex(raw[i+2])
				if ok1 && ok2 {
					d := hi<<4 | lo
					i += 2
					if d == '/' {
						ambiguous = true
						if alt {
							flush()
						} else {
							cur.WriteString("%2F")
						}
						continue
					}
					if d == '\\' {
						ambiguous = true
						if alt {
							flush()
							continue
						}
					}
					if d == ';' {
						// Decided like a literal ";" too (deny on doubt).
						ambiguous = true
						if alt {
							i = skipParam(raw, i)
							continue
						}
					}
					c = d
				}
			}
		}
		cur.WriteByte(c)
	}
	flush()
	if len(segs) == 0 {
		return "", ambiguous
	}
	n := 0
	for _, s := range segs {
		n += 1 + len(s)
	}
	var b strings.Builder
	b.Grow(n)
	for _, s := range segs {
		b.WriteByte('/')
		b.WriteString(s)
	}
	out := b.String()
	if lower {
		out = strings.ToLower(out)
	}
	return out, ambiguous
}

// normalizeHost lower-cases the host and removes the port and a trailing
// dot. It allocates only for a host with upper-case letters.
func normalizeHost(h string) string {
	if h == "" {
		return h
	}
	if h[0] == '[' { // [v6]:port
		if i := strings.IndexByte(h, ']'); i > 0 {
			h = h[1:i]
		}
	} else if i := strings.LastIndexByte(h, ':'); i >= 0 && strings.IndexByte(h, ':') == i {
		h = h[:i]
	}
	h = strings.TrimSuffix(h, ".")
	for i := 0; i < len(h); i++ {
		if c := h[i]; (c >= 'A' && c <= 'Z') || c >= 0x80 {
			return strings.ToLower(h)
		}
	}
	return h
}

// normalizeMethod upper-cases the method without allocating for the usual
// (already upper-case) ones.
func normalizeMethod(m string) string {
	for i := 0; i < len(m); i++ {
		if c := m[i]; c >= 'a' && c <= 'z' {
			return strings.ToUpper(m)
		}
	}
	return m
}
